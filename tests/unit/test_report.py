from __future__ import annotations

import math
import re
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
    JUDGE_TABLE_COLUMNS,
    fails_beyond_percent,
    format_change_point,
    format_comparison_table,
    format_endpoint_changes,
    format_fails_beyond,
    format_failures_reason,
    format_history_caveat,
    format_judgement,
    format_level_shifts,
    format_ratio,
    format_suite_notes,
    format_summary_lines,
    format_threshold,
    format_value,
    is_unsure_pass,
    signed_percent,
)
from tests.report_factory import short_run_suite

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


REASONS = {
    Verdict.FAILURE: "worse beyond the run-to-run noise, and significant",
    Verdict.WARNING: "worse beyond the run-to-run noise, and significant",
    Verdict.PASS: "within the run-to-run noise",
}


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
    fails_above: float | None = 18.0,
    reason: str | None = None,
) -> StatComparison:
    change = Change(baseline, current, math.log(current / baseline), se)
    spread = Spread(runs, baseline, math.log1p(noise / 100), SpreadMethod.MAD)
    judgement = Judgement(
        change, 0.95, spread, basis, noise, 1, reason or REASONS[verdict], fails_above_percent=fails_above
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


def short_run_row(
    se: float = math.inf, *, stat: str = "0.95", fails_above: float = math.inf
) -> StatComparison:
    """The issue's short run: p95 5 -> 95 ms passing as not significant on the runs' own requests."""
    return judged_row(
        stat,
        5,
        95,
        se=se,
        verdict=Verdict.PASS,
        scope="totals",
        fails_above=fails_above,
        reason="not significant on the runs' own requests",
    )


@pytest.mark.parametrize(
    ("percent", "text"),
    [
        (18.2, "+18 %"),
        (-15.25, "-15 %"),
        (4.94, "+4.9 %"),
        (9.96, "+10 %"),
        (0.523, "+0.52 %"),
        (-0.00491, "-0.0049 %"),
        (2400.4, "+2400 %"),
        (0.0, "0 %"),
    ],
)
def test_signed_percent_is_whole_or_two_significant_figures(percent: float, text: str) -> None:
    assert signed_percent(percent) == text


def test_a_judged_regression_reads_as_the_issue_asks() -> None:
    row = judged_row("median_response_time", 40, 50, se=0.008)
    assert row.judgement is not None
    line = format_judgement(row, row.judgement)
    assert line == (
        "`GET /Claim search` median 40 -> 50 ms: worse by +25 %, beyond the +18 % it takes to fail;"
        " noise of one run over the last 12 runs: ±3.0 %"
    )
    assert format_summary_lines(Comparison(stats=(row,))) == [f"FAILURE {line}"]


def test_a_warning_says_it_was_short_of_failing() -> None:
    row = judged_row("0.9", 40, 52, verdict=Verdict.WARNING, fails_above=41.0)
    assert row.judgement is not None
    assert "52 ms: worse by +30 %, a warning: short of the +41 % it takes to fail;" in format_judgement(
        row, row.judgement
    )


def test_a_throughput_drop_reads_as_a_drop_and_fails_below_its_bar() -> None:
    row = judged_row("total_reqs_per_second", 205.0, 160.0, better_if=BetterIf.LARGER, scope="totals")
    assert row.judgement is not None
    # A worsening of 18 % on the log scale is a throughput of 1 / 1.18 of the baseline: -15.3 %.
    assert fails_beyond_percent(row) == pytest.approx((1 / 1.18 - 1) * 100)
    assert format_fails_beyond(row) == "-15 %"
    assert "`totals` req/s 205.0 -> 160.0/s: worse by -22 %, beyond the -15 % it takes to fail" in (
        format_judgement(row, row.judgement)
    )
    passing = replace(row, verdict=Verdict.PASS, current=200.0)
    assert passing.judgement is not None
    assert "fails below -15 %" in format_judgement(passing, passing.judgement)


def test_too_little_history_says_the_noise_was_assumed() -> None:
    row = judged_row("0.95", 40, 50, runs=2, noise=100.0, basis=NoiseBasis.PRIOR)
    none = judged_row("0.95", 40, 50, runs=0, noise=100.0, basis=NoiseBasis.PRIOR)
    assert row.judgement is not None and none.judgement is not None
    assert format_judgement(row, row.judgement).endswith(
        "; only 2 earlier runs: the noise of one run is mostly the packaged prior, ±100 %"
    )
    assert format_judgement(none, none.judgement).endswith(
        "; no earlier runs: the noise of one run is mostly the packaged prior, ±100 %"
    )


def test_missing_histograms_are_said() -> None:
    unknown = judged_row("0.95", 40, 50, se=None)
    assert unknown.judgement is not None
    assert "; no histograms, so the runs' own requests were not weighed;" in format_judgement(
        unknown, unknown.judgement
    )


def test_a_passing_judged_row_says_why_and_what_would_have_failed_it() -> None:
    row = judged_row("average_response_time", 21.75, 22.5, verdict=Verdict.PASS)
    [line] = format_summary_lines(Comparison(stats=(row,)), verbose=True)
    assert line == (
        "PASS `GET /Claim search` average 21.8 -> 22.5 ms: +3.4 %, within the run-to-run noise;"
        " fails above +18 %; noise of one run over the last 12 runs: ±3.0 %"
    )


@pytest.mark.parametrize("fails_above", [None, math.inf])
def test_a_statistic_nothing_could_fail_says_so(fails_above: float | None) -> None:
    row = judged_row("0.99", 40, 44, verdict=Verdict.PASS, fails_above=fails_above)
    assert row.judgement is not None
    assert format_fails_beyond(row) == "cannot fail"
    assert "+10 %, within the run-to-run noise; cannot fail on this run's evidence;" in format_judgement(
        row, row.judgement
    )


def test_the_failure_table_of_judged_rows_names_what_each_column_holds() -> None:
    rows = [
        judged_row("median_response_time", 40, 50, se=0.008),
        judged_row(
            "0.95", 43, 60, runs=3, noise=100.0, basis=NoiseBasis.PRIOR, scope="totals", fails_above=None
        ),
        judged_row("total_reqs_per_second", 205.0, 160.0, better_if=BetterIf.LARGER, scope="totals"),
    ]
    lines = format_comparison_table(rows).splitlines()
    header = [cell for cell in re.split(r"\s{2,}", lines[0]) if cell]
    assert header == list(JUDGE_TABLE_COLUMNS)
    assert header == [
        "scope",
        "statistic",
        "baseline",
        "current",
        "change",
        "fails beyond",
        "noise of one run",
        "result",
    ]
    cells = [[cell for cell in re.split(r"\s{2,}", line.strip()) if cell] for line in lines[2:]]
    assert cells == [
        ["GET /Claim search", "median", "40 ms", "50 ms", "+25 %", "+18 %", "±3.0 % (12 runs)", "FAILURE"],
        ["totals", "p95", "43 ms", "60 ms", "+40 %", "cannot fail", "±100 % mostly prior (3 runs)",
         "FAILURE"],
        ["totals", "req/s", "205.0/s", "160.0/s", "-22 %", "-15 %", "±3.0 % (12 runs)", "FAILURE"],
    ]
    # No column claims an interval the decision did not use, nor a band a change had to beat.
    assert "CI" not in lines[0] and "noise ±" not in format_comparison_table(rows)
    assert format_threshold(rows[0]) == "judge min_delta 1"


# --- what the judge could not yet see --------------------------------------------------------------


def test_a_short_history_is_said_in_one_line_even_when_it_passes() -> None:
    rows = (
        judged_row(
            "median_response_time",
            40,
            40,
            runs=2,
            basis=NoiseBasis.PRIOR,
            verdict=Verdict.PASS,
            scope="totals",
            fails_above=60.4,
        ),
        judged_row("0.95", 40, 44, runs=2, basis=NoiseBasis.PRIOR, verdict=Verdict.PASS, fails_above=95.0),
        # a lower bar in the other direction (a throughput drop) is not a slowdown's
        judged_row(
            "total_reqs_per_second",
            200,
            200,
            runs=2,
            basis=NoiseBasis.PRIOR,
            verdict=Verdict.PASS,
            better_if=BetterIf.LARGER,
            fails_above=20.0,
        ),
        judged_row(
            "0.99", 40, 44, runs=2, basis=NoiseBasis.PRIOR, verdict=Verdict.PASS, fails_above=math.inf
        ),
    )
    comparison = Comparison(stats=rows)
    caveat = (
        "history: 2 earlier runs, noise mostly prior; slowdowns below +60 % cannot fail yet"
        " (lowest bar: `totals` median)"
    )
    assert format_history_caveat(comparison) == caveat
    assert format_suite_notes(comparison) == [caveat]
    assert format_suite_notes(comparison, verbose=True)[0] == caveat
    assert len(format_suite_notes(comparison, verbose=True)) == 1 + len(rows)


def test_no_history_and_no_finite_bar_are_said() -> None:
    rows = (
        judged_row("0.95", 40, 44, runs=0, basis=NoiseBasis.PRIOR, verdict=Verdict.PASS, fails_above=None),
    )
    assert (
        format_history_caveat(Comparison(stats=rows))
        == "history: no earlier runs, noise mostly prior; no slowdown can fail yet"
    )


def test_the_steady_state_and_fixed_ratios_have_no_history_line() -> None:
    measured = Comparison(stats=(judged_row("0.95", 40, 44, verdict=Verdict.PASS),))
    assert format_history_caveat(measured) is None
    assert format_suite_notes(measured) == []
    assert format_history_caveat(Comparison(stats=(FAILED, WARNED, PASSED))) is None
    assert format_history_caveat(None) is None


def test_a_large_change_that_passed_for_want_of_requests_says_so() -> None:
    unbounded = short_run_row()
    assert is_unsure_pass(unbounded)
    assert unbounded.judgement is not None
    assert format_judgement(unbounded, unbounded.judgement) == (
        "`totals` p95 5 -> 95 ms: +1800 %, not significant on the runs' own requests; the runs are too small"
        " to be sure: their requests cannot bound the change; cannot fail on this run's evidence;"
        " noise of one run over the last 12 runs: ±3.0 %"
    )
    # Said without -v too: a PASS beside +1800 % never stands without its reason.
    assert format_suite_notes(Comparison(stats=(unbounded,))) == [
        f"PASS {format_judgement(unbounded, unbounded.judgement)}"
    ]
    assert format_summary_lines(Comparison(stats=(unbounded,))) == format_suite_notes(
        Comparison(stats=(unbounded,))
    )


def test_a_short_run_with_an_interval_says_what_its_size_allows() -> None:
    from scipy.stats import norm

    row = short_run_row(se=0.9, fails_above=2400.0)
    assert is_unsure_pass(row)
    assert row.judgement is not None
    half = norm.ppf(0.975) * 0.9
    low, high = (math.exp(math.log(19) - half) - 1) * 100, (math.exp(math.log(19) + half) - 1) * 100
    text = format_judgement(row, row.judgement)
    assert (
        f"the runs are too small to be sure: their requests leave the change anywhere from +{low:.0f} %"
        f" to +{high:.0f} % (95 %); fails above +2400 %;"
    ) in text


@pytest.mark.parametrize(
    "row",
    [
        # the runs' requests are sure; only the assumed noise kept it from failing (the history line says so)
        judged_row("0.95", 40, 80, se=0.01, noise=75.0, basis=NoiseBasis.PRIOR, runs=1, verdict=Verdict.PASS),
        # worse by less than one run's noise
        judged_row("0.95", 40, 41, se=math.inf, noise=3.0, verdict=Verdict.PASS),
        # better, not worse
        judged_row("0.95", 95, 5, se=math.inf, verdict=Verdict.PASS),
        # failed: the failure says it
        judged_row("0.95", 5, 95, se=math.inf),
        # a maximum has no interval at any run size
        judged_row("max_response_time", 5, 95, se=math.inf, verdict=Verdict.PASS),
        # no histograms: the requests were not weighed at all
        judged_row("0.95", 5, 95, se=None, verdict=Verdict.PASS),
    ],
)
def test_only_the_runs_size_makes_a_pass_unsure(row: StatComparison) -> None:
    assert not is_unsure_pass(row)


def test_a_report_of_short_runs_marks_the_passes_it_cannot_be_sure_of() -> None:
    suite = short_run_suite()
    assert suite.comparison is not None and not suite.comparison.failed
    [p99] = [row for row in suite.comparison.stats if row.scope == "totals" and row.stat == "0.99"]
    assert (p99.baseline, p99.current) == (5, 95) and is_unsure_pass(p99)
    notes = format_suite_notes(suite.comparison)
    assert any(line.startswith("PASS `totals` p99 5 -> 95 ms: +1800 %, ") for line in notes)
    assert all("the runs are too small to be sure" in line for line in notes)


# --- failure texts -----------------------------------------------------------------------------------


def test_judged_failures_say_what_the_judge_decided() -> None:
    rows = [
        judged_row("median_response_time", 42, 82, scope="totals", fails_above=41.0),
        judged_row("0.95", 40, 50),
    ]
    assert format_failures_reason(rows) == (
        "2 statistics failed; worst: totals median 42 -> 82 ms: worse by +95 %, beyond the +41 % it takes"
        " to fail; GET /Claim search p95 40 -> 50 ms: worse by +25 %, beyond the +18 % it takes to fail"
    )
    assert format_failures_reason(rows, worst=1).endswith("beyond the +41 % it takes to fail")


def test_fixed_ratio_failures_keep_their_fail_percent() -> None:
    assert format_failures_reason([FAILED]) == (
        "1 statistic at or beyond their fail_percent; worst: totals median 100 -> 250 ms"
        " (+150 %, ratio 250.0% >= fail_percent 200%)"
    )
    assert "fail threshold" not in format_failures_reason([FAILED])


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


def test_a_level_shift_of_this_run_beside_a_pass_says_why_it_passed() -> None:
    passed = judged_row(
        "median_response_time",
        42,
        82,
        scope="totals",
        verdict=Verdict.PASS,
        fails_above=60.0,
        basis=NoiseBasis.PRIOR,
        runs=2,
        noise=75.0,
        se=0.01,
    )
    here = ChangePoint("now", 1_700_000_000, "median_response_time", "totals", 42.0, 82.0, 1e-12)
    earlier = replace(here, run_id="r3")
    lines = format_level_shifts([here, earlier], Comparison(stats=(passed,)), current_run_id="now")
    assert lines == [
        "level shift: `totals` median 42 -> 82 ms (+95 %) since this run (change point, p < 1e-9);"
        " passes: within the run-to-run noise (fails above +60 %)",
        "level shift: " + format_change_point(earlier, "now"),
    ]
    seed = _row("totals", MEDIAN, 42, 60)
    [line] = format_level_shifts([here], Comparison(stats=(seed,)), current_run_id="now")
    assert line.endswith("; passes: ratio 142.9% within warn 150% fail 200% min_delta 1")


def test_a_level_shift_beside_an_unsure_pass_gives_the_reason_once() -> None:
    unsure = short_run_row()
    here = ChangePoint("now", 1_700_000_000, "0.95", "totals", 5.0, 95.0, 1e-9)
    comparison = Comparison(stats=(unsure,))
    [line] = format_level_shifts([here], comparison, current_run_id="now")
    assert line.endswith(
        "; passes: not significant on the runs' own requests (cannot fail on this run's evidence)"
    )
    # the runs' size is said on the row's own line, listed without -v
    assert sum("the runs are too small to be sure" in note for note in format_suite_notes(comparison)) == 1
