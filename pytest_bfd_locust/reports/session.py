"""The session's reports: each suite's `SuiteReport`, the HTML page, the Markdown summary.

Between the plugin and the renderers: builds the report model from a `SuiteResult` and the store's
history of its hash, stores a record's own report beside it where the store keeps reports (S3),
and writes the session's files. A report that cannot be written is a one-line error naming the
path; it never changes a verdict, and the record is stored before any report is attempted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Protocol, runtime_checkable

from pytest_bfd_locust.acceptance import Acceptance
from pytest_bfd_locust.atomic_file import write_atomically
from pytest_bfd_locust.judge.generator_health import inconclusive_message
from pytest_bfd_locust.judge.verdict import Outcome
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.reports.history import history_change_points
from pytest_bfd_locust.reports.html import render_report
from pytest_bfd_locust.reports.markdown import render_markdown
from pytest_bfd_locust.reports.model import HISTORY_RUNS, SuiteReport, history_runs
from pytest_bfd_locust.reports.terminal import (
    AttemptFigures,
    format_attempts,
    format_endpoint_changes,
    format_failure_text,
    format_failures_reason,
    format_warnings,
)
from pytest_bfd_locust.stores import Store, StoreError
from pytest_bfd_locust.stores.protocol import HistoryQuery, HistoryStore
from pytest_bfd_locust.suite_run import SuiteResult

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"
"""The file GitHub Actions shows as a job's summary; appended to, never replaced."""


@runtime_checkable
class ReportStore(Protocol):
    """A store that keeps a record's HTML report beside the record (the S3 store)."""

    def save_report(self, record: Record, html: str) -> str: ...


@dataclass(frozen=True)
class BuiltReport:
    """A suite's report model and the problems met while building it (each said once)."""

    report: SuiteReport
    warnings: tuple[str, ...] = ()


def suite_report(
    result: SuiteResult, store: Store | None, *, min_percent: float | None = None
) -> BuiltReport:
    """The report model of one finished suite, its history read from `store`; stores the record's
    own HTML report beside the record when the store keeps reports. `min_percent`: the judge's, for
    the history's level shifts (None: the packaged default)."""
    record = result.record
    warnings: list[str] = []
    history: Sequence[Record] = ()
    acceptances: Sequence[Acceptance] = result.acceptances
    if record is not None and isinstance(store, HistoryStore):
        try:
            loaded = store.load_history(HistoryQuery(hash=record.metadata.hash, limit=HISTORY_RUNS))
        except StoreError as exc:
            warnings.append(
                f"report: the history of hash {record.metadata.hash[:12]} could not be read: {exc}"
            )
        else:
            history = loaded.records
            acceptances = loaded.acceptances
    report = SuiteReport(
        suite=result.suite.name,
        outcome=result.verdict.outcome,
        reasons=failure_reasons(result),
        notes=tuple(
            dict.fromkeys(
                (
                    *result.notes,
                    *(format_endpoint_changes(result.comparison) if result.comparison else ()),
                    *inconclusive_note(result),
                )
            )
        ),
        record=record,
        baseline_label=None if result.baseline is None else result.baseline.describe(),
        baseline=None if result.baseline is None else result.baseline.totals,
        baseline_tasks={} if result.baseline is None else result.baseline.tasks,
        comparison=result.comparison,
        history=history_runs(
            history,
            current=record if result.stored_at else None,
            baseline_records=() if result.baseline is None else result.baseline.records,
            acceptances=acceptances,
        ),
        change_points=history_change_points(history)
        if min_percent is None
        else history_change_points(history, min_percent=min_percent),
        record_location=result.stored_at
        or (None if result.record_artifact is None else str(result.record_artifact)),
        log_path=None if result.run is None else str(result.run.log_path),
        acceptances=result.acceptances,
        breached_windows=tuple(window for failure in result.validation for window in failure.windows),
    )
    if record is not None and result.stored_at and isinstance(store, ReportStore):
        try:
            location = store.save_report(
                record, render_report([report], title=f"Load test report: {report.suite}")
            )
        except StoreError as exc:
            warnings.append(f"report: {exc}")
        else:
            report = replace(report, report_location=location)
    return BuiltReport(report, tuple(warnings))


def failure_reasons(result: SuiteResult, worst: int = 3) -> tuple[str, ...]:
    """Why a suite failed, one line each: errors, validation failures, and one line for the failed
    statistics with the worst few (the comparison table lists them all)."""
    verdict = result.verdict
    reasons = list(verdict.errors) + [f"validation: {failure}" for failure in verdict.validation]
    if verdict.regressions:
        reasons.append(format_failures_reason(verdict.regressions, worst))
    if verdict.inconclusive is not None and verdict.failed:
        reasons.append(inconclusive_message(verdict.inconclusive))
    return tuple(reasons)


def inconclusive_note(result: SuiteResult) -> tuple[str, ...]:
    """The inconclusive line of a suite it did not fail (`--bfd-inconclusive warn`), for the notes."""
    verdict = result.verdict
    if verdict.inconclusive is None or verdict.failed:
        return ()
    return (inconclusive_message(verdict.inconclusive),)


def attempt_figures(result: SuiteResult) -> tuple[AttemptFigures, ...]:
    """Each attempt of the suite as `reports.terminal.format_attempts` reads it."""
    figures = []
    for attempt in result.attempts:
        judged = attempt.judged
        errors = list(attempt.errors)
        if judged is not None:
            errors += [f"validation: {failure}" for failure in judged.validation]
        location = attempt.kept.stored_at or (
            None if attempt.kept.record_artifact is None else str(attempt.kept.record_artifact)
        )
        figures.append(
            AttemptFigures(
                record=None if judged is None else judged.record,
                comparison=None if judged is None else judged.comparison,
                location=location,
                error=errors[0] if errors else None,
            )
        )
    return tuple(figures)


def attempt_lines(result: SuiteResult) -> list[str]:
    """A line per attempt and the line saying what decided (none for a single attempt)."""
    return format_attempts(attempt_figures(result), result.confirmation, result.attempts_allowed)


def failure_text(result: SuiteResult) -> str:
    """The failed suite's text (`reports.terminal.format_failure_text`), read from its result."""
    log_section = None
    if result.run is not None:
        # Locust's own lines help only when Locust itself failed, or when the run made no request
        # (a locustfile that raised); otherwise they repeat its tables.
        no_requests = result.record is not None and result.record.totals.num_requests == 0
        tail = result.run.log_tail() if result.locust_failed or no_requests else ""
        if tail:
            log_section = f"tail of Locust's log ({result.run.log_path}):\n{tail}"
        else:
            log_section = f"Locust's log: {result.run.log_path}"
    record_location = None
    if result.record_artifact is not None:
        record_location = result.stored_at or str(result.record_artifact)
    return format_failure_text(
        result.verdict,
        comparison=result.comparison,
        baseline_label=None if result.baseline is None else result.baseline.describe(),
        attempts=attempt_figures(result),
        confirmation=result.confirmation,
        attempts_allowed=result.attempts_allowed,
        log_section=log_section,
        record_location=record_location,
        cause=first_cause(result),
    )


def first_cause(result: SuiteResult) -> str | None:
    """What the requests met, for a headline that otherwise says only that a rule failed: the most
    frequent error and how often (a target down: "Connection refused"), or, with no request at all,
    the tracebacks the locustfile left in Locust's log."""
    record = result.record
    if record is None:
        return None
    if record.errors:
        top = max(record.errors, key=lambda error: error.occurrences)
        return f"{' '.join(top.error.split())} ({top.occurrences}x, the most frequent error)"
    if record.totals.num_requests == 0 and result.run is not None:
        try:
            tracebacks = result.run.log_path.read_text(errors="replace").count("Traceback (most recent call")
        except OSError:
            return None
        if tracebacks:
            return f"the locustfile raised {tracebacks} traceback(s), see {result.run.log_path.name}"
    return None


def acceptance_line(result: SuiteResult) -> str | None:
    """What `--bfd-accept` did, in one line (None without it): accepted, and whether the comparison
    it overrules had failed."""
    if not result.acceptances:
        return None
    tags = ", ".join(acceptance.tag for acceptance in result.acceptances)
    overruled = ""
    if result.comparison is not None and result.comparison.failed:
        regressed = len(result.comparison.failures)
        against = result.baseline.describe() if result.baseline else "baseline"
        overruled = (
            f"; its comparison failed ({regressed} statistic{'s' if regressed != 1 else ''} regressed"
            f" against the {against}) and is overruled"
        )
    return (
        f"accepted as the new level under tag {tags} ({result.acceptances[0].reason}){overruled}: "
        "later runs are compared against it"
    )


def suite_warnings(result: SuiteResult) -> tuple[str, ...]:
    """What to warn about for a suite, each once (`reports.terminal.format_warnings`). An inconclusive
    run warns no statistic (its comparison measured the load generator); passed under
    `--bfd-inconclusive warn`, it warns why instead."""
    verdict = result.verdict
    if verdict.inconclusive is None:
        return format_warnings(result.notes, result.comparison)
    notes = list(result.notes)
    if verdict.outcome is Outcome.PASSED:
        notes.append(inconclusive_message(verdict.inconclusive))
    return format_warnings(notes, None)


def write_session_reports(
    reports: Sequence[SuiteReport],
    *,
    html_path: Path | None,
    markdown_path: Path | None,
    environ: Mapping[str, str],
) -> tuple[list[str], list[str]]:
    """Write the HTML report (unless `html_path` is None: its folder could not be made), the
    Markdown file and the step summary; (written paths, errors)."""
    written: list[str] = []
    errors: list[str] = []
    html = render_report(reports)
    if html_path is not None and _write(html_path, html, "--bfd-report", errors, append=False):
        written.append(f"HTML report: {html_path}")
    report_path = str(html_path) if written else None
    markdown = render_markdown(reports, report_path=report_path)
    if markdown_path is not None and _write(markdown_path, markdown, "--bfd-markdown", errors, append=False):
        written.append(f"Markdown summary: {markdown_path}")
    step_summary = environ.get(STEP_SUMMARY_ENV, "").strip()
    if step_summary and _write(
        Path(step_summary), markdown + "\n", f"${STEP_SUMMARY_ENV}", errors, append=True
    ):
        written.append(f"step summary appended to {step_summary}")
    return written, errors


def _write(path: Path, text: str, what: str, errors: list[str], *, append: bool) -> bool:
    if not path.parent.is_dir():
        errors.append(f"could not write {what} {path}: the folder {path.parent} does not exist")
        return False
    try:
        if append:
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(text)
        else:
            write_atomically(path, text)  # a browser open on the old report never shows half a page
    except OSError as exc:
        errors.append(f"could not write {what} {path}: {exc.strerror or exc}")
        return False
    return True
