"""The suite's verdict decided once (`decide_suite`), the worst statistic ranked once
(`rank_regressions`), and every output that names them agreeing."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from pytest_bfd_locust.judge.baseline import previous_baseline
from pytest_bfd_locust.judge.comparison import Comparison, StatComparison
from pytest_bfd_locust.judge.thresholds import BetterIf, Threshold
from pytest_bfd_locust.judge.verdict import Outcome, Verdict, decide_suite, rank_regressions
from pytest_bfd_locust.plugin import summary_line
from pytest_bfd_locust.record import ResultStatus
from pytest_bfd_locust.reports.markdown import render_markdown
from pytest_bfd_locust.reports.model import report_from_records
from pytest_bfd_locust.reports.session import failure_reasons, failure_text, suite_report
from pytest_bfd_locust.reports.terminal import format_headline
from pytest_bfd_locust.suite_run import SuiteResult
from pytest_bfd_locust.suites import Suite
from tests.record_factory import make_record

RULE = Threshold("median_response_time", BetterIf.SMALLER, warn_percent=120.0, fail_percent=150.0)


def row(stat: str, ratio: float, verdict: Verdict, scope: str = "totals") -> StatComparison:
    baseline = 10.0 if math.isfinite(ratio) else 0.0
    current = baseline * ratio / 100 if math.isfinite(ratio) else 5.0
    return StatComparison(scope, None, stat, baseline, current, ratio, RULE, verdict)


FAILED = Comparison(stats=(row("0.5", 200.0, Verdict.FAILURE),))
WARNED = Comparison(stats=(row("0.5", 130.0, Verdict.WARNING),))
PASSED = Comparison(stats=(row("0.5", 101.0, Verdict.PASS),))


@pytest.mark.parametrize(
    ("statistics", "errors", "validation", "comparison", "stored_failed", "outcome"),
    [
        (True, (), (), None, False, Outcome.PASSED),
        (True, (), (), PASSED, False, Outcome.PASSED),
        (True, (), (), WARNED, False, Outcome.PASSED),  # warnings never fail a suite
        (True, (), (), FAILED, False, Outcome.FAILED),
        (True, ("store failed",), (), PASSED, False, Outcome.FAILED),
        (True, (), ("p95: measured 900 ms, limit 800 ms",), PASSED, False, Outcome.FAILED),
        (True, (), (), None, True, Outcome.FAILED),  # a stored record's compare_result
        (True, (), (), PASSED, True, Outcome.FAILED),
        (False, ("Locust run failed: exit 1",), (), None, False, Outcome.NO_STATISTICS),
        (False, (), (), FAILED, False, Outcome.NO_STATISTICS),
    ],
)
def test_one_rule_decides_the_suite(
    statistics: bool,
    errors: tuple[str, ...],
    validation: tuple[str, ...],
    comparison: Comparison | None,
    stored_failed: bool,
    outcome: Outcome,
) -> None:
    verdict = decide_suite(
        statistics=statistics,
        errors=errors,
        validation=validation,
        comparison=comparison,
        stored_compare_failed=stored_failed,
    )
    assert verdict.outcome is outcome
    assert verdict.failed is (outcome is not Outcome.PASSED)
    assert verdict.compare_failed is (comparison is FAILED or stored_failed)
    assert verdict.regressions == (FAILED.stats if comparison is FAILED else ())


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # The larger finite ratio first.
        ([("a", 150.0, Verdict.FAILURE), ("b", 300.0, Verdict.FAILURE)], ["b", "a"]),
        # An infinite ratio (a rise from 0) after every finite one: it says least about slowness.
        ([("zero", math.inf, Verdict.FAILURE), ("a", 160.0, Verdict.FAILURE)], ["a", "zero"]),
        # FAILURE before WARNING whatever the ratios; PASS rows left out.
        (
            [("w", 900.0, Verdict.WARNING), ("f", 151.0, Verdict.FAILURE), ("p", 99.0, Verdict.PASS)],
            ["f", "w"],
        ),
        # Ties keep the comparison's order.
        ([("first", 200.0, Verdict.FAILURE), ("second", 200.0, Verdict.FAILURE)], ["first", "second"]),
        ([("w", math.inf, Verdict.WARNING), ("v", 125.0, Verdict.WARNING)], ["v", "w"]),
    ],
)
def test_one_ranking_of_the_worst(rows: list[tuple[str, float, Verdict]], expected: list[str]) -> None:
    ranked = rank_regressions(row(stat, ratio, verdict) for stat, ratio, verdict in rows)
    assert [r.stat for r in ranked] == expected


def _failed_result(tmp_path: Path) -> SuiteResult:
    """A suite whose comparison failed three statistics, one of them with an infinite ratio."""
    baseline_record = make_record(timestamp=1_790_000_000, run_id="base")
    current = make_record(timestamp=1_790_000_100, run_id="now").with_results(
        compare=ResultStatus.FAILED, validation=ResultStatus.PASSED
    )
    baseline = previous_baseline([baseline_record])
    assert baseline is not None
    comparison = Comparison(
        stats=(
            row("num_failures", math.inf, Verdict.FAILURE),
            row("0.5", 180.0, Verdict.FAILURE),
            row("0.95", 400.0, Verdict.FAILURE),
            row("0.99", 130.0, Verdict.WARNING),
        )
    )
    suite = Suite(name="api", catalog=tmp_path / "suites.yaml", locustfile=tmp_path / "api.py", host=None)
    return SuiteResult(suite=suite, run=None, record=current, comparison=comparison, baseline=baseline)


def test_every_output_names_the_same_worst_statistic(tmp_path: Path) -> None:
    result = _failed_result(tmp_path)
    verdict = result.verdict
    assert verdict.outcome is Outcome.FAILED and result.failed
    assert [r.stat for r in verdict.regressions] == ["0.95", "0.5", "num_failures"]
    headline = format_headline(verdict)
    assert headline == "3 statistics regressed, worst totals p95 +300 %"
    assert failure_text(result).splitlines()[0] == headline
    [reason] = failure_reasons(result)
    assert reason.split("worst: ", 1)[1].startswith("totals p95 ")
    assert summary_line("suites.yaml::api", result).startswith("suites.yaml::api: FAILED: ")
    report = suite_report(result, None).report
    assert report.outcome is verdict.outcome
    assert report.worst_regressions()[0].stat == "0.95"
    assert "totals p95 +300 % (FAILURE)" in render_markdown([report], report_path=None)
    # A stored record read back decides by the same rule and ranks alike.
    stored = report_from_records(result.record, baseline=None, comparison=result.comparison)  # type: ignore[arg-type]
    assert stored.outcome is Outcome.FAILED
    assert stored.reasons[0].startswith("failed: totals p95 ")


@pytest.mark.parametrize(
    ("compare_result", "validation_result", "outcome"),
    [
        (ResultStatus.PASSED, ResultStatus.PASSED, Outcome.PASSED),
        (ResultStatus.NOT_APPLICABLE, ResultStatus.PASSED, Outcome.PASSED),
        (ResultStatus.FAILED, ResultStatus.PASSED, Outcome.FAILED),
        (ResultStatus.PASSED, ResultStatus.FAILED, Outcome.FAILED),
    ],
)
def test_a_stored_record_is_decided_by_the_same_rule(
    compare_result: ResultStatus, validation_result: ResultStatus, outcome: Outcome
) -> None:
    record = make_record(timestamp=1_790_000_000).with_results(
        compare=compare_result, validation=validation_result
    )
    assert report_from_records(record, baseline=None, comparison=None).outcome is outcome
