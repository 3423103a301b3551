from __future__ import annotations

import re
from dataclasses import replace

from pytest_bfd_locust.judge.changepoints import ChangePoint
from pytest_bfd_locust.reports.html import MAX_ENDPOINT_CHARTS, render_report
from tests.report_factory import compared_suite, crashed_suite, first_run_suite

MAX_REPORT_BYTES = 2 * 1024 * 1024


def _charts(page: str) -> list[str]:
    return re.findall(r'data-chart="([^"]+)"', page)


def test_a_compared_suite_has_every_chart_and_its_table() -> None:
    page = render_report([compared_suite()])
    charts = _charts(page)
    # endpoints ordered by how much they moved
    assert sorted(charts[1:3]) == ["percentiles-GET /api/items/1", "percentiles-GET /api/orders/[id]"]
    assert [charts[0], *charts[3:]] == [
        "percentiles-totals",
        "timeline-throughput",
        "timeline-response",
        "history-response",
        "history-throughput",
        "errors",
    ]
    assert page.count("<svg") == len(charts)
    assert "FAILED</span>" in page
    assert "previous run of 2026-09-22T00:00:00Z" in page
    # signed changes and readable statistic names in the table
    assert re.search(r"<td>totals</td><td>p95</td>.*?<td class=\"num\">\+\d+ %</td>", page)
    assert "0.95" not in re.sub(r"<svg.*?</svg>", "", page, flags=re.DOTALL)
    assert "HTTPError(&#x27;500 Server Error&#x27;)" in page
    # the method once
    assert "GET GET" not in page


def test_the_page_loads_nothing_and_runs_nothing() -> None:
    page = render_report([compared_suite(), first_run_suite(), crashed_suite()])
    assert "<script" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page and "url(" not in page


def test_three_suites_with_many_endpoints_stay_under_2_mb() -> None:
    suites = [compared_suite(f"suite-{n}", endpoints=30) for n in range(3)]
    page = render_report(suites)
    assert len(page.encode("utf-8")) <= MAX_REPORT_BYTES
    # endpoint charts are capped; the rest is said
    assert len([c for c in _charts(page) if c.startswith("percentiles-")]) == 3 * (1 + MAX_ENDPOINT_CHARTS)
    assert "18 more endpoint(s) not charted." in page


def test_first_run_and_crash_say_what_is_missing() -> None:
    page = render_report([first_run_suite(), crashed_suite()])
    assert "no baseline compared" in page
    assert "no history yet" in page
    assert "No request failed." in page
    assert "Locust exited with code 1 before producing statistics" in page
    assert "NO STATISTICS</span>" in page
    assert "2 suites: 1 passed, 1 failed" in page


def test_change_points_are_marked_in_the_history_chart() -> None:
    suite = compared_suite()
    run = suite.history[8].record
    point = ChangePoint(run.run_id, run.metadata.timestamp, "0.95", "totals", 13.0, 19.5, pvalue=1e-6)
    page = render_report([replace(suite, change_points=(point,))])
    assert "change point" in page
    assert "change point" not in render_report([suite])


def test_names_are_escaped() -> None:
    suite = first_run_suite("<b>x</b>")
    page = render_report([suite])
    assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
