"""The HTML report as a person reads it (issue 19): failed suites first, a change such as
"3.1 ms -> 49.4 ms" never broken across two lines, and every value in a table with its unit."""

from __future__ import annotations

import re

from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Evidence
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.reports.html import render_report
from pytest_bfd_locust.reports.model import Outcome, report_from_records
from tests.report_factory import SEED_RULES, compared_suite, first_run_suite, run_record


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


def _value_cells(page: str, columns: tuple[str, ...]) -> list[tuple[str, str, str]]:
    """(statistic or scope, column, text) of every cell under one of `columns`, in every table."""
    cells = []
    for table in re.findall(r"<table>(.*?)</table>", page, flags=re.S):
        rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, flags=re.S)
        header = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<th>(.*?)</th>", rows[0])]
        for row in rows[1:]:
            texts = [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
            label = texts[1] if header[1] == "statistic" else texts[0]
            pairs = zip(header, texts, strict=True)
            cells += [(label, name, text) for name, text in pairs if name in columns]
    return cells


def test_every_table_value_says_its_unit() -> None:
    """Milliseconds and rates say their unit, changes are signed percentages; counts are plain."""
    for suite in (compared_suite("judged"), compared_suite("seed", thresholds=SEED_RULES)):
        cells = _value_cells(render_report([suite]), ("baseline", "current", "change"))
        assert cells
        for label, column, text in cells:
            if column == "change":
                assert re.fullmatch(r"[+-]?\d+(\.\d+)? %|from 0", text), (label, column, text)
            elif label in ("requests", "failures"):
                assert re.fullmatch(r"\d+", text), (label, column, text)
            else:
                assert re.fullmatch(r"-?\d+(\.\d+)? ms|-?\d+(\.\d+)?/s", text), (label, column, text)
    first_run = render_report([first_run_suite()])
    figures = _value_cells(first_run, ("p50", "p95", "p99", "req/s"))
    assert figures
    for _, column, text in figures:
        unit = "/s" if column == "req/s" else " ms"
        assert re.fullmatch(rf"\d+(\.\d+)?{unit}", text), (column, text)
