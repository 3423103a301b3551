"""The foundation end to end: real Locust, a real HTTP target, pytest run through pytester."""

from __future__ import annotations

import contextlib
import json
import socket
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from examples.demo_target import DemoServer
from tests.locustfiles import one_request_locustfile
from tests.on_disk import stored_records

NO_STORE = ["--bfd-no-store", "-p", "no:cacheprovider"]


def test_passing_suite_is_one_passed_test_and_its_record_is_stored(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog("- name: ok\n  locustfile: api.py\n  tags: [smoke]\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*[[]bfd[]] ok *reqs*req/s*", "*suites.yaml::ok PASSED*"])
    records = stored_records(pytester.path)
    assert len(records) == 1
    record = records[0]
    assert record["suite"] == "ok"
    assert record["metadata"]["validation_result"] == "PASSED"  # type: ignore[index]
    assert record["metadata"]["compare_result"] == "NOT_APPLICABLE"  # type: ignore[index]
    assert record["totals"]["num_requests"] > 0  # type: ignore[index]
    names = {(t["task_name"], t["request_method"]) for t in record["tasks"]}  # type: ignore[union-attr,index]
    assert names == {("/v2/fhir/Patient", "GET"), ("/v2/fhir/Coverage", "GET")}
    artifacts = pytester.path / ".bfd-artifacts" / "ok" / "latest"
    assert (artifacts / "report.html").is_file()
    assert "Aggregated" in (artifacts / "locust.log").read_text()


def test_failing_endpoint_fails_on_fail_ratio(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(
        "- name: errors\n  locustfile: errors.py\n  max_fail_ratio: 0.1\n",
        locustfiles={"errors.py": one_request_locustfile("/status/500", wait=0.01)},
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*fail ratio: measured 1 (* of * requests failed), limit max_fail_ratio 0.1*"]
    )
    # Locust itself finished: its log is named, its tables are not repeated in the failure.
    result.stdout.fnmatch_lines(["*Locust's log: *locust.log"])
    result.stdout.no_fnmatch_line("*tail of Locust's log*")


def test_sla_breach_names_percentile_limit_and_measurement(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    demo_server.set_control(delay_ms=30)
    write_catalog("- name: slow\n  locustfile: api.py\n  sla: {p50: 5}\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SLA p50: measured * ms, limit 5 ms*"])


def test_suite_without_requests_fails(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(
        "- name: idle\n  locustfile: idle.py\n",
        locustfiles={
            "idle.py": """
                from locust import User, constant, task

                class Idle(User):
                    wait_time = constant(0.5)

                    @task
                    def nothing(self):
                        pass
            """
        },
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*requests: measured 0 requests, limit at least 1 request*"])


def test_locustfile_with_syntax_error_fails_with_locusts_message(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog(
        "- name: broken\n  locustfile: broken.py\n",
        locustfiles={"broken.py": "from locust import HttpUser\nclass Oops(HttpUser)\n    pass\n"},
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*Locust run failed: Locust exited with code * before producing statistics*"]
    )
    result.stdout.fnmatch_lines(["*SyntaxError*"])


def test_failsafe_stops_a_target_that_got_too_slow(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    demo_server.set_control(delay_ms=400)
    write_catalog("- name: sluggish\n  locustfile: api.py\n  failsafe_avg_ms: 100\n  spawned_runtime: 20s\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*failsafe: measured run aborted (failsafe: average response time * ms exceeded*"]
    )
    record = json.loads(
        next((pytester.path / ".bfd-artifacts" / "sluggish" / "latest").glob("*.stats.json")).read_text()
    )
    # The run stopped long before its 20 s spawned runtime.
    assert record["metadata"]["total_runtime"] < 10


def test_target_that_never_answers_still_ends(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(
        "- name: hang\n  locustfile: hang.py\n",
        locustfiles={"hang.py": one_request_locustfile("/hang", wait=0)},
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*requests: measured 0 requests*"])


def test_child_that_outlives_its_deadline_is_stopped(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(
        "- name: stuck\n  locustfile: stuck.py\n  spawned_runtime: 1s\n",
        locustfiles={
            "stuck.py": """
                import time
                from locust import HttpUser, constant, events, task

                @events.quitting.add_listener
                def never_finish(environment, **kwargs):
                    time.sleep(600)

                class Api(HttpUser):
                    wait_time = constant(0.1)

                    @task
                    def patient(self):
                        self.client.get("/v2/fhir/Patient?_id=1", name="/v2/fhir/Patient")
            """
        },
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-timeout-grace", "3", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*Locust did not finish within 5 s (spawn time + spawned runtime 2 s + grace 3 s)*"]
    )


def test_junitxml_carries_outcomes_and_figures(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(
        "- name: good\n  locustfile: api.py\n- name: strict\n  locustfile: slow.py\n  sla: {p99: 5}\n",
        locustfiles={"slow.py": one_request_locustfile("/slow?ms=20", wait=0)},
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--junitxml", "out.xml", *NO_STORE)
    result.assert_outcomes(passed=1, failed=1)
    cases = {case.get("name"): case for case in ET.parse(pytester.path / "out.xml").iter("testcase")}
    assert set(cases) == {"good", "strict"}
    assert cases["good"].find("failure") is None
    assert "SLA p99" in (cases["strict"].find("failure").get("message") or "")  # type: ignore[union-attr]
    properties = {p.get("name"): p.get("value") for p in cases["good"].iter("property")}
    assert int(properties["bfd_num_requests"] or 0) > 0
    assert properties["bfd_validation_result"] == "PASSED"
    assert len(properties["bfd_hash"] or "") == 64


def test_processes_mode_aggregates_all_workers(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: multi\n  locustfile: api.py\n  users: 4\n  spawn_rate: 4\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-processes", "2")
    result.assert_outcomes(passed=1)
    record = stored_records(pytester.path)[0]
    log = (pytester.path / ".bfd-artifacts" / "multi" / "latest" / "locust.log").read_text()
    assert "worker" in log.lower()
    assert record["metadata"]["num_total_users"] == 4  # type: ignore[index]
    assert record["totals"]["num_requests"] == sum(t["num_requests"] for t in record["tasks"])  # type: ignore[index,union-attr]
    # The load generator's CPU is recorded (Locust's measurement, the master's and its workers'),
    # from Locust's second measurement on (its first reads 0 over no interval: null).
    timeline = record["timeline"]  # type: ignore[index]
    cpu = [row[timeline["columns"].index("cpu_percent")] for row in timeline["samples"]]  # type: ignore[index]
    measured = [reading for reading in cpu if reading is not None]
    assert cpu[0] is None and measured and all(0 <= reading <= 400 for reading in measured), cpu


def test_processes_mode_runs_while_locusts_default_port_is_taken(
    pytester: pytest.Pytester, write_catalog
) -> None:
    """Another session's master (here a listening socket) on Locust's default 5557: --bfd-processes
    picks a free port of its own (CI met "Address already in use" with two sessions at once)."""
    write_catalog("- name: multi\n  locustfile: api.py\n  users: 2\n  spawn_rate: 2\n")
    with contextlib.ExitStack() as stack:
        taken = stack.enter_context(socket.socket())
        with contextlib.suppress(OSError):  # already taken by someone else: as good for this test
            taken.bind(("0.0.0.0", 5557))  # nosec B104: as Locust's default master binds
            taken.listen()
        result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-processes", "2")
    result.assert_outcomes(passed=1)
    assert stored_records(pytester.path)[0]["totals"]["num_requests"] > 0  # type: ignore[index]


def _processes_under(folder: Path) -> list[int]:
    """PIDs of the processes whose command line names a file under `folder`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if str(folder).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
    return found


def test_processes_workers_do_not_outlive_a_master_that_could_not_start(
    pytester: pytest.Pytester, write_catalog
) -> None:
    """The suite's own --master-bind-port is taken: Locust's master fails to bind after forking its
    workers, which waited for it, reparented to init, until the runner stopped the whole group."""
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))  # nosec B104: as Locust's master binds (every interface)
        taken.listen()
        port = taken.getsockname()[1]
        write_catalog(
            "- name: multi\n  locustfile: api.py\n  users: 2\n  spawn_rate: 2\n"
            f"  locust_args: ['--master-bind-port', '{port}', '--master-port', '{port}']\n"
        )
        result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-processes", "2")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Socket bind failure*"])
    assert _processes_under(pytester.path) == []


def test_seed_style_suite_runs_unchanged(
    pytester: pytest.Pytester, demo_server: DemoServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_suite = Path(__file__).parents[2] / "examples" / "seed_style_suite.py"
    pytester.path.joinpath("regression_suite.py").write_text(seed_suite.read_text())
    # The seed's suites take their secrets from the environment, as the Lambda passes them.
    monkeypatch.setenv("LOCUST_BFD_DATABASE_CONNECTION_STRING", "postgres://u:p@127.0.0.1:5432/fhirdb")
    monkeypatch.setenv("LOCUST_BFD_CLIENT_CERT_PATH", "/dev/null")
    result = pytester.runpytest(
        "--bfd-suite",
        "regression_suite.py",
        "--bfd-host",
        demo_server.url,
        "--bfd-users",
        "2",
        "--bfd-spawn-rate",
        "2",
        "--bfd-spawned-runtime",
        "2s",
        "-v",
    )
    result.assert_outcomes(passed=1)
    record = stored_records(pytester.path)[0]
    assert record["metadata"]["requested_runtime"] == 2  # type: ignore[index]
    assert record["totals"]["num_requests"] > 0  # type: ignore[index]


def test_collect_only_lists_suites_and_tags_select(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(
        "- name: first\n  locustfile: api.py\n  tags: [v2, smoke]\n"
        "- name: second\n  locustfile: api.py\n  tags: [v1]\n"
    )
    pytester.makepyfile(test_unrelated="def test_x():\n    assert False\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["suites.yaml::first", "suites.yaml::second", "2 tests collected*"])
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--collect-only", "-q", "-m", "v1", "--strict-markers"
    )
    result.stdout.fnmatch_lines(["suites.yaml::second", "1/2 tests collected (1 deselected)*"])
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--collect-only", "-q", "-k", "first")
    result.stdout.fnmatch_lines(["suites.yaml::first", "1/2 tests collected (1 deselected)*"])


@pytest.mark.parametrize(
    ("suites", "expected"),
    [
        ("- name: a\n  locustfile: api.py\n  userz: 3\n", "*suites.yaml: suite 'a': key 'userz': *"),
        ("- name: a\n  locustfile: missing.py\n", "*suites.yaml: suite 'a': key 'locustfile': *"),
        ("- name: a\n  locustfile: api.py\n  users: 0\n", "*suites.yaml: suite 'a': key 'users': *"),
        (
            "- name: a\n  locustfile: api.py\n  spawn_rate: 0\n",
            "*suites.yaml: suite 'a': key 'spawn_rate': *",
        ),
        (
            "- name: a\n  locustfile: api.py\n  spawned_runtime: 3x\n",
            "*suites.yaml: suite 'a': key 'spawned_runtime': *",
        ),
        ("- name: a\n  locustfile: api.py\n  host: 127.0.0.1:80\n", "*suites.yaml: suite 'a': key 'host': *"),
        ("- name: a\n  locustfile: api.py\n  users: ten\n", "*suites.yaml: suite 'a': key 'users': *"),
        (
            "- name: a\n  locustfile: api.py\n- name: a\n  locustfile: api.py\n",
            "*suites.yaml: suite 'a': key 'name': *",
        ),
    ],
)
def test_bad_catalog_is_one_clear_collection_error(
    pytester: pytest.Pytester, write_catalog, suites: str, expected: str
) -> None:
    write_catalog(suites)
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([expected])
    assert "Traceback" not in result.stdout.str()
    assert not (pytester.path / ".bfd-artifacts").exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--bfd-users", "0"], "*--bfd-users: expected a whole number >= 1, got '0'*"),
        (["--bfd-spawned-runtime", "soon"], "*--bfd-spawned-runtime: invalid timespan*"),
        (["--bfd-host", "example.org"], "*--bfd-host: expected a URL with scheme*"),
        (["--bfd-store-tag", "Nightly"], "*--bfd-store-tag: tags match [[]a-z0-9_[]]+, got 'Nightly'*"),
        (["--compare", "median"], "*--compare: expected previous or average, got 'median'*"),
        (["--bfd-store", "ftp://x"], "*--bfd-store: expected file://DIR or s3://*"),
    ],
)
def test_bad_option_is_a_usage_error(
    pytester: pytest.Pytester, write_catalog, args: list[str], expected: str
) -> None:
    write_catalog("- name: a\n  locustfile: api.py\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([expected])


def test_bad_environment_value_is_a_usage_error_naming_the_variable(
    pytester: pytest.Pytester, write_catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_catalog("- name: a\n  locustfile: api.py\n")
    monkeypatch.setenv("BFD_LOCUST_USERS", "many")
    result = pytester.runpytest("--bfd-suite", "suites.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*environment variable BFD_LOCUST_USERS (for --bfd-users): expected a whole number*"]
    )


def test_option_precedence_cli_over_environment_over_ini(
    pytester: pytest.Pytester, write_catalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_catalog("- name: a\n  locustfile: api.py\n")
    pytester.makeini("[pytest]\nbfd_users = 3\nbfd_env = from_ini\n")
    monkeypatch.setenv("BFD_LOCUST_USERS", "2")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-users", "1", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    record = stored_records(pytester.path)[0]
    assert record["metadata"]["num_total_users"] == 1  # type: ignore[index]
    assert record["metadata"]["environment"] == "from_ini"  # type: ignore[index]


def test_fixture_runs_a_suite_and_returns_the_record(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n")
    pytester.makepyfile(
        test_with_fixture="""
        def test_api_is_fast(bfd_locust):
            record = bfd_locust("suites.yaml", name="api", spawned_runtime=1)
            assert record.totals.num_requests > 0
            assert record.totals.num_failures == 0
            assert {t.task_name for t in record.tasks} == {"/v2/fhir/Patient", "/v2/fhir/Coverage"}
        """
    )
    result = pytester.runpytest("test_with_fixture.py")
    result.assert_outcomes(passed=1)
    assert not (pytester.path / ".bfd-stats").exists()


def test_progress_lines_keep_quiet_output_intact(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: quiet\n  locustfile: api.py\n  spawned_runtime: 3s\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-q", "--bfd-progress", "1", *NO_STORE)
    result.assert_outcomes(passed=1)
    lines = result.stdout.lines
    progress = [line for line in lines if line.startswith("[bfd] quiet ")]
    assert len(progress) >= 2  # at least every couple of seconds over a 4 s run
    assert all("users" in line and "req/s" in line and "fails" in line for line in progress)
    result.stdout.fnmatch_lines(["[[]bfd[]] quiet *", ".*[[]100%[]]", "*1 passed*"])
    quiet = pytester.runpytest("--bfd-suite", "suites.yaml", "-qq", *NO_STORE)
    assert not [line for line in quiet.stdout.lines if line.startswith("[bfd]")]


def test_credentials_in_the_host_reach_locust_but_not_the_record(
    pytester: pytest.Pytester, write_catalog, demo_server: DemoServer
) -> None:
    write_catalog("- name: creds\n  locustfile: api.py\n")
    host = demo_server.url.replace("http://", "http://reader:pw-9f2c@")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-host", host, "--junitxml", "out.xml")
    result.assert_outcomes(passed=1)
    record_text = next((pytester.path / ".bfd-stats").glob("hash=*/*.stats.json")).read_text()
    assert json.loads(record_text)["host"] == demo_server.url
    assert "pw-9f2c" not in record_text
    assert "pw-9f2c" not in (pytester.path / "out.xml").read_text()


def test_run_stopped_at_its_deadline_keeps_what_it_measured(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog(
        "- name: endless\n  locustfile: endless.py\n  spawned_runtime: 1s\n",
        locustfiles={
            "endless.py": """
                from locust import HttpUser, LoadTestShape, constant, task

                class NeverEnds(LoadTestShape):
                    def tick(self):
                        return (2, 2)  # a shape that forgets to stop

                class Api(HttpUser):
                    wait_time = constant(0.05)

                    @task
                    def patient(self):
                        self.client.get("/v2/fhir/Patient?_id=1", name="/v2/fhir/Patient")
            """
        },
    )
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--bfd-timeout-grace", "2", "-p", "no:cacheprovider"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Locust did not finish within 4 s*and was stopped*"])
    [record] = stored_records(pytester.path)
    assert record["totals"]["num_requests"] > 0  # type: ignore[index]
    assert record["metadata"]["validation_result"] == "FAILED"  # type: ignore[index]
