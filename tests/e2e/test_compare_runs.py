"""Baselines end to end: store, compare against previous/average, fail on regressions."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from examples.demo_target import DemoServer
from pytest_bfd_locust.figures import iso_utc
from pytest_bfd_locust.record import record_hash
from tests.locustfiles import BOTH_EVERY_ITERATION_LOCUSTFILE
from tests.record_factory import make_record, make_task, make_totals

QUIET = ["-p", "no:cacheprovider"]
SUITE = "- name: api\n  locustfile: api.py\n"


def records(root: Path) -> list[dict]:  # type: ignore[type-arg]
    paths = sorted(root.glob(".bfd-stats/hash=*/*.stats.json"), key=lambda p: p.name)
    return [json.loads(p.read_text()) for p in paths]


def test_first_run_warns_second_compares_and_passes(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog(SUITE)
    first = pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET)
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(
        ["*suites.yaml:7: BfdLocustWarning: no eligible baseline under tag 'default'*"]
    )
    second = pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET)
    second.assert_outcomes(passed=1)
    second.stdout.fnmatch_lines(["*suites.yaml::api: passed: * vs previous run of *"])
    stored = records(pytester.path)
    # The second run, and its confirming attempts had the judge warned (each stored), passed.
    results = [r["metadata"]["compare_result"] for r in stored]
    assert results[0] == "NOT_APPLICABLE" and results[1:] and set(results[1:]) == {"PASSED"}
    assert all(r["metadata"]["validation_result"] == "PASSED" for r in stored)


def test_slower_target_fails_and_names_the_statistics(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    # Both endpoints in every iteration: the slow run makes about 14 requests.
    write_catalog(
        "- name: api\n  locustfile: both.py\n", locustfiles={"both.py": BOTH_EVERY_ITERATION_LOCUSTFILE}
    )
    # Endpoints of 40 ms: a 1-3 ms endpoint's one-run spread on a busy machine (a 2 ms median read
    # 5 ms with a p90 of 14 ms) makes the prior so wide that 5 -> 210 ms only warned with one earlier
    # run (the judge's known cold-start weakness on few-ms endpoints, README; not what this test is
    # about). A 40 ms endpoint's spread is a few percent.
    demo_server.set_control(delay_ms=40)
    pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET).assert_outcomes(passed=1)
    # Sixfold: beyond even the noise assumed with one earlier run.
    demo_server.set_control(delay_ms=240)
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*regression against the previous run of *",
            "*scope*statistic*baseline*current*change*fails beyond*noise of one run*result*",
            "*totals*median*mostly prior (1 run)*FAILURE*",
        ]
    )
    assert "FAILED" == records(pytester.path)[-1]["metadata"]["compare_result"]
    # The failed run is stored, but never becomes a baseline: the next run compares with the first.
    demo_server.set_control(delay_ms=40)
    third = pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "previous", "-v", *QUIET)
    third.assert_outcomes(passed=1)
    first_timestamp = records(pytester.path)[0]["metadata"]["timestamp"]
    third.stdout.fnmatch_lines([f"*vs previous run of {iso_utc(first_timestamp)} *"])
    # One earlier run: the noise is assumed, and a passing run says what could not fail yet.
    third.stdout.re_match_lines(
        [
            r"    history: 1 earlier run, noise mostly prior; slowdowns below \+\d+ % cannot fail yet"
            r" \(lowest bar: `.+` .+\)"
        ]
    )


def test_unchanged_runs_pass_and_a_slowed_endpoint_fails_in_words(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    """A/A runs pass under the packaged judge; once the history measures the noise, one endpoint
    made five times slower fails, and the failure says so in words, with its interval and noise;
    a faster run passes and the change points say since which run the new level holds."""
    write_catalog(SUITE)
    demo_server.set_control(path_delay_ms={"/v2/fhir/Coverage": 20})
    args = ["--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET]
    for _ in range(6):  # one to start the history, then five unchanged runs judged against it
        pytester.runpytest(*args).assert_outcomes(passed=1)
    demo_server.set_control(path_delay_ms={"/v2/fhir/Coverage": 100})
    result = pytester.runpytest(*args, "-v")  # -v: the summary lists every statistic in words
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines(
        [
            r".*FAILURE `GET /v2/fhir/Coverage` median \d+ -> \d+ ms: worse by \+\d+ %, beyond the \+\d+ %"
            r" it takes to fail; (noise of one run over the last 6 runs:"
            r"|only 6 earlier runs: the noise of one run is mostly the packaged prior,) ±\d+(\.\d)? %",
        ]
    )
    # The Patient endpoint's own response times are unchanged (its throughput falls with the
    # Coverage endpoint's: the same users request both, one after the other).
    for statistic in ("median", "average", "p90", "p95"):
        assert f"FAILURE `GET /v2/fhir/Patient` {statistic} " not in result.stdout.str()
    # The failure says it; no "level shift" line repeats it.
    assert "level shift: `GET /v2/fhir/Coverage` median" not in result.stdout.str()
    # Faster than ever: passes, and the history's change points say since when.
    demo_server.set_control(path_delay_ms={})
    faster = pytester.runpytest(*args)
    faster.assert_outcomes(passed=1)
    # A level shift of this run beside a PASS says why it passed. Which of the endpoint's
    # statistics shows one depends on how noisy the history's runs were (a busy machine's first run
    # shifts its p95 more than its median): any of them, but on the endpoint that got faster.
    faster.stdout.re_match_lines(
        [
            r"\s*level shift: `GET /v2/fhir/Coverage` (median|average|p90|p95) \S+ -> \S+ ms \(-\d+ %\)"
            r" since this run \(change point, p [=<] \S+\); passes: not worse \(fails above \+\d+ %\)"
        ]
    )
    stored = records(pytester.path)
    codes = "".join(r["metadata"]["compare_result"][0] for r in stored)
    # The slowed run failed and was confirmed (issue 17: every attempt is stored; a confirming
    # attempt that only warned is stored as PASSED); an unchanged run the judge warned about ran
    # again, each attempt stored as PASSED. Then the faster run passed.
    assert re.fullmatch(r"NP{5,}F[FP]*P", codes), codes


def test_compare_average_uses_the_last_n_runs(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog(SUITE)
    for _ in range(2):
        pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET).assert_outcomes(passed=1)
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--compare", "average", "--compare-load-limit", "5", *QUIET
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*vs average of 2 runs:*"])


def test_seed_flat_layout_records_are_baselines(pytester: pytest.Pytester, write_catalog) -> None:
    """A record written by the seed (flat layout, no additions) is found by hash and compared."""
    write_catalog(SUITE)
    run_hash = record_hash(
        user_classes=["Api"],
        entry_names=["/v2/fhir/Coverage", "/v2/fhir/Patient"],
        num_users=2,
        requested_runtime=2,
        spawn_rate=2,
        stats_reset_after_spawn=False,
        environment="local",
    )
    # Seed-era throughput far above anything this machine does: the comparison must fail on it.
    seed = make_record(
        timestamp=1_600_000_000,
        hash=run_hash,
        total_runtime=2.0,
        totals=make_totals(total_reqs_per_second=1_000_000.0, num_requests=2_000_000),
        tasks=[make_task("/v2/fhir/Coverage"), make_task("/v2/fhir/Patient")],
    )
    data = seed.to_json()
    for key in ("run_id", "suite", "host", "histograms", "errors"):
        data.pop(key, None)
    flat = pytester.path / ".bfd-stats" / f"1600000000-{run_hash}.stats.json"
    flat.parent.mkdir(parents=True)
    flat.write_text(json.dumps(data))
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*regression against the previous run of 2020-09-13T12:26:40Z*"])
    result.stdout.fnmatch_lines(["*totals*req/s*1000000.0/s*FAILURE*"])


def test_detail_junit_has_one_testcase_per_statistic(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog(SUITE + "- name: other\n  locustfile: api.py\n  users: 1\n  spawn_rate: 1\n")
    pytester.runpytest("--bfd-suite", "suites.yaml", "-k", "api", *QUIET).assert_outcomes(
        passed=1, deselected=1
    )
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--compare", "previous", "--bfd-junit-detail", "detail.xml", *QUIET
    )
    result.assert_outcomes(passed=2)
    root = ET.parse(pytester.path / "detail.xml").getroot()
    suites = {suite.get("name"): suite for suite in root.iter("testsuite")}
    assert set(suites) == {"api", "other"}
    api_cases = [case.get("name") for case in suites["api"].iter("testcase")]
    thresholds = json.loads(
        (Path(__file__).parents[2] / "pytest_bfd_locust" / "judge" / "default_compare_meta.json").read_text()
    )
    # totals rules + tasks rules for each of the two endpoints
    assert len(api_cases) == len(thresholds["totals"]) + 2 * len(thresholds["tasks"])
    assert "median" in api_cases and "p95" in api_cases
    other_cases = list(suites["other"].iter("testcase"))
    assert len(other_cases) == 1 and other_cases[0].find("skipped") is not None


def test_warning_can_be_escalated_to_a_failure(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(SUITE)
    result = pytester.runpytest(
        "--bfd-suite",
        "suites.yaml",
        "--compare",
        "previous",
        "-W",
        "error::pytest_bfd_locust.BfdLocustWarning",
        *QUIET,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*no eligible baseline under tag 'default'*"])


def test_store_failure_fails_the_item_and_keeps_the_record(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(SUITE)
    (pytester.path / "blocker").write_text("a file where the store's directory should be")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-store", "file://blocker/stats", *QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*storing the record in * failed: *; the record is kept at *.stats.json*"])
    kept = list((pytester.path / ".bfd-artifacts" / "api" / "latest").glob("*.stats.json"))
    assert len(kept) == 1
    assert json.loads(kept[0].read_text())["metadata"]["validation_result"] == "PASSED"


def test_bad_threshold_file_is_a_collection_error(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(SUITE)
    (pytester.path / "meta.json").write_text(
        '{"totals": [{"name": "p95", "better_if": "SMALLER"}], "tasks": []}'
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--compare-meta", "meta.json", *QUIET)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*meta.json*totals*"])
    assert "Traceback" not in result.stdout.str()


def test_unwritable_detail_file_is_reported_plainly(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(SUITE)
    (pytester.path / "blocker").write_text("a file where a directory should be")
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--bfd-junit-detail", "blocker/detail.xml", *QUIET
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["bfd-locust: could not write --bfd-junit-detail *blocker/detail.xml: *"])
    assert "INTERNALERROR" not in result.stdout.str()
