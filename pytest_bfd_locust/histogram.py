"""Response-time histograms: percentiles from one, and several merged into one (Locust's rules).

A histogram is Locust's `StatsEntry.response_times`: response time in whole ms, rounded the way
Locust rounds it (exact below 100 ms, to 10 ms below 1 s, to 100 ms above), -> number of requests.
"""

from __future__ import annotations

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
