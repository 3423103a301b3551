"""`--bfd-junit-detail FILE`: a JUnit XML with one testcase per compared statistic.

The session's own `--junitxml` has one testcase per suite; this file lets CI dashboards chart
each statistic of each suite. One testsuite per suite: a FAILURE is a `failure` element with the
numbers, a WARNING or a PASS passes with the numbers in `system-out`, a suite without a baseline
is one skipped testcase, and so is an inconclusive suite (its load generator saturated: its
statistics measured the generator, not the API). Testcases are named by readable statistic labels
(`p90`, `median`). Endpoints present on one side only go to the testsuite's `system-out`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from junit_xml import TestCase, TestSuite, to_xml_report_string

from pytest_bfd_locust.figures import stat_label
from pytest_bfd_locust.judge.comparison import Comparison, StatComparison
from pytest_bfd_locust.judge.generator_health import inconclusive_message
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.reports.terminal import (
    format_comparison_table,
    format_endpoint_changes,
    format_summary_line,
)

NO_BASELINE_CASE = "baseline"
"""The name of the skipped testcase of a suite that had no eligible baseline."""

INCONCLUSIVE_CASE = "inconclusive"
"""The name of the skipped testcase of a suite whose load generator was saturated."""


def write_junit_detail(
    path: Path,
    suites: Sequence[tuple[str, Comparison | None]],
    inconclusive: Mapping[str, str] | None = None,
) -> None:
    """Write the detail file for (suite name, comparison or None when it had no baseline) pairs;
    `inconclusive` maps the name of a suite whose run was inconclusive to why.

    Raises OSError when the file cannot be written; the caller reports it with the path.
    """
    reasons = inconclusive or {}
    xml = to_xml_report_string(
        [_suite(name, comparison, reasons.get(name)) for name, comparison in suites], encoding="utf-8"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(xml, encoding="utf-8")


def _suite(name: str, comparison: Comparison | None, inconclusive: str | None = None) -> TestSuite:
    if inconclusive is not None:
        case = TestCase(INCONCLUSIVE_CASE, classname=name)
        case.add_skipped_info(message=inconclusive_message(inconclusive))
        return TestSuite(name, [case])
    if comparison is None:
        case = TestCase(NO_BASELINE_CASE, classname=name)
        case.add_skipped_info(message="no eligible baseline to compare against")
        return TestSuite(name, [case])
    changes = format_endpoint_changes(comparison)
    return TestSuite(
        name,
        [_case(name, row) for row in comparison.stats],
        stdout="\n".join(changes) if changes else None,
    )


def _case(suite: str, row: StatComparison) -> TestCase:
    # classname groups a suite's rows by scope in CI tools: "<suite>.<scope>".
    case = TestCase(stat_label(row.stat), classname=f"{suite}.{row.scope}")
    line = format_summary_line(row)
    if row.verdict is Verdict.FAILURE:
        case.add_failure_info(message=line, output=format_comparison_table([row]), failure_type="regression")
    else:
        case.stdout = line
    return case
