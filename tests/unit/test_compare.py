from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import RecordView, record_view
from pytest_bfd_locust.judge.thresholds import (
    BetterIf,
    Threshold,
    ThresholdError,
    ThresholdSet,
    load_thresholds,
    read_threshold_file,
)
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.record import TOTALS_NAME, ResultStatus
from tests.record_factory import make_record, make_task, make_totals

S, L = BetterIf.SMALLER, BetterIf.LARGER
PASS, WARN, FAIL = Verdict.PASS, Verdict.WARNING, Verdict.FAILURE


@pytest.mark.parametrize(
    ("name", "better_if", "min_delta", "baseline", "current", "ratio", "verdict"),
    [
        # SMALLER: current / baseline; warn 150, fail 200, both inclusive.
        ("num_failures", S, None, 100, 100, 100.0, PASS),
        ("num_failures", S, None, 100, 50, 50.0, PASS),
        ("num_failures", S, None, 100, 149, 149.0, PASS),
        ("num_failures", S, None, 100, 150, 150.0, WARN),
        ("num_failures", S, None, 100, 199.9, 199.9, WARN),
        ("num_failures", S, None, 100, 200, 200.0, FAIL),
        # Zeros: both 0 is unchanged; a zero divisor is an infinite ratio, not the seed's silent 0.
        ("num_failures", S, None, 0, 0, 100.0, PASS),
        ("num_failures", S, None, 0, 5, math.inf, FAIL),
        ("num_failures", S, None, 5, 0, 0.0, PASS),
        # LARGER: baseline / current.
        ("num_requests", L, None, 100, 100, 100.0, PASS),
        ("num_requests", L, None, 100, 200, 50.0, PASS),
        ("num_requests", L, None, 100, 80, 125.0, PASS),
        ("num_requests", L, None, 100, 66, 100 / 66 * 100, WARN),
        ("num_requests", L, None, 100, 50, 200.0, FAIL),
        ("num_requests", L, None, 100, 0, math.inf, FAIL),
        ("num_requests", L, None, 0, 0, 100.0, PASS),
        ("num_requests", L, None, 0, 100, 0.0, PASS),
        ("total_reqs_per_second", L, None, 0.0, 0.0, 100.0, PASS),
        # Response times without min_delta use 1 ms: a 0 -> 1 ms change is not a regression.
        ("median_response_time", S, None, 0, 1, math.inf, PASS),
        ("median_response_time", S, None, 0, 2, math.inf, FAIL),
        ("median_response_time", S, None, 1, 2, 200.0, PASS),
        ("median_response_time", S, None, 1, 3, 300.0, FAIL),
        ("average_response_time", S, None, 0.4, 1.4, 350.0, PASS),
        ("min_response_time", S, None, 0, 1, math.inf, PASS),
        ("max_response_time", S, None, 2, 4, 200.0, FAIL),
        ("0.95", S, None, 0, 1, math.inf, PASS),
        ("1.0", S, None, 0, 2, math.inf, FAIL),
        # An explicit min_delta replaces the default, in both directions and with zeros.
        ("median_response_time", S, 10.0, 5, 15, 300.0, PASS),
        ("median_response_time", S, 10.0, 5, 16, 320.0, FAIL),
        ("median_response_time", S, 0.0, 0, 1, math.inf, FAIL),
        ("num_requests", L, 5.0, 5, 0, math.inf, PASS),
        ("num_requests", L, 5.0, 10, 4, 250.0, FAIL),
        ("num_failures", S, 2.0, 0, 2, math.inf, PASS),
        ("num_failures", S, 2.0, 0, 3, math.inf, FAIL),
    ],
)
def test_ratio_and_verdict(
    name: str,
    better_if: BetterIf,
    min_delta: float | None,
    baseline: float,
    current: float,
    ratio: float,
    verdict: Verdict,
) -> None:
    rule = Threshold(name, better_if, warn_percent=150, fail_percent=200, min_delta=min_delta)
    assert rule.ratio(baseline, current) == pytest.approx(ratio)
    assert rule.verdict(baseline, current) is verdict


def test_thresholds_below_100_percent_apply_to_unchanged_values_outside_min_delta() -> None:
    # Without a min_delta the ratio alone decides, as in the seed: unchanged is 100%.
    strict = Threshold("num_failures", S, warn_percent=90, fail_percent=100)
    assert strict.verdict(10, 10) is FAIL
    # A response time has the 1 ms default, which covers "unchanged".
    assert Threshold("median_response_time", S, warn_percent=90, fail_percent=100).verdict(10, 10) is PASS


RULES = ThresholdSet(
    totals=(
        Threshold("num_requests", L, 150, 200),
        Threshold("median_response_time", S, 150, 200),
    ),
    tasks=(
        Threshold("median_response_time", S, 300, 500),
        Threshold("0.99", S, 300, 500),
    ),
)


def test_compare_totals_and_common_tasks_reports_one_sided_tasks() -> None:
    baseline = make_record(
        totals=make_totals(num_requests=1000, median_response_time=100),
        tasks=[
            make_task("/a", "GET", median_response_time=100, percentiles={"0.99": 200}),
            make_task("/a", "POST", median_response_time=100),
            make_task("/gone", "GET"),
        ],
    )
    current = make_record(
        totals=make_totals(num_requests=600, median_response_time=210),
        tasks=[
            make_task("/new", "GET"),
            make_task("/a", "POST", median_response_time=100),
            make_task("/a", "GET", median_response_time=300, percentiles={"0.99": 1000}),
        ],
    )
    result = compare(record_view(current), record_view(baseline), RULES)
    rows = [(r.scope, r.task, r.stat, r.baseline, r.current, r.verdict) for r in result.stats]
    assert rows == [
        ("totals", None, "num_requests", 1000.0, 600.0, WARN),
        ("totals", None, "median_response_time", 100.0, 210.0, FAIL),
        ("GET /a", ("/a", "GET"), "median_response_time", 100.0, 300.0, WARN),
        ("GET /a", ("/a", "GET"), "0.99", 200.0, 1000.0, FAIL),
        ("POST /a", ("/a", "POST"), "median_response_time", 100.0, 100.0, PASS),
        ("POST /a", ("/a", "POST"), "0.99", 100.0, 100.0, PASS),
    ]
    assert result.new_tasks == (("/new", "GET"),)
    assert result.missing_tasks == (("/gone", "GET"),)
    assert [r.stat for r in result.failures] == ["median_response_time", "0.99"]
    assert [r.scope for r in result.warnings] == ["totals", "GET /a"]
    assert result.failed
    assert result.result is ResultStatus.FAILED


def test_compare_passes_with_warnings_only_and_accepts_records_and_float_views() -> None:
    current = make_record(totals=make_totals(num_requests=600))
    averaged = RecordView(
        totals={"num_requests": 1000.0, "median_response_time": 100.0},
        tasks={("/v2/fhir/Patient", "GET"): {"median_response_time": 99.5}},
    )
    result = compare(current, averaged, RULES)
    assert [r.verdict for r in result.stats] == [WARN, PASS, PASS]
    assert not result.failed
    assert result.result is ResultStatus.PASSED
    # "0.99" is absent from the averaged task, so it is not compared rather than guessed.
    assert [r.stat for r in result.stats if r.task] == ["median_response_time"]


def test_record_view_reads_fields_and_percentiles() -> None:
    view = record_view(make_record(totals=make_totals(max_response_time=999, percentiles={"0.95": 321})))
    assert view.totals["max_response_time"] == 999.0
    assert view.totals["0.95"] == 321.0
    assert set(view.tasks) == {("/v2/fhir/Patient", "GET")}
    assert TOTALS_NAME not in {name for name, _ in view.tasks}


# --- the packaged default = the production values (+ min_delta) ----------------------------------

PRODUCTION = {
    "totals": [
        ("num_requests", "LARGER", 150, 200),
        ("median_response_time", "SMALLER", 150, 200),
        ("average_response_time", "SMALLER", 150, 200),
        ("min_response_time", "SMALLER", 2500, 5000),
        ("max_response_time", "SMALLER", 150, 500),
        ("total_reqs_per_second", "LARGER", 150, 200),
        ("0.9", "SMALLER", 300, 500),
        ("0.95", "SMALLER", 300, 500),
        ("0.98", "SMALLER", 300, 500),
        ("0.99", "SMALLER", 300, 500),
        ("0.999", "SMALLER", 300, 500),
        ("0.9999", "SMALLER", 300, 500),
        ("1.0", "SMALLER", 300, 500),
    ],
    "tasks": [
        ("num_requests", "LARGER", 200, 300),
        ("median_response_time", "SMALLER", 300, 500),
        ("average_response_time", "SMALLER", 200, 300),
        ("min_response_time", "SMALLER", 500, 1000),
        ("max_response_time", "SMALLER", 500, 1000),
        ("total_reqs_per_second", "LARGER", 150, 200),
        ("0.9", "SMALLER", 300, 500),
        ("0.95", "SMALLER", 300, 500),
        ("0.98", "SMALLER", 300, 500),
        ("0.99", "SMALLER", 500, 1000),
        ("0.999", "SMALLER", 500, 1000),
        ("0.9999", "SMALLER", 500, 1000),
        ("1.0", "SMALLER", 500, 1000),
    ],
}
"""The seed's regression_suites_compare_meta.json, as it runs in production."""


PACKAGED_BEFORE_THE_JUDGE_MIN_DELTA = {
    **dict.fromkeys(("median_response_time", "average_response_time", "min_response_time"), 10),
    **dict.fromkeys(("0.9", "0.95", "0.98"), 10),
    **dict.fromkeys(("0.99", "0.999", "0.9999", "1.0", "max_response_time"), 50),
}
"""The min_delta the packaged file had before the judge (bench/thresholds/packaged_before_judge.json)."""


def _production_file(min_delta: dict[str, float] | None = None) -> dict[str, Any]:
    deltas = min_delta or {}
    return {
        list_name: [
            {"name": n, "better_if": b, "warn_percent": w, "fail_percent": f}
            | ({"min_delta": deltas[n]} if n in deltas else {})
            for n, b, w, f in rules
        ]
        for list_name, rules in PRODUCTION.items()
    }


def test_the_file_packaged_before_the_judge_is_kept_for_the_benchmark() -> None:
    path = Path(__file__).parents[2] / "bench" / "thresholds" / "packaged_before_judge.json"
    before = json.loads(path.read_text())
    assert before == _production_file(min_delta=PACKAGED_BEFORE_THE_JUDGE_MIN_DELTA)


@pytest.mark.parametrize(
    ("list_name", "stat", "baseline", "current", "verdict"),
    [
        ("totals", "median_response_time", 100, 149, PASS),
        ("totals", "median_response_time", 100, 150, WARN),
        ("totals", "median_response_time", 100, 200, FAIL),
        ("tasks", "median_response_time", 100, 299, PASS),
        ("tasks", "median_response_time", 100, 300, WARN),
        ("tasks", "median_response_time", 100, 500, FAIL),
        ("totals", "num_requests", 1000, 600, WARN),
        ("totals", "num_requests", 1000, 500, FAIL),
        ("tasks", "num_requests", 1000, 400, WARN),
        ("totals", "min_response_time", 1, 25, WARN),
        ("totals", "min_response_time", 1, 50, FAIL),
        ("tasks", "1.0", 1000, 9999, WARN),
        ("tasks", "1.0", 1000, 10000, FAIL),
        ("totals", "0.99", 0, 1, PASS),
        ("totals", "0.99", 0, 2, FAIL),
    ],
)
def test_production_thresholds_give_the_expected_verdicts(
    list_name: str, stat: str, baseline: float, current: float, verdict: Verdict
) -> None:
    rules = load_thresholds(_production_file(), "regression_suites_compare_meta.json")
    rule = next(r for r in getattr(rules, list_name) if r.name == stat)
    assert rule.verdict(baseline, current) is verdict


@pytest.mark.parametrize(
    ("list_name", "stat", "baseline", "current", "verdict"),
    [
        # min_delta 10 ms on central statistics: fast local targets jitter by a few ms.
        ("totals", "median_response_time", 2, 12, PASS),
        ("totals", "median_response_time", 2, 13, FAIL),
        ("totals", "min_response_time", 1, 11, PASS),
        # min_delta 50 ms on the tail, which rests on a handful of requests.
        ("tasks", "1.0", 10, 60, PASS),
        ("tasks", "1.0", 10, 100, FAIL),
        ("totals", "max_response_time", 20, 70, PASS),
        # Production-sized values are judged by the ratio alone.
        ("totals", "median_response_time", 300, 600, FAIL),
        ("tasks", "0.99", 800, 4000, WARN),
        ("totals", "num_requests", 1000, 500, FAIL),
    ],
)
def test_production_ratios_with_min_delta_verdicts(
    list_name: str, stat: str, baseline: float, current: float, verdict: Verdict
) -> None:
    """The file packaged before the judge (production ratios plus min_delta): fixed ratios still."""
    rules = load_thresholds(_production_file(min_delta=PACKAGED_BEFORE_THE_JUDGE_MIN_DELTA), "before.json")
    assert rules.judge is None
    rule = next(r for r in getattr(rules, list_name) if r.name == stat)
    assert isinstance(rule, Threshold)
    assert rule.verdict(baseline, current) is verdict


# --- bad threshold files --------------------------------------------------------------------------


def _entry(**fields: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": "num_requests",
        "better_if": "LARGER",
        "warn_percent": 150,
        "fail_percent": 200,
    }
    entry.update(fields)
    return {key: value for key, value in entry.items() if value is not _DROP}


_DROP = object()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "meta.json: expected an object with 'totals' and 'tasks' lists, got list"),
        ({"totals": []}, "meta.json: tasks: expected a list of thresholds, got null"),
        ({"totals": {}, "tasks": []}, "meta.json: totals: expected a list of thresholds, got dict"),
        ({"totals": [], "tasks": [], "task": []}, "meta.json: unknown key 'task'"),
        ({"totals": [1], "tasks": []}, "meta.json: totals[0]: expected an object, got int"),
        (
            {"totals": [], "tasks": [_entry(), _entry(name=_DROP)]},
            "meta.json: tasks[1]: name: expected a string, got None",
        ),
        (
            {"totals": [], "tasks": [_entry(name="p95")]},
            "meta.json: tasks[0]: name: 'p95' is not a statistic",
        ),
        (
            {"totals": [_entry(better_if="BIGGER")], "tasks": []},
            "meta.json: totals[0] ('num_requests'): better_if: expected SMALLER or LARGER, got 'BIGGER'",
        ),
        (
            {"totals": [_entry(warn_percent="150")], "tasks": []},
            "meta.json: totals[0] ('num_requests'): warn_percent: expected a number of percent > 0,"
            " got '150'",
        ),
        (
            {"totals": [], "tasks": [_entry(fail_percent=True)]},
            "meta.json: tasks[0] ('num_requests'): fail_percent: expected a number of percent > 0, got True",
        ),
        (
            {"totals": [_entry(fail_percent=0)], "tasks": []},
            "totals[0] ('num_requests'): fail_percent: expected a number",
        ),
        (
            {"totals": [_entry(warn_percent=_DROP)], "tasks": []},
            "totals[0] ('num_requests'): warn_percent: expected",
        ),
        (
            {"totals": [_entry(warn_percent=300, fail_percent=200)], "tasks": []},
            "meta.json: totals[0] ('num_requests'): warn_percent: 300 is above fail_percent 200",
        ),
        (
            {"totals": [_entry(min_delta=-1)], "tasks": []},
            "meta.json: totals[0] ('num_requests'): min_delta: expected a number >= 0 or null, got -1",
        ),
        (
            {"totals": [_entry(min_delta="5")], "tasks": []},
            "min_delta: expected a number >= 0 or null, got '5'",
        ),
        (
            {"totals": [_entry(warn_pct=1)], "tasks": []},
            "meta.json: totals[0] ('num_requests'): unknown field 'warn_pct'",
        ),
        (
            {"totals": [_entry(), _entry()], "tasks": []},
            "meta.json: totals[1] ('num_requests'): name: 'num_requests' is listed twice",
        ),
    ],
)
def test_bad_threshold_data_names_file_list_entry_and_field(data: object, message: str) -> None:
    with pytest.raises(ThresholdError) as raised:
        load_thresholds(data, "meta.json")
    assert message in str(raised.value)


def test_min_delta_null_means_the_default() -> None:
    rules = load_thresholds(
        {"totals": [_entry(name="0.5", better_if="SMALLER", min_delta=None)], "tasks": []}, "m"
    )
    assert rules.totals[0].min_delta is None
    assert rules.totals[0].effective_min_delta == 1.0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read the threshold file"),
        ("{not json", "not JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        (json.dumps({"totals": [], "tasks": [{"name": "x"}]}), "tasks[0]: name: 'x' is not a statistic"),
    ],
)
def test_read_threshold_file_errors_name_the_file(tmp_path: Path, content: str | None, message: str) -> None:
    path = tmp_path / "thresholds.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ThresholdError) as raised:
        read_threshold_file(path)
    assert str(raised.value).startswith(f"{path}: ")
    assert message in str(raised.value)
