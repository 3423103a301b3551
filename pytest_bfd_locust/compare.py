"""All comparison rules: the threshold file, the seed's fixed ratios, the judge, and verdicts.

Pure: no pytest, boto3, locust or gevent. Two judges, chosen by the threshold file:

- **Fixed ratios** (a file with only the seed's keys: `totals` and `tasks` lists of
  `{name, better_if, warn_percent, fail_percent}`, plus our optional `min_delta`; SPEC §8): applied
  exactly as the seed applied them.
- **The judge** (a file with a top-level `judge` object; the packaged default): a statistic is a
  regression only when its change is worse than the practical floor (`min_percent`, `min_delta`),
  significant on the two runs' own requests (`significance`), and outside the run-to-run noise its
  hash shows in the stored history (`noise`); see `judge_statistic` for the rule and its levels.

`compare()` takes two `StatsView`s, so a `Record` (through `record_view`) and an averaged
`Baseline` compare alike; the judge also reads the runs themselves (`Evidence`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from pytest_bfd_locust.distributions import normal_quantile, student_t_quantile
from pytest_bfd_locust.figures import change_percent
from pytest_bfd_locust.histogram import PERCENTILE_KEYS, Histogram, merge_histograms
from pytest_bfd_locust.noise import Spread, log_spread
from pytest_bfd_locust.record import (
    COMPARABLE_STATS,
    Record,
    ResultStatus,
    TaskStats,
)
from pytest_bfd_locust.significance import Change, EntryEvidence, compare_statistic

TaskKey = tuple[str, str]
"""(name, method): what identifies a task across runs."""

TOTALS_SCOPE = "totals"
"""The scope label of the totals' comparisons."""

RESPONSE_TIME_STATS: frozenset[str] = frozenset(
    {"median_response_time", "average_response_time", "min_response_time", "max_response_time"}
) | frozenset(PERCENTILE_KEYS)
"""Statistics in whole milliseconds at Locust's resolution."""

RESPONSE_TIME_MIN_DELTA = 1.0
"""The `min_delta` (ms) of a response-time rule without one: a 0 -> 1 ms change is not a regression."""

_FIELD_STATS = COMPARABLE_STATS - frozenset(PERCENTILE_KEYS)

_THRESHOLD_KEYS = ("name", "better_if", "warn_percent", "fail_percent", "min_delta")
_JUDGE_RULE_KEYS = ("name", "better_if", "min_percent", "min_delta")


class ThresholdError(ValueError):
    """A threshold file is malformed; the message names the file, list, entry, field and value."""


def effective_min_delta(name: str, min_delta: float | None) -> float | None:
    """A rule's `min_delta`, or 1 ms for a response-time statistic, or None: no absolute tolerance."""
    if min_delta is not None:
        return min_delta
    return RESPONSE_TIME_MIN_DELTA if name in RESPONSE_TIME_STATS else None


class BetterIf(StrEnum):
    """Which direction of change is an improvement."""

    SMALLER = "SMALLER"
    LARGER = "LARGER"


class Verdict(StrEnum):
    """The outcome of comparing one statistic (the seed's StatCompareResult values)."""

    PASS = "PASS"
    WARNING = "WARNING"
    FAILURE = "FAILURE"


@dataclass(frozen=True)
class Threshold:
    """How one statistic is compared: a ratio at or above `fail_percent` fails, above `warn_percent` warns."""

    name: str
    better_if: BetterIf
    warn_percent: float
    fail_percent: float
    min_delta: float | None = None
    """A change no larger than this (in the statistic's unit) always passes; None: the default."""

    @property
    def effective_min_delta(self) -> float | None:
        """`min_delta`, or 1 ms for response-time statistics, or None: no absolute tolerance."""
        return effective_min_delta(self.name, self.min_delta)

    def ratio(self, baseline: float, current: float) -> float:
        """How much worse `current` is than `baseline`, in percent (100: unchanged; may be inf)."""
        if self.better_if is BetterIf.SMALLER:
            dividend, divisor = current, baseline
        else:
            dividend, divisor = baseline, current
        if divisor == 0:
            # The seed returned 0 here, so a stat rising from zero always passed; SPEC §8 says inf.
            return 100.0 if dividend == 0 else math.inf
        return dividend / divisor * 100.0

    def verdict(self, baseline: float, current: float) -> Verdict:
        """PASS within `min_delta`; else FAILURE at or above `fail_percent`, WARNING at `warn_percent`."""
        min_delta = self.effective_min_delta
        if min_delta is not None and abs(current - baseline) <= min_delta:
            return Verdict.PASS
        ratio = self.ratio(baseline, current)
        if ratio >= self.fail_percent:
            return Verdict.FAILURE
        if ratio >= self.warn_percent:
            return Verdict.WARNING
        return Verdict.PASS


@dataclass(frozen=True)
class JudgeSettings:
    """The `judge` object of a threshold file: how sure the judge must be and how much history it reads.

    Every key is optional; the defaults were chosen on real runs by bench/detection.py (README).
    """

    confidence: float = 0.99
    """FAILURE needs this confidence per suite comparison (split over its statistics)."""
    warn_confidence: float = 0.95
    """WARNING needs this one (at most `confidence`)."""
    history: int = 20
    """How many eligible runs of the hash the noise model reads (one store query with the baseline)."""
    min_history: int = 5
    """With fewer runs the noise is not measured: `prior_noise_percent` stands in for it."""
    min_percent: float = 10.0
    """The practical floor: less than this many percent worse always passes (a rule may override it)."""
    prior_noise_percent: float = 75.0
    """The run-to-run noise assumed with too little history (one run, in percent)."""


JUDGE_KEYS: tuple[str, ...] = tuple(field.name for field in fields(JudgeSettings))
"""The keys of the threshold file's `judge` object."""


@dataclass(frozen=True)
class JudgeRule:
    """How the judge compares one statistic: worse than the floors, significant, outside the noise."""

    name: str
    better_if: BetterIf
    min_percent: float | None = None
    """The relative floor in percent; None: the judge's `min_percent`."""
    min_delta: float | None = None
    """A change no larger than this (in the statistic's unit) always passes; None: the default."""

    @property
    def effective_min_delta(self) -> float | None:
        """`min_delta`, or 1 ms for response-time statistics, or None: no absolute tolerance."""
        return effective_min_delta(self.name, self.min_delta)

    def ratio(self, baseline: float, current: float) -> float:
        """The seed's ratio (100: unchanged, larger: worse), kept on every row for dashboards."""
        return Threshold(self.name, self.better_if, 0.0, 0.0).ratio(baseline, current)


Rule = Threshold | JudgeRule
"""One statistic's rule in a threshold file: the seed's fixed ratios, or the judge's."""


@dataclass(frozen=True)
class ThresholdSet:
    """The rules of one threshold file: `totals` apply to the totals, `tasks` to each task."""

    totals: tuple[Rule, ...]
    tasks: tuple[Rule, ...]
    source: str = "<thresholds>"
    """Where the rules came from (a path), for messages."""
    judge: JudgeSettings | None = None
    """The judge's settings; None: the seed's fixed ratios (every rule is then a `Threshold`)."""

    @property
    def history_limit(self) -> int:
        """How many eligible runs the judge's noise model asks the store for (0: none)."""
        return self.judge.history if self.judge is not None else 0


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
    """Measured: the spread of the statistic over at least `min_history` earlier runs."""
    PRIOR = "prior"
    """Assumed: too few earlier runs, so `prior_noise_percent` stands in for the spread."""


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
    """The run-to-run noise of one run in percent: measured (HISTORY) or assumed (PRIOR)."""
    baseline_runs: int
    """How many runs the baseline averages (1 for `previous`)."""
    reason: str
    """Why the verdict: "worse beyond the run-to-run noise", "within the run-to-run noise", ..."""

    @property
    def interval_percent(self) -> tuple[float, float] | None:
        """The `confidence` interval of the change, signed percent; None when the error is unknown."""
        interval = self.change.interval(self.confidence)
        if interval is None:
            return None
        return (interval[0] - 1.0) * 100.0, (interval[1] - 1.0) * 100.0


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

    @property
    def exceeded_percent(self) -> float | None:
        """The threshold percent this comparison reached: fail_percent, warn_percent, or None (PASS
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

    @property
    def within_min_delta(self) -> bool:
        """Whether the change is within the rule's min_delta (which makes it PASS whatever the ratio)."""
        min_delta = self.threshold.effective_min_delta
        return min_delta is not None and abs(self.current - self.baseline) <= min_delta


def compare_stat(
    rule: Threshold,
    baseline: float,
    current: float,
    *,
    scope: str = TOTALS_SCOPE,
    task: TaskKey | None = None,
) -> StatComparison:
    """One statistic judged by its rule: the row of the failure table."""
    return StatComparison(
        scope=scope,
        task=task,
        stat=rule.name,
        baseline=baseline,
        current=current,
        ratio=rule.ratio(baseline, current),
        threshold=rule,
        verdict=rule.verdict(baseline, current),
    )


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


def compare(
    current: StatsView | Record,
    baseline: StatsView | Record,
    thresholds: ThresholdSet,
    evidence: Evidence | None = None,
) -> Comparison:
    """Compare the totals with the `totals` rules and every task present on both sides with the `tasks` rules.

    A statistic missing on either side (an older record without some percentile) is not compared.
    Under the judge, `evidence` gives it the runs; without it, records passed as `current` and
    `baseline` are the evidence, and there is no history (the noise is then assumed, and said so).
    """
    current_view = record_view(current) if isinstance(current, Record) else current
    baseline_view = record_view(baseline) if isinstance(baseline, Record) else baseline
    current_keys = set(current_view.tasks)
    baseline_keys = set(baseline_view.tasks)
    scopes: list[tuple[str, TaskKey | None, Mapping[str, float], Mapping[str, float], Sequence[Rule]]] = [
        (TOTALS_SCOPE, None, baseline_view.totals, current_view.totals, thresholds.totals)
    ]
    scopes += [
        (task_scope(key), key, baseline_view.tasks[key], current_view.tasks[key], thresholds.tasks)
        for key in sorted(current_keys & baseline_keys)
    ]
    pairs = [
        (scope, key, rule, before[rule.name], now[rule.name])
        for scope, key, before, now, rules in scopes
        for rule in rules
        if rule.name in before and rule.name in now
    ]
    if thresholds.judge is None:
        rows = [
            compare_stat(_fixed(rule), before, now, scope=scope, task=key)
            for scope, key, rule, before, now in pairs
        ]
    else:
        if evidence is None:
            evidence = Evidence(
                current=current if isinstance(current, Record) else None,
                baseline_records=(baseline,) if isinstance(baseline, Record) else (),
            )
        rows = _judge_pairs(pairs, evidence, thresholds.judge)
    return Comparison(
        stats=tuple(rows),
        new_tasks=tuple(sorted(current_keys - baseline_keys)),
        missing_tasks=tuple(sorted(baseline_keys - current_keys)),
    )


def _fixed(rule: Rule) -> Threshold:
    if not isinstance(rule, Threshold):
        raise TypeError(f"{rule.name}: a judge's rule in a threshold set without a 'judge' section")
    return rule


# --- the judge --------------------------------------------------------------------------------


CREDIT_AVERAGED_BASELINE = False
"""Whether an average of k runs earns the narrower noise band sqrt(1 + 1/k); measured, it does not
(see `judge_statistic`). `bench/detection.py --average-credit` measures the alternative."""


def judge_statistic(
    rule: JudgeRule,
    change: Change,
    spread: Spread,
    *,
    baseline_runs: int,
    statistics: int,
    settings: JudgeSettings,
) -> tuple[Verdict, NoiseBasis, str]:
    """The judge's rule for one statistic: (verdict, where its noise came from, why).

    With d = ln(current / baseline) in the worse direction (negated when LARGER is better), and
    for each verdict level c (FAILURE: `confidence`, WARNING: `warn_confidence`) the per-statistic
    level a = (1 - c) / statistics (Bonferroni: the suite comparison as a whole is wrong at most
    1 - c of the time), the statistic is at that level when ALL hold:

    1. the floors: worse by at least `min_percent` and by more than `min_delta`;
    2. significant on the runs' own requests: d > z(1 - a) * se (skipped, and said, when a side
       has no histogram and se is unknown);
    3. outside the run-to-run noise: with at least `min_history` earlier runs,
       d > t(1 - a; runs - 1) * sigma * sqrt(2) (the current run and the baseline are both noisy);
       with fewer, the run's own evidence widened by the assumed noise:
       d > z(1 - a) * sqrt(se^2 + 2 * prior^2).

    An average of k runs is not credited as a steadier baseline (sqrt(1 + 1/k) instead of sqrt(2)),
    although independent runs would earn it: measured by bench/detection.py on real runs, the
    credit raised the A/A false alarms against an average of 5 from 0.3 % to 1.8 % (0.5 % against
    the previous run) at the same detection of a 20 % slowdown. A shared machine's slow periods
    last several runs and the current run alone carries them, so the tails of current - average do
    not shrink with k. The average still gives the within-run error the requests of all k runs.
    """
    basis = NoiseBasis.HISTORY if spread.runs >= settings.min_history else NoiseBasis.PRIOR
    if math.isnan(change.log_ratio):
        return Verdict.PASS, basis, "not comparable (a value is not a number)"
    worse = change.log_ratio if rule.better_if is BetterIf.SMALLER else -change.log_ratio
    if worse <= 0.0:
        return Verdict.PASS, basis, "not worse"
    min_percent = settings.min_percent if rule.min_percent is None else rule.min_percent
    if math.expm1(worse) * 100.0 < min_percent:
        return Verdict.PASS, basis, f"below min_percent {_plain(min_percent)} %"
    min_delta = rule.effective_min_delta
    if min_delta is not None and abs(change.current - change.baseline) <= min_delta:
        return Verdict.PASS, basis, f"within min_delta {_plain(min_delta)}"
    reason = "within the run-to-run noise"
    for verdict, confidence in (
        (Verdict.FAILURE, settings.confidence),
        (Verdict.WARNING, settings.warn_confidence),
    ):
        alpha = (1.0 - confidence) / max(statistics, 1)
        z = normal_quantile(1.0 - alpha)
        if change.log_se is not None and worse <= z * change.log_se:
            reason = "not significant on the runs' own requests"
            continue
        k = max(baseline_runs, 1) if CREDIT_AVERAGED_BASELINE else 1
        if basis is NoiseBasis.HISTORY:
            band = student_t_quantile(1.0 - alpha, spread.runs - 1) * spread.difference_sd(k)
        else:
            prior = math.log1p(settings.prior_noise_percent / 100.0)
            band = z * math.sqrt((change.log_se or 0.0) ** 2 + prior**2 * (1.0 + 1.0 / k))
        if worse > band:
            return verdict, basis, "worse beyond the run-to-run noise, and significant"
        reason = "within the run-to-run noise"
    return Verdict.PASS, basis, reason


def _judge_pairs(
    pairs: Sequence[tuple[str, TaskKey | None, Rule, float, float]],
    evidence: Evidence,
    settings: JudgeSettings,
) -> list[StatComparison]:
    statistics = len(pairs)
    # The order-statistic intervals are read at the FAILURE level of one statistic.
    level = 1.0 - (1.0 - settings.confidence) / max(statistics, 1)
    history = [record_view(record) for record in evidence.history[: settings.history]]
    baseline_runs = max(len(evidence.baseline_records), 1)
    entries: dict[TaskKey | None, tuple[EntryEvidence, EntryEvidence]] = {}
    rows = []
    for scope, key, rule, before, now in pairs:
        if not isinstance(rule, JudgeRule):
            raise TypeError(f"{rule.name}: a fixed-ratio rule in a threshold set with a 'judge' section")
        if key not in entries:
            entries[key] = (_baseline_entry(evidence.baseline_records, key), _entry(evidence.current, key))
        baseline_entry, current_entry = entries[key]
        change = compare_statistic(rule.name, before, now, baseline_entry, current_entry, level)
        spread = log_spread(
            [_history_value(view, key, rule.name) for view in history],
            response_time=rule.name in RESPONSE_TIME_STATS,
        )
        verdict, basis, reason = judge_statistic(
            rule, change, spread, baseline_runs=baseline_runs, statistics=statistics, settings=settings
        )
        noise = spread.percent if basis is NoiseBasis.HISTORY else settings.prior_noise_percent
        judgement = Judgement(change, settings.confidence, spread, basis, noise, baseline_runs, reason)
        rows.append(
            StatComparison(
                scope=scope,
                task=key,
                stat=rule.name,
                baseline=before,
                current=now,
                ratio=rule.ratio(before, now),
                threshold=rule,
                verdict=verdict,
                judgement=judgement,
            )
        )
    return rows


def _entry_stats(record: Record, key: TaskKey | None) -> tuple[TaskStats | None, Histogram | None]:
    task = record.totals if key is None else record.task(key)
    return task, record.histogram_for(record.totals.key if key is None else key)


def _entry(record: Record | None, key: TaskKey | None) -> EntryEvidence:
    if record is None:
        return EntryEvidence(num_requests=0, num_failures=0, histogram=None)
    task, histogram = _entry_stats(record, key)
    if task is None:
        return EntryEvidence(num_requests=0, num_failures=0, histogram=None)
    return EntryEvidence(task.num_requests, task.num_failures, histogram)


def _baseline_entry(records: Sequence[Record], key: TaskKey | None) -> EntryEvidence:
    """The baseline's requests: every request of its records (an average's histograms merged)."""
    found = [_entry_stats(record, key) for record in records]
    tasks = [task for task, _ in found if task is not None]
    histograms = [histogram for task, histogram in found if task is not None and histogram is not None]
    if not tasks:
        return EntryEvidence(num_requests=0, num_failures=0, histogram=None)
    return EntryEvidence(
        num_requests=sum(task.num_requests for task in tasks),
        num_failures=sum(task.num_failures for task in tasks),
        histogram=merge_histograms(histograms) if len(histograms) == len(tasks) else None,
    )


def _history_value(view: RecordView, key: TaskKey | None, name: str) -> float:
    values = view.totals if key is None else view.tasks.get(key, {})
    return values.get(name, math.nan)


def _plain(number: float) -> str:
    return f"{number:g}"


# --- the threshold file ---------------------------------------------------------------------------


def default_thresholds_path() -> Path:
    """The packaged threshold file: the judge, with the rules and settings bench/detection.py chose."""
    return Path(__file__).with_name("default_compare_meta.json")


def read_threshold_file(path: Path) -> ThresholdSet:
    """Read and validate a threshold file; ThresholdError names the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ThresholdError(f"{path}: cannot read the threshold file: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ThresholdError(f"{path}: not UTF-8 text: {error.reason} at byte {error.start}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ThresholdError(
            f"{path}: not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    return load_thresholds(data, str(path))


def load_thresholds(data: object, source: str) -> ThresholdSet:
    """Validate an already-loaded threshold file; `source` (its path) starts every error message.

    A top-level `judge` object selects the judge (its rules take `min_percent` and `min_delta`);
    without it the rules are the seed's fixed ratios, applied exactly as the seed did.
    """
    if not isinstance(data, Mapping):
        raise ThresholdError(
            f"{source}: expected an object with 'totals' and 'tasks' lists, got {_kind(data)}"
        )
    unknown = sorted(str(k) for k in data if k not in ("totals", "tasks", "judge"))
    if unknown:
        raise ThresholdError(
            f"{source}: unknown key {unknown[0]!r}; expected 'totals' and 'tasks' (and optionally 'judge')"
        )
    judge = _load_judge(data["judge"], source) if "judge" in data else None
    return ThresholdSet(
        totals=_load_rules(data, "totals", source, judged=judge is not None),
        tasks=_load_rules(data, "tasks", source, judged=judge is not None),
        source=source,
        judge=judge,
    )


def _load_judge(value: object, source: str) -> JudgeSettings:
    where = f"{source}: judge"
    if not isinstance(value, Mapping):
        raise ThresholdError(f"{where}: expected an object of settings, got {_kind(value)}")
    unknown = sorted(str(k) for k in value if k not in JUDGE_KEYS)
    if unknown:
        raise ThresholdError(f"{where}: unknown key {unknown[0]!r}; expected {', '.join(JUDGE_KEYS)}")
    defaults = JudgeSettings()
    settings: dict[str, Any] = {}
    for key in ("confidence", "warn_confidence"):
        number = _number(value.get(key, getattr(defaults, key)))
        if number is None or not 0.5 <= number < 1.0:
            raise ThresholdError(
                f"{where}: {key}: expected a number from 0.5 to below 1, got {value.get(key)!r}"
            )
        settings[key] = number
    if settings["warn_confidence"] > settings["confidence"]:
        raise ThresholdError(
            f"{where}: warn_confidence: {settings['warn_confidence']:g} is above confidence"
            f" {settings['confidence']:g} (a warning must need less evidence than a failure)"
        )
    for key, lowest in (("history", 1), ("min_history", 2)):
        raw = value.get(key, getattr(defaults, key))
        if isinstance(raw, bool) or not isinstance(raw, int) or not lowest <= raw <= 1000:
            raise ThresholdError(
                f"{where}: {key}: expected a whole number from {lowest} to 1000, got {raw!r}"
            )
        settings[key] = raw
    for key in ("min_percent", "prior_noise_percent"):
        number = _number(value.get(key, getattr(defaults, key)))
        if number is None or number < 0:
            raise ThresholdError(f"{where}: {key}: expected a number of percent >= 0, got {value.get(key)!r}")
        settings[key] = number
    return JudgeSettings(**settings)


def _load_rules(data: Mapping[str, Any], list_name: str, source: str, *, judged: bool) -> tuple[Rule, ...]:
    entries = data.get(list_name)
    if not isinstance(entries, list):
        raise ThresholdError(f"{source}: {list_name}: expected a list of thresholds, got {_kind(entries)}")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        where = f"{source}: {list_name}[{index}]"
        rule = _load_judge_rule(entry, where) if judged else _load_rule(entry, where)
        if rule.name in seen:
            raise ThresholdError(
                f"{source}: {list_name}[{index}] ({rule.name!r}): name: {rule.name!r} is listed twice"
            )
        seen.add(rule.name)
        rules.append(rule)
    return tuple(rules)


def _load_rule(entry: object, where: str) -> Threshold:
    rule, name, better_if, where = _rule_head(entry, where, _THRESHOLD_KEYS)
    warn_percent = _percent(rule, "warn_percent", where)
    fail_percent = _percent(rule, "fail_percent", where)
    if warn_percent > fail_percent:
        raise ThresholdError(
            f"{where}: warn_percent: {rule['warn_percent']!r} is above fail_percent {rule['fail_percent']!r}"
        )
    return Threshold(
        name=name,
        better_if=better_if,
        warn_percent=warn_percent,
        fail_percent=fail_percent,
        min_delta=_optional_non_negative(rule, "min_delta", where),
    )


def _load_judge_rule(entry: object, where: str) -> JudgeRule:
    rule, name, better_if, where = _rule_head(entry, where, _JUDGE_RULE_KEYS)
    return JudgeRule(
        name=name,
        better_if=better_if,
        min_percent=_optional_non_negative(rule, "min_percent", where),
        min_delta=_optional_non_negative(rule, "min_delta", where),
    )


def _rule_head(
    entry: object, where: str, keys: Sequence[str]
) -> tuple[Mapping[str, Any], str, BetterIf, str]:
    """A rule (checked to be an object), its name and better_if; and `where` with the name."""
    if not isinstance(entry, Mapping):
        raise ThresholdError(f"{where}: expected an object, got {_kind(entry)}")
    name = entry.get("name")
    if not isinstance(name, str):
        raise ThresholdError(f"{where}: name: expected a string, got {name!r}")
    if name not in COMPARABLE_STATS:
        allowed = ", ".join(sorted(COMPARABLE_STATS))
        raise ThresholdError(f"{where}: name: {name!r} is not a statistic; expected one of {allowed}")
    where = f"{where} ({name!r})"
    unknown = sorted(str(k) for k in entry if k not in keys)
    if unknown:
        if keys is _JUDGE_RULE_KEYS and unknown[0] in ("warn_percent", "fail_percent"):
            raise ThresholdError(
                f"{where}: {unknown[0]}: fixed ratios are not used by the judge (this file has a"
                " 'judge' section); give min_percent instead, or remove 'judge' for the seed's ratios"
            )
        if keys is _THRESHOLD_KEYS and unknown[0] == "min_percent":
            raise ThresholdError(
                f"{where}: min_percent: only the judge uses it; add a top-level 'judge' object"
                ' (e.g. "judge": {}) or remove it'
            )
        raise ThresholdError(f"{where}: unknown field {unknown[0]!r}; expected {', '.join(keys)}")
    better_if = entry.get("better_if")
    if better_if not in (BetterIf.SMALLER.value, BetterIf.LARGER.value):
        raise ThresholdError(f"{where}: better_if: expected SMALLER or LARGER, got {better_if!r}")
    return entry, name, BetterIf(better_if), where


def _optional_non_negative(entry: Mapping[str, Any], key: str, where: str) -> float | None:
    raw = entry.get(key)
    number = _number(raw)
    if raw is not None and (number is None or number < 0):
        raise ThresholdError(f"{where}: {key}: expected a number >= 0 or null, got {raw!r}")
    return number


def _percent(entry: Mapping[str, Any], key: str, where: str) -> float:
    value = _number(entry.get(key))
    if value is None or value <= 0:
        raise ThresholdError(f"{where}: {key}: expected a number of percent > 0, got {entry.get(key)!r}")
    return value


def _number(value: object) -> float | None:
    """The value as a float when it is a finite JSON number (not a boolean), else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
