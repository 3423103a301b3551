"""What a comparison produces and reads: statistic views of runs, `StatComparison` rows with the
judge's `Judgement`, the `Comparison` of a run, and the `Evidence` the judge reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pytest_bfd_locust.figures import change_percent
from pytest_bfd_locust.histogram import PERCENTILE_KEYS
from pytest_bfd_locust.judge.noise import PACKAGED_PRIOR, PriorScales, Spread
from pytest_bfd_locust.judge.significance import Change
from pytest_bfd_locust.judge.thresholds import Rule, Threshold
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.record import COMPARABLE_STATS, Record, ResultStatus, TaskStats

TaskKey = tuple[str, str]
"""(name, method): what identifies a task across runs."""


TOTALS_SCOPE = "totals"
"""The scope label of the totals' comparisons."""


_FIELD_STATS = COMPARABLE_STATS - frozenset(PERCENTILE_KEYS)


class StatsView(Protocol):
    """Statistic values by threshold-file name, for the totals and for each task.

    A `Baseline` (possibly averaged, so float values) is one; `record_view(record)` makes one of a record.
    """

    @property
    def totals(self) -> Mapping[str, float]: ...

    @property
    def tasks(self) -> Mapping[TaskKey, Mapping[str, float]]: ...


@dataclass(frozen=True)
class RecordView:
    """A record's statistics as a `StatsView`."""

    totals: Mapping[str, float]
    tasks: Mapping[TaskKey, Mapping[str, float]]


def stat_values(task: TaskStats) -> dict[str, float]:
    """Every comparable statistic of one entry by threshold-file name (percentiles it lacks are absent)."""
    values = {name: task.stat(name) for name in _FIELD_STATS}
    values.update(
        (key, float(ms)) for key, ms in task.response_time_percentiles.items() if key in COMPARABLE_STATS
    )
    return values


def record_view(record: Record) -> RecordView:
    """The statistics of a record, keyed as `compare()` reads them."""
    return RecordView(
        totals=stat_values(record.totals),
        tasks={task.key: stat_values(task) for task in record.tasks},
    )


def task_scope(key: TaskKey) -> str:
    """The scope label of a task in tables and messages: "METHOD name" (just the name without a method).

    Suites name requests after their method too (`name="GET /api/orders/[id]"`): the method is
    then shown once, not `GET GET /api/orders/[id]`.
    """
    name, method = key
    if not method or name.startswith(f"{method} "):
        return name
    return f"{method} {name}"


class NoiseBasis(StrEnum):
    """Where the judge's noise band of a statistic came from."""

    HISTORY = "history"
    """Mostly measured: the history's own degrees of freedom outweigh the prior's (noise.py)."""
    PRIOR = "prior"
    """Mostly assumed: too few earlier runs yet, the prior noise still weighs more than they do."""


@dataclass(frozen=True)
class Judgement:
    """The judge's evidence about one statistic: what a user reads next to its verdict."""

    change: Change
    """ln(current / baseline) and its within-run standard error (None: unknown, no histograms)."""
    confidence: float
    """The suite-level confidence the interval is shown at (`judge.confidence`)."""
    spread: Spread
    """The statistic's run-to-run spread over the history it was measured on."""
    basis: NoiseBasis
    noise_percent: float
    """The run-to-run noise of one run in percent: the posterior spread the band was built on."""
    baseline_runs: int
    """How many runs the baseline averages (1 for `previous`)."""
    reason: str
    """Why the verdict: "worse beyond the run-to-run noise", "within the run-to-run noise", ..."""
    fails_above_percent: float | None = None
    """The smallest worsening (percent of the baseline) that would have failed this statistic on
    this run's evidence; None: nothing could have (`rule.fails_above_percent`)."""


@dataclass(frozen=True)
class StatComparison:
    """One statistic of the totals or of one task, compared against its baseline."""

    scope: str
    """"totals" or the task's "METHOD name"."""
    task: TaskKey | None
    """The task's (name, method); None for the totals."""
    stat: str
    baseline: float
    current: float
    ratio: float
    """Percent, 100 when unchanged, larger when worse; may be inf."""
    threshold: Rule
    verdict: Verdict
    judgement: Judgement | None = None
    """The judge's evidence (None under fixed ratios)."""

    @classmethod
    def by_rule(
        cls,
        rule: Rule,
        baseline: float,
        current: float,
        verdict: Verdict,
        *,
        scope: str,
        task: TaskKey | None,
        judgement: Judgement | None = None,
    ) -> StatComparison:
        """The row of `rule`'s statistic: its name and ratio taken from the rule, under either kind
        of rule (fixed ratios, the judge)."""
        return cls(
            scope=scope,
            task=task,
            stat=rule.name,
            baseline=baseline,
            current=current,
            ratio=rule.ratio(baseline, current),
            threshold=rule,
            verdict=verdict,
            judgement=judgement,
        )

    @property
    def exceeded_percent(self) -> float | None:
        """The fixed-ratio percent this comparison reached: fail_percent, warn_percent, or None (PASS
        or a judge's rule, which has no fixed percent)."""
        if not isinstance(self.threshold, Threshold):
            return None
        if self.verdict is Verdict.FAILURE:
            return self.threshold.fail_percent
        if self.verdict is Verdict.WARNING:
            return self.threshold.warn_percent
        return None

    @property
    def change_percent(self) -> float:
        """The signed relative change, current / baseline - 1, in percent (+25: 25 % larger)."""
        return change_percent(self.baseline, self.current)


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing a run against a baseline."""

    stats: tuple[StatComparison, ...]
    """Totals first, then tasks by (name, method); each in threshold-file order."""
    new_tasks: tuple[TaskKey, ...] = ()
    """Tasks in the current run but not in the baseline (not compared)."""
    missing_tasks: tuple[TaskKey, ...] = ()
    """Tasks in the baseline but not in the current run (not compared)."""

    @property
    def failures(self) -> tuple[StatComparison, ...]:
        return tuple(s for s in self.stats if s.verdict is Verdict.FAILURE)

    @property
    def warnings(self) -> tuple[StatComparison, ...]:
        return tuple(s for s in self.stats if s.verdict is Verdict.WARNING)

    @property
    def failed(self) -> bool:
        return any(s.verdict is Verdict.FAILURE for s in self.stats)

    @property
    def result(self) -> ResultStatus:
        """The record's `compare_result`: FAILED when any statistic is FAILURE, else PASSED."""
        return ResultStatus.FAILED if self.failed else ResultStatus.PASSED


@dataclass(frozen=True)
class Evidence:
    """What the judge reads besides the two sets of values: the runs themselves."""

    current: Record | None
    """The run being judged (its histograms); None: values only, within-run errors unknown."""
    baseline_records: Sequence[Record] = ()
    """The records the baseline was built from, newest first (their histograms, merged)."""
    history: Sequence[Record] = ()
    """Eligible earlier runs of the hash, newest first: the noise model (may include the above)."""
    prior: PriorScales = PACKAGED_PRIOR
    """The prior noise's scale per kind of statistic: packaged, or measured on the store's other
    hashes (`judge.prior_from_store`)."""

