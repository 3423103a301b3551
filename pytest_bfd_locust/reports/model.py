"""What a report shows about one suite: the small input model every renderer reads.

Pure. The HTML report, the Markdown summary and `bfd-locust report` all render `SuiteReport`s, built
from a finished run (`reports.session.suite_report`) or from stored records (`bfd-locust report`).
Renderers read the comparison rows as `StatComparison`s, so columns the comparison gains later
(a noise band, an interval) reach every renderer from one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pytest_bfd_locust.acceptance import Acceptance
from pytest_bfd_locust.figures import iso_utc
from pytest_bfd_locust.judge.changepoints import ChangePoint
from pytest_bfd_locust.judge.comparison import Comparison, StatComparison, TaskKey, record_view
from pytest_bfd_locust.judge.generator_health import inconclusive_message

# `Outcome` is decided in judge.verdict; the renderers import it from here, with the model.
from pytest_bfd_locust.judge.verdict import Outcome as Outcome
from pytest_bfd_locust.judge.verdict import decide_suite, rank_regressions
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.reports.terminal import format_failed_statistic

HISTORY_RUNS = 20
"""How many runs of a hash the report's history charts show (the newest, this run included)."""


@dataclass(frozen=True)
class HistoryRun:
    """One stored run of the hash, as the history chart and table show it."""

    record: Record
    is_baseline: bool = False
    """This run is (part of) the baseline the current run was compared against."""
    is_current: bool = False
    acceptances: tuple[Acceptance, ...] = ()
    """This run accepted as the new level (one per tag it was accepted under)."""


@dataclass(frozen=True)
class SuiteReport:
    """One suite of a session (or one stored record) as the reports show it."""

    suite: str
    outcome: Outcome
    reasons: tuple[str, ...] = ()
    """Why it failed: errors, validation failures, failed statistics (empty when it passed)."""
    notes: tuple[str, ...] = ()
    """Warnings: no baseline, endpoints new or gone, warned statistics, skipped records."""
    record: Record | None = None
    baseline_label: str | None = None
    """`previous run of 2026-11-25T02:40:00Z (run ab12)` or `average of 5 runs`."""
    baseline: Mapping[str, float] | None = None
    """The baseline's totals by threshold-file name (percentile keys included)."""
    baseline_tasks: Mapping[TaskKey, Mapping[str, float]] = field(default_factory=dict)
    comparison: Comparison | None = None
    history: tuple[HistoryRun, ...] = ()
    """Oldest first."""
    change_points: tuple[ChangePoint, ...] = ()
    record_location: str | None = None
    log_path: str | None = None
    report_location: str | None = None
    acceptances: tuple[Acceptance, ...] = ()
    """This run accepted as the new level (`--bfd-accept`), one per tag."""
    breached_windows: tuple[tuple[float, float], ...] = ()
    """The SLA's breached windows (seconds since the run started), marked on the timeline chart."""

    @property
    def inconclusive(self) -> str | None:
        """Why the run is inconclusive (its load generator saturated; `Record.inconclusive`)."""
        return None if self.record is None else self.record.inconclusive

    def worst_regressions(self, count: int = 3) -> tuple[StatComparison, ...]:
        """The failed, then warned statistics, worst first (`judge.verdict.rank_regressions`); none for
        an inconclusive run (its comparison measured the load generator)."""
        if self.comparison is None or self.inconclusive is not None:
            return ()
        return rank_regressions(self.comparison.stats)[:count]


def history_runs(
    records: Sequence[Record],
    *,
    current: Record | None,
    baseline_records: Sequence[Record] = (),
    acceptances: Sequence[Acceptance] = (),
) -> tuple[HistoryRun, ...]:
    """Runs oldest first, the current one included once, baseline and accepted runs marked."""
    by_id: dict[tuple[int, str | None], Record] = {
        (record.metadata.timestamp, record.run_id): record for record in records
    }
    if current is not None:
        by_id[(current.metadata.timestamp, current.run_id)] = current
    baseline_ids = {(record.metadata.timestamp, record.run_id) for record in baseline_records}
    current_id = None if current is None else (current.metadata.timestamp, current.run_id)
    accepted: dict[tuple[int, str | None], list[Acceptance]] = {}
    for acceptance in acceptances:
        accepted.setdefault((acceptance.run_timestamp, acceptance.run_id), []).append(acceptance)
    ordered = sorted(by_id.items(), key=lambda item: (item[0][0], item[0][1] or ""))
    return tuple(
        HistoryRun(
            record,
            is_baseline=key in baseline_ids,
            is_current=key == current_id,
            acceptances=tuple(accepted.get(key, ())),
        )
        for key, record in ordered[-HISTORY_RUNS:]
    )


def acceptance_mark(acceptance: Acceptance) -> str:
    """How a history shows an accepted run:
    `accepted (tag default, 2026-12-02T03:00:00Z by octocat): <reason>`."""
    return (
        f"accepted (tag {acceptance.tag}, {iso_utc(acceptance.accepted_at)} by {acceptance.who()}): "
        f"{acceptance.reason}"
    )


def report_from_records(
    record: Record,
    *,
    baseline: Record | None,
    comparison: Comparison | None,
    history: Sequence[Record] = (),
    record_location: str | None = None,
    acceptances: Sequence[Acceptance] = (),
) -> SuiteReport:
    """A report of a stored record (`bfd-locust report`): its stored results are the verdict, unless
    it was accepted (`acceptances` of its hash), which overrules a failed comparison."""
    accepted = tuple(
        a for a in acceptances if (a.run_timestamp, a.run_id) == (record.metadata.timestamp, record.run_id)
    )
    metadata = record.metadata
    validation = (
        ("validation failed when the run was judged (stored validation_result FAILED)",)
        if metadata.validation_result is ResultStatus.FAILED
        else ()
    )
    verdict = decide_suite(
        statistics=True,
        validation=validation,
        # An acceptance overrules the comparison: the report shows it with its reason instead.
        comparison=None if accepted else comparison,
        stored_compare_failed=metadata.compare_result is ResultStatus.FAILED and not accepted,
        inconclusive=record.inconclusive,
    )
    reasons = list(verdict.validation)
    if verdict.regressions:
        reasons.extend(f"failed: {format_failed_statistic(row)}" for row in verdict.regressions)
    elif verdict.compare_failed:
        reasons.append("the comparison failed when the run was judged (stored compare_result FAILED)")
    if verdict.inconclusive is not None:
        reasons.append(inconclusive_message(verdict.inconclusive))
    baseline_view = None if baseline is None else record_view(baseline)
    label = None
    if baseline is not None:
        run = f" (run {baseline.run_id})" if baseline.run_id else ""
        label = f"run of {iso_utc(baseline.metadata.timestamp)}{run}"
    return SuiteReport(
        suite=record.suite or record.metadata.hash[:12],
        outcome=verdict.outcome,
        reasons=tuple(reasons),
        record=record,
        baseline_label=label,
        baseline=None if baseline_view is None else baseline_view.totals,
        baseline_tasks={} if baseline_view is None else baseline_view.tasks,
        comparison=comparison,
        history=history_runs(
            history,
            current=record,
            baseline_records=() if baseline is None else (baseline,),
            acceptances=acceptances,
        ),
        record_location=record_location,
        acceptances=accepted,
    )
