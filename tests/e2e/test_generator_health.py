"""A saturated load generator end to end: real Locust whose users keep its one process busy.

The users of `SATURATING` do client-side work (as a locustfile that parses or signs every response
does) between requests to the demo target's cheapest endpoint: Locust's process is above 90 % CPU
from its first measurement on, and a response waits for its greenlet behind the others' work, so
the run's response times are the generator's queueing (hundreds of ms against a target answering
in one). Same user class, same request name and the same load as `RELAXED`: the same hash, so the
relaxed run is the saturated run's baseline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_bfd_locust.figures import iso_utc
from tests.e2e.test_cli import bfd_locust

QUIET = ["-p", "no:cacheprovider"]
SUITE = "- name: api\n  locustfile: gen.py\n  users: 20\n  spawn_rate: 20\n  spawned_runtime: 4s\n"

RELAXED = """
from locust import HttpUser, constant, task


class Api(HttpUser):
    wait_time = constant(0.05)

    @task
    def health(self):
        self.client.get("/health")
"""

SATURATING = """
from locust import HttpUser, constant, task


class Api(HttpUser):
    wait_time = constant(0)

    @task
    def health(self):
        self.client.get("/health")
        sum(i * i for i in range(200_000))  # ~15 ms of this process's CPU per request
"""

ADVICE = "use fewer users per process, --bfd-processes or workers"


def records(root: Path) -> list[dict]:  # type: ignore[type-arg]
    paths = sorted(root.glob(".bfd-stats/hash=*/*.stats.json"), key=lambda p: p.name)
    return [json.loads(p.read_text()) for p in paths]


def cpu_readings(record: dict) -> list[float]:  # type: ignore[type-arg]
    timeline = record["timeline"]
    at = timeline["columns"].index("cpu_percent")
    return [row[at] for row in timeline["samples"] if row[at] is not None]


def saturated_run(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict]:  # type: ignore[type-arg]
    """Run the saturating suite once (no confirming attempt) and return its stored record.

    Locust measures its process's CPU time per second of wall time: on a machine whose cores are
    busy with other processes, a generator whose loop never idles reads 65-80 % (it waits to be
    scheduled), and the condition under test does not arise. Skipped then, with the readings, rather
    than judged: nothing in this test may fake them.
    """
    result = pytester.runpytest(*args, "--bfd-confirm", "0")
    record = records(pytester.path)[-1]
    readings = cpu_readings(record)
    if sum(reading > 90 for reading in readings) * 2 <= len(readings):
        pytest.skip(f"Locust measured {readings} % CPU: the machine's cores are busy elsewhere; rerun")
    return result, record


def test_a_saturated_generator_is_inconclusive_not_a_regression_and_never_a_baseline(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog(SUITE, locustfiles={"gen.py": RELAXED})
    args = ["--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET]
    pytester.runpytest(*args).assert_outcomes(passed=1)
    relaxed = records(pytester.path)[0]
    assert max(cpu_readings(relaxed)) < 90

    pytester.path.joinpath("gen.py").write_text(SATURATING)
    saturated, stored = saturated_run(pytester, *args)
    saturated.assert_outcomes(failed=1)
    # Its own reason, on the failure's first line; not the API's regression.
    saturated.stdout.re_match_lines(
        [rf".*inconclusive: the load generator used (9\d|1\d\d) % CPU for \d+ s of \d+; {ADVICE}$"]
    )
    assert "regressed" not in saturated.stdout.str()
    assert "regression against" not in saturated.stdout.str()
    assert stored["inconclusive"].startswith("the load generator used ")
    # The judge did find it slower than its baseline: that is what is not held against the API.
    assert stored["metadata"]["compare_result"] == "FAILED"
    assert stored["totals"]["median_response_time"] > 10 * max(relaxed["totals"]["median_response_time"], 1)

    # Not the next run's baseline: that is still the relaxed run.
    pytester.path.joinpath("gen.py").write_text(RELAXED)
    after = pytester.runpytest(*args, "-v")
    after.assert_outcomes(passed=1)
    after.stdout.fnmatch_lines([f"*vs previous run of {iso_utc(relaxed['metadata']['timestamp'])} *"])
    history = bfd_locust(pytester.path, "history", "--suite", "api")
    assert "inconclusive: the load generator used" in history.stdout, history.stdout


def test_warn_passes_an_inconclusive_run_with_the_reason_and_stores_it_as_no_baseline(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog(SUITE, locustfiles={"gen.py": RELAXED})
    args = ["--bfd-suite", "suites.yaml", "--compare", "previous", *QUIET]
    pytester.runpytest(*args).assert_outcomes(passed=1)
    pytester.path.joinpath("gen.py").write_text(SATURATING)
    warned, stored = saturated_run(pytester, *args, "--bfd-inconclusive", "warn")
    warned.assert_outcomes(passed=1)
    warned.stdout.fnmatch_lines(
        [f"*BfdLocustWarning: inconclusive: the load generator used * % CPU for * s of *; {ADVICE}"]
    )
    # No statistic is warned about either: the comparison measured the generator.
    assert "WARNING `" not in warned.stdout.str()
    assert "inconclusive" in stored


def test_a_bad_inconclusive_value_names_the_option(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(SUITE, locustfiles={"gen.py": RELAXED})
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-inconclusive", "ignore", *QUIET)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--bfd-inconclusive: expected fail or warn, got 'ignore'*"])
