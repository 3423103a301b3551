"""Accepting a change end to end, with real Locust runs against the demo target: after an accepted +50 %
change, runs at the new level pass and a further +50 % fails (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from examples.demo_target import DemoServer
from tests.e2e.test_cli import bfd_locust

QUIET = ["-p", "no:cacheprovider"]
SUITE = "- name: api\n  locustfile: api.py\n"
BASE_DELAY_MS = 20
"""Every request of the demo target sleeps this long at first; +50 % is the intended change."""


def records(root: Path) -> list[dict]:  # type: ignore[type-arg]
    paths = sorted(root.glob(".bfd-stats/hash=*/*.stats.json"), key=lambda p: p.name)
    return [json.loads(p.read_text()) for p in paths]


def acceptances(root: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(p.read_text()) for p in sorted(root.glob(".bfd-stats/_acceptances/**/*.accept.json"))]


def test_after_an_accepted_change_the_new_level_passes_and_a_further_change_fails(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_catalog(SUITE)
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    args = ["--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET]
    demo_server.set_control(delay_ms=BASE_DELAY_MS)
    pytester.runpytest(*args).assert_outcomes(passed=1)

    # The intended change, stored by a re-baseline job: it passes whatever its comparison says.
    demo_server.set_control(delay_ms=int(BASE_DELAY_MS * 1.5))
    accepted = pytester.runpytest(*args, "--bfd-accept", "archive search: +50 % agreed in PR 123")
    accepted.assert_outcomes(passed=1)
    accepted.stdout.fnmatch_lines(
        [
            "*suites.yaml::api: passed: *; accepted as the new level under tag default "
            "(archive search: +50 % agreed in PR 123)*"
        ]
    )
    [acceptance] = acceptances(pytester.path)
    stored = records(pytester.path)
    assert acceptance["run_id"] == stored[-1]["run_id"]
    assert acceptance["accepted_by"]["GITHUB_ACTOR"] == "octocat"
    assert stored[-1]["metadata"]["validation_result"] == "PASSED"
    accepted_id = acceptance["run_id"]

    # The new level: compared against the accepted run, and passing. Five runs give the judge a
    # measured noise (min_history) inside the new level, none of it from before the acceptance.
    first = pytester.runpytest(*args)
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(
        [f"*suites.yaml::api: passed: * vs previous run of * (run {accepted_id}, accepted as the new level)*"]
    )
    for _ in range(4):
        pytester.runpytest(*args).assert_outcomes(passed=1)

    # A further +50 % is a regression against the new level.
    before = len(records(pytester.path))
    demo_server.set_control(delay_ms=int(BASE_DELAY_MS * 1.5 * 1.5))
    further = pytester.runpytest(*args)
    further.assert_outcomes(failed=1)
    further.stdout.fnmatch_lines(["*regression against the previous run of *"])
    results = [r["metadata"]["compare_result"] for r in records(pytester.path)]
    # The new level's runs passed (with the attempts of any run the judge warned about: each stored).
    assert len(results[2:before]) >= 5 and set(results[2:before]) == {"PASSED"}
    # The failure is confirmed (the packaged default): every attempt is stored, the first failed.
    assert len(results[before:]) >= 2 and results[before] == "FAILED"
    # The history shows the accepted run with its reason.
    history = bfd_locust(
        pytester.path, "history", "--suite", "api", "--store", f"file://{pytester.path / '.bfd-stats'}"
    )
    assert history.returncode == 0, history.stderr
    [row] = [line for line in history.stdout.splitlines() if f" {accepted_id} " in line]
    assert "accepted (tag default, " in row and "by octocat): archive search: +50 % agreed in PR 123" in row


def test_an_average_baseline_reads_only_runs_from_the_accepted_level_on(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    """Accepted afterwards with `bfd-locust accept` (the newest run by default), real records."""
    write_catalog(SUITE)
    demo_server.set_control(delay_ms=BASE_DELAY_MS)
    for _ in range(2):
        pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET).assert_outcomes(passed=1)
    demo_server.set_control(delay_ms=int(BASE_DELAY_MS * 1.5))
    pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET)
    newest = records(pytester.path)[-1]["run_id"]
    store = f"--store=file://{pytester.path / '.bfd-stats'}"
    accepted = bfd_locust(pytester.path, "accept", "--suite", "api", "--reason", "new level", store)
    assert accepted.returncode == 0, accepted.stderr
    assert accepted.stdout.startswith(f"accepted run {newest} of suite api ")

    before = len(records(pytester.path))
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "average", *QUIET)

    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*vs average of 1 run since the accepted run {newest}:*"])
    # That run (and any attempt a warning of the judge asked for) is at the accepted level.
    since = 1 + len(records(pytester.path)) - before
    markdown = pytester.path / "summary.md"
    report = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--compare", "average", "--bfd-markdown", str(markdown), *QUIET
    )
    report.assert_outcomes(passed=1)
    report.stdout.fnmatch_lines([f"*vs average of {since} runs since the accepted run {newest}:*"])
    html = (pytester.path / ".bfd-artifacts" / "report.html").read_text()
    assert "accepted (tag default, " in html and "new level" in html
    assert f"- **api**: compared against run {newest}, accepted (tag default, " in markdown.read_text()


def test_a_run_that_fails_validation_is_not_accepted(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    write_catalog(SUITE)
    demo_server.set_control(fail_ratio=1.0)
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-accept", "new level", *QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*--bfd-accept: not accepted: the run failed validation; its record is at *"]
    )
    assert acceptances(pytester.path) == []
