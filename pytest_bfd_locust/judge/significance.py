"""Within-run evidence: how far a statistic moved between two runs, and how sure their requests make that.

Pure: no pytest, boto3, locust, gevent, numpy or scipy. Every statistic of a run is an estimate
from its requests; its standard error on the log scale comes from the entry's response-time
histogram (our addition to the seed's record):

- a percentile or the median (quantile p): the distribution-free confidence interval of a quantile,
  between the order statistics of ranks l and u taken from Binomial(n, p) (the textbook rule
  P(X_(l) <= q_p <= X_(u)) >= confidence), read off the histogram and widened by half a
  Locust bucket on each side (Locust rounds response times to 1 ms below 100 ms, 10 ms below 1 s,
  100 ms below 10 s, 1 s above); `se = (ln upper - ln lower) / (2 z)`;
- the average: the histogram's variance plus the rounding's `w^2 / 12` (Sheppard), so
  `se = sd / (sqrt(n) * mean)` (delta method);
- request and failure counts and rates: Poisson, `se = 1 / sqrt(count)`;
- the minimum, the maximum and percentile 1.0: extremes have no distribution-free interval, so
  their `se` is infinite: they never count as significant on a run's own evidence.

A short run's quantile has no two-sided interval at the judge's level (about 140 requests cannot
bound a p95 at 99.9 %), yet a p95 that went from 5 to 95 ms because nearly every request got
slower is not noise. So when either side's interval is unbounded, the change of a quantile is
also tested directly (`exceedance_p_value`): t = the baseline's r-th smallest request (r = the
quantile's rank), and C = how many of the current run's n requests are above t. Under "nothing
changed", F(t) ~ Beta(r, n_b - r + 1) (an order statistic of the baseline) and C | F(t) ~
Binomial(n, 1 - F(t)), so C ~ BetaBinomial(n, n_b - r + 1, r) whatever the distribution: an
exact, distribution-free p-value P(C >= c) (requests tied with t count as not above, which only
makes it conservative under Locust's rounding). The judge asks the same test of any quantile whose
change looks significant on its intervals (rule.py `_asks_share_above`): a quantile that sits
between two modes, such as the totals' median of a 1 ms and a 41 ms endpoint, jumps from one to the
other when the mix of requests moves by a few in a hundred, while the share above it does not.

A change is `ln(current / baseline)` with `se = sqrt(se_b^2 + se_c^2)` (independent runs). Values
below Locust's 1 ms resolution (and zero counts) count as `VALUE_FLOOR`, so no logarithm or
division ever sees a zero; rates (per second) are not milliseconds and count as `RATE_FLOOR` only
at zero, so a throughput drop from 0.45 to 0.15 req/s is the drop it is. A side without a
histogram (the seed's records) gives an unknown (None) error for the response-time statistics:
the caller says so and decides without it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from pytest_bfd_locust.histogram import Histogram, bucket_width, mean_and_variance, value_at_rank
from pytest_bfd_locust.judge.distributions import beta_binomial_sf, binomial_quantile, normal_quantile

VALUE_FLOOR = 0.5
"""Half of Locust's resolution (1 ms, one request): what a zero or sub-resolution value counts as."""


RATE_FLOOR = 1e-3
"""What a zero rate counts as (requests or failures per second): one request in about 17 minutes,
below any load test's resolution, so only an exact zero is floored."""

RATE_STATS = frozenset({"total_reqs_per_second", "total_fails_per_sec"})
"""The statistics that are rates per second, not milliseconds or counts."""


def value_floor(name: str) -> float:
    """What a zero or too-small value of statistic `name` counts as on the log scale."""
    return RATE_FLOOR if name in RATE_STATS else VALUE_FLOOR


class StatKind(StrEnum):
    """What a statistic is, which decides where its within-run error comes from."""

    QUANTILE = "quantile"
    MEAN = "mean"
    EXTREME = "extreme"
    REQUESTS = "requests"
    FAILURES = "failures"


_KINDS: Mapping[str, StatKind] = {
    "median_response_time": StatKind.QUANTILE,
    "average_response_time": StatKind.MEAN,
    "min_response_time": StatKind.EXTREME,
    "max_response_time": StatKind.EXTREME,
    "num_requests": StatKind.REQUESTS,
    "total_reqs_per_second": StatKind.REQUESTS,
    "num_failures": StatKind.FAILURES,
    "total_fails_per_sec": StatKind.FAILURES,
}


def stat_kind(name: str) -> StatKind:
    """The kind of a threshold-file statistic name; percentile keys ("0.95") are quantiles, "1.0" the max."""
    if name in _KINDS:
        return _KINDS[name]
    level = float(name)  # a percentile key; the threshold file has checked the name already
    return StatKind.EXTREME if level >= 1.0 else StatKind.QUANTILE


def quantile_level(name: str) -> float:
    """The quantile a response-time statistic estimates (0.5 for the median)."""
    return 0.5 if name == "median_response_time" else float(name)


@dataclass(frozen=True)
class EntryEvidence:
    """What one run offers about one stats entry (an endpoint or the totals)."""

    num_requests: int
    num_failures: int
    histogram: Histogram | None
    """None: the record has none (the seed's records); response-time errors are then unknown."""


@lru_cache(maxsize=4096)
def quantile_rank_interval(n: int, level: float, confidence: float) -> tuple[int, int]:
    """1-based ranks (l, u) with P(X_(l) <= q_level <= X_(u)) >= confidence among n values.

    l = 0 means no lower bound and u = n + 1 no upper bound: n is too small for the confidence.
    Cached: a run asks it for every quantile of every entry, with the same few n and levels.
    """
    if n <= 0:
        return 0, n + 1
    alpha = 1.0 - confidence
    lower = binomial_quantile(alpha / 2.0, n, level)
    upper = binomial_quantile(1.0 - alpha / 2.0, n, level) + 1
    return max(lower, 0), min(upper, n + 1)


def quantile_interval(histogram: Histogram, level: float, confidence: float) -> tuple[float, float] | None:
    """The distribution-free confidence interval of the `level` quantile, in ms, bucket rounding included.

    None when the histogram has too few requests to bound it on both sides at this confidence.
    """
    n = sum(histogram.values())
    lower_rank, upper_rank = quantile_rank_interval(n, level, confidence)
    if lower_rank < 1 or upper_rank > n:
        return None
    lower, upper = value_at_rank(histogram, lower_rank), value_at_rank(histogram, upper_rank)
    return max(lower - bucket_width(lower) / 2.0, 0.0), upper + bucket_width(upper) / 2.0


def log_standard_error(name: str, entry: EntryEvidence, confidence: float) -> float | None:
    """The within-run standard error of ln(statistic) for one run's entry.

    inf: the run holds no evidence about this statistic (an extreme, too few requests);
    None: unknown, the record has no histogram. `confidence` is the level the quantile's
    order-statistic interval is built at (its width differs a little between levels).
    """
    kind = stat_kind(name)
    if kind is StatKind.EXTREME:
        return math.inf
    if kind is StatKind.REQUESTS:
        return 1.0 / math.sqrt(max(entry.num_requests, VALUE_FLOOR))
    if kind is StatKind.FAILURES:
        return 1.0 / math.sqrt(max(entry.num_failures, VALUE_FLOOR))
    if entry.histogram is None:
        return None
    if kind is StatKind.MEAN:
        mean, variance, n = mean_and_variance(entry.histogram)
        if n < 2:
            return math.inf
        return math.sqrt(variance / n) / max(mean, VALUE_FLOOR)
    interval = quantile_interval(entry.histogram, quantile_level(name), confidence)
    if interval is None:
        return math.inf
    lower, upper = interval
    z = normal_quantile(0.5 + confidence / 2.0)
    return (math.log(max(upper, VALUE_FLOOR)) - math.log(max(lower, VALUE_FLOOR))) / (2.0 * z)


def exceedance_p_value(baseline: Histogram, current: Histogram, level: float) -> float:
    """P(C >= c): the one-sided p-value that the current run's `level` quantile is above the
    baseline's, from how many current requests exceed the baseline's quantile (module docstring)."""
    n_baseline, n_current = sum(baseline.values()), sum(current.values())
    if n_baseline == 0 or n_current == 0:
        return 1.0
    rank = min(max(math.ceil(level * n_baseline), 1), n_baseline)
    threshold = value_at_rank(baseline, rank)
    above = sum(count for ms, count in current.items() if ms > threshold)
    return beta_binomial_sf(above - 1, n_current, n_baseline - rank + 1, rank)


def log_value(value: float, floor: float = VALUE_FLOOR) -> float:
    """ln of a statistic's value, zero and sub-resolution values counted as `floor` (`value_floor`)."""
    return math.log(max(value, floor)) if math.isfinite(value) else math.nan


@dataclass(frozen=True)
class Change:
    """One statistic, baseline -> current, on the log scale, with its within-run standard error."""

    baseline: float
    current: float
    log_ratio: float
    """ln(current / baseline), both floored (`value_floor`); NaN when either value is not finite."""
    log_se: float | None
    """Within-run standard error of `log_ratio`; inf: no evidence; None: unknown (no histogram)."""
    exceedance_p: float | None = None
    """For a quantile whose interval is unbounded on a side (a short run): the one-sided p-value
    that the current run's quantile is above the baseline's (`exceedance_p_value`); else None."""

    @property
    def ratio(self) -> float:
        """current / baseline (both floored, `value_floor`)."""
        return math.exp(self.log_ratio)

    def interval(self, confidence: float) -> tuple[float, float] | None:
        """The two-sided `confidence` interval of current / baseline; None when the error is unknown."""
        if self.log_se is None or math.isnan(self.log_ratio):
            return None
        if math.isinf(self.log_se):
            return 0.0, math.inf
        half = normal_quantile(0.5 + confidence / 2.0) * self.log_se
        return math.exp(self.log_ratio - half), math.exp(self.log_ratio + half)


def compare_statistic(
    name: str,
    baseline_value: float,
    current_value: float,
    baseline: EntryEvidence,
    current: EntryEvidence,
    confidence: float,
) -> Change:
    """The change of one statistic between two runs' entries, with its within-run standard error."""
    se_baseline = log_standard_error(name, baseline, confidence)
    se_current = log_standard_error(name, current, confidence)
    combined = None if se_baseline is None or se_current is None else math.hypot(se_baseline, se_current)
    exceedance = None
    if (
        combined is not None
        and math.isinf(combined)
        and stat_kind(name) is StatKind.QUANTILE
        and baseline.histogram
        and current.histogram
    ):
        exceedance = exceedance_p_value(baseline.histogram, current.histogram, quantile_level(name))
    return Change(
        exceedance_p=exceedance,
        baseline=baseline_value,
        current=current_value,
        log_ratio=log_value(current_value, value_floor(name)) - log_value(baseline_value, value_floor(name)),
        log_se=combined,
    )
