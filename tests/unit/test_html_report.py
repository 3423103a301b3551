from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser

from pytest_bfd_locust.judge.changepoints import ChangePoint
from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Evidence
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.reports.html import (
    FIXED_RATIO_COLUMNS,
    JUDGE_COLUMNS,
    MAX_ENDPOINT_CHARTS,
    render_report,
)
from pytest_bfd_locust.reports.model import report_from_records
from tests.report_factory import (
    SEED_RULES,
    compared_suite,
    crashed_suite,
    first_run_suite,
    run_record,
    short_run_suite,
)

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


# --- the page parsed: what each comparison table holds ------------------------------------------------


@dataclass
class Cell:
    classes: tuple[str, ...]
    text: str = ""


@dataclass
class Row:
    classes: tuple[str, ...]
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Item:
    classes: tuple[str, ...]
    text: str = ""


class PageParser(HTMLParser):
    """The page's tables (outside the charts' SVG) as rows of cells, and its list items, with classes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[Row]] = []
        self.items: list[Item] = []
        self._cell: Cell | None = None
        self._item: Item | None = None
        self._svg = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = tuple((dict(attrs).get("class") or "").split())
        if tag == "svg":
            self._svg += 1
        if self._svg:
            return
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append(Row(classes))
        elif tag in ("td", "th"):
            self._cell = Cell(classes)
            self.tables[-1][-1].cells.append(self._cell)
        elif tag == "li":
            self._item = Item(classes)
            self.items.append(self._item)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._svg -= 1
        elif tag in ("td", "th"):
            self._cell = None
        elif tag == "li":
            self._item = None

    def handle_data(self, data: str) -> None:
        if self._svg:
            return
        if self._cell is not None:
            self._cell.text += data
        if self._item is not None:
            self._item.text += data


def parsed(page: str) -> PageParser:
    parser = PageParser()
    parser.feed(page)
    return parser


def comparison_tables(page: PageParser) -> list[list[dict[str, Cell]]]:
    """The comparison tables (those with a "result" column), as dicts by header."""
    tables = []
    for table in page.tables:
        header = [cell.text for cell in table[0].cells]
        if "result" in header:
            tables.append([dict(zip(header, row.cells, strict=True)) for row in table[1:]])
    return tables


def test_a_judged_table_names_what_each_column_holds_and_every_row_its_bar() -> None:
    page = parsed(render_report([compared_suite()]))
    headers = [[cell.text for cell in table[0].cells] for table in page.tables if len(table[0].cells) > 7]
    assert headers == [list(JUDGE_COLUMNS)] * 2  # the key statistics, and all of them folded
    key_rows, every_row = comparison_tables(page)
    assert len(every_row) == 18 and len(key_rows) < 18
    for row in every_row:
        assert re.fullmatch(r"[+-]\d+(\.\d+)? %|cannot fail", row["fails beyond"].text), row
        assert re.fullmatch(r"±\d+(\.\d)? % (mostly prior )?\(\d+ runs?\)", row["noise of one run"].text), row
        assert row["why"].text
    failed = [row for row in every_row if row["result"].text == "FAILURE"]
    assert failed and all(
        row["why"].text == f"beyond the {row['fails beyond'].text} it takes to fail" for row in failed
    )
    throughput = [row for row in every_row if row["statistic"].text == "req/s"]
    assert throughput and all(row["fails beyond"].text.startswith("-") for row in throughput)
    # no header claims an interval or a band the decision did not use
    assert not any("CI" in cell.text or "threshold" in cell.text for cell in page.tables[-1][0].cells)


def test_a_passing_suite_on_a_short_history_says_so() -> None:
    cold = compared_suite("cold", runs=2, slower=1.0)
    page = parsed(render_report([cold]))
    assert cold.outcome.value == "passed"
    [caveat] = [item.text for item in page.items if "caveat" in item.classes]
    assert re.fullmatch(
        r"history: 2 earlier runs, noise mostly prior; slowdowns below \+\d+ % cannot fail yet"
        r" \(lowest bar: `totals` p90\)",
        caveat,
    )
    assert any(item.text.startswith("every compared statistic passed") for item in page.items)
    steady = parsed(render_report([compared_suite()]))
    assert not [item for item in steady.items if "caveat" in item.classes]


def test_a_large_change_passed_on_short_runs_is_never_a_plain_green_pass() -> None:
    page = parsed(render_report([short_run_suite()]))
    key_rows, _ = comparison_tables(page)
    [p99] = [row for row in key_rows if row["scope"].text == "totals" and row["statistic"].text == "p99"]
    assert p99["change"].text == "+1800 %"
    assert p99["result"].text == "PASS" and p99["result"].classes == ("PASS", "unsure")
    assert p99["why"].text == (
        "not significant on the runs' own requests; the runs are too small to be sure:"
        " their requests cannot bound the change"
    )
    unsure = [item.text for item in page.items if "unsure" in item.classes]
    assert any(text.startswith("PASS `totals` p99 5 -> 95 ms: +1800 %, ") for text in unsure)
    # a row that did not move stays a plain PASS
    p95 = next(row for row in key_rows if row["statistic"].text == "p95")
    assert p95["change"].text == "0 %" and p95["result"].classes == ("PASS",)


def test_fixed_ratio_tables_keep_the_seeds_columns() -> None:
    page = parsed(render_report([compared_suite("seed", thresholds=SEED_RULES)]))
    headers = [[cell.text for cell in table[0].cells] for table in page.tables if len(table[0].cells) > 6]
    assert headers == [list(FIXED_RATIO_COLUMNS)] * 2
    reasons = [item.text for item in page.items if "reason" in item.classes]
    assert reasons and not any("caveat" in item.classes for item in page.items)


def test_a_stored_records_report_says_what_the_judge_decided() -> None:
    """`bfd-locust report`: the failed statistics of a stored record, as the judge decided them."""
    history = [run_record(i, 10) for i in range(8)]
    current = run_record(8, 60)
    rules = read_threshold_file(default_thresholds_path())
    comparison = compare(current, history[-1], rules, Evidence(current, (history[-1],), history[::-1]))
    report = report_from_records(current, baseline=history[-1], comparison=comparison, history=history)
    assert comparison.failures and len(report.reasons) == len(comparison.failures)
    for reason in report.reasons:
        decided = r"worse by \+\d+ %, beyond the \+\d+ % it takes to fail"
        assert re.fullmatch(rf"failed: .+ -> .+: {decided}", reason)
    page = parsed(render_report([report]))
    assert [item.text for item in page.items if "reason" in item.classes] == list(report.reasons)


def test_breached_windows_are_marked_on_the_response_timeline_and_the_failure_is_said() -> None:
    failure = "SLA p95 per 2 s window: p95 1.8 s in 00:04-00:06 > 1000 ms (3 of 19 windows)"
    suite = replace(
        compared_suite(), reasons=(failure,), breached_windows=((4.0, 6.0), (5.0, 7.0), (12.0, 14.0))
    )
    page = render_report([suite])
    response_chart = page[page.index('data-chart="timeline-response"') :]
    response_chart = response_chart[: response_chart.index("</svg>")]
    assert "SLA breached" in response_chart
    assert failure.replace(">", "&gt;") in page
    unmarked = render_report([compared_suite()])
    assert "SLA breached" not in unmarked


def test_overlapping_windows_are_marked_as_one_span() -> None:
    from pytest_bfd_locust.reports.charts import merge_spans

    assert merge_spans([(5.0, 7.0), (4.0, 6.0), (12.0, 14.0), (7.0, 8.0)]) == [(4.0, 8.0), (12.0, 14.0)]
    assert merge_spans([]) == []
