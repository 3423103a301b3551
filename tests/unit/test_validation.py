"""Validation of one run against its own rules (SPEC §9)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from pytest_bfd_locust.judge.sla import SlaRules
from pytest_bfd_locust.judge.validation import (
    SLA_PERCENTILES,
    ValidationFailure,
    ValidationRules,
    validate,
    validation_status,
)
from pytest_bfd_locust.record import Record, ResultStatus
from tests.record_factory import make_record, make_totals


def _record(
    num_requests: int = 100, num_failures: int = 0, percentiles: Mapping[str, int] | None = None
) -> Record:
    totals = make_totals(num_requests=num_requests, num_failures=num_failures, percentiles=percentiles)
    return make_record(totals=totals)


@pytest.mark.parametrize(
    ("num_requests", "num_failures", "max_fail_ratio", "fails"),
    [
        (100, 0, 0.0, False),
        (100, 1, 0.0, True),
        (100, 5, 0.05, False),  # at the limit
        (100, 6, 0.05, True),  # over
        (100, 4, 0.05, False),  # under
        (1000, 51, 0.05, True),
        (3, 1, 0.5, False),
        (4, 4, 1.0, False),
        (7, 7, 0.99, True),
    ],
)
def test_fail_ratio(num_requests: int, num_failures: int, max_fail_ratio: float, fails: bool) -> None:
    failures = validate(_record(num_requests, num_failures), ValidationRules(max_fail_ratio=max_fail_ratio))
    assert [f.rule for f in failures] == (["fail ratio"] if fails else [])


@pytest.mark.parametrize(
    ("sla", "measured", "limit", "fails"),
    [
        ("p50", 200, 200, False),
        ("p50", 201, 200, True),
        ("p50", 199, 200, False),
        ("p95", 500, 500, False),
        ("p95", 501, 500, True),
        ("p99", 1000, 1000, False),
        ("p99", 1001, 1000, True),
        ("p99", 0, 1, False),
    ],
)
def test_sla_percentile(sla: str, measured: int, limit: int, fails: bool) -> None:
    percentiles = {key: 1 for key in SLA_PERCENTILES.values()}
    percentiles[SLA_PERCENTILES[sla]] = measured
    failures = validate(_record(percentiles=percentiles), ValidationRules(sla=SlaRules(totals={sla: limit})))
    assert [f.rule for f in failures] == ([f"SLA {sla}"] if fails else [])


@pytest.mark.parametrize(("sla", "key"), [("p50", "0.5"), ("p95", "0.95"), ("p99", "0.99")])
def test_sla_reads_its_own_percentile(sla: str, key: str) -> None:
    # Only the named percentile is over the limit: the rule must look at that one and no other.
    percentiles = {"0.5": 10, "0.95": 10, "0.99": 10, key: 999}
    rules = ValidationRules(sla=SlaRules(totals={"p50": 100, "p95": 100, "p99": 100}))
    failures = validate(_record(percentiles=percentiles), rules)
    assert [(f.rule, f.measured, f.limit) for f in failures] == [(f"SLA {sla}", "999 ms", "100 ms")]


def test_zero_requests_is_the_only_failure_reported() -> None:
    record = _record(num_requests=0, num_failures=0, percentiles={"0.5": 900, "0.95": 900, "0.99": 900})
    rules = ValidationRules(max_fail_ratio=0.0, sla=SlaRules(totals={"p50": 1, "p95": 1, "p99": 1}))
    failures = validate(record, rules)
    assert failures == (ValidationFailure("requests", "at least 1 request", "0 requests"),)
    assert str(failures[0]) == "requests: measured 0 requests, limit at least 1 request"


def test_failsafe_abort_with_zero_requests_reports_both() -> None:
    failures = validate(_record(num_requests=0), ValidationRules(), abort_reason="average 12000 ms")
    assert [f.rule for f in failures] == ["failsafe", "requests"]


def test_failsafe_abort_reason() -> None:
    failures = validate(_record(), ValidationRules(failsafe_avg_ms=2500.0), abort_reason="average 3100 ms")
    assert failures == (
        ValidationFailure("failsafe", "average response time <= 2500 ms", "run aborted (average 3100 ms)"),
    )
    assert str(failures[0]) == (
        "failsafe: measured run aborted (average 3100 ms), limit average response time <= 2500 ms"
    )


@pytest.mark.parametrize("abort_reason", [None, ""])
def test_no_abort_reason_is_no_failsafe_failure(abort_reason: str | None) -> None:
    assert validate(_record(), ValidationRules(), abort_reason=abort_reason) == ()


def test_several_failures_in_a_stable_order() -> None:
    record = _record(num_requests=200, num_failures=30, percentiles={"0.5": 300, "0.95": 900, "0.99": 2000})
    rules = ValidationRules(max_fail_ratio=0.1, sla=SlaRules(totals={"p50": 250, "p95": 1000, "p99": 1500}))
    failures = validate(record, rules, abort_reason="average 11000 ms")
    assert [str(f) for f in failures] == [
        "failsafe: measured run aborted (average 11000 ms), limit average response time <= 10000 ms",
        "fail ratio: measured 0.15 (30 of 200 requests failed), limit max_fail_ratio 0.1",
        "SLA p50: measured 300 ms, limit 250 ms",
        "SLA p99: measured 2000 ms, limit 1500 ms",
    ]


@pytest.mark.parametrize(
    ("num_requests", "num_failures", "max_fail_ratio", "text"),
    [
        (100, 6, 0.05, "fail ratio: measured 0.06 (6 of 100 requests failed), limit max_fail_ratio 0.05"),
        (3, 1, 0.0, "fail ratio: measured 0.3333 (1 of 3 requests failed), limit max_fail_ratio 0"),
        (8, 8, 0.5, "fail ratio: measured 1 (8 of 8 requests failed), limit max_fail_ratio 0.5"),
    ],
)
def test_fail_ratio_message(num_requests: int, num_failures: int, max_fail_ratio: float, text: str) -> None:
    (failure,) = validate(_record(num_requests, num_failures), ValidationRules(max_fail_ratio=max_fail_ratio))
    assert str(failure) == text


def test_passing_run_has_no_failures() -> None:
    rules = ValidationRules(max_fail_ratio=0.01, sla=SlaRules(totals={"p50": 100, "p95": 100, "p99": 100}))
    assert validate(_record(num_requests=100, num_failures=1), rules) == ()


@pytest.mark.parametrize(
    ("failures", "status"),
    [
        ((), ResultStatus.PASSED),
        ((ValidationFailure("requests", "at least 1 request", "0 requests"),), ResultStatus.FAILED),
        (
            (
                ValidationFailure("SLA p50", "1 ms", "2 ms"),
                ValidationFailure("SLA p95", "1 ms", "2 ms"),
            ),
            ResultStatus.FAILED,
        ),
    ],
)
def test_validation_status(failures: tuple[ValidationFailure, ...], status: ResultStatus) -> None:
    assert validation_status(failures) is status
