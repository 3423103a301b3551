"""The HTML report as a person reads it (issue 19): failed suites first, and a change such as
"3.1 ms -> 49.4 ms" never broken across two lines."""

from __future__ import annotations

import re

from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Evidence
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.reports.html import render_report
from pytest_bfd_locust.reports.model import Outcome, report_from_records
from tests.report_factory import compared_suite, run_record


def test_a_failed_suite_is_listed_first() -> None:
    passing, failing = compared_suite("fine", slower=1.0), compared_suite("slow", slower=6.0)
    assert (passing.outcome, failing.outcome) == (Outcome.PASSED, Outcome.FAILED)
    page = render_report([passing, failing])
    nav = re.findall(r'<a class="[^"]*" href="#([^"]+)">', page)
    assert nav == ["suite-slow", "suite-fine"]
    assert page.index('id="suite-slow"') < page.index('id="suite-fine"')


def test_a_change_in_words_does_not_break_across_lines() -> None:
    history = [run_record(i, 10) for i in range(8)]
    current = run_record(8, 60)
    rules = read_threshold_file(default_thresholds_path())
    comparison = compare(current, history[-1], rules, Evidence(current, (history[-1],), history[::-1]))
    report = report_from_records(current, baseline=history[-1], comparison=comparison, history=history)
    page = render_report([report])
    reasons = re.findall(r'<li class="reason">(.*?)</li>', page)
    assert reasons
    for reason in reasons:
        assert re.search(r'<span class="change">\S+( ms)? -&gt; \S+ ms</span>', reason), reason
    assert ".change{white-space:nowrap}" in page
