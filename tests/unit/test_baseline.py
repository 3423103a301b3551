from __future__ import annotations

from typing import Any

import pytest

from pytest_bfd_locust.baseline import is_eligible, select_eligible
from pytest_bfd_locust.record import ResultStatus
from pytest_bfd_locust.stores import BaselineQuery
from tests.record_factory import DEFAULT_HASH, make_record

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


@pytest.mark.parametrize(("limit", "expected"), [(1, ["7"]), (3, ["7", "6", "5"]), (10, list("7654321")), (0, [])])
def test_select_eligible_honours_the_load_limit(limit: int, expected: list[str]) -> None:
    records = [make_record(timestamp=ts, run_id=str(ts)) for ts in range(1, 8)]
    query = BaselineQuery(hash=DEFAULT_HASH, tag="default", total_runtime=30.0, limit=limit)
    assert [r.run_id for r in select_eligible(records, query)] == expected
