from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from pytest_bfd_locust.judge.baseline import (
    BaselineKind,
    BaselineQuery,
    average_baseline,
    build_baseline,
    is_eligible,
    newest_level,
    previous_baseline,
    select_eligible,
)
from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import record_view
from pytest_bfd_locust.judge.thresholds import BetterIf, Threshold, ThresholdSet
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.record import Record, ResultStatus, TaskStats
from tests.record_factory import DEFAULT_HASH, make_record, make_task, make_totals

QUERY = BaselineQuery(hash=DEFAULT_HASH, tag="default", total_runtime=30.0, limit=5)


@pytest.mark.parametrize(
    ("overrides", "eligible"),
    [
        ({}, True),
        ({"tags": ("nightly", "default")}, True),
        ({"tags": ("nightly",)}, False),
        ({"tags": ()}, False),
        ({"hash": "b" * 64}, False),
        ({"compare_result": ResultStatus.PASSED}, True),
        ({"compare_result": ResultStatus.FAILED}, False),
        ({"validation_result": ResultStatus.PASSED}, True),
        ({"validation_result": ResultStatus.FAILED}, False),
        ({"total_runtime": 32.9}, True),
        ({"total_runtime": 27.1}, True),
        ({"total_runtime": 33.0}, False),
        ({"total_runtime": 27.0}, False),
        # The seed only rejected baselines that ran longer; a much shorter one is as incomparable.
        ({"total_runtime": 10.0}, False),
    ],
)
def test_is_eligible(overrides: dict[str, Any], eligible: bool) -> None:
    assert is_eligible(make_record(**overrides), QUERY) is eligible


def test_select_eligible_orders_newest_first_and_drops_ineligible() -> None:
    records = [
        make_record(timestamp=100, run_id="a"),
        make_record(timestamp=300, run_id="b"),
        make_record(timestamp=400, run_id="c", compare_result=ResultStatus.FAILED),
        make_record(timestamp=200, run_id="d"),
    ]
    assert [r.run_id for r in select_eligible(records, QUERY)] == ["b", "d", "a"]


def test_select_eligible_breaks_timestamp_ties_by_run_id_whatever_the_input_order() -> None:
    same_second = [make_record(timestamp=100, run_id=run_id) for run_id in ("m", "z", "a")]
    expected = ["z", "m", "a"]
    assert [r.run_id for r in select_eligible(same_second, QUERY)] == expected
    assert [r.run_id for r in select_eligible(reversed(same_second), QUERY)] == expected


@pytest.mark.parametrize(
    ("limit", "expected"), [(1, ["7"]), (3, ["7", "6", "5"]), (10, list("7654321")), (0, [])]
)
def test_select_eligible_honours_the_load_limit(limit: int, expected: list[str]) -> None:
    records = [make_record(timestamp=ts, run_id=str(ts)) for ts in range(1, 8)]
    query = BaselineQuery(hash=DEFAULT_HASH, tag="default", total_runtime=30.0, limit=limit)
    assert [r.run_id for r in select_eligible(records, query)] == expected


# --- previous and average ---------------------------------------------------------------------

GET_A = ("/a", "GET")
POST_B = ("/b", "POST")


def _without_percentile(task: TaskStats, key: str) -> TaskStats:
    percentiles = {k: v for k, v in task.response_time_percentiles.items() if k != key}
    return replace(task, response_time_percentiles=percentiles)


def test_previous_baseline_is_the_newest_record_as_stored() -> None:
    newest = make_record(timestamp=200, run_id="new", totals=make_totals(median_response_time=123))
    baseline = previous_baseline([newest, make_record(timestamp=100)])
    assert baseline is not None
    assert baseline.kind is BaselineKind.PREVIOUS
    assert baseline.records == (newest,)
    assert baseline.totals["median_response_time"] == 123.0
    assert baseline.tasks == record_view(newest).tasks
    assert baseline.describe() == "previous run of 1970-01-01T00:03:20Z (run new)"


@pytest.mark.parametrize("kind", list(BaselineKind))
def test_no_records_no_baseline(kind: BaselineKind) -> None:
    assert build_baseline(kind, []) is None


def test_average_baseline_against_a_hand_computation() -> None:
    records = [
        make_record(
            timestamp=300,
            totals=make_totals(
                num_requests=100,
                median_response_time=100,
                average_response_time=110.0,
                total_reqs_per_second=10.0,
                percentiles={"0.95": 200},
            ),
            tasks=[
                make_task(*GET_A, median_response_time=100, min_response_time=10, percentiles={"0.95": 200})
            ],
        ),
        make_record(
            timestamp=200,
            totals=make_totals(
                num_requests=200,
                median_response_time=200,
                average_response_time=121.0,
                total_reqs_per_second=20.0,
                percentiles={"0.95": 400},
            ),
            tasks=[
                make_task(*GET_A, median_response_time=300, min_response_time=20, percentiles={"0.95": 400}),
                make_task(*POST_B, median_response_time=50),
            ],
        ),
        make_record(
            timestamp=100,
            totals=make_totals(
                num_requests=600,
                median_response_time=300,
                average_response_time=132.5,
                total_reqs_per_second=30.0,
                percentiles={"0.95": 900},
            ),
            tasks=[
                _without_percentile(
                    make_task(
                        *GET_A, median_response_time=200, min_response_time=33, percentiles={"0.95": 600}
                    ),
                    "1.0",
                )
            ],
        ),
    ]
    baseline = average_baseline(records)
    assert baseline is not None
    assert baseline.kind is BaselineKind.AVERAGE
    assert baseline.describe() == "average of 3 runs"
    assert baseline.totals["num_requests"] == pytest.approx(300.0)  # (100 + 200 + 600) / 3
    assert baseline.totals["median_response_time"] == pytest.approx(200.0)
    assert baseline.totals["average_response_time"] == pytest.approx(121.1666667)  # 363.5 / 3
    assert baseline.totals["total_reqs_per_second"] == pytest.approx(20.0)
    assert baseline.totals["0.95"] == pytest.approx(500.0)  # (200 + 400 + 900) / 3
    assert set(baseline.tasks) == {GET_A, POST_B}
    task_a = baseline.tasks[GET_A]
    assert task_a["median_response_time"] == pytest.approx(200.0)
    assert task_a["min_response_time"] == pytest.approx(21.0)  # (10 + 20 + 33) / 3
    assert task_a["0.95"] == pytest.approx(400.0)
    # The seed's rule: percentiles over the keys all records have; a task over the records that have it.
    assert "1.0" not in task_a
    assert baseline.tasks[POST_B]["median_response_time"] == 50.0


def test_average_of_measured_runs_is_the_median_of_their_values() -> None:
    """Issue 17: an average baseline describes a run. Merging histograms let one slow run's
    requests make a median of 2 ms beside an average of 14.2 ms; the runs' own values do not."""
    fast = [
        make_task(
            *GET_A,
            num_requests=300,
            min_response_time=1,
            max_response_time=9,
            average_response_time=2.1 + index / 10,
            median_response_time=2,
            percentiles={"0.5": 2, "0.9": 4 + index},
        )
        for index in range(4)
    ]
    slow = make_task(
        *GET_A,
        num_requests=300,
        min_response_time=1,
        max_response_time=900,
        average_response_time=60.0,
        median_response_time=55,
        percentiles={"0.5": 55, "0.9": 120},
    )
    tasks = [*fast[:2], slow, *fast[2:]]  # one unusual run amid four usual ones, not a level
    records = [
        make_record(timestamp=100 + index, tasks=[task], histograms={GET_A: {2: 299, 9: 1}})
        for index, task in enumerate(tasks)
    ]
    baseline = average_baseline(records)
    assert baseline is not None
    values = baseline.tasks[GET_A]
    for name in ("average_response_time", "median_response_time", "0.5", "0.9", "max_response_time"):
        stored = [task.stat(name) for task in tasks]
        assert values[name] == pytest.approx(float(np.median(stored))), name
    assert values["average_response_time"] == pytest.approx(2.3)  # the mean of the runs: 13.8
    assert values["median_response_time"] == 2.0


def test_average_falls_back_to_the_mean_when_one_record_lacks_the_histogram() -> None:
    records = [
        make_record(tasks=[make_task(*GET_A, percentiles={"0.9": 20})], histograms={GET_A: {10: 100}}),
        make_record(tasks=[make_task(*GET_A, percentiles={"0.9": 40})]),
        make_record(tasks=[make_task(*GET_A, percentiles={"0.9": 90})], histograms={GET_A: {10: 100}}),
    ]
    baseline = average_baseline(records)
    assert baseline is not None
    assert baseline.tasks[GET_A]["0.9"] == 50.0  # the seed's mean, not the median 40


def test_an_average_baseline_is_compared_like_a_record() -> None:
    rules = ThresholdSet(totals=(Threshold("num_requests", BetterIf.LARGER, 150, 200),), tasks=())
    baseline = average_baseline([make_record(totals=make_totals(num_requests=n)) for n in (900, 1100)])
    assert baseline is not None
    comparison = compare(make_record(totals=make_totals(num_requests=500)), baseline, rules)
    (row,) = comparison.stats
    assert (row.baseline, row.current, row.ratio, row.verdict) == (1000.0, 500.0, 200.0, Verdict.FAILURE)


def test_an_average_of_measured_runs_starts_at_their_newest_level() -> None:
    """Four runs at 120 ms, then a fix at 40 ms: the average is the fix's level, not a mix."""
    def measured(index: int, median: int) -> Record:
        task = make_task(*GET_A, median_response_time=median, percentiles={"0.95": median + 5})
        return make_record(timestamp=100 + index, tasks=[task], histograms={GET_A: {median: 100}})

    slow = [measured(index, 120 + index % 2) for index in range(4)]
    records = [measured(9, 40), *reversed(slow)]  # newest first
    assert newest_level(records) == (records[0],)
    baseline = average_baseline(records)
    assert baseline is not None
    assert baseline.records == (records[0],)
    assert baseline.tasks[GET_A]["median_response_time"] == 40.0
    assert newest_level(list(reversed(slow))) == tuple(reversed(slow))
