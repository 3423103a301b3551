from __future__ import annotations

from pytest_bfd_locust.reports.markdown import SUMMARY_COLUMNS, render_markdown
from tests.report_factory import compared_suite, crashed_suite, first_run_suite


def parse_table(markdown: str) -> list[dict[str, str]]:
    """The rows of the first Markdown table, as GitHub reads it (header, delimiter, rows)."""
    lines = [line for line in markdown.splitlines() if line.startswith("|")]
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
    assert "totals p" in api["worst regressions"] and "(FAILURE)" in api["worst regressions"]
    assert api["requests"] == "100" and api["failures"] == "4"
    assert fresh["outcome"] == "✅ passed" and fresh["p95 vs baseline"] == "no baseline"
    assert fresh["p50 / p95"] == "8 / 20 ms"
    assert broken["requests"] == "-" and "exited with code 1" in broken["worst regressions"]
    assert "HTML report: `/artifacts/report.html`" in markdown


def test_a_pipe_in_a_name_does_not_break_the_table() -> None:
    rows = parse_table(render_markdown([first_run_suite("a|b")], report_path=None))
    assert rows[0]["suite"] == "a\\|b"
