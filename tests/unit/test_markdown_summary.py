from __future__ import annotations

import re

from pytest_bfd_locust.reports.markdown import (
    FIXED_RATIO_STATISTIC_COLUMNS,
    STATISTIC_COLUMNS,
    SUMMARY_COLUMNS,
    render_markdown,
)
from tests.report_factory import (
    SEED_RULES,
    compared_suite,
    crashed_suite,
    first_run_suite,
    short_run_suite,
)


def parse_table(markdown: str, index: int = 0) -> list[dict[str, str]]:
    """The rows of the `index`-th Markdown table (0: the first), as GitHub reads it (header,
    delimiter, rows; a table ends at the first line that is not a row)."""
    tables: list[list[str]] = []
    previous = ""
    for line in markdown.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                tables.append([])
            tables[-1].append(line)
        previous = line
    lines = tables[index]
    header = [cell.strip() for cell in lines[0].strip("|").split(" | ")]
    delimiter = lines[1].strip("|").split("|")
    assert len(delimiter) == len(header) and all(set(cell) <= set("-:") for cell in delimiter)
    rows = []
    for line in lines[2:]:
        cells = [cell.strip() for cell in line.strip().removeprefix("|").removesuffix("|").split(" | ")]
        assert len(cells) == len(header), line
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def test_one_row_per_suite_with_its_figures() -> None:
    markdown = render_markdown(
        [compared_suite(), first_run_suite(), crashed_suite()], report_path="/artifacts/report.html"
    )
    assert markdown.startswith("### bfd-locust: 1 passed, 2 failed\n")
    rows = parse_table(markdown)
    assert [row["suite"] for row in rows] == ["api", "fresh", "broken"]
    assert list(rows[0]) == list(SUMMARY_COLUMNS)
    api, fresh, broken = rows
    assert api["outcome"] == "❌ failed"
    assert api["p95 vs baseline"].startswith("+") and api["p95 vs baseline"].endswith(" %")
    assert re.search(r"totals p\d+ \+\d+ % \(FAILURE, fails beyond \+\d+ %\)", api["worst regressions"])
    assert api["requests"] == "100" and api["failures"] == "4"
    assert fresh["outcome"] == "✅ passed" and fresh["p95 vs baseline"] == "no baseline"
    assert fresh["p50 / p95"] == "8 / 20 ms"
    assert broken["requests"] == "-" and "exited with code 1" in broken["worst regressions"]
    assert "HTML report: `/artifacts/report.html`" in markdown


def test_a_pipe_in_a_name_does_not_break_the_table() -> None:
    rows = parse_table(render_markdown([first_run_suite("a|b")], report_path=None))
    assert rows[0]["suite"] == "a\\|b"


def test_every_compared_statistic_carries_what_would_have_failed_it() -> None:
    suite = compared_suite()
    markdown = render_markdown([suite, first_run_suite()], report_path=None)
    assert "<details><summary>api: 18 compared statistics</summary>" in markdown
    rows = parse_table(markdown, 1)
    assert list(rows[0]) == list(STATISTIC_COLUMNS)
    assert len(rows) == 18
    for row in rows:
        assert re.fullmatch(r"[+-]\d+(\.\d+)? %|cannot fail", row["fails beyond"]), row
        assert row["why"], row
    p95 = next(row for row in rows if row["scope"] == "totals" and row["statistic"] == "p95")
    assert p95["result"] == "FAILURE" and p95["why"] == f"beyond the {p95['fails beyond']} it takes to fail"
    throughput = next(row for row in rows if row["statistic"] == "req/s")
    assert throughput["fails beyond"].startswith("-")
    # the first run has no comparison: no folded table of its own
    assert markdown.count("<details>") == 1


def test_a_short_history_and_an_unsure_pass_are_said_under_the_table() -> None:
    cold = compared_suite("cold", runs=2, slower=1.0)
    assert cold.outcome.value == "passed"
    short = short_run_suite()
    markdown = render_markdown([cold, short, compared_suite()], report_path=None)
    notes = [line for line in markdown.splitlines() if line.startswith("- **")]
    assert notes[0].startswith(
        "- **cold**: history: 2 earlier runs, noise mostly prior; slowdowns below +"
    ) and notes[0].endswith("cannot fail yet (lowest bar: `totals` p90)")
    assert any(
        line.startswith("- **short**: PASS `totals` p99 5 -> 95 ms: +1800 %, ")
        and "the runs are too small to be sure" in line
        for line in notes
    )
    assert not any(line.startswith("- **api**") for line in notes)  # the steady state says nothing


def test_fixed_ratios_keep_their_threshold_column() -> None:
    markdown = render_markdown([compared_suite("seed", thresholds=SEED_RULES)], report_path=None)
    rows = parse_table(markdown, 1)
    assert list(rows[0]) == list(FIXED_RATIO_STATISTIC_COLUMNS)
    assert rows[0]["threshold"] == "warn 150% fail 200% min_delta 1"
    assert "fails beyond" not in markdown and "history:" not in markdown
