from __future__ import annotations

import re

from pytest_bfd_locust.judge.changepoints import ChangePoint, current_segments
from pytest_bfd_locust.judge.thresholds import JudgeSettings
from pytest_bfd_locust.reports.history import (
    HISTORY_COLUMNS,
    format_history_table,
    history_change_points,
    history_rows,
)
from pytest_bfd_locust.reports.model import history_runs
from pytest_bfd_locust.reports.terminal import format_change_point
from tests.report_factory import START, run_record


def test_rows_are_oldest_first_with_iso_dates_and_marks() -> None:
    records = [run_record(i, 10 + i) for i in range(3)]
    runs = history_runs(list(reversed(records)), current=records[2], baseline_records=[records[1]])
    point = ChangePoint("run001", START + 3600, "0.95", "totals", 20.0, 26.0, pvalue=1e-6)
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


def test_history_change_points_mark_a_planted_level_shift() -> None:
    # The totals' percentiles scale with a base of ~20 ms for ten runs, then ~30 ms for ten more.
    wobble = [0.0, 0.4, -0.3, 0.2, -0.1, 0.3, -0.4, 0.1, -0.2, 0.0]
    records = [run_record(i, 20 + wobble[i % 10] + (10 if i >= 10 else 0)) for i in range(20)]
    points = history_change_points(records)
    by_statistic = {point.statistic: point for point in points}
    assert by_statistic["0.95"].run_id == "run010"
    assert 1.4 < by_statistic["0.95"].after / by_statistic["0.95"].before < 1.6  # 20 -> 30 ms: +50 %
    assert by_statistic["0.95"].pvalue < 0.001
    runs = history_runs(list(reversed(records)), current=records[-1], baseline_records=[records[-2]])
    rows = history_rows(runs, points)
    assert "change: p95 +" in rows[10].marks
    assert not any("change" in row.marks for row in rows[:10] + rows[11:])


def test_history_change_points_find_nothing_in_a_steady_history() -> None:
    wobble = [0.0, 0.4, -0.3, 0.2, -0.1, 0.3, -0.4, 0.1, -0.2, 0.0]
    assert history_change_points([run_record(i, 20 + wobble[i % 10]) for i in range(20)]) == ()


def test_every_history_column_has_a_header_and_a_rule() -> None:
    """Issue 19: the last column (this run, baseline, change points) had no header."""
    header, rule = format_history_table([]).splitlines()
    assert header.split()[-1] == "notes"
    assert len(rule) == len(header) and rule.split() == ["-" * len(name) for name in HISTORY_COLUMNS]


def test_a_level_shift_in_the_history_says_what_the_judge_said_of_that_run() -> None:
    """Issue 19: the history's percentages differed from the judge's for the same run (means over
    runs that came after it, and p50 where the judge reads the median)."""
    wobble = [0.0, 1.0, 2.0, 1.0, 0.0, 2.0, 1.0, 0.0, 2.0, 1.0]
    later = [0.0, 3.0, 1.0, 2.0, 3.0, 0.0]
    records = [run_record(i, 10 + wobble[i]) for i in range(10)]
    records += [run_record(10 + i, 30 + extra) for i, extra in enumerate(later)]
    # What the judge printed when it judged run010 (suite_run.judge_run's call, default min_percent)
    judged = [
        format_change_point(point, "run010")
        for point in current_segments(records[:11], min_magnitude=JudgeSettings.min_percent / 100)
        if point.scope == "totals" and point.run_id == "run010"
    ]
    assert judged
    rows = history_rows(history_runs(records, current=None), history_change_points(records))
    marks = rows[10].marks.split(", ")
    assert sorted(marks) == sorted(
        "change: " + re.search(r"` (\S+) .*\((\S+ %)\) since this run", line).expand(r"\1 \2")  # type: ignore[union-attr]
        for line in judged
    )
    assert not any(row.marks for row in rows[:10] + rows[11:])
