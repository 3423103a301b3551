from __future__ import annotations

import math
from dataclasses import replace

import pytest

from pytest_bfd_locust.judge.changepoints import ChangePoint
from pytest_bfd_locust.judge.comparison import Comparison, Judgement, NoiseBasis, StatComparison
from pytest_bfd_locust.judge.fixed_ratios import compare_stat
from pytest_bfd_locust.judge.noise import Spread, SpreadMethod
from pytest_bfd_locust.judge.significance import Change
from pytest_bfd_locust.judge.thresholds import BetterIf, JudgeRule, Threshold
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.reports.terminal import (
    format_change_point,
    format_comparison_table,
    format_endpoint_changes,
    format_judgement,
    format_level_shifts,
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


# --- the judge's rows, in words ---------------------------------------------------------------------


def judged_row(
    stat: str,
    baseline: float,
    current: float,
    *,
    se: float | None = 0.02,
    runs: int = 12,
    noise: float = 3.0,
    basis: NoiseBasis = NoiseBasis.HISTORY,
    verdict: Verdict = Verdict.FAILURE,
    scope: str = "GET /Claim search",
    better_if: BetterIf = BetterIf.SMALLER,
) -> StatComparison:
    change = Change(baseline, current, math.log(current / baseline), se)
    spread = Spread(runs, baseline, math.log1p(noise / 100), SpreadMethod.MAD)
    judgement = Judgement(
        change, 0.95, spread, basis, noise, 1, "worse beyond the run-to-run noise, and significant"
    )
    rule = JudgeRule(stat, better_if)
    return StatComparison(
        scope=scope,
        task=("/Claim search", "GET"),
        stat=stat,
        baseline=baseline,
        current=current,
        ratio=rule.ratio(baseline, current),
        threshold=rule,
        verdict=verdict,
        judgement=judgement,
    )


def test_a_judged_regression_reads_as_the_issue_asks() -> None:
    row = judged_row("median_response_time", 40, 50, se=0.008)
    assert row.judgement is not None
    line = format_judgement(row, row.judgement)
    assert line.startswith("`GET /Claim search` median 40 -> 50 ms (+25 %, 95 % CI +23..+27 %)")
    assert line.endswith("; run-to-run noise of this statistic over the last 12 runs: ±3.0 %")
    assert format_summary_lines(Comparison(stats=(row,))) == [f"FAILURE {line}"]


def test_a_throughput_drop_reads_as_a_drop() -> None:
    row = judged_row("total_reqs_per_second", 205.0, 160.0, better_if=BetterIf.LARGER, scope="totals")
    assert row.judgement is not None
    assert "`totals` req/s 205.0 -> 160.0/s (-22 %, 95 % CI" in format_judgement(row, row.judgement)


def test_too_little_history_says_so() -> None:
    row = judged_row("0.95", 40, 50, runs=2, noise=100.0, basis=NoiseBasis.PRIOR)
    assert row.judgement is not None
    assert format_judgement(row, row.judgement).endswith(
        "; only 2 earlier runs: judged on this run's own evidence,"
        " widened by an assumed run-to-run noise of ±100 %"
    )


def test_missing_evidence_says_why_there_is_no_interval() -> None:
    unknown = judged_row("0.95", 40, 50, se=None)
    none = judged_row("0.99", 40, 50, se=math.inf)
    assert unknown.judgement is not None and none.judgement is not None
    assert "(+25 %, no interval, no histograms)" in format_judgement(unknown, unknown.judgement)
    assert "(+25 %, no interval, too few requests)" in format_judgement(none, none.judgement)


def test_a_passing_judged_row_says_why_when_listed() -> None:
    row = judged_row("average_response_time", 21.75, 22.5, verdict=Verdict.PASS)
    [line] = format_summary_lines(Comparison(stats=(row,)), verbose=True)
    assert line.startswith(
        "PASS (worse beyond the run-to-run noise, and significant) `GET /Claim search` average 21.8"
    )


def test_the_failure_table_of_judged_rows_has_change_interval_and_noise() -> None:
    rows = [
        judged_row("median_response_time", 40, 50, se=0.008),
        judged_row("0.95", 43, 60, runs=3, noise=100.0, basis=NoiseBasis.PRIOR, scope="totals"),
    ]
    lines = format_comparison_table(rows).splitlines()
    assert lines[0].split() == [
        "scope",
        "statistic",
        "baseline",
        "current",
        "change",
        "95",
        "%",
        "CI",
        "noise",
        "result",
    ]
    assert lines[2].split() == [
        "GET",
        "/Claim",
        "search",
        "median",
        "40",
        "ms",
        "50",
        "ms",
        "+25",
        "%",
        "+23..+27",
        "%",
        "±3.0",
        "%",
        "over",
        "12",
        "runs",
        "FAILURE",
    ]
    assert "±100 % assumed (3 runs)" in lines[3]
    assert format_threshold(rows[0]) == "judge min_delta 1"


def test_a_change_point_says_since_which_run() -> None:
    point = ChangePoint("r7", 1_700_000_000, "median_response_time", "GET /Claim search", 40.0, 50.0, 1e-9)
    assert format_change_point(point) == (
        "`GET /Claim search` median 40 -> 50 ms (+25 %) since run r7 at 2023-11-14T22:13:20Z"
        " (change point, p = 1e-09)"
    )
    assert "(+25 %) since this run (change point" in format_change_point(point, current_run_id="r7")
    assert format_change_point(replace(point, pvalue=0.0)).endswith("(change point, p < 1e-9)")


def test_level_shifts_leave_out_what_a_failure_already_says() -> None:
    failed = judged_row("median_response_time", 40, 50, scope="GET /Claim search")
    comparison = Comparison(stats=(failed,))
    here = ChangePoint("now", 1_700_000_000, "median_response_time", "GET /Claim search", 40.0, 50.0, 1e-9)
    earlier = replace(here, run_id="r3")
    other = replace(here, statistic="0.95")
    lines = format_level_shifts([here, earlier, other], comparison, current_run_id="now")
    assert lines == [
        "level shift: " + format_change_point(earlier, "now"),
        "level shift: " + format_change_point(other, "now"),
    ]
    assert len(format_level_shifts([here], None, "now")) == 1
