"""The reports of real sessions: the HTML page (in headless Chromium), the CI summary, the failure text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.demo_target import DemoServer
from tests.browser import chromium, ink, render
from tests.unit.test_html_report import comparison_tables, parsed
from tests.unit.test_markdown_summary import parse_table

QUIET = ["-p", "no:cacheprovider"]
SUITES = """\
- name: api
  locustfile: api.py
- name: patients
  locustfile: patients.py
- name: coverage
  locustfile: coverage.py
"""
LOCUSTFILES = {
    "patients.py": """\
        from locust import HttpUser, constant, task


        class Patients(HttpUser):
            wait_time = constant(0.01)

            @task
            def read(self):
                self.client.get("/v2/fhir/Patient?_id=1", name="GET /v2/fhir/Patient")
    """,
    "coverage.py": """\
        from locust import HttpUser, constant, task


        class Coverage(HttpUser):
            wait_time = constant(0.01)

            @task
            def read(self):
                self.client.get("/v2/fhir/Coverage?beneficiary=1")
    """,
}


def two_sessions(pytester: pytest.Pytester, write_catalog, demo_server: DemoServer, *extra: str):  # type: ignore[no-untyped-def]
    """Three suites stored once, then compared against that run with the target slower and failing
    (`extra` arguments go to the second session)."""
    write_catalog(SUITES, defaults="max_fail_ratio: 0.5\n", locustfiles=LOCUSTFILES)
    # Endpoints of 40 ms, not the demo's 1-2 ms: one earlier run of a 1-2 ms endpoint on a busy
    # machine leaves the judge's cold start blind to far more than 5x (README: where it is weak;
    # 1 -> 200 ms only warned in 3 of 7 tries here). 40 -> 200 ms fails from one earlier run.
    demo_server.set_control(delay_ms=40)
    first = pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET)
    first.assert_outcomes(passed=3)
    demo_server.set_control(delay_ms=200, fail_ratio=0.1)
    return pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "previous", *extra, *QUIET)


def test_a_session_report_the_ci_summary_and_the_terminal(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    summary = pytester.path / "step_summary.md"
    summary.write_text("## an earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    (pytester.path / "ci").mkdir()
    result = two_sessions(pytester, write_catalog, demo_server, "--bfd-markdown", "ci/summary.md")
    result.assert_outcomes(failed=3)

    # each session keeps its own report (parallel sessions never overwrite one another's);
    # report.html links the newest
    sessions = sorted((pytester.path / ".bfd-artifacts" / "reports").glob("*.html"))
    assert len(sessions) == 2
    latest = pytester.path / ".bfd-artifacts" / "report.html"
    assert latest.is_symlink()
    report = latest.resolve()
    assert report in sessions
    assert "FAILED</span>" not in (set(sessions) - {report}).pop().read_text()
    result.stdout.fnmatch_lines([f"bfd-locust: HTML report: {report}", "bfd-locust: Markdown summary: *"])
    page = latest.read_text()
    assert page.count('<section class="suite"') == 3
    assert page.count("FAILED</span>") == 3
    assert len(page.encode()) <= 2 * 1024 * 1024
    for chart in ("timeline-throughput", "timeline-response", "history-response", "errors"):
        assert page.count(f'data-chart="{chart}"') == 3, chart

    # every suite's record carries its timeline: one sample a second of a ~3 s run
    records = [json.loads(p.read_text()) for p in pytester.path.glob(".bfd-stats/hash=*/*.stats.json")]
    assert len(records) == 9  # 3 first runs, then 2 attempts each: every failure confirmed once
    for record in records:
        samples = record["timeline"]["samples"]
        assert 2 <= len(samples) <= 6 and record["timeline"]["columns"][0] == "elapsed"

    # each session appends its summary to the step summary; --bfd-markdown holds the last one
    appended = summary.read_text()
    assert appended.startswith("## an earlier step\n### bfd-locust: 3 passed, 0 failed\n")
    assert appended.count("### bfd-locust: ") == 2
    markdown = (pytester.path / "ci" / "summary.md").read_text()
    assert markdown.startswith("### bfd-locust: 0 passed, 3 failed\n")
    assert appended.endswith(markdown + "\n")
    rows = parse_table(markdown)
    assert [row["suite"] for row in rows] == ["api", "patients", "coverage"]
    assert all(row["outcome"] == "❌ failed" and row["p95 vs baseline"].startswith("+") for row in rows)
    assert f"HTML report: `{report}`" in markdown

    # the short summary is cut after a whole word (pytester's terminal is 80 columns wide)
    short = [line for line in result.outlines if line.startswith("FAILED suites.yaml::")]
    assert len(short) == 3
    words = set(result.stdout.str().replace(",", " ").split())
    for line in short:
        assert len(line) <= 80
        message = line.split(" - ", 1)[1]
        assert message.removesuffix("...").split()[-1] in words, line
    text = result.stdout.str()
    assert "GET GET" not in text
    assert "GET /v2/fhir/Patient " in text


def test_each_warning_once_and_where_a_passing_record_went(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET)
    result.assert_outcomes(passed=1)
    text = result.stdout.str()
    assert text.count("no eligible baseline under tag 'default'") == 1
    [stored] = pytester.path.glob(".bfd-stats/hash=*/*.stats.json")
    # Relative to where pytest was started (issue 19: the absolute path made a ~280-character line).
    relative = stored.relative_to(pytester.path)
    result.stdout.fnmatch_lines([f"suites.yaml::api: passed: * stored at {relative}"])
    verbose = pytester.runpytest("--bfd-suite", "suites.yaml", "-v", "-p", "no:cacheprovider")
    verbose.stdout.fnmatch_lines([f"suites.yaml::api: passed: * stored at {pytester.path}/.bfd-stats/hash=*"])


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("missing/report.html", "could not write --bfd-report {path}: the folder {parent} does not exist"),
        ("a-folder", "could not write --bfd-report {path}: Is a directory"),
    ],
)
def test_a_report_that_cannot_be_written_loses_neither_verdict_nor_record(
    pytester: pytest.Pytester, write_catalog, target: str, message: str
) -> None:
    (pytester.path / "a-folder").mkdir()
    write_catalog("- name: api\n  locustfile: api.py\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-report", target, *QUIET)
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    path = pytester.path / target
    result.stdout.fnmatch_lines([f"bfd-locust: {message.format(path=path, parent=path.parent)}"])
    assert len(list(pytester.path.glob(".bfd-stats/hash=*/*.stats.json"))) == 1


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_report_in_a_browser_draws_every_chart_and_loads_nothing(
    pytester: pytest.Pytester,
    write_catalog,
    demo_server: DemoServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    result = two_sessions(pytester, write_catalog, demo_server)
    result.assert_outcomes(failed=3)
    work = tmp_path_factory.mktemp("browser")
    page = render(pytester.path / ".bfd-artifacts" / "report.html", work)

    assert page.page_requests == ()
    names = [box.name for box in page.boxes]
    # api: totals + 2 endpoints' percentiles, 2 timeline, 2 history, errors; the others 1 endpoint
    assert len(names) == 8 + 7 + 7, names
    for box in page.boxes:
        assert box.width > 300 and box.height > 150, box
        assert box.y + box.height <= page.height, box
        not_white, coloured = ink(page.screenshot, box)
        area = box.width * box.height
        # axes, labels and grid alone ink a few percent; the series add coloured lines and dots
        assert not_white > 0.02 * area, (box.name, not_white)
        assert coloured > 150, (box.name, coloured)


@pytest.mark.skipif(chromium() is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_the_browser_checks_catch_a_blank_chart_and_a_network_request(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<!DOCTYPE html><html><body>"
        '<figure data-chart="blank"><svg width="400" height="200"></svg></figure>'
        '<figure data-chart="axes-only"><svg width="400" height="200">'
        '<line x1="10" y1="190" x2="390" y2="190" stroke="#888" stroke-width="2"/></svg></figure>'
        '<img src="http://127.0.0.1:9/pixel.png"></body></html>'
    )
    rendered = render(page, tmp_path)
    assert rendered.page_requests == ("http://127.0.0.1:9/pixel.png",)
    blank, axes_only = rendered.boxes
    assert ink(rendered.screenshot, blank) == (0, 0)
    not_white, coloured = ink(rendered.screenshot, axes_only)
    assert not_white > 0 and coloured == 0


SLOW_PACED = {
    "paced.py": """\
        from locust import HttpUser, constant, task


        class Paced(HttpUser):
            wait_time = constant(0.2)

            @task
            def read(self):
                self.client.get("/v2/fhir/Coverage?beneficiary=1")
    """,
}


def test_a_large_change_on_a_short_run_is_never_a_pass_without_its_reason(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    """About ten requests a run: a p95 many times slower cannot be bounded by so few. It is flagged
    (a WARNING or FAILURE with its reason), or it passes and the terminal says why without -v and
    the HTML marks it unsure with the reason: never a plain PASS beside the change."""
    write_catalog(
        "- name: paced\n  locustfile: paced.py\n",
        defaults="users: 1\nspawn_rate: 1\n",
        locustfiles=SLOW_PACED,
    )
    pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET).assert_outcomes(passed=1)
    demo_server.set_control(delay_ms=100)
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET)
    page = parsed((pytester.path / ".bfd-artifacts" / "report.html").read_text())
    rows = [row for table in comparison_tables(page) for row in table]
    p95 = next(row for row in rows if row["scope"].text == "totals" and row["statistic"].text == "p95")
    if p95["result"].text != "PASS":
        # Flagged (the judge's short-run test, or its bar, caught it): a WARNING or FAILURE says why
        # in its own line, in the terminal too.
        assert p95["result"].text in ("WARNING", "FAILURE") and p95["why"].text, p95
        verdict = p95["result"].text
        # In words (a warning of a passing suite), or as a row of the failure table (a failed
        # suite's table lists its warnings too, each message once).
        said = (
            rf".*{verdict} `totals` p95 \d+ -> \d+ ms: worse by .*"
            rf"|totals +p95 +\d+ ms +\d+ ms +\+\d+ % .*{verdict}"
        )
        result.stdout.re_match_lines([said])
        return
    # A pass: the terminal says why without -v (what it would take to fail depends on the prior for
    # so spread an endpoint: "cannot fail", or a bar far above the change), the HTML marks it unsure.
    result.stdout.re_match_lines(
        [
            r"    PASS `totals` p95 \d+ -> \d+ ms: \+\d+ %, .*; the runs are too small to be sure: their"
            r" requests cannot bound the change; (cannot fail on this run's evidence|fails above \+\d+ %); .*"
        ]
    )
    assert "unsure" in p95["result"].classes
    bar = p95["fails beyond"].text
    assert bar == "cannot fail" or int(bar.strip("+ %")) > 1000, bar
    assert "the runs are too small to be sure" in p95["why"].text
