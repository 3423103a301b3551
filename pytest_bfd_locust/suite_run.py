"""One suite from start to verdict, without pytest, in the steps a reader names: refuse, run,
judge, keep and store; and, when the judge fails a suite, confirm (run and judge again).

`execute_suite` only sequences the steps; each is a function with its own small result type
(`refusal`, `run_attempt` -> `Ran`, `look_up_baseline` -> `Lookup`, `judge_run` -> `Judged`,
`keep_and_store` -> `Kept`), and `SuiteResult` holds what they produced. The verdict is decided in
`judge.verdict`, the text a person reads is rendered in `reports`. Nothing here reads `config` or
the environment.

The judge's statistics (baselines, change points, the comparison, noise, confirmation) are imported
by the steps that use them, after the load: nothing before the Locust child's start needs them, and
the plugin imports them on a thread while the child starts (`plugin.ReportImports`).
"""

from __future__ import annotations

import contextlib
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from pytest_bfd_locust import BfdLocustWarning
from pytest_bfd_locust.acceptance import Acceptance, AcceptanceError, accept_run
from pytest_bfd_locust.atomic_file import write_atomically
from pytest_bfd_locust.judge.baseline_query import BaselineKind, BaselineQuery
from pytest_bfd_locust.judge.generator_health import InconclusivePolicy, inconclusive_reason
from pytest_bfd_locust.judge.sla import SlaRules
from pytest_bfd_locust.judge.thresholds import ThresholdSet
from pytest_bfd_locust.judge.validation import (
    ValidationFailure,
    ValidationRules,
    validate,
    validation_status,
)
from pytest_bfd_locust.judge.verdict import SuiteVerdict, decide_suite
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.run.master_port import master_bind_problem
from pytest_bfd_locust.run.progress import Progress
from pytest_bfd_locust.run.runner import RunOutcome, RunRequest, run_suite
from pytest_bfd_locust.run.target import RunningTarget, TargetError, start_target
from pytest_bfd_locust.run_dirs import create_run_dir, prune_run_dirs, redact_files
from pytest_bfd_locust.secret_values import redact_record, redact_text
from pytest_bfd_locust.settings import BfdSettings, load_limit_errors
from pytest_bfd_locust.stores import Store, StoreError
from pytest_bfd_locust.stores.listing import measured_prior
from pytest_bfd_locust.stores.protocol import AcceptanceStore
from pytest_bfd_locust.suites import Suite
from pytest_bfd_locust.workers import Workers

if TYPE_CHECKING:
    from pytest_bfd_locust.judge.baseline import Baseline
    from pytest_bfd_locust.judge.changepoints import ChangePoint
    from pytest_bfd_locust.judge.comparison import Comparison
    from pytest_bfd_locust.judge.confirmation import Confirmation
    from pytest_bfd_locust.judge.noise import PriorScales


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


def sla_rules(suite: Suite) -> SlaRules:
    """The catalog's `sla:` block as the judge and the child read it."""
    if suite.sla is None:
        return SlaRules()
    return SlaRules(
        totals=suite.sla.limits(),
        endpoints={name: limits.limits() for name, limits in suite.sla.endpoints.items()},
        window=None if suite.sla.window is None else float(suite.sla.window),
        min_rps=suite.sla.min_rps,
    )


def validation_rules(suite: Suite) -> ValidationRules:
    return ValidationRules(
        max_fail_ratio=suite.max_fail_ratio,
        sla=sla_rules(suite),
        failsafe_avg_ms=suite.failsafe_avg_ms,
        allow_worker_loss=suite.workers is not None and suite.workers.allow_loss,
    )


@dataclass(frozen=True)
class Ran:
    """The run step's result: Locust ran (or could not), with the suite as it ran."""

    suite: Suite
    """The suite with its host as run (a target's `{port}` filled in)."""
    run: RunOutcome | None = None
    artifacts_dir: Path | None = None
    errors: tuple[str, ...] = ()
    """Why there are no statistics to judge (nothing ran, Locust failed); empty when there are."""
    notes: tuple[str, ...] = ()

    @property
    def record(self) -> Record | None:
        return None if self.run is None else self.run.record


def _packaged_prior() -> PriorScales:
    from pytest_bfd_locust.judge.noise import PACKAGED_PRIOR

    return PACKAGED_PRIOR


@dataclass(frozen=True)
class Lookup:
    """The baseline step's result: what the run is compared against, read once per suite."""

    baseline: Baseline | None = None
    history: tuple[Record, ...] = ()
    """Eligible earlier runs, newest first: the judge's noise model and change points."""
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    prior: PriorScales = field(default_factory=_packaged_prior)
    """The prior noise's scales: packaged (`judge.noise.PACKAGED_PRIOR`), or measured on the store's
    other hashes."""


@dataclass(frozen=True)
class Judged:
    """The judge step's result: one run validated and compared; its record with both results set."""

    record: Record
    """Redacted, compare_result and validation_result set: as it is kept and stored."""
    validation: tuple[ValidationFailure, ...] = ()
    comparison: Comparison | None = None
    change_points: tuple[ChangePoint, ...] = ()
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kept:
    """The keep-and-store step's result: where the record went."""

    record_artifact: Path | None = None
    stored_at: str | None = None
    store_warnings: tuple[BfdLocustWarning, ...] = ()
    errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    acceptances: tuple[Acceptance, ...] = ()
    """`--bfd-accept`: the stored run accepted, one per store tag."""


@dataclass(frozen=True)
class Attempt:
    """One run of the suite, judged and stored: the first, or one that confirms a judged failure."""

    ran: Ran
    judged: Judged | None = None
    """None: nothing to judge (`ran.errors` says why)."""
    kept: Kept = Kept()

    @property
    def errors(self) -> tuple[str, ...]:
        return self.ran.errors + (self.judged.errors if self.judged else ()) + self.kept.errors

    @property
    def notes(self) -> tuple[str, ...]:
        return self.ran.notes + (self.judged.notes if self.judged else ()) + self.kept.notes


@dataclass(frozen=True)
class SuiteResult:
    """Everything one suite produced. `verdict` is the suite's verdict (decided in `judge.verdict`);
    the text a person reads of it is rendered in `reports` (`reports.session.failure_text`)."""

    suite: Suite
    run: RunOutcome | None
    """The last attempt's run."""
    record: Record | None
    """The last judged attempt's record as stored: compare_result and validation_result set."""
    validation: tuple[ValidationFailure, ...] = ()
    comparison: Comparison | None = None
    """The comparison the verdict reads: the one attempt's, or each statistic's median attempt."""
    baseline: Baseline | None = None
    notes: tuple[str, ...] = ()
    """Warnings: no baseline, endpoints new or gone, skipped stored records, store notices
    (warned statistics are in `comparison`)."""
    store_warnings: tuple[BfdLocustWarning, ...] = ()
    """Warnings the store issued while saving (e.g. `StoreWarning`), kept with their class."""
    change_points: tuple[ChangePoint, ...] = ()
    """Under the judge: for each key statistic, the change point its current level holds since."""
    errors: tuple[str, ...] = ()
    """Problems that fail the suite besides validation and comparison (crash, lookup, store)."""
    stored_at: str | None = None
    record_artifact: Path | None = None
    attempts: tuple[Attempt, ...] = ()
    """Every attempt, first first (one unless a judged failure was confirmed)."""
    confirmation: Confirmation | None = None
    """Set when more than one attempt was judged: each attempt's comparison and what they decided."""
    attempts_allowed: int = 1
    """1 + the confirmations allowed (`confirm_count`)."""
    acceptances: tuple[Acceptance, ...] = ()
    """`--bfd-accept`: the run stored as accepted (one per store tag); its comparison then fails nothing."""
    inconclusive_fails: bool = True
    """`--bfd-inconclusive fail`: a run whose load generator was saturated fails its suite."""

    @property
    def verdict(self) -> SuiteVerdict:
        return decide_suite(
            statistics=self.record is not None,
            errors=self.errors,
            validation=tuple(str(failure) for failure in self.validation),
            # An accepted run is the new level: its comparison is shown, never held against it.
            comparison=None if self.acceptances else self.comparison,
            inconclusive=None if self.record is None else self.record.inconclusive,
            inconclusive_fails=self.inconclusive_fails,
        )

    @property
    def failed(self) -> bool:
        return self.verdict.failed

    @property
    def locust_failed(self) -> bool:
        """Locust itself did not finish (crash, timeout, no statistics), as opposed to a verdict."""
        return self.run is not None and (self.run.error is not None or self.run.record is None)


def execute_suite(
    suite: Suite,
    settings: BfdSettings,
    *,
    store: Store | None,
    thresholds: ThresholdSet,
    on_progress: Callable[[Progress], None] | None = None,
    on_started: Callable[[], None] | None = None,
) -> SuiteResult:
    """Run one (already overridden) suite and judge it. Never raises for a failing run.

    `on_progress` and `on_started` go to the runner (`run.runner.run_suite`) for every attempt.

    Refuse, run, judge, keep and store; when only the judge failed the run, run and judge again
    (against the same baseline) until `judge.confirmation` says the attempts settle the verdict.
    Every attempt writes into a directory of its own (`<artifacts>/<suite>/<UTC time>-<run id>/`,
    see `run_dirs`) and is stored as the run it was.
    """
    refused = refusal(suite, settings)
    if refused is not None:
        return SuiteResult(suite=suite, run=None, record=None, errors=(refused,))
    lookup: Lookup | None = None
    attempts: list[Attempt] = []
    while True:
        ran = run_attempt(suite, settings, on_progress, on_started)
        # Pure, decided after the first run rather than before it: the judge's modules stay off
        # the path to the child's start.
        attempts_allowed = 1 + confirm_count(suite, settings, thresholds)
        if ran.record is None or ran.run is None:
            attempts.append(Attempt(ran))
            break
        if lookup is None:
            lookup = look_up_baseline(ran.record, settings, store, thresholds)
        judged = judge_run(ran.run, ran.suite, lookup, thresholds, settings)
        kept = keep_and_store(judged.record, ran.artifacts_dir, settings, store)
        attempts.append(Attempt(ran, judged, kept))
        if judged.comparison is None or judged.errors or judged.validation or kept.errors:
            break  # nothing to confirm, or failed in a way no further attempt overturns
        if judged.record.inconclusive is not None and len(attempts) == 1:
            break  # the generator was saturated: its comparison is no evidence to confirm
        from pytest_bfd_locust.judge.confirmation import settled

        # A saturated confirming attempt casts no vote; it uses up one of the attempts allowed.
        comparisons = [a.judged.comparison for a in conclusive(attempts) if a.judged and a.judged.comparison]
        if settled(comparisons, attempts_allowed) or len(attempts) >= attempts_allowed:
            break
    result = _result(suite, attempts, lookup or Lookup(), attempts_allowed)
    return replace(result, inconclusive_fails=settings.inconclusive is InconclusivePolicy.FAIL)


def confirm_count(suite: Suite, settings: BfdSettings, thresholds: ThresholdSet) -> int:
    """More attempts allowed after a judged failure: `--bfd-confirm` > the catalog's `confirm` >
    the default (`judge.confirmation.default_confirm`: none for the seed's fixed ratios)."""
    from pytest_bfd_locust.judge.confirmation import default_confirm

    if settings.accept is not None:
        return 0  # a re-baseline job: the run is the new level whatever its comparison says
    if settings.confirm is not None:
        return settings.confirm
    if suite.confirm is not None:
        return suite.confirm
    return default_confirm(judge=thresholds.judge is not None)


def refusal(suite: Suite, settings: BfdSettings) -> str | None:
    """Why the suite is refused before any load (None: it may run)."""
    if suite.workers is not None and settings.processes:
        return (
            f"the suite waits for {suite.workers.expect} workers (its catalog's workers block) and "
            f"--bfd-processes {settings.processes} was given: use one or the other"
        )
    bind_problem = master_bind_problem(suite.workers.master_bind) if suite.workers is not None else None
    if bind_problem is not None:
        return bind_problem
    refused = load_limit_errors(
        suite.users, suite.spawn_rate, max_users=settings.max_users, max_spawn_rate=settings.max_spawn_rate
    )
    if refused:
        return f"refused before any load: {'; '.join(refused)}"
    return None


def run_attempt(
    suite: Suite,
    settings: BfdSettings,
    on_progress: Callable[[Progress], None] | None = None,
    on_started: Callable[[], None] | None = None,
) -> Ran:
    """One Locust run in a directory of its own, with the suite's target (if any) around it."""
    run_id = uuid.uuid4().hex[:12]
    try:
        artifacts_dir, link_notes = create_run_dir(settings.artifacts / suite.name, run_id)
    except OSError as exc:
        return Ran(
            suite,
            errors=(f"cannot create the run's directory under --bfd-artifacts {settings.artifacts}: {exc}",),
        )
    notes = [
        *link_notes,
        *prune_run_dirs(settings.artifacts / suite.name, keep=settings.keep_runs, current=artifacts_dir),
    ]
    try:
        with _target(suite, artifacts_dir) as target:
            host = target.substitute(suite.host) if target and suite.host else suite.host
            suite = replace(suite, host=host)
            run = run_suite(
                _run_request(suite, settings, artifacts_dir, run_id),
                on_progress=on_progress,
                on_started=on_started,
            )
    except TargetError as exc:
        return Ran(suite, artifacts_dir=artifacts_dir, errors=(f"target: {exc}",))
    except OSError as exc:
        # A full disk or a vanished artifacts folder: said in one line, not as a traceback.
        return Ran(
            suite,
            artifacts_dir=artifacts_dir,
            errors=(f"cannot write the run's artifacts in {artifacts_dir}: {exc}",),
        )
    if settings.secret_values:
        # Locust's log and HTML report list failure messages, which may quote a secret.
        secrets = settings.secret_values
        redact_files(artifacts_dir, lambda text: redact_text(text, secrets))
    notes.extend(([run.report_error] if run.report_error else []) + list(run.notes))
    errors: tuple[str, ...] = ()
    if run.record is None:
        # A run refused before any load (no host) says only why; anything else is a failed run.
        errors = (str(run.error) if run.refused else f"Locust run failed: {run.error}",)
    return Ran(suite, run, artifacts_dir, errors, tuple(notes))


def look_up_baseline(
    record: Record, settings: BfdSettings, store: Store | None, thresholds: ThresholdSet
) -> Lookup:
    """The baseline and the judge's history, in one store query (nothing when not comparing)."""
    from pytest_bfd_locust.judge.baseline import build_baseline
    from pytest_bfd_locust.judge.noise import PACKAGED_PRIOR

    if settings.compare is None or store is None:
        return Lookup()
    baseline_runs = 1 if settings.compare is BaselineKind.PREVIOUS else settings.compare_load_limit
    query = BaselineQuery(
        hash=record.metadata.hash,
        tag=settings.compare_tag,
        total_runtime=record.metadata.total_runtime,
        # One lookup serves both the baseline and the judge's noise model (its history).
        limit=max(baseline_runs, thresholds.history_limit),
        suite=record.suite,
    )
    try:
        loaded = store.load_baseline(query)
    except StoreError as exc:
        return Lookup(errors=(f"baseline lookup in {store.describe()} failed: {exc}",))
    baseline = build_baseline(settings.compare, loaded.records[:baseline_runs], loaded.accepted)
    notes = tuple(loaded.warnings)
    if baseline is None:
        notes += (f"no eligible baseline under tag {settings.compare_tag!r} in {store.describe()}",)
    prior = PACKAGED_PRIOR
    if baseline is not None and thresholds.judge is not None and thresholds.judge.prior_from_store:
        prior, prior_notes = measured_prior(store, record.metadata.hash, settings.compare_tag)
        notes += prior_notes
    return Lookup(baseline, tuple(loaded.records), notes=notes, prior=prior)


def judge_run(
    run: RunOutcome, suite: Suite, lookup: Lookup, thresholds: ThresholdSet, settings: BfdSettings
) -> Judged:
    """Validate the run, compare it with the baseline, and set both results on its record."""
    from pytest_bfd_locust.judge.changepoints import current_segments
    from pytest_bfd_locust.judge.compare import compare as compare_records
    from pytest_bfd_locust.judge.comparison import Evidence

    assert run.record is not None, "judge_run needs a run with statistics"
    validation = validate(run.record, validation_rules(suite), abort_reason=run.abort_reason)
    notes: list[str] = []
    workers = run.record.workers
    if workers is not None and workers.lost and suite.workers is not None and suite.workers.allow_loss:
        notes.append(f"{workers.describe_lost()}: worker loss allowed")
    errors: list[str] = [] if run.error is None else [f"Locust run failed: {run.error}"]
    if run.interrupted_requests and run.record.totals.num_requests == 0:
        errors.append(
            f"{run.interrupted_requests} request(s) were still waiting for an answer when the run "
            f"ended: {suite.host or 'the target'} accepted connections but answered none"
        )
    errors.extend(lookup.errors)
    comparison: Comparison | None = None
    change_points: tuple[ChangePoint, ...] = ()
    if lookup.baseline is not None:
        evidence = Evidence(run.record, lookup.baseline.records, lookup.history, lookup.prior)
        comparison = compare_records(run.record, lookup.baseline, thresholds, evidence)
        if thresholds.judge is not None:
            change_points = tuple(
                current_segments(
                    [*reversed(lookup.history), run.record],
                    min_magnitude=thresholds.judge.min_percent / 100.0,
                )
            )
    record = run.record.with_results(
        compare=comparison.result if comparison is not None else ResultStatus.NOT_APPLICABLE,
        # A run that did not finish is never a baseline.
        validation=ResultStatus.FAILED if run.error else validation_status(validation),
    )
    # A saturated generator: marked in the record (never a baseline), judged in `decide_suite`.
    record = replace(record, inconclusive=inconclusive_reason(record.timeline))
    # Before the record is kept or stored anywhere: an error message may quote a secret.
    record = redact_record(record, settings.secret_values)
    return Judged(record, validation, comparison, change_points, tuple(errors), tuple(notes))


def keep_and_store(
    record: Record, artifacts_dir: Path | None, settings: BfdSettings, store: Store | None
) -> Kept:
    """Keep the record beside the run's artifacts, then store it (unless --bfd-no-store)."""
    notes: list[str] = []
    artifact: Path | None = None
    if artifacts_dir is not None:
        try:
            artifact = _keep_record(record, artifacts_dir)
        except OSError as exc:
            notes.append(f"could not keep the record beside the run's artifacts in {artifacts_dir}: {exc}")
    if store is None or settings.no_store:
        return Kept(artifact, notes=tuple(notes))
    store_warnings: list[BfdLocustWarning] = []
    try:
        # Caught here, not left to `warnings.warn`: a warning escalated by `-W error` must not
        # lose the run's figures on its way out. The plugin re-issues them against the item.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", BfdLocustWarning)
            stored_at = store.save(record)
    except StoreError as exc:
        kept = f"the record is kept at {artifact}" if artifact else "the record could not be kept either"
        return Kept(
            artifact,
            errors=(f"storing the record in {store.describe()} failed: {exc}; {kept}",),
            notes=tuple(notes),
        )
    for warning in caught:
        if isinstance(warning.message, BfdLocustWarning):
            store_warnings.append(warning.message)
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
    acceptances: tuple[Acceptance, ...] = ()
    errors: list[str] = []
    if settings.accept is not None:
        acceptances, errors = _accept(record, settings, store, stored_at)
    return Kept(artifact, stored_at, tuple(store_warnings), tuple(errors), tuple(notes), acceptances)


def conclusive(attempts: list[Attempt]) -> list[Attempt]:
    """The judged attempts whose load generator was not saturated (`Record.inconclusive`)."""
    return [a for a in attempts if a.judged is not None and a.judged.record.inconclusive is None]


def _result(suite: Suite, attempts: list[Attempt], lookup: Lookup, attempts_allowed: int) -> SuiteResult:
    """The suite's result from its attempts: the last run (its log tells why a crash crashed), the
    last record judged (a confirming attempt that crashed loses none of the first one's figures),
    every attempt's errors and notes (each once), and the comparison the attempts decided."""
    from pytest_bfd_locust.judge.confirmation import confirm

    last = attempts[-1]
    judged_attempts = [attempt for attempt in attempts if attempt.judged is not None]
    # A saturated generator's confirming attempt decides nothing: the conclusive attempts do (the
    # first attempt alone, when it was the inconclusive one: nothing was confirmed after it). A
    # failure whose only confirming attempt was saturated stands: it was measured, never refuted.
    deciding = conclusive(attempts) or judged_attempts
    last_judged = deciding[-1] if deciding else None
    judged = last_judged.judged if last_judged is not None else None
    kept = last_judged.kept if last_judged is not None else Kept()
    comparisons = [a.judged.comparison for a in deciding if a.judged and a.judged.comparison]
    confirmation = confirm(comparisons, attempts_allowed) if len(comparisons) > 1 else None
    comparison = comparisons[-1] if comparisons else None
    if confirmation is not None:
        comparison = confirmation.decided
    # In the order they arose: the first run's notes, the lookup's, then each attempt's.
    notes = [*attempts[0].ran.notes, *lookup.notes, *(note for attempt in attempts for note in attempt.notes)]
    errors = [error for attempt in attempts for error in attempt.errors]
    return SuiteResult(
        suite=last.ran.suite,
        run=last.ran.run,
        record=None if judged is None else judged.record,
        validation=() if judged is None else judged.validation,
        comparison=comparison,
        baseline=lookup.baseline,
        notes=tuple(dict.fromkeys(notes)),
        store_warnings=tuple(w for attempt in attempts for w in attempt.kept.store_warnings),
        change_points=() if judged is None else judged.change_points,
        errors=tuple(dict.fromkeys(errors)),
        stored_at=kept.stored_at,
        record_artifact=kept.record_artifact,
        attempts=tuple(attempts),
        confirmation=confirmation,
        attempts_allowed=attempts_allowed,
        acceptances=kept.acceptances,
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
    if record.inconclusive is not None:
        return (), [f"--bfd-accept: not accepted: the run is inconclusive ({record.inconclusive})"]
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
        sla=sla_rules(suite),
        abort_on_breach=settings.abort_on_breach or suite.abort_on_breach,
        abort_after=float(suite.abort_after),
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
