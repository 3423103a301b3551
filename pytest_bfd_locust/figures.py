"""How figures read wherever a person sees them: statistic labels, signed changes, dates.

Pure. One place so the terminal, the HTML report, the Markdown summary, the JUnit detail and
`bfd-locust history` all say `p90`, `+25 %` and `2026-11-25T02:40:00Z` alike.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

_FIELD_LABELS = {
    "num_requests": "requests",
    "num_failures": "failures",
    "median_response_time": "median",
    "average_response_time": "average",
    "min_response_time": "min",
    "max_response_time": "max",
    "total_reqs_per_second": "req/s",
    "total_fails_per_sec": "failures/s",
}


def stat_label(name: str) -> str:
    """`p90` for Locust's percentile key `0.9` (`p99.9`, `p100` for `1.0`); short names for fields."""
    if name in _FIELD_LABELS:
        return _FIELD_LABELS[name]
    try:
        quantile = float(name)
    except ValueError:
        return name
    if not 0 < quantile <= 1:
        return name
    return f"p{quantile * 100:.4f}".rstrip("0").rstrip(".")


def change_percent(baseline: float, current: float) -> float:
    """How much the value itself moved, in percent of the baseline (inf from a zero baseline)."""
    if baseline == 0:
        return 0.0 if current == 0 else math.copysign(math.inf, current)
    return (current / baseline - 1.0) * 100.0


def format_change(baseline: float, current: float) -> str:
    """A signed change: `+25 %`, `-2.5 %`, `0 %`; `from 0` when the baseline was 0 and now is not."""
    change = change_percent(baseline, current)
    if math.isinf(change):
        return "from 0"
    if abs(change) < 0.05:
        return "0 %"
    digits = 1 if abs(change) < 10 else 0
    return f"{change:+.{digits}f} %"


def iso_utc(timestamp: float) -> str:
    """An epoch timestamp as ISO-8601 in UTC, to the second: `2026-11-25T02:40:00Z`."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_value_with_unit(name: str, value: float) -> str:
    """A statistic's value with its unit: `120 ms`, `35.2 req/s`, `4` (requests, failures)."""
    number = str(int(value)) if math.isfinite(value) and value == int(value) else f"{value:.1f}"
    if name in ("total_reqs_per_second", "total_fails_per_sec"):
        return f"{value:.1f}/s"
    if name in ("num_requests", "num_failures"):
        return number
    return f"{number} ms"
