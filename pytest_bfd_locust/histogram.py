"""Response-time histograms: percentiles from one, several merged into one (Locust's rules), and
what the judge reads off one (a request of a given rank, mean and variance, bucket widths).

A histogram is Locust's `StatsEntry.response_times`: response time in whole ms, rounded the way
Locust rounds it (exact below 100 ms, to 10 ms below 1 s, to 100 ms below 10 s, to 1 s above),
-> number of requests.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping

PERCENTILE_KEYS: tuple[str, ...] = (
    "0.5",
    "0.66",
    "0.75",
    "0.8",
    "0.9",
    "0.95",
    "0.98",
    "0.99",
    "0.999",
    "0.9999",
    "1.0",
)
"""Locust's PERCENTILES_TO_REPORT, stringified as the seed stores them."""

Histogram = Mapping[int, int]
"""Locust's `StatsEntry.response_times`: bucketed response time in ms -> number of requests."""


def percentiles_from_histogram(histogram: Histogram, num_requests: int) -> dict[str, int]:
    """Locust's percentile rule (`calculate_response_time_percentile`) over a histogram."""
    if not num_requests:
        return {key: 0 for key in PERCENTILE_KEYS}
    descending = sorted(histogram.items(), reverse=True)
    result: dict[str, int] = {}
    for key in PERCENTILE_KEYS:
        wanted = int(num_requests * float(key))
        processed = 0
        value = 0
        for ms, count in descending:
            processed += count
            if num_requests - processed <= wanted:
                value = ms
                break
        result[key] = int(value)
    return result


def merge_histograms(histograms: Iterable[Histogram]) -> Counter[int]:
    """Every request of several histograms in one."""
    merged: Counter[int] = Counter()
    for histogram in histograms:
        merged.update(histogram)
    return merged


def median_from_histogram(histogram: Histogram, count: int, lowest: int, highest: int) -> int:
    """Locust's `StatsEntry.median_response_time` over a histogram, clamped to the runs' min and max.

    Locust clamps because histogram buckets round response times above 100 ms to two significant
    digits, which could otherwise put the median outside the range actually observed.
    """
    if not count:
        return 0
    position = (count - 1) / 2
    median = 0
    for ms in sorted(histogram):
        if position < histogram[ms]:
            median = ms
            break
        position -= histogram[ms]
    return min(max(median, lowest), highest)


def bucket_width(ms: int) -> int:
    """The width of the Locust histogram bucket a response time of `ms` was rounded into."""
    if ms < 100:
        return 1
    if ms < 1000:
        return 10
    if ms < 10_000:
        return 100
    return 1000


def value_at_rank(histogram: Histogram, rank: int) -> int:
    """The `rank`-th smallest response time (1-based) of a histogram's requests."""
    seen = 0
    for ms in sorted(histogram):
        seen += histogram[ms]
        if seen >= rank:
            return ms
    raise ValueError(f"rank {rank} is beyond the histogram's {seen} requests")


def mean_and_variance(histogram: Histogram) -> tuple[float, float, int]:
    """Mean, variance and count of a histogram's requests.

    The variance has the n - 1 denominator plus the buckets' own rounding variance, w^2 / 12 per
    request (Sheppard): a request in a bucket lies anywhere within half a width of it. With fewer
    than two requests the variance is infinite (unknown), never a division by zero.
    """
    n = sum(histogram.values())
    if n == 0:
        return 0.0, math.inf, 0
    mean = sum(ms * count for ms, count in histogram.items()) / n
    if n == 1:
        return mean, math.inf, 1
    squares = sum(count * (ms - mean) ** 2 for ms, count in histogram.items())
    rounding = sum(count * bucket_width(ms) ** 2 / 12.0 for ms, count in histogram.items()) / n
    return mean, squares / (n - 1) + rounding, n
