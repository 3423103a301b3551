"""The judge's rule: a statistic is a regression only when its change is worse than the practical
floor (`min_percent`, `min_delta`), significant on the two runs' own requests (`significance`), and
outside the run-to-run noise its hash shows in the stored history (`noise`); `judge_statistic`
states the rule and its levels."""

from __future__ import annotations

import math
from collections.abc import Sequence

from pytest_bfd_locust.histogram import Histogram, merge_histograms
from pytest_bfd_locust.judge.comparison import (
    Evidence,
    Judgement,
    NoiseBasis,
    RecordView,
    StatComparison,
    TaskKey,
    record_view,
)
from pytest_bfd_locust.judge.distributions import normal_quantile, student_t_quantile
from pytest_bfd_locust.judge.noise import Spread, log_spread
from pytest_bfd_locust.judge.significance import Change, EntryEvidence, compare_statistic
from pytest_bfd_locust.judge.thresholds import RESPONSE_TIME_STATS, BetterIf, JudgeRule, JudgeSettings, Rule
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.record import Record, TaskStats

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
        z, band = _level_bars(change, spread, basis, confidence, baseline_runs, statistics, settings)
        if change.log_se is not None and worse <= z * change.log_se:
            reason = "not significant on the runs' own requests"
            continue
        if worse > band:
            return verdict, basis, "worse beyond the run-to-run noise, and significant"
        reason = "within the run-to-run noise"
    return Verdict.PASS, basis, reason


def _level_bars(
    change: Change,
    spread: Spread,
    basis: NoiseBasis,
    confidence: float,
    baseline_runs: int,
    statistics: int,
    settings: JudgeSettings,
) -> tuple[float, float]:
    """At one verdict level: the normal quantile z(1 - a) and the noise band d must exceed."""
    alpha = (1.0 - confidence) / max(statistics, 1)
    z = normal_quantile(1.0 - alpha)
    k = max(baseline_runs, 1) if CREDIT_AVERAGED_BASELINE else 1
    if basis is NoiseBasis.HISTORY:
        band = student_t_quantile(1.0 - alpha, spread.runs - 1) * spread.difference_sd(k)
    else:
        prior = math.log1p(settings.prior_noise_percent / 100.0)
        band = z * math.sqrt((change.log_se or 0.0) ** 2 + prior**2 * (1.0 + 1.0 / k))
    return z, band


def fails_above_percent(
    rule: JudgeRule,
    change: Change,
    spread: Spread,
    *,
    baseline_runs: int,
    statistics: int,
    settings: JudgeSettings,
) -> float | None:
    """The smallest worsening, in percent of the baseline, that `judge_statistic` would fail on this
    run's evidence: the largest of the FAILURE level's bars (the floors, z * se, the noise band).

    None when nothing could fail: the values are not numbers, or `min_delta` reaches a LARGER-is-
    better statistic's whole baseline.
    """
    if math.isnan(change.log_ratio):
        return None
    basis = NoiseBasis.HISTORY if spread.runs >= settings.min_history else NoiseBasis.PRIOR
    min_percent = settings.min_percent if rule.min_percent is None else rule.min_percent
    bars = [math.log1p(min_percent / 100.0)]
    min_delta = rule.effective_min_delta
    if min_delta is not None:
        if rule.better_if is BetterIf.SMALLER:
            bars.append(math.log((max(change.baseline, 0.0) + min_delta) / max(change.baseline, 0.5)))
        elif min_delta >= change.baseline:
            return None
        else:
            bars.append(math.log(change.baseline / (change.baseline - min_delta)))
    z, band = _level_bars(change, spread, basis, settings.confidence, baseline_runs, statistics, settings)
    if change.log_se is not None:
        bars.append(z * change.log_se)
    bars.append(band)
    return math.expm1(max(bars)) * 100.0


def judge_pairs(
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
        fails_above = fails_above_percent(
            rule, change, spread, baseline_runs=baseline_runs, statistics=statistics, settings=settings
        )
        judgement = Judgement(
            change, settings.confidence, spread, basis, noise, baseline_runs, reason, fails_above
        )
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

