"""Within-run evidence from histograms, against numpy/scipy references on small data."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from pytest_bfd_locust.histogram import bucket_width, mean_and_variance, value_at_rank
from pytest_bfd_locust.judge.significance import (
    RATE_FLOOR,
    VALUE_FLOOR,
    Change,
    EntryEvidence,
    StatKind,
    compare_statistic,
    exceedance_p_value,
    log_standard_error,
    log_value,
    quantile_interval,
    quantile_rank_interval,
    stat_kind,
    value_floor,
)
from tests.record_factory import locust_bucket


def histogram_of(values: np.ndarray) -> dict[int, int]:
    return dict(Counter(locust_bucket(float(v)) for v in values))


def expanded(histogram: dict[int, int]) -> np.ndarray:
    return np.repeat(np.array(sorted(histogram), dtype=float), [histogram[k] for k in sorted(histogram)])


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("median_response_time", StatKind.QUANTILE),
        ("0.95", StatKind.QUANTILE),
        ("0.9999", StatKind.QUANTILE),
        ("1.0", StatKind.EXTREME),
        ("max_response_time", StatKind.EXTREME),
        ("min_response_time", StatKind.EXTREME),
        ("average_response_time", StatKind.MEAN),
        ("num_requests", StatKind.REQUESTS),
        ("total_reqs_per_second", StatKind.REQUESTS),
        ("num_failures", StatKind.FAILURES),
        ("total_fails_per_sec", StatKind.FAILURES),
    ],
)
def test_stat_kind(name: str, kind: StatKind) -> None:
    assert stat_kind(name) is kind


@pytest.mark.parametrize(
    ("ms", "width"), [(0, 1), (99, 1), (100, 10), (990, 10), (1000, 100), (9900, 100), (10000, 1000)]
)
def test_bucket_width(ms: int, width: int) -> None:
    assert bucket_width(ms) == width


def test_every_response_time_lies_within_half_a_bucket_of_its_bucket() -> None:
    for raw in np.linspace(0, 30_000, 200_001):
        bucket = locust_bucket(float(raw))
        assert abs(raw - bucket) <= bucket_width(bucket) / 2


@pytest.mark.parametrize("n", [1, 5, 20, 200, 5000])
@pytest.mark.parametrize("level", [0.5, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.999])
def test_quantile_rank_interval_is_the_binomial_rule(n: int, level: float, confidence: float) -> None:
    alpha = 1 - confidence
    lower = int(stats.binom.ppf(alpha / 2, n, level))
    upper = int(stats.binom.ppf(1 - alpha / 2, n, level)) + 1
    assert quantile_rank_interval(n, level, confidence) == (max(lower, 0), min(upper, n + 1))


def test_quantile_interval_covers_the_true_quantile_at_its_confidence() -> None:
    """Coverage on Locust-bucketed lognormal samples (true median 40 ms), checked with numpy."""
    rng = np.random.default_rng(7)
    true_median = 40.0
    covered = 0
    trials = 1000
    for _ in range(trials):
        sample = rng.lognormal(math.log(true_median), 0.3, size=200)
        interval = quantile_interval(histogram_of(sample), 0.5, 0.9)
        assert interval is not None
        covered += interval[0] <= true_median <= interval[1]
    # At least the nominal 90 % (bucket rounding only widens it); binomial slack of 3 sd.
    assert covered / trials >= 0.9 - 3 * math.sqrt(0.09 / trials)


def test_value_at_rank_reads_the_sorted_requests() -> None:
    histogram = {3: 2, 1: 1, 10: 3}
    reference = np.sort(expanded(histogram))
    for rank in range(1, 7):
        assert value_at_rank(histogram, rank) == reference[rank - 1]
    with pytest.raises(ValueError, match="rank 7 is beyond the histogram's 6 requests"):
        value_at_rank(histogram, 7)


def test_quantile_interval_adds_half_a_bucket_each_side() -> None:
    histogram = {250: 1000}  # every request in the 250 ms bucket: 245..255 ms
    assert quantile_interval(histogram, 0.5, 0.95) == (245.0, 255.0)
    assert quantile_interval({0: 1000}, 0.5, 0.95) == (0.0, 0.5)


def test_quantile_interval_is_none_when_too_few_requests() -> None:
    assert quantile_interval({40: 10}, 0.99, 0.95) is None
    assert quantile_interval({}, 0.5, 0.95) is None


def test_histogram_mean_and_variance_match_numpy_plus_rounding() -> None:
    rng = np.random.default_rng(3)
    histogram = histogram_of(rng.gamma(4.0, 30.0, size=500))
    values = expanded(histogram)
    mean, variance, n = mean_and_variance(histogram)
    rounding = float(np.mean([bucket_width(int(v)) ** 2 / 12 for v in values]))
    assert n == 500
    assert mean == pytest.approx(float(values.mean()))
    assert variance == pytest.approx(float(values.var(ddof=1)) + rounding)


def test_mean_standard_error_matches_a_numpy_bootstrap() -> None:
    rng = np.random.default_rng(11)
    histogram = histogram_of(rng.lognormal(math.log(40), 0.4, size=400))
    values = expanded(histogram)
    boot = np.log([rng.choice(values, size=values.size).mean() for _ in range(4000)])
    se = log_standard_error("average_response_time", EntryEvidence(400, 0, histogram), 0.95)
    assert se == pytest.approx(float(boot.std(ddof=1)), rel=0.1)


def test_median_ratio_interval_agrees_with_a_numpy_bootstrap() -> None:
    """The order-statistic interval of median_current / median_baseline, against a percentile bootstrap."""
    rng = np.random.default_rng(5)
    baseline = histogram_of(rng.lognormal(math.log(40), 0.25, size=1500))
    current = histogram_of(rng.lognormal(math.log(50), 0.25, size=1500))
    b_values, c_values = expanded(baseline), expanded(current)
    change = compare_statistic(
        "median_response_time",
        float(np.median(b_values)),
        float(np.median(c_values)),
        EntryEvidence(1500, 0, baseline),
        EntryEvidence(1500, 0, current),
        0.95,
    )
    ratios = [
        np.median(rng.choice(c_values, size=c_values.size))
        / np.median(rng.choice(b_values, size=b_values.size))
        for _ in range(3000)
    ]
    low, high = np.percentile(ratios, [2.5, 97.5])
    interval = change.interval(0.95)
    assert interval is not None
    assert interval[0] < 50 / 40 < interval[1]
    # Bucket rounding (1 ms at ~45 ms) makes ours a little wider; the centres agree closely.
    assert math.sqrt(interval[0] * interval[1]) == pytest.approx(math.sqrt(low * high), rel=0.02)
    assert 0.8 <= (interval[1] - interval[0]) / (high - low) <= 2.0


def test_counts_are_poisson() -> None:
    evidence = EntryEvidence(num_requests=400, num_failures=0, histogram=None)
    assert log_standard_error("num_requests", evidence, 0.95) == pytest.approx(1 / 20)
    assert log_standard_error("total_reqs_per_second", evidence, 0.95) == pytest.approx(1 / 20)
    # No failures: counted as half a failure, never a division by zero.
    assert log_standard_error("num_failures", evidence, 0.95) == pytest.approx(1 / math.sqrt(VALUE_FLOOR))


def test_extremes_and_tiny_samples_carry_no_evidence() -> None:
    evidence = EntryEvidence(num_requests=20, num_failures=0, histogram={40: 20})
    assert log_standard_error("max_response_time", evidence, 0.95) == math.inf
    assert log_standard_error("1.0", evidence, 0.95) == math.inf
    assert log_standard_error("0.99", evidence, 0.95) == math.inf
    assert log_standard_error("average_response_time", EntryEvidence(1, 0, {40: 1}), 0.95) == math.inf
    assert log_standard_error("median_response_time", EntryEvidence(0, 0, {}), 0.95) == math.inf


def test_a_record_without_histograms_has_unknown_response_time_errors() -> None:
    evidence = EntryEvidence(num_requests=100, num_failures=0, histogram=None)
    assert log_standard_error("median_response_time", evidence, 0.95) is None
    assert log_standard_error("average_response_time", evidence, 0.95) is None
    change = compare_statistic("0.95", 40.0, 50.0, evidence, evidence, 0.95)
    assert change.log_se is None and change.interval(0.95) is None
    assert change.ratio == pytest.approx(1.25)


def test_zero_and_not_finite_values_never_divide_by_zero() -> None:
    assert log_value(0.0) == math.log(VALUE_FLOOR)
    assert math.isnan(log_value(math.nan))
    zero = Change(baseline=0.0, current=0.0, log_ratio=0.0, log_se=0.1)
    assert zero.ratio == 1.0
    rising = compare_statistic(
        "median_response_time",
        0.0,
        5.0,
        EntryEvidence(100, 0, {0: 100}),
        EntryEvidence(100, 0, {5: 100}),
        0.95,
    )
    assert rising.ratio == pytest.approx(5.0 / VALUE_FLOOR)
    assert rising.log_se is not None and math.isfinite(rising.log_se)
    not_finite = Change(baseline=math.nan, current=5.0, log_ratio=math.nan, log_se=0.1)
    assert not_finite.interval(0.95) is None
    no_evidence = Change(baseline=1.0, current=2.0, log_ratio=math.log(2), log_se=math.inf)
    assert no_evidence.interval(0.95) == (0.0, math.inf)


# --- rates are not milliseconds (issue 17) ---------------------------------------------------------


def test_a_throughput_drop_below_one_request_per_second_is_the_drop_it_is() -> None:
    entry = EntryEvidence(num_requests=90, num_failures=0, histogram=None)
    dropped = compare_statistic("total_reqs_per_second", 0.45, 0.15, entry, entry, 0.99)
    assert dropped.log_ratio == pytest.approx(math.log(0.15 / 0.45))
    assert value_floor("total_reqs_per_second") == RATE_FLOOR < VALUE_FLOOR
    # Milliseconds keep Locust's resolution: 0.2 and 0.4 ms are both "below 1 ms".
    assert compare_statistic("median_response_time", 0.2, 0.4, entry, entry, 0.99).log_ratio == 0.0
    zero = compare_statistic("total_reqs_per_second", 0.0, 5.0, entry, entry, 0.99)
    assert math.isfinite(zero.log_ratio) and zero.log_ratio > 0


# --- short runs: the exceedance test (issue 17) ----------------------------------------------------


@pytest.mark.parametrize(
    ("n_baseline", "n_current", "level"), [(140, 140, 0.95), (60, 200, 0.5), (300, 90, 0.99)]
)
def test_exceedance_p_value_is_the_beta_binomial_tail_checked_with_scipy(
    n_baseline: int, n_current: int, level: float
) -> None:
    rng = np.random.default_rng(n_baseline + n_current)
    baseline = histogram_of(rng.lognormal(math.log(20), 0.4, n_baseline))
    current = histogram_of(rng.lognormal(math.log(26), 0.4, n_current))
    rank = min(max(math.ceil(level * n_baseline), 1), n_baseline)
    threshold = np.sort(expanded(baseline))[rank - 1]
    above = int((expanded(current) > threshold).sum())
    tail = np.arange(above, n_current + 1)
    expected = stats.betabinom.pmf(tail, n_current, n_baseline - rank + 1, rank).sum()
    assert exceedance_p_value(baseline, current, level) == pytest.approx(float(expected), rel=1e-6, abs=1e-15)


def test_exceedance_p_value_is_uniform_or_conservative_when_nothing_changed() -> None:
    """A/A by simulation: P(p <= a) <= a (Locust's rounding makes ties, which only lower it)."""
    rng = np.random.default_rng(7)
    pvalues = [
        exceedance_p_value(
            histogram_of(rng.lognormal(math.log(30), 0.3, 140)),
            histogram_of(rng.lognormal(math.log(30), 0.3, 140)),
            0.95,
        )
        for _ in range(2000)
    ]
    for alpha in (0.01, 0.05, 0.2):
        assert np.mean(np.array(pvalues) <= alpha) <= alpha * 1.2


def test_a_short_runs_p95_from_5_to_95_ms_is_significant() -> None:
    """About 140 requests cannot bound a p95 at the judge's level, but nearly every request getting
    19 times slower is not noise: the exceedance test says so."""
    rng = np.random.default_rng(3)
    before = histogram_of(rng.lognormal(math.log(4), 0.2, 140))
    after = histogram_of(rng.lognormal(math.log(80), 0.1, 140))
    level = 1 - 0.01 / 18
    baseline = EntryEvidence(140, 0, before)
    current = EntryEvidence(140, 0, after)
    moved = compare_statistic("0.95", 5.0, 95.0, baseline, current, level)
    assert moved.log_se == math.inf  # no two-sided interval at this level
    assert moved.exceedance_p is not None and moved.exceedance_p < 1e-30
    same = compare_statistic("0.95", 5.0, 5.0, baseline, EntryEvidence(140, 0, before), level)
    assert same.exceedance_p is not None and same.exceedance_p > 0.01
    # A long run keeps its order-statistic interval and no exceedance test.
    many = EntryEvidence(5000, 0, histogram_of(rng.lognormal(math.log(4), 0.2, 5000)))
    assert compare_statistic("0.95", 5.0, 5.0, many, many, level).exceedance_p is None
