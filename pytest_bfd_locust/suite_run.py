"""One suite from start to verdict, without pytest: target, run, validation, baseline, comparison, store.

The plugin's items call `execute_suite` and turn the `SuiteResult` into pytest's vocabulary
(failure text, warnings, user properties). Nothing here reads `config` or the environment.
"""

from __future__ import annotations

import contextlib
import math
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_bfd_locust import BfdLocustWarning
from pytest_bfd_locust.acceptance import Acceptance, AcceptanceError, accept_run
from pytest_bfd_locust.atomic_file import write_atomically
from pytest_bfd_locust.figures import format_change, stat_label
from pytest_bfd_locust.judge.baseline import Baseline, BaselineKind, BaselineQuery, build_baseline
from pytest_bfd_locust.judge.changepoints import ChangePoint, current_segments
from pytest_bfd_locust.judge.compare import compare as compare_records
from pytest_bfd_locust.judge.comparison import Comparison, Evidence
from pytest_bfd_locust.judge.thresholds import ThresholdSet
from pytest_bfd_locust.judge.validation import (
    SLA_PERCENTILES,
    ValidationFailure,
    ValidationRules,
    validate,
    validation_status,
)
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.reports.terminal import (
    format_comparison_table,
    format_endpoint_changes,
    format_summary_line,
)
from pytest_bfd_locust.run.master_port import master_bind_problem
from pytest_bfd_locust.run.progress import Progress
from pytest_bfd_locust.run.runner import RunOutcome, RunRequest, run_suite
from pytest_bfd_locust.run.target import RunningTarget, TargetError, start_target
from pytest_bfd_locust.run_dirs import create_run_dir, prune_run_dirs, redact_files
from pytest_bfd_locust.secret_values import redact_record, redact_text
from pytest_bfd_locust.settings import BfdSettings, load_limit_errors
from pytest_bfd_locust.stores import Store, StoreError
from pytest_bfd_locust.stores.protocol import AcceptanceStore
from pytest_bfd_locust.suites import Suite
from pytest_bfd_locust.workers import Workers


def effective_suite(suite: Suite, settings: BfdSettings) -> Suite:
    """The suite with the command line's overrides applied."""
    return replace(
        suite,
        host=settings.host or suite.host,
        users=settings.users or suite.users,
        spawn_rate=settings.spawn_rate or suite.spawn_rate,
        spawned_runtime=suite.spawned_runtime
        if settings.spawned_runtime is None
        else settings.spawned_runtime,
        workers=effective_workers(suite.workers, settings),
    )


def effective_workers(workers: Workers | None, settings: BfdSettings) -> Workers | None:
    """The catalog's `workers:` block with the command line's worker options over it."""
    if workers is None:
        if settings.expect_workers is None:
            return None
        workers = Workers(expect=settings.expect_workers)
    return replace(
        workers,
        expect=settings.expect_workers or workers.expect,
        master_bind=settings.master_bind or workers.master_bind,
        wait=settings.worker_wait or workers.wait,
        allow_loss=settings.allow_worker_loss or workers.allow_loss,
    )


def validation_rules(suite: Suite) -> ValidationRules:
    sla = {}
    if suite.sla is not None:
        sla = {
            name: getattr(suite.sla, name) for name in SLA_PERCENTILES if getattr(suite.sla, name) is not None
        }
    return ValidationRules(
        max_fail_ratio=suite.max_fail_ratio,
        sla_ms=sla,
        failsafe_avg_ms=suite.failsafe_avg_ms,
        allow_worker_loss=suite.workers is not None and suite.workers.allow_loss,
    )


@dataclass(frozen=True)
class SuiteResult:
    """Everything one suite produced; `failed` decides the test outcome."""

    suite: Suite
    run: RunOutcome | None
    record: Record | None
    """The record as stored: compare_result and validation_result set."""
    validation: tuple[ValidationFailure, ...] = ()
    comparison: Comparison | None = None
    baseline: Baseline | None = None
    notes: tuple[str, ...] = ()
    """Warnings: no baseline, endpoints new or gone, skipped stored records, store notices
    (warned statistics are in `comparison`; `warnings()` says what to warn about)."""
    store_warnings: tuple[BfdLocustWarning, ...] = ()
    """Warnings the store issued while saving (e.g. `StoreWarning`), kept with their class."""
    change_points: tuple[ChangePoint, ...] = ()
    """Under the judge: for each key statistic, the change point its current level holds since."""
    errors: tuple[str, ...] = ()
    """Problems that fail the suite besides validation and comparison (crash, lookup, store)."""
    stored_at: str | None = None
    record_artifact: Path | None = None
    acceptances: tuple[Acceptance, ...] = ()
    """`--bfd-accept`: the run stored as accepted (one per store tag); its comparison then fails nothing."""

    @property
    def failed(self) -> bool:
        compare_failed = bool(self.comparison and self.comparison.failed) and not self.acceptances
        return bool(self.errors or self.validation or compare_failed)

    def acceptance_line(self) -> str | None:
        """What `--bfd-accept` did, in one line (None without it): accepted, and whether the
        comparison it overrules had failed."""
        if not self.acceptances:
            return None
        tags = ", ".join(acceptance.tag for acceptance in self.acceptances)
        overruled = ""
        if self.comparison is not None and self.comparison.failed:
            regressed = len(self.comparison.failures)
            overruled = (
                f"; its comparison failed ({regressed} statistic{'s' if regressed != 1 else ''} "
                f"regressed against the {self.baseline.describe() if self.baseline else 'baseline'}) "
                "and is overruled"
            )
        return (
            f"accepted as the new level under tag {tags} ({self.acceptances[0].reason}){overruled}: "
            "later runs are compared against it"
        )

    def headline(self) -> str:
        """Why the suite failed, on one line: the first line of the failure text (pytest's short summary)."""
        # What went wrong, not the details: those follow in the text.
        clauses = [error.split(": ", 1)[0].split("\n", 1)[0] for error in self.errors]
        if self.validation:
            rules = len(self.validation)
            # The cause first: the short summary keeps only the start of the line.
            clauses += self._first_cause()
            clauses.append(f"{rules} validation rule{'s' if rules != 1 else ''} failed")
        if (
            self.comparison is not None
            and self.comparison.failed
            and self.baseline is not None
            and not self.acceptances
        ):
            failures = self.comparison.failures
            # A statistic rising from 0 has an infinite ratio but says least: finite ratios first.
            worst = max(failures, key=lambda row: (math.isfinite(row.ratio), row.ratio))
            count = f"{len(failures)} statistic{'s' if len(failures) != 1 else ''}"
            clauses.append(
                f"{count} regressed, worst {worst.scope} {stat_label(worst.stat)} "
                f"{format_change(worst.baseline, worst.current)}"
            )
        return "; ".join(clauses)

    def _first_cause(self) -> list[str]:
        """What the requests met, for a headline that otherwise says only that a rule failed: the
        most frequent error and how often (a target down: "Connection refused"), or, with no
        request at all, the tracebacks the locustfile left in Locust's log."""
        record = self.record
        if record is None:
            return []
        if record.errors:
            top = max(record.errors, key=lambda error: error.occurrences)
            return [f"{' '.join(top.error.split())} ({top.occurrences}x, the most frequent error)"]
        if record.totals.num_requests == 0 and self.run is not None:
            try:
                log = self.run.log_path.read_text(errors="replace")
                tracebacks = log.count("Traceback (most recent call")
            except OSError:
                return []
            if tracebacks:
                return [f"the locustfile raised {tracebacks} traceback(s), see {self.run.log_path.name}"]
        return []

    def failure_text(self) -> str:
        """What a user reads when the suite fails: a headline, then every reason with its numbers."""
        sections = [self.headline(), *self.errors]
        if self.validation:
            sections.append("validation failed:\n" + "\n".join(f"  {failure}" for failure in self.validation))
        if (
            self.comparison is not None
            and self.comparison.failed
            and self.baseline is not None
            and not self.acceptances
        ):
            sections.append(
                f"regression against the {self.baseline.describe()}:\n"
                + format_comparison_table(self.comparison.failures + self.comparison.warnings)
            )
        if self.run is not None:
            # Locust's own lines help only when Locust itself failed; otherwise they repeat its tables.
            no_requests = self.record is not None and self.record.totals.num_requests == 0
            tail = self.run.log_tail() if self.locust_failed or no_requests else ""
            if tail:
                sections.append(f"tail of Locust's log ({self.run.log_path}):\n{tail}")
            else:
                sections.append(f"Locust's log: {self.run.log_path}")
        if self.record_artifact is not None:
            sections.append(f"record: {self.stored_at or self.record_artifact}")
        return "\n\n".join(sections)

    @property
    def locust_failed(self) -> bool:
        """Locust itself did not finish (crash, timeout, no statistics), as opposed to a verdict."""
        return self.run is not None and (self.run.error is not None or self.run.record is None)

    def warnings(self) -> tuple[str, ...]:
        """What to warn about, each once: the notes, and the warned statistics unless the failure's
        regression table shows them already."""
        if self.comparison is None or self.comparison.failed:
            return self.notes
        return self.notes + tuple(format_summary_line(row) for row in self.comparison.warnings)


def execute_suite(
    suite: Suite,
    settings: BfdSettings,
    *,
    store: Store | None,
    thresholds: ThresholdSet,
    on_progress: Callable[[Progress], None] | None = None,
) -> SuiteResult:
    """Run one (already overridden) suite and judge it. Never raises for a failing run.

    Everything the run writes goes into a directory of its own
    (`<artifacts>/<suite>/<UTC time>-<run id>/`, see `run_dirs`), so parallel sessions and
    two catalogs with the same suite name never overwrite each other.
    """
    if suite.workers is not None and settings.processes:
        return SuiteResult(
            suite=suite,
            run=None,
            record=None,
            errors=(
                f"the suite waits for {suite.workers.expect} workers (its catalog's workers block) and "
                f"--bfd-processes {settings.processes} was given: use one or the other",
            ),
        )
    bind_problem = master_bind_problem(suite.workers.master_bind) if suite.workers is not None else None
    if bind_problem is not None:
        return SuiteResult(suite=suite, run=None, record=None, errors=(bind_problem,))
    refused = load_limit_errors(
        suite.users, suite.spawn_rate, max_users=settings.max_users, max_spawn_rate=settings.max_spawn_rate
    )
    if refused:
        return SuiteResult(
            suite=suite, run=None, record=None, errors=(f"refused before any load: {'; '.join(refused)}",)
        )
    run_id = uuid.uuid4().hex[:12]
    try:
        artifacts_dir, link_notes = create_run_dir(settings.artifacts / suite.name, run_id)
    except OSError as exc:
        return SuiteResult(
            suite=suite,
            run=None,
            record=None,
            errors=(f"cannot create the run's directory under --bfd-artifacts {settings.artifacts}: {exc}",),
        )
    prune_notes = link_notes + prune_run_dirs(
        settings.artifacts / suite.name, keep=settings.keep_runs, current=artifacts_dir
    )
    try:
        with _target(suite, artifacts_dir) as target:
            host = target.substitute(suite.host) if target and suite.host else suite.host
            suite = replace(suite, host=host)
            run = run_suite(_run_request(suite, settings, artifacts_dir, run_id), on_progress=on_progress)
    except TargetError as exc:
        return SuiteResult(suite=suite, run=None, record=None, errors=(f"target: {exc}",))
    except OSError as exc:
        # A full disk or a vanished artifacts folder: said in one line, not as a traceback.
        return SuiteResult(
            suite=suite,
            run=None,
            record=None,
            errors=(f"cannot write the run's artifacts in {artifacts_dir}: {exc}",),
        )
    if settings.secret_values:
        # Locust's log and HTML report list failure messages, which may quote a secret.
        secrets = settings.secret_values
        redact_files(artifacts_dir, lambda text: redact_text(text, secrets))
    notes: list[str] = list(prune_notes)
    if run.report_error:
        notes.append(run.report_error)
    notes.extend(run.notes)
    if run.record is None:
        # A run refused before any load (no host) says only why; anything else is a failed run.
        reason = str(run.error) if run.refused else f"Locust run failed: {run.error}"
        return SuiteResult(suite=suite, run=run, record=None, errors=(reason,), notes=tuple(notes))

    validation = validate(run.record, validation_rules(suite), abort_reason=run.abort_reason)
    workers = run.record.workers
    if workers is not None and workers.lost and suite.workers is not None and suite.workers.allow_loss:
        notes.append(
            f"{workers.finished} of {workers.started} workers finished the run (worker loss allowed)"
        )
    errors: list[str] = [] if run.error is None else [f"Locust run failed: {run.error}"]
    if run.interrupted_requests and run.record.totals.num_requests == 0:
        errors.append(
            f"{run.interrupted_requests} request(s) were still waiting for an answer when the run "
            f"ended: {suite.host or 'the target'} accepted connections but answered none"
        )
    comparison: Comparison | None = None
    baseline: Baseline | None = None
    change_points: list[ChangePoint] = []
    if settings.compare is not None and store is not None:
        baseline_runs = 1 if settings.compare is BaselineKind.PREVIOUS else settings.compare_load_limit
        query = BaselineQuery(
            hash=run.record.metadata.hash,
            tag=settings.compare_tag,
            total_runtime=run.record.metadata.total_runtime,
            # One lookup serves both the baseline and the judge's noise model (its history).
            limit=max(baseline_runs, thresholds.history_limit),
            suite=suite.name,
        )
        try:
            loaded = store.load_baseline(query)
        except StoreError as exc:
            errors.append(f"baseline lookup in {store.describe()} failed: {exc}")
        else:
            notes.extend(loaded.warnings)
            baseline = build_baseline(settings.compare, loaded.records[:baseline_runs], loaded.accepted)
            if baseline is None:
                notes.append(f"no eligible baseline under tag {settings.compare_tag!r} in {store.describe()}")
            else:
                evidence = Evidence(run.record, baseline.records, loaded.records)
                comparison = compare_records(run.record, baseline, thresholds, evidence)
                notes.extend(format_endpoint_changes(comparison))
                if thresholds.judge is not None:
                    change_points = current_segments(
                        [*reversed(loaded.records), run.record],
                        min_magnitude=thresholds.judge.min_percent / 100.0,
                    )

    record = run.record.with_results(
        compare=comparison.result if comparison is not None else ResultStatus.NOT_APPLICABLE,
        # A run that did not finish is never a baseline.
        validation=ResultStatus.FAILED if run.error else validation_status(validation),
    )
    # Before the record is kept or stored anywhere: an error message may quote a secret.
    record = redact_record(record, settings.secret_values)
    artifact: Path | None
    try:
        artifact = _keep_record(record, artifacts_dir)
    except OSError as exc:
        artifact = None
        notes.append(f"could not keep the record beside the run's artifacts in {artifacts_dir}: {exc}")
    stored_at: str | None = None
    store_warnings: list[BfdLocustWarning] = []
    if store is not None and not settings.no_store:
        try:
            # Caught here, not left to `warnings.warn`: a warning escalated by `-W error` must not
            # lose the run's figures on its way out. The plugin re-issues them against the item.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always", BfdLocustWarning)
                stored_at = store.save(record)
            for warning in caught:
                if isinstance(warning.message, BfdLocustWarning):
                    store_warnings.append(warning.message)
                else:
                    warnings.warn_explicit(
                        warning.message, warning.category, warning.filename, warning.lineno
                    )
        except StoreError as exc:
            kept = f"the record is kept at {artifact}" if artifact else "the record could not be kept either"
            errors.append(f"storing the record in {store.describe()} failed: {exc}; {kept}")
    acceptances: tuple[Acceptance, ...] = ()
    if settings.accept is not None and store is not None and stored_at is not None:
        acceptances, accept_errors = _accept(record, settings, store, stored_at)
        errors.extend(accept_errors)
    return SuiteResult(
        suite=suite,
        run=run,
        record=record,
        validation=validation,
        comparison=comparison,
        baseline=baseline,
        notes=tuple(notes),
        store_warnings=tuple(store_warnings),
        change_points=tuple(change_points),
        errors=tuple(errors),
        stored_at=stored_at,
        record_artifact=artifact,
        acceptances=acceptances,
    )


def _accept(
    record: Record, settings: BfdSettings, store: Store, stored_at: str
) -> tuple[tuple[Acceptance, ...], list[str]]:
    """`--bfd-accept`: the stored run accepted under each of its store tags; (acceptances, errors).

    A run that failed validation or did not finish is not accepted (the suite fails for that
    reason already); its record stays stored, and `bfd-locust accept` can accept a later run.
    """
    if record.metadata.validation_result is ResultStatus.FAILED:
        return (), [f"--bfd-accept: not accepted: the run failed validation; its record is at {stored_at}"]
    if not isinstance(store, AcceptanceStore):
        return (), [f"--bfd-accept: {store.describe()} cannot keep acceptances"]
    accepted: list[Acceptance] = []
    errors: list[str] = []
    for tag in settings.store_tags:
        try:
            acceptance = accept_run(
                record,
                tag=tag,
                reason=settings.accept or "",
                accepted_by=dict(settings.accepted_by),
                now=time.time(),
            )
            store.save_acceptance(acceptance)
        except (AcceptanceError, StoreError) as exc:
            errors.append(
                f"--bfd-accept: storing the acceptance in {store.describe()} failed: {exc}; the record is "
                f"stored at {stored_at}: accept it with bfd-locust accept --run {record.run_id} --tag {tag}"
            )
            continue
        accepted.append(acceptance)
    return tuple(accepted), errors


def _run_request(suite: Suite, settings: BfdSettings, artifacts_dir: Path, run_id: str) -> RunRequest:
    return RunRequest(
        suite=suite.name,
        locustfile=suite.locustfile,
        host=suite.host,
        users=suite.users,
        spawn_rate=suite.spawn_rate,
        spawned_runtime=suite.spawned_runtime,
        artifacts_dir=artifacts_dir,
        environment=settings.environment,
        tags=settings.store_tags,
        failsafe_avg_ms=suite.failsafe_avg_ms,
        processes=settings.processes,
        only_summary=settings.only_summary,
        locust_args=suite.locust_args + settings.locust_args,
        env=suite.env,
        cwd=suite.catalog.parent,
        grace_seconds=settings.timeout_grace,
        run_id=run_id,
        workers=suite.workers,
    )


@contextlib.contextmanager
def _target(suite: Suite, artifacts_dir: Path) -> Iterator[RunningTarget | None]:
    if suite.target is None:
        yield None
        return
    with start_target(
        suite.target.command,
        ready_url=suite.target.ready_url,
        cwd=suite.catalog.parent,
        ready_timeout=suite.target.ready_timeout,
        log_path=artifacts_dir / "target.log",
    ) as target:
        yield target


def _keep_record(record: Record, artifacts_dir: Path) -> Path:
    """Write the record beside the run's other artifacts; never overwrites an earlier one."""
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    path = artifacts_dir / f"{record.metadata.timestamp}-{record.run_id}.stats.json"
    write_atomically(path, record.to_text())
    return path
