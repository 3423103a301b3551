"""Threshold files that would make the judge unable to fail or to measure the noise are refused,
naming the file and the key (issue 19): each case here loaded silently before."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_bfd_locust.judge.thresholds import ThresholdError, load_thresholds

RPS = {"name": "total_reqs_per_second", "better_if": "LARGER"}
MEDIAN = {"name": "median_response_time", "better_if": "SMALLER"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"judge": {"min_percent": 100000}, "totals": [MEDIAN], "tasks": []},
            "t.json: judge: min_percent: 100000 % means only a statistic more than 1001 times worse could"
            " fail; expected at most 1000",
        ),
        (
            {"judge": {}, "totals": [{**MEDIAN, "min_percent": 5000}], "tasks": []},
            "t.json: totals[0] ('median_response_time'): min_percent: 5000 % means only a statistic more"
            " than 51 times worse could fail; expected at most 1000",
        ),
        (
            # Issue 17 retired min_history (the prior is refined from the first run on): the key is
            # refused naming what replaced it, so a history too short for it cannot be set either.
            {"judge": {"history": 3, "min_history": 10}, "totals": [], "tasks": []},
            "t.json: judge: min_history: no longer used",
        ),
        (
            {"judge": {"min_percent": 100}, "totals": [MEDIAN], "tasks": [RPS]},
            "t.json: tasks[0] ('total_reqs_per_second'): min_percent (the judge's) 100 % can never be"
            " reached: a statistic better if LARGER is at most 100 % worse (it falls to 0)",
        ),
        (
            {"judge": {}, "totals": [{**RPS, "min_percent": 150}], "tasks": []},
            "t.json: totals[0] ('total_reqs_per_second'): min_percent 150 % can never be reached",
        ),
    ],
)
def test_a_judge_that_could_never_fail_or_never_measure_is_refused(
    data: dict[str, Any], message: str
) -> None:
    with pytest.raises(ThresholdError) as raised:
        load_thresholds(data, "t.json")
    assert str(raised.value).startswith(message)


def test_the_limits_still_accept_a_strict_and_a_lenient_judge() -> None:
    lenient = load_thresholds(
        {"judge": {"min_percent": 1000, "history": 5}, "totals": [MEDIAN], "tasks": []},
        "t.json",
    )
    assert lenient.judge is not None and lenient.judge.min_percent == 1000
    with_rps = load_thresholds({"judge": {"min_percent": 99}, "totals": [RPS], "tasks": []}, "t.json")
    assert with_rps.judge is not None and with_rps.judge.min_percent == 99
