from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from pytest_bfd_locust.judge.comparison import Comparison, StatComparison
from pytest_bfd_locust.judge.fixed_ratios import compare_stat
from pytest_bfd_locust.judge.thresholds import BetterIf, Threshold
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.reports.junit_detail import write_junit_detail

MEDIAN = Threshold("median_response_time", BetterIf.SMALLER, 150, 200)
REQUESTS = Threshold("num_requests", BetterIf.LARGER, 150, 200)


def _row(scope: str, rule: Threshold, baseline: float, current: float) -> StatComparison:
    task = None if scope == "totals" else ("/a", "GET")
    return compare_stat(rule, baseline, current, scope=scope, task=task)


def _write(tmp_path: Path, suites: list[tuple[str, Comparison | None]]) -> ET.Element:
    path = tmp_path / "reports" / "detail.xml"
    write_junit_detail(path, suites)
    return ET.parse(path).getroot()


def test_one_testsuite_per_suite_one_testcase_per_statistic(tmp_path: Path) -> None:
    regressed = Comparison(
        stats=(
            _row("totals", MEDIAN, 100, 250),
            _row("totals", REQUESTS, 1000, 600),
            _row("GET /a", MEDIAN, 100, 100),
        ),
        new_tasks=(("/new", "GET"),),
    )
    root = _write(tmp_path, [("v2-regression", regressed), ("v3-regression", None)])
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["v2-regression", "v3-regression"]

    cases = suites[0].findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases] == [
        ("v2-regression.totals", "median"),
        ("v2-regression.totals", "requests"),
        ("v2-regression.GET /a", "median"),
    ]
    assert suites[0].get("tests") == "3"
    assert suites[0].get("failures") == "1"

    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("type") == "regression"
    assert failure.get("message") == (
        "FAILURE totals median: 100 -> 250 (+150 %, ratio 250.0%; warn 150% fail 200% min_delta 1)"
    )

    assert failure.text is not None
    header, _rule, numbers = failure.text.splitlines()
    assert header.split()[:3] == ["scope", "statistic", "baseline"]
    assert numbers.split()[:7] == ["totals", "median", "100", "250", "+150", "%", "250.0%"]

    assert cases[1].find("failure") is None
    assert cases[1].findtext("system-out") == (
        "WARNING totals requests: 1000 -> 600 (-40 %, ratio 166.7%; warn 150% fail 200%)"
    )

    # A PASS carries its numbers too, so a dashboard charts every statistic of every run.
    assert cases[2].find("failure") is None
    assert cases[2].findtext("system-out") == (
        "PASS GET /a median: 100 -> 100 (0 %, ratio 100.0%; warn 150% fail 200% min_delta 1)"
    )

    assert suites[0].findtext("system-out") == "new endpoint GET /new: not in the baseline, not compared"


def test_a_suite_without_baseline_is_one_skipped_testcase(tmp_path: Path) -> None:
    root = _write(tmp_path, [("smoke", None)])
    (suite,) = root.findall("testsuite")
    (case,) = suite.findall("testcase")
    assert case.get("name") == "baseline"
    skipped = case.find("skipped")
    assert skipped is not None
    assert skipped.get("message") == "no eligible baseline to compare against"
    assert suite.get("skipped") == "1"


def test_no_suites_is_an_empty_report(tmp_path: Path) -> None:
    root = _write(tmp_path, [])
    assert root.tag == "testsuites"
    assert root.findall("testsuite") == []


def test_percentile_testcases_are_named_p90_not_0_9(tmp_path: Path) -> None:
    p90 = Threshold("0.9", BetterIf.SMALLER, 150, 200)
    p999 = Threshold("0.999", BetterIf.SMALLER, 150, 200)
    comparison = Comparison(stats=(_row("totals", p90, 10, 11), _row("totals", p999, 20, 21)))
    root = _write(tmp_path, [("suite", comparison)])
    assert [case.get("name") for case in root.iter("testcase")] == ["p90", "p99.9"]


def test_a_judged_failure_carries_the_change_in_words(tmp_path: Path) -> None:
    from tests.unit.test_report import judged_row

    row = judged_row("median_response_time", 40, 50)
    root = _write(tmp_path, [("claims", Comparison(stats=(row,)))])
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None
    assert failure.get("message", "") == (
        "FAILURE `GET /Claim search` median 40 -> 50 ms: worse by +25 %, beyond the +18 % it takes to fail;"
        " noise of one run over the last 12 runs: ±3.0 %"
    )
    header, _, cells = (failure.text or "").splitlines()
    assert "fails beyond" in header and "noise of one run" in header and "CI" not in header
    assert re.split(r"\s{2,}", cells)[4:7] == ["+25 %", "+18 %", "±3.0 % (12 runs)"]


def test_every_judged_statistic_carries_what_would_have_failed_it(tmp_path: Path) -> None:
    from tests.unit.test_report import judged_row, short_run_row

    rows = (
        judged_row("0.95", 40, 41, verdict=Verdict.PASS, fails_above=23.4),
        judged_row("total_reqs_per_second", 200, 190, verdict=Verdict.PASS, better_if=BetterIf.LARGER),
        judged_row("0.99", 40, 52, verdict=Verdict.WARNING, fails_above=41.0),
        short_run_row(),
    )
    root = _write(tmp_path, [("claims", Comparison(stats=rows))])
    outputs = [case.findtext("system-out") or "" for case in root.iter("testcase")]
    assert "+2.5 %, within the run-to-run noise; fails above +23 %;" in outputs[0]
    assert "-5.0 %, within the run-to-run noise; fails below -15 %;" in outputs[1]
    assert "worse by +30 %, a warning: short of the +41 % it takes to fail;" in outputs[2]
    assert "not significant on the runs' own requests; the runs are too small to be sure" in outputs[3]
    assert all("fail threshold" not in output for output in outputs)
