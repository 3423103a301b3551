"""Text a user reads: the comparison table of a failure, and terminal summary lines.

Pure: no pytest, boto3, locust or gevent; every function returns strings.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pytest_bfd_locust.compare import Comparison, StatComparison, Verdict, task_scope
from pytest_bfd_locust.figures import format_change, stat_label

TABLE_COLUMNS = ("scope", "statistic", "baseline", "current", "change", "ratio", "threshold", "result")
"""The failure table's columns (SPEC §4) with the signed change, plus the verdict of the row."""

_RIGHT_ALIGNED = frozenset({"baseline", "current", "change", "ratio"})


def format_value(value: float) -> str:
    """A statistic's value: whole numbers without decimals (most are ms counts), others with two."""
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return f"{value:.2f}"


def format_ratio(ratio: float) -> str:
    """A ratio in percent; an infinite ratio (a zero baseline) is "inf"."""
    return "inf" if math.isinf(ratio) else f"{ratio:.1f}%"


def format_threshold(row: StatComparison) -> str:
    """The rule applied: "warn 150% fail 200%", plus its min_delta when one applies."""
    rule = row.threshold
    text = f"warn {format_value(rule.warn_percent)}% fail {format_value(rule.fail_percent)}%"
    min_delta = rule.effective_min_delta
    if min_delta is not None:
        text += f" min_delta {format_value(min_delta)}"
    return text


def format_comparison_table(comparisons: Sequence[StatComparison]) -> str:
    """An aligned plain-text table, one row per comparison, under a header line."""
    rows = [TABLE_COLUMNS] + [
        (
            row.scope,
            stat_label(row.stat),
            format_value(row.baseline),
            format_value(row.current),
            format_change(row.baseline, row.current),
            format_ratio(row.ratio),
            format_threshold(row),
            row.verdict.value,
        )
        for row in comparisons
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(TABLE_COLUMNS))]
    lines = []
    for row in rows:
        cells = [
            cell.rjust(width) if column in _RIGHT_ALIGNED else cell.ljust(width)
            for column, cell, width in zip(TABLE_COLUMNS, row, widths, strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_summary_line(row: StatComparison) -> str:
    """One comparison on one line: "WARNING GET /a median: 100 -> 160 (+60 %, ratio 160.0%; ...)"."""
    return (
        f"{row.verdict.value} {row.scope} {stat_label(row.stat)}: {format_value(row.baseline)} -> "
        f"{format_value(row.current)} ({format_change(row.baseline, row.current)}, "
        f"ratio {format_ratio(row.ratio)}; {format_threshold(row)})"
    )


def format_endpoint_changes(comparison: Comparison) -> list[str]:
    """One line per endpoint present on one side only; these were not compared."""
    new = [
        f"new endpoint {task_scope(key)}: not in the baseline, not compared" for key in comparison.new_tasks
    ]
    missing = [
        f"missing endpoint {task_scope(key)}: in the baseline but not in this run"
        for key in comparison.missing_tasks
    ]
    return new + missing


def format_summary_lines(comparison: Comparison, *, verbose: bool = False) -> list[str]:
    """Terminal summary of one suite's comparison: the non-PASS rows (every row when `verbose`),
    then the endpoint changes; a single line saying all passed when there is nothing else to say."""
    rows = (
        comparison.stats if verbose else [row for row in comparison.stats if row.verdict is not Verdict.PASS]
    )
    lines = [format_summary_line(row) for row in rows] + format_endpoint_changes(comparison)
    if not lines:
        lines.append(f"all {len(comparison.stats)} compared statistics passed")
    return lines


def fit_to_width(text: str, width: int) -> str:
    """The first line of `text` within `width` characters, cut after a whole word (marked "...")."""
    line = text.split("\n", 1)[0]
    if len(line) <= width:
        return line
    room = max(width - 3, 0)
    cut = line[: room + 1].rsplit(" ", 1)[0] if " " in line[: room + 1] else line[:room]
    return cut.rstrip(" ,;:") + "..."
