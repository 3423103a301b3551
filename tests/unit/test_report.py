from __future__ import annotations

import math

import pytest

from pytest_bfd_locust.compare import (
    BetterIf,
    Comparison,
    StatComparison,
    Threshold,
    Verdict,
    compare_stat,
)
from pytest_bfd_locust.report import (
    format_comparison_table,
    format_endpoint_changes,
    format_ratio,
    format_summary_lines,
    format_threshold,
    format_value,
)

MEDIAN = Threshold("median_response_time", BetterIf.SMALLER, 150, 200)
REQUESTS = Threshold("num_requests", BetterIf.LARGER, 150, 200)
P99 = Threshold("0.99", BetterIf.SMALLER, 300, 500, min_delta=50)


def _row(scope: str, rule: Threshold, baseline: float, current: float) -> StatComparison:
    task = None if scope == "totals" else (scope.split(" ", 1)[1], scope.split(" ", 1)[0])
    return compare_stat(rule, baseline, current, scope=scope, task=task)


FAILED = _row("totals", MEDIAN, 100, 250)
WARNED = _row("GET /a", REQUESTS, 1000, 600)
PASSED = _row("GET /a", P99, 0, 40)
INFINITE = _row("totals", MEDIAN, 0, 5)


@pytest.mark.parametrize(
    ("value", "text"), [(100.0, "100"), (0.0, "0"), (123.456, "123.46"), (0.5, "0.50"), (math.inf, "inf")]
)
def test_format_value(value: float, text: str) -> None:
    assert format_value(value) == text


@pytest.mark.parametrize(("ratio", "text"), [(100.0, "100.0%"), (166.6666, "166.7%"), (math.inf, "inf")])
def test_format_ratio(ratio: float, text: str) -> None:
    assert format_ratio(ratio) == text


@pytest.mark.parametrize(
    ("row", "text"),
    [
        (FAILED, "warn 150% fail 200% min_delta 1"),  # the response-time default
        (WARNED, "warn 150% fail 200%"),
        (PASSED, "warn 300% fail 500% min_delta 50"),
    ],
)
def test_format_threshold(row: StatComparison, text: str) -> None:
    assert format_threshold(row) == text


EXPECTED_TABLE = """\
scope   statistic  baseline  current  change   ratio  threshold                         result
------  ---------  --------  -------  ------  ------  --------------------------------  -------
totals  median          100      250  +150 %  250.0%  warn 150% fail 200% min_delta 1   FAILURE
GET /a  requests       1000      600   -40 %  166.7%  warn 150% fail 200%               WARNING
GET /a  p99               0       40  from 0     inf  warn 300% fail 500% min_delta 50  PASS
totals  median            0        5  from 0     inf  warn 150% fail 200% min_delta 1   FAILURE"""


def test_comparison_table_is_aligned_with_inf_ratios() -> None:
    assert format_comparison_table([FAILED, WARNED, PASSED, INFINITE]) == EXPECTED_TABLE


def test_empty_table_is_the_header() -> None:
    assert format_comparison_table([]).splitlines()[0].split() == [
        "scope",
        "statistic",
        "baseline",
        "current",
        "change",
        "ratio",
        "threshold",
        "result",
    ]


COMPARISON = Comparison(
    stats=(FAILED, WARNED, PASSED),
    new_tasks=(("/v2/fhir/Coverage", "GET"),),
    missing_tasks=(("/health", ""),),
)


def test_summary_lists_non_pass_rows_and_endpoint_changes() -> None:
    assert format_summary_lines(COMPARISON) == [
        "FAILURE totals median: 100 -> 250 (+150 %, ratio 250.0%; warn 150% fail 200% min_delta 1)",
        "WARNING GET /a requests: 1000 -> 600 (-40 %, ratio 166.7%; warn 150% fail 200%)",
        "new endpoint GET /v2/fhir/Coverage: not in the baseline, not compared",
        "missing endpoint /health: in the baseline but not in this run",
    ]


def test_verbose_summary_lists_every_row() -> None:
    lines = format_summary_lines(COMPARISON, verbose=True)
    assert lines[2] == "PASS GET /a p99: 0 -> 40 (from 0, ratio inf; warn 300% fail 500% min_delta 50)"
    assert len(lines) == 5


def test_summary_of_a_clean_comparison_says_so() -> None:
    clean = Comparison(stats=(PASSED,))
    assert format_summary_lines(clean) == ["all 1 compared statistics passed"]
    assert format_endpoint_changes(clean) == []
    assert PASSED.verdict is Verdict.PASS
