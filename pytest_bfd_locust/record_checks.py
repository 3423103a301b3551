"""Whether a stored record is plausible enough to be a baseline: ranges and timestamps.

A record read back from a store is a file anyone could have edited or a crawler mangled. One dated
in the future would stay the `previous` baseline forever; one with negative counts or times would
make a 30x regression look like an improvement. Such records are skipped (with a warning naming
the file) instead of being compared against.
"""

from __future__ import annotations

from pytest_bfd_locust.record import Record, TaskStats

MAX_CLOCK_SKEW_S = 300
"""How far in the future a record's timestamp may be: clocks of CI machines drift by seconds, not minutes."""


def implausible(record: Record, *, now: float, max_skew_s: float = MAX_CLOCK_SKEW_S) -> str | None:
    """Why `record` cannot be a baseline, or None when it can; `now` is Unix time in seconds."""
    metadata = record.metadata
    if metadata.timestamp > now + max_skew_s:
        return f"metadata.timestamp {metadata.timestamp} is in the future (now {int(now)})"
    if metadata.timestamp <= 0:
        return f"metadata.timestamp {metadata.timestamp} is not a time"
    if metadata.total_runtime < 0:
        return f"metadata.total_runtime {metadata.total_runtime} is negative"
    for where, stats in (
        ("totals", record.totals),
        *((f"tasks[{i}]", t) for i, t in enumerate(record.tasks)),
    ):
        problem = _implausible_stats(stats)
        if problem is not None:
            return f"{where}.{problem}"
    for index, entry in enumerate(record.histograms):
        # The judge reads ranks and variances off these: a negative bucket or count would make them nonsense.
        for ms, count in entry.response_times.items():
            if ms < 0 or count < 0:
                return f"histograms[{index}].response_times: bucket [{ms}, {count}] is negative"
    return None


def _implausible_stats(stats: TaskStats) -> str | None:
    values: list[tuple[str, float]] = [
        ("num_requests", stats.num_requests),
        ("num_failures", stats.num_failures),
        ("median_response_time", stats.median_response_time),
        ("average_response_time", stats.average_response_time),
        ("min_response_time", stats.min_response_time),
        ("max_response_time", stats.max_response_time),
        ("total_reqs_per_second", stats.total_reqs_per_second),
        ("total_fails_per_sec", stats.total_fails_per_sec),
        *((f"response_time_percentiles[{key!r}]", v) for key, v in stats.response_time_percentiles.items()),
    ]
    for name, value in values:
        if value < 0:
            return f"{name} {value} is negative"
    if stats.num_failures > stats.num_requests:
        return f"num_failures {stats.num_failures} exceeds num_requests {stats.num_requests}"
    return None
