"""A hash's history as a table: one row per stored run, newest last, change points marked.

Pure. `bfd-locust history` prints `format_history_table`; the HTML report charts the same runs.
Change points come from `history_change_points`: the totals' level shifts as the judge saw them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pytest_bfd_locust.figures import format_change, iso_utc, stat_label
from pytest_bfd_locust.judge.changepoints import ChangePoint, shifts_as_judged
from pytest_bfd_locust.judge.thresholds import JudgeSettings
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.reports.model import HistoryRun, acceptance_mark

HISTORY_COLUMNS = (
    "date (UTC)",
    "run id",
    "requests",
    "failures",
    "p50",
    "p95",
    "req/s",
    "compare",
    "validation",
    "notes",
)


@dataclass(frozen=True)
class HistoryRow:
    """One run as `bfd-locust history` prints it."""

    date: str
    run_id: str
    requests: int
    failures: int
    p50_ms: int
    p95_ms: int
    rps: float
    compare: str
    validation: str
    marks: str
    """`baseline`, `change: p95 +40 %`, `accepted (...): <reason>`, `inconclusive: the load generator
    used ...` (empty when nothing to say)."""

    def cells(self) -> tuple[str, ...]:
        return (
            self.date,
            self.run_id,
            str(self.requests),
            str(self.failures),
            f"{self.p50_ms} ms",
            f"{self.p95_ms} ms",
            f"{self.rps:.1f}",
            self.compare,
            self.validation,
            self.marks,
        )


def history_change_points(
    records: Sequence[Record], *, min_percent: float = JudgeSettings.min_percent
) -> tuple[ChangePoint, ...]:
    """The totals' level shifts across `records` (oldest first), each at the run it starts at, with
    the judge's statistics and percentages for that run (`shifts_as_judged`); `min_percent` is the
    judge's (its threshold file's `min_percent`). The history table and the HTML chart mark them."""
    found = shifts_as_judged(records, min_magnitude=min_percent / 100.0)
    return tuple(sorted(found, key=lambda point: (point.timestamp, point.statistic)))


def history_rows(
    runs: Sequence[HistoryRun], change_points: Sequence[ChangePoint] = ()
) -> list[HistoryRow]:
    """The rows of the history table, in the order of `runs` (oldest first)."""
    changes: dict[tuple[int, str | None], list[str]] = {}
    for point in change_points:
        moved = format_change(point.before, point.after)
        changes.setdefault((point.timestamp, point.run_id), []).append(
            f"change: {stat_label(point.statistic)} {moved}"
        )
    rows = []
    for run in runs:
        record = run.record
        totals = record.totals
        marks = (["this run"] if run.is_current else []) + (["baseline"] if run.is_baseline else [])
        marks += changes.get((record.metadata.timestamp, record.run_id), [])
        marks += [acceptance_mark(acceptance) for acceptance in run.acceptances]
        if record.inconclusive is not None:
            marks.append(f"inconclusive: {record.inconclusive} (never a baseline)")
        rows.append(
            HistoryRow(
                date=iso_utc(record.metadata.timestamp),
                run_id=record.run_id or "-",
                requests=totals.num_requests,
                failures=totals.num_failures,
                p50_ms=int(totals.response_time_percentiles.get("0.5", 0)),
                p95_ms=int(totals.response_time_percentiles.get("0.95", 0)),
                rps=totals.total_reqs_per_second,
                compare=record.metadata.compare_result.value,
                validation=record.metadata.validation_result.value,
                marks=", ".join(marks),
            )
        )
    return rows


def format_history_table(rows: Sequence[HistoryRow]) -> str:
    """An aligned plain-text table under a header line; numbers right-aligned."""
    table = [HISTORY_COLUMNS] + [row.cells() for row in rows]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(HISTORY_COLUMNS))]
    right = {2, 3, 4, 5, 6}
    lines = [
        "  ".join(
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i]) for i, cell in enumerate(cells)
        ).rstrip()
        for cells in table
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
