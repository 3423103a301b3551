"""Confirm before failing, end to end: real Locust against the demo target, the delay (or a CPU hog
on this machine) changing between attempts, every attempt stored.

The locustfile reads what each run is to meet from a schedule file beside it, at Locust's
`test_start`: the target's delay (set through the demo target's `POST /__control`) or busy-loop
processes that it starts for that run only and stops by PID at `test_stop`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.demo_target import DemoServer

QUIET = ["-p", "no:cacheprovider"]
SUITE = "- name: api\n  locustfile: scheduled.py\n"

SCHEDULED_LOCUSTFILE = """
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from locust import HttpUser, constant, events, task

HERE = Path(__file__).parent
SCHEDULE = HERE / "schedule.json"
HOG_PIDS = HERE / "hog.pids"


@events.test_start.add_listener
def next_in_schedule(environment, **kwargs):
    schedule = json.loads(SCHEDULE.read_text())
    run = schedule.pop(0) if schedule else {}
    SCHEDULE.write_text(json.dumps(schedule))
    control = json.dumps({"delay_ms": run.get("delay_ms", 0)}).encode()
    request = urllib.request.Request(
        environment.host + "/__control", data=control, headers={"Content-Type": "application/json"}
    )
    urllib.request.urlopen(request, timeout=5).read()
    if run.get("crash"):
        os._exit(3)  # Locust dies before any load: no statistics
    if run.get("hog"):
        hogs = [
            subprocess.Popen([sys.executable, "-c", "while True: pass"])
            for _ in range(2 * (os.cpu_count() or 1))
        ]
        HOG_PIDS.write_text(" ".join(str(hog.pid) for hog in hogs))


@events.test_stop.add_listener
def stop_hogs(environment, **kwargs):
    if HOG_PIDS.exists():
        for pid in HOG_PIDS.read_text().split():
            try:
                os.kill(int(pid), signal.SIGKILL)
                os.waitpid(int(pid), 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        HOG_PIDS.unlink()


class Api(HttpUser):
    wait_time = constant(0.01)

    @task
    def patient_then_coverage(self):
        # Both endpoints in every iteration: a slow run of a few requests still has both entries, so
        # its hash (which names them) is the baseline's. Two weighted tasks left a 500 ms run of 8
        # requests without a Coverage request 1 time in 10: a new hash, no baseline, a pass.
        self.client.get("/v2/fhir/Patient?_id=1", name="/v2/fhir/Patient")
        self.client.get("/v2/fhir/Coverage?beneficiary=1", name="/v2/fhir/Coverage")
"""

SEED_THRESHOLDS = {
    "totals": [
        {"name": "0.5", "better_if": "SMALLER", "warn_percent": 150, "fail_percent": 200},
        {"name": "0.95", "better_if": "SMALLER", "warn_percent": 150, "fail_percent": 200},
    ],
    "tasks": [],
}
"""A threshold file with only the seed's keys: fixed ratios, no judge."""


@pytest.fixture
def scheduled(pytester: pytest.Pytester, write_catalog, demo_server: DemoServer) -> Iterator[Path]:  # type: ignore[no-untyped-def]
    """A catalog whose runs follow `schedule.json`; any hog left running is stopped by its PID."""
    write_catalog(SUITE, locustfiles={"scheduled.py": SCHEDULED_LOCUSTFILE})
    schedule = pytester.path / "schedule.json"
    schedule.write_text("[]")
    yield schedule
    pids = pytester.path / "hog.pids"
    if pids.exists():
        for pid in pids.read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def plan(schedule: Path, *runs: dict[str, object]) -> None:
    schedule.write_text(json.dumps(list(runs)))


def stored(root: Path) -> list[dict]:  # type: ignore[type-arg]
    paths = sorted(root.glob(".bfd-stats/hash=*/*.stats.json"), key=lambda p: p.name)
    return [json.loads(p.read_text()) for p in paths]


def results(root: Path) -> list[str]:
    return [record["metadata"]["compare_result"] for record in stored(root)]


def properties(junit: Path) -> dict[str, str]:
    case = ET.parse(junit).getroot().find(".//testcase")
    assert case is not None
    return {p.get("name", ""): p.get("value", "") for p in case.iter("property")}


# 40 ms, not the demo's 1-2 ms: one earlier run of a 1-2 ms endpoint on a busy machine (a p90 of
# 7-15 ms) leaves the judge's cold start a bar of +2000 % or more (README, `--slowed patient`), and a
# 200 ms attempt then passes as noise. These tests are about confirmation, not that weak spot.
SLOW = {"delay_ms": 200}
FAST = {"delay_ms": 40}
# The seed's fixed ratios (fail at 2x) judge a median and a p95 with no noise model: a 2 ms run's p95
# doubles on a busy machine. Its test keeps both levels far from that: 100 ms, and 4x for the slow.
SEED_SLOW = {"delay_ms": 400}
SEED_FAST = {"delay_ms": 100}
COMPARE = ["--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET]


def test_a_slow_first_attempt_that_does_not_repeat_passes(pytester: pytest.Pytester, scheduled: Path) -> None:
    plan(scheduled, FAST)
    pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET).assert_outcomes(passed=1)
    plan(scheduled, SLOW, FAST, FAST)
    result = pytester.runpytest(*COMPARE, "--junitxml", "junit.xml")
    result.assert_outcomes(passed=1)
    # Every attempt stored as the run it was: the slow one FAILED, the two after it PASSED.
    assert results(pytester.path) == ["NOT_APPLICABLE", "FAILED", "PASSED", "PASSED"]
    assert json.loads(scheduled.read_text()) == []
    result.stdout.fnmatch_lines(
        [
            "*suites.yaml::api: passed: *",
            "    attempt 1 of up to 3 (run *): * reqs, p50 * ms, p95 * ms, * req/s; comparison FAILED, *",
            "    attempt 2 of up to 3 (run *): *; comparison PASSED; record at *.stats.json",
            "    attempt 3 of up to 3 (run *): *; comparison PASSED; record at *.stats.json",
            "    not confirmed, decided by attempt *: attempt 1's failures did not repeat in a majority *",
        ]
    )
    junit = properties(pytester.path / "junit.xml")
    assert junit["bfd_attempts"] == "3"
    assert junit["bfd_attempt_1"].startswith("attempt 1 of up to 3 (run ")
    assert "comparison FAILED" in junit["bfd_attempt_1"]
    assert junit["bfd_confirmation"].startswith("not confirmed, decided by attempt ")
    assert junit["bfd_compare_result"] == "PASSED"  # the last attempt's record


def test_a_slowdown_in_every_attempt_fails_naming_the_attempts(
    pytester: pytest.Pytester, scheduled: Path
) -> None:
    plan(scheduled, FAST)
    pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET).assert_outcomes(passed=1)
    plan(scheduled, SLOW, SLOW, SLOW)
    result = pytester.runpytest(*COMPARE)
    result.assert_outcomes(failed=1)
    # Confirmed by the second attempt: the third is never run.
    assert results(pytester.path) == ["NOT_APPLICABLE", "FAILED", "FAILED"]
    assert json.loads(scheduled.read_text()) == [SLOW]
    result.stdout.fnmatch_lines(
        [
            "*statistics regressed in 2 of 2 attempts, worst*",
            "*regression against the previous run of *",
            "attempts:",
            "  attempt 1 of up to 3 (run *): *comparison FAILED, *",
            "  attempt 2 of up to 3 (run *): *comparison FAILED, *",
            "  confirmed, decided by attempt *: * regressed in a majority of the attempts (a majority of "
            "3 attempts is 2*); worst * failed in attempts 1, 2*; each statistic is shown at its median "
            "attempt",
        ]
    )


def test_a_confirming_attempt_that_crashes_fails_at_once_and_loses_nothing(
    pytester: pytest.Pytester, scheduled: Path
) -> None:
    plan(scheduled, FAST)
    pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET).assert_outcomes(passed=1)
    plan(scheduled, SLOW, {"crash": True}, FAST)
    result = pytester.runpytest(*COMPARE, "--junitxml", "junit.xml")
    result.assert_outcomes(failed=1)
    assert results(pytester.path) == ["NOT_APPLICABLE", "FAILED"]  # the first attempt, stored
    assert json.loads(scheduled.read_text()) == [FAST]  # no third attempt after a crash
    result.stdout.fnmatch_lines(
        [
            "Locust run failed; * regressed, worst*",
            "  attempt 1 of up to 3 (run *): *comparison FAILED, *; record at *.stats.json",
            "  attempt 2 of up to 3: no statistics (Locust run failed: *",
        ]
    )
    junit = properties(pytester.path / "junit.xml")
    assert junit["bfd_compare_result"] == "FAILED"  # the first attempt's figures are the suite's
    assert junit["bfd_attempts"] == "2" and "bfd_confirmation" not in junit


def test_the_seeds_threshold_file_fails_at_once_unless_asked(
    pytester: pytest.Pytester, scheduled: Path
) -> None:
    (pytester.path / "seed.json").write_text(json.dumps(SEED_THRESHOLDS))
    seed = ["--compare-meta", "seed.json"]
    plan(scheduled, SEED_FAST)
    pytester.runpytest("--bfd-suite", "suites.yaml", *seed, *QUIET).assert_outcomes(passed=1)
    plan(scheduled, SEED_SLOW, SEED_FAST, SEED_FAST)
    pytester.runpytest(*COMPARE, *seed).assert_outcomes(failed=1)
    assert results(pytester.path) == ["NOT_APPLICABLE", "FAILED"]  # one attempt: the seed's behaviour
    assert json.loads(scheduled.read_text()) == [SEED_FAST, SEED_FAST]
    plan(scheduled, SEED_SLOW, SEED_FAST)
    asked = pytester.runpytest(*COMPARE, *seed, "--bfd-confirm", "1")
    # Two attempts: a statistic fails only when it fails in both.
    asked.assert_outcomes(passed=1)
    assert results(pytester.path) == ["NOT_APPLICABLE", "FAILED", "FAILED", "PASSED"]
    asked.stdout.fnmatch_lines(["    attempt 2 of up to 2 (run *): *comparison PASSED*"])


@pytest.mark.parametrize("earlier_runs", [1, 6])
def test_a_cpu_hog_during_one_comparison_run_does_not_fail_an_unchanged_api(
    pytester: pytest.Pytester, scheduled: Path, earlier_runs: int
) -> None:
    plan(scheduled, *[FAST] * earlier_runs)
    for _ in range(earlier_runs):
        pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET).assert_outcomes(passed=1)
    plan(scheduled, {"hog": True, **FAST}, FAST, FAST)
    result = pytester.runpytest(*COMPARE)
    result.assert_outcomes(passed=1)
    assert not (pytester.path / "hog.pids").exists()  # the locustfile stopped its hogs
    judged = results(pytester.path)[earlier_runs:]
    # The hog's run is stored as it was judged; later attempts ran only if it failed or the judge
    # warned (a warned run is stored PASSED), and they did not confirm it.
    if judged[0] == "FAILED":
        assert len(judged) > 1
    if len(judged) > 1:
        result.stdout.fnmatch_lines(["    not confirmed, decided by attempt *"])
        assert "comparison PASSED" in result.stdout.str()
    else:
        assert judged == ["PASSED"]
        assert "warned, worst" not in result.stdout.str()


def test_a_negative_confirm_is_a_usage_error_naming_the_option(
    pytester: pytest.Pytester, write_catalog
) -> None:  # type: ignore[no-untyped-def]
    write_catalog(SUITE)
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-confirm", "-1", *QUIET)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*argument --bfd-confirm: expected a whole number >= 0, got '-1'*"])
    assert not stored(pytester.path)


@pytest.mark.parametrize("value", ["-1", '"x"'])
def test_a_bad_catalog_confirm_is_a_collection_error(
    pytester: pytest.Pytester,
    write_catalog,
    value: str,  # type: ignore[no-untyped-def]
) -> None:
    write_catalog(SUITE.replace("scheduled.py", "api.py") + f"  confirm: {value}\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *QUIET)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*suites.yaml: suite 'api': key 'confirm': expected a whole number >= 0*"])
    assert not stored(pytester.path)
