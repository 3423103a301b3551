from __future__ import annotations

from pytest_bfd_locust.history import format_history_table, history_rows
from pytest_bfd_locust.report_model import ChangePointMark, history_runs
from tests.report_factory import START, run_record


def test_rows_are_oldest_first_with_iso_dates_and_marks() -> None:
    records = [run_record(i, 10 + i) for i in range(3)]
    runs = history_runs(list(reversed(records)), current=records[2], baseline_records=[records[1]])
    point = ChangePointMark("run001", START + 3600, "0.95", "totals", 20.0, 26.0)
    rows = history_rows(runs, [point])
    assert [row.run_id for row in rows] == ["run000", "run001", "run002"]
    assert rows[0].date == "2026-09-21T14:13:20Z"
    assert rows[1].marks == "baseline, change: p95 +30 %"
    assert rows[2].marks == "this run"
    assert (rows[2].p50_ms, rows[2].requests, rows[2].compare) == (12, 100, "NOT_APPLICABLE")


def test_table_is_aligned_under_its_header() -> None:
    rows = history_rows(history_runs([run_record(i, 10) for i in range(2)], current=None))
    lines = format_history_table(rows).splitlines()
    assert lines[0].split()[:5] == ["date", "(UTC)", "run", "id", "requests"]
    assert set(lines[1]) <= {"-", " "}
    assert len({line.index("2026") for line in lines[2:]}) == 1


def test_history_keeps_the_newest_runs_and_the_current_one_once() -> None:
    records = [run_record(i, 10) for i in range(25)]
    runs = history_runs(records, current=records[-1])
    assert len(runs) == 20 and runs[-1].is_current and runs[0].record.run_id == "run005"
