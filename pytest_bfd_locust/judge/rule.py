"""The judge's rule: a statistic is a regression only when its change is worse than the practical
floor (`min_percent`, `min_delta`), significant on the two runs' own requests (`significance`), and
outside the run-to-run noise learned from the stored history (`noise`); the suite's false-alarm
level is shared among its statistics (`multiplicity`). `statistic_test` states the rule for one
statistic, `judge_pairs` applies it to a run."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

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
from pytest_bfd_locust.judge.distributions import normal_quantile, student_t_cdf, student_t_quantile
from pytest_bfd_locust.judge.multiplicity import (
    bonferroni_adjusted,
    endpoint_families_adjusted,
    hochberg_adjusted,
    simes_adjusted,
)
from pytest_bfd_locust.judge.noise import (
    Spread,
    dispersion,
    dispersion_level,
    noise_posterior,
    prior_log_sigma,
)
from pytest_bfd_locust.judge.significance import (
    Change,
    EntryEvidence,
    StatKind,
    compare_statistic,
    exceedance_p_value,
    quantile_level,
    stat_kind,
    value_floor,
)
from pytest_bfd_locust.judge.thresholds import (
    RESPONSE_TIME_STATS,
    BetterIf,
    JudgeRule,
    JudgeSettings,
    Multiplicity,
    Rule,
)
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.record import Record, TaskStats


@dataclass(frozen=True)
class StatisticTest:
    """One statistic's test: its p-value against "no worse than the noise", or the floor that stopped it."""

    p_value: float
    """max(p_within, p_noise); 1 when a floor stopped it (not worse, below a floor, not a number)."""
    basis: NoiseBasis
    stopped_by: str | None
    """Why no test was needed ("not worse", "below min_percent 10 %", ...); None: tested."""
    p_within: float
    """The within-run p-value: P(N(0, se) >= d); 0 when se is unknown (no histogram)."""
    p_noise: float
    """The run-to-run p-value: P(t(nu) * sd >= d)."""
    p_share: float | None = None
    """For a quantile whose change looked significant: the exact test of how many of this run's
    requests are above the baseline's quantile (`significance.exceedance_p_value`), part of
    `p_within`; None: not asked (`with_share_above`)."""
    p_interval: float | None = None
    """With `p_share`: the within-run p-value of the two runs' intervals alone."""

    @property
    def reason_if_passed(self) -> str:
        """What stopped it, in words."""
        if self.stopped_by is not None:
            return self.stopped_by
        if self.p_within >= self.p_noise:
            if self.p_share is not None and self.p_interval is not None and self.p_share > self.p_interval:
                return (
                    "not significant on the runs' own requests: no more of them are above the baseline's"
                    " value than chance allows"
                )
            return "not significant on the runs' own requests"
        return "within the run-to-run noise"

    def with_share_above(self, p_share: float) -> StatisticTest:
        """This test with the share of requests above the baseline's quantile asked too: the change
        is significant on the runs' own requests only if both the intervals and the share say so."""
        p_within = max(self.p_within, p_share)
        return replace(
            self,
            p_value=max(p_within, self.p_noise),
            p_within=p_within,
            p_share=p_share,
            p_interval=self.p_within,
        )


def statistic_test(
    rule: JudgeRule, change: Change, spread: Spread, *, baseline_runs: int, settings: JudgeSettings
) -> StatisticTest:
    """The judge's test of one statistic.

    With d = ln(current / baseline) in the worse direction (negated when LARGER is better):

    1. the floors: d > 0, worse by at least `min_percent`, and by more than `min_delta`; a
       statistic the floors stop has p = 1;
    2. significant on the runs' own requests: p_within = 1 - Phi(d / se) (se the within-run
       standard error of d; unknown when a side has no histogram, then p_within = 0 and said);
       for a quantile of a run too short to bound it, the exact exceedance test of
       significance.py instead (how many current requests exceed the baseline's quantile); a
       quantile whose change looks significant is asked that test too, by `judge_pairs`
       (`_asks_share_above`: a quantile between two modes jumps without any request slowing);
    3. outside the run-to-run noise: p_noise = 1 - T_nu(d / (sigma_n * sqrt(2))), the posterior
       predictive of noise.py: nu = nu0 + df, sigma_n^2 = (nu0 sigma0^2 + SS) / nu, with nu0 =
       `prior_degrees_of_freedom`, sigma0 = s_kind * D (s measured per kind of statistic,
       `noise.PRIOR_SCALES`, or measured on the store's other hashes with `prior_from_store`
       (`Evidence.prior`), times `prior_scale`; D = ln(upper / median) of the endpoint's earlier
       runs, `noise.dispersion`), SS and df the squared residuals of ln(statistic) over the
       history within its levels and their degrees of freedom (runs - levels); sqrt(2) because
       the current run and the baseline are both noisy;

    and p = max(p_within, p_noise) (both must hold: an intersection-union test). The suite's
    statistics' p-values are then adjusted (`multiplicity`): a statistic is at FAILURE when its
    adjusted p <= 1 - `confidence`, at WARNING when <= 1 - `warn_confidence`. Judged alone (every
    other statistic unchanged) that is p <= (1 - confidence) / m, i.e. d > max(floors,
    z(1 - a) se, t(1 - a; nu) sigma_n sqrt(2)) with a = (1 - confidence) / m (`fails_above_percent`).

    An average of k runs is not credited as a steadier baseline (sqrt(1 + 1/k) instead of sqrt(2);
    `credit_averaged_baseline` turns it on), although independent runs would earn it: measured by
    bench/detection.py on real runs, the credit raised the A/A false alarms against an average of 5
    from 0.3 % to 1.8 % (0.5 % against the previous run) at the same detection of a 20 % slowdown.
    A shared machine's slow periods last several runs and the current run alone carries them, so
    the tails of current - average do not shrink with k. The average still gives the within-run
    error the requests of all k runs.
    """
    basis = NoiseBasis.PRIOR if spread.rests_on_prior else NoiseBasis.HISTORY

    def stopped(reason: str) -> StatisticTest:
        return StatisticTest(1.0, basis, reason, 1.0, 1.0)

    if math.isnan(change.log_ratio):
        return stopped("not comparable (a value is not a number)")
    worse = change.log_ratio if rule.better_if is BetterIf.SMALLER else -change.log_ratio
    if worse <= 0.0:
        return stopped("not worse")
    min_percent = settings.min_percent if rule.min_percent is None else rule.min_percent
    if math.expm1(worse) * 100.0 < min_percent:
        return stopped(f"below min_percent {_plain(min_percent)} %")
    min_delta = rule.effective_min_delta
    if min_delta is not None and abs(change.current - change.baseline) <= min_delta:
        return stopped(f"within min_delta {_plain(min_delta)}")
    if change.exceedance_p is not None and rule.better_if is BetterIf.SMALLER:
        p_within = change.exceedance_p
    elif change.log_se is None:
        p_within = 0.0
    elif math.isinf(change.log_se):
        p_within = 1.0
    elif change.log_se == 0.0:
        p_within = 0.0
    else:
        p_within = 0.5 * math.erfc(worse / change.log_se / math.sqrt(2.0))
    sd = spread.difference_sd(_credited_runs(baseline_runs, settings))
    p_noise = 0.0 if sd == 0.0 else 1.0 - student_t_cdf(worse / sd, spread.band_degrees_of_freedom)
    return StatisticTest(max(p_within, p_noise), basis, None, p_within, p_noise)


def verdict_of(test: StatisticTest, adjusted_p: float, settings: JudgeSettings) -> tuple[Verdict, str]:
    """The verdict of a statistic whose adjusted p-value is `adjusted_p`, and why."""
    if test.stopped_by is None:
        if adjusted_p <= 1.0 - settings.confidence:
            return Verdict.FAILURE, "worse beyond the run-to-run noise, and significant"
        if adjusted_p <= 1.0 - settings.warn_confidence:
            return Verdict.WARNING, "worse beyond the run-to-run noise, and significant"
    return Verdict.PASS, test.reason_if_passed


def _credited_runs(baseline_runs: int, settings: JudgeSettings) -> int:
    return max(baseline_runs, 1) if settings.credit_averaged_baseline else 1


def fails_above_percent(
    rule: JudgeRule,
    change: Change,
    spread: Spread,
    *,
    baseline_runs: int,
    statistics: int,
    settings: JudgeSettings,
) -> float | None:
    """The smallest worsening, in percent of the baseline, that fails this statistic judged alone
    among `statistics` (every correction then gives p_adj = min(1, statistics * p)) on this run's
    evidence: the largest of the FAILURE level's bars (the floors,
    z(1 - a) * se, t(1 - a; nu) * sigma_n * sqrt(2)), a = (1 - confidence) / statistics. With
    other statistics of the suite worse too, the step-up correction may fail it a little below.
    A short run's quantile, tested by counting requests (`Change.exceedance_p`), has no bar in
    percent on its own requests: its figure is the noise's and the floors' alone.

    None when nothing could fail: the values are not numbers, or `min_delta` reaches a LARGER-is-
    better statistic's whole baseline.
    """
    if math.isnan(change.log_ratio):
        return None
    min_percent = settings.min_percent if rule.min_percent is None else rule.min_percent
    bars = [math.log1p(min_percent / 100.0)]
    min_delta = rule.effective_min_delta
    if min_delta is not None:
        floor = value_floor(rule.name)
        if rule.better_if is BetterIf.SMALLER:
            bars.append(math.log((max(change.baseline, 0.0) + min_delta) / max(change.baseline, floor)))
        elif min_delta >= change.baseline:
            return None
        else:
            bars.append(math.log(change.baseline / (change.baseline - min_delta)))
    alpha = (1.0 - settings.confidence) / max(statistics, 1)
    if change.log_se is not None and change.exceedance_p is None:
        bars.append(normal_quantile(1.0 - alpha) * change.log_se)
    sd = spread.difference_sd(_credited_runs(baseline_runs, settings))
    bars.append(student_t_quantile(1.0 - alpha, spread.band_degrees_of_freedom) * sd)
    return math.expm1(max(bars)) * 100.0


def judge_pairs(
    pairs: Sequence[tuple[str, TaskKey | None, Rule, float, float]],
    evidence: Evidence,
    settings: JudgeSettings,
) -> list[StatComparison]:
    """Every statistic of a run tested (`statistic_test`), the p-values adjusted together, verdicts."""
    statistics = len(pairs)
    # The order-statistic intervals are read at the FAILURE level of one statistic.
    level = 1.0 - (1.0 - settings.confidence) / max(statistics, 1)
    history = [record_view(record) for record in evidence.history[: settings.history]]
    baseline_runs = max(len(evidence.baseline_records), 1)
    entries: dict[TaskKey | None, tuple[EntryEvidence, EntryEvidence, dict[str, float]]] = {}
    tested = []
    for scope, key, rule, before, now in pairs:
        if not isinstance(rule, JudgeRule):
            raise TypeError(f"{rule.name}: a fixed-ratio rule in a threshold set with a 'judge' section")
        if key not in entries:
            entries[key] = (
                _baseline_entry(evidence.baseline_records, key),
                _entry(evidence.current, key),
                {
                    upper: dispersion([_quantile_pair(view, key, upper) for view in history])
                    for upper in ("0.9", "0.95", "0.99")
                },
            )
        baseline_entry, current_entry, dispersions = entries[key]
        change = compare_statistic(rule.name, before, now, baseline_entry, current_entry, level)
        spread = noise_posterior(
            [_history_value(view, key, rule.name) for view in history],
            prior_sigma=prior_log_sigma(
                rule.name,
                dispersions[dispersion_level(rule.name)],
                settings.prior_scale,
                evidence.prior.by_kind,
            ),
            prior_degrees_of_freedom=settings.prior_degrees_of_freedom,
            response_time=rule.name in RESPONSE_TIME_STATS,
            within_levels=settings.within_levels,
            floor=value_floor(rule.name),
            prior_source=evidence.prior.describe(),
        )
        test = statistic_test(rule, change, spread, baseline_runs=baseline_runs, settings=settings)
        if (
            _asks_share_above(rule, change, test, settings)
            and baseline_entry.histogram
            and current_entry.histogram
        ):
            share = exceedance_p_value(
                baseline_entry.histogram, current_entry.histogram, quantile_level(rule.name)
            )
            test = test.with_share_above(share)
        tested.append((scope, key, rule, before, now, change, spread, test))
    pvalues = [test.p_value for *_, test in tested]
    if settings.multiplicity is Multiplicity.SIMES:
        adjusted = simes_adjusted(pvalues)
    elif settings.multiplicity is Multiplicity.ENDPOINTS:
        adjusted = endpoint_families_adjusted(pvalues, [key for _, key, *_ in tested])
    elif settings.multiplicity is Multiplicity.HOCHBERG:
        adjusted = hochberg_adjusted(pvalues)
    else:
        adjusted = bonferroni_adjusted(pvalues)
    rows = []
    for (scope, key, rule, before, now, change, spread, test), adjusted_p in zip(
        tested, adjusted, strict=True
    ):
        verdict, reason = verdict_of(test, adjusted_p, settings)
        fails_above = fails_above_percent(
            rule, change, spread, baseline_runs=baseline_runs, statistics=statistics, settings=settings
        )
        judgement = Judgement(
            change,
            settings.confidence,
            spread,
            test.basis,
            spread.percent,
            baseline_runs,
            reason,
            fails_above,
        )
        row = StatComparison.by_rule(rule, before, now, verdict, scope=scope, task=key, judgement=judgement)
        rows.append(row)
    return rows


def _asks_share_above(rule: JudgeRule, change: Change, test: StatisticTest, settings: JudgeSettings) -> bool:
    """Whether a quantile's change that looks significant is also tested by the share of requests
    above the baseline's quantile (`exceedance_p_value`).

    The intervals' z-test reads a quantile's change as a shift of the whole distribution. A
    quantile that sits between two modes (a suite's totals mixing a 1 ms and a 41 ms endpoint) jumps
    from one mode to the other when the mix moves by a request or two in a hundred: 2 -> 41 ms, far
    beyond its interval, though no request got slower. Counting the current requests above the
    baseline's quantile asks what a slowdown means: more requests than chance above it. Exact and
    distribution-free, and costly on a long run (a sum over the count's tail), so it is asked only of
    a statistic that could still be flagged (p at most 1 - `warn_confidence`, which no correction
    lowers). A short run's quantile is already judged by it (`Change.exceedance_p`).
    """
    return (
        test.stopped_by is None
        and test.p_value <= 1.0 - settings.warn_confidence
        and rule.better_if is BetterIf.SMALLER
        and stat_kind(rule.name) is StatKind.QUANTILE
        and change.exceedance_p is None
    )


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


def _quantile_pair(view: RecordView, key: TaskKey | None, upper: str) -> tuple[float, float]:
    """(upper quantile, median) of an entry in an earlier run: what its dispersion is read from."""
    return _history_value(view, key, upper), _history_value(view, key, "median_response_time")


def _plain(number: float) -> str:
    return f"{number:g}"
