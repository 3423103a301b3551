"""Distributed runs without running them: the bind address, the options and the catalog's `workers:`
block, the record's worker count, the worker-loss rule, the master's argv and deadline, the worker
command, the progress line, and the master's warnings picked out of its log."""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.judge.validation import ValidationRules, validate
from pytest_bfd_locust.record import Record, WorkerContribution, WorkerCount
from pytest_bfd_locust.run.child_control import ChildControl
from pytest_bfd_locust.run.progress import Progress, format_progress
from pytest_bfd_locust.run.runner import RunRequest, locust_command
from pytest_bfd_locust.run.worker_log import MAX_WORKER_NOTES, worker_warnings
from pytest_bfd_locust.settings import BfdSettings, SettingsError, master_bind, resolve
from pytest_bfd_locust.suite_run import effective_suite, execute_suite, validation_rules
from pytest_bfd_locust.suites import CatalogError, Suite, load_catalog
from pytest_bfd_locust.workers import (
    DEFAULT_MASTER_BIND,
    DEFAULT_WORKER_WAIT,
    MasterBind,
    MasterBindError,
    Workers,
    missing_workers_message,
    parse_master_bind,
    worker_command,
)
from tests.record_factory import make_record

# --- the bind address ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "host", "port", "loopback_only", "shown"),
    [
        ("127.0.0.1:5557", "127.0.0.1", 5557, True, "127.0.0.1:5557"),
        ("localhost:6000", "localhost", 6000, True, "localhost:6000"),
        ("0.0.0.0:5557", "0.0.0.0", 5557, False, "0.0.0.0:5557"),
        ("*:5557", "*", 5557, False, "*:5557"),
        ("10.1.2.3:1", "10.1.2.3", 1, False, "10.1.2.3:1"),
        ("master.ci.internal:65535", "master.ci.internal", 65535, False, "master.ci.internal:65535"),
        ("[::1]:5557", "::1", 5557, True, "[::1]:5557"),
        ("[::]:5557", "::", 5557, False, "[::]:5557"),
        (" 127.0.0.1:5557 ", "127.0.0.1", 5557, True, "127.0.0.1:5557"),
    ],
)
def test_master_bind_parses(text: str, host: str, port: int, loopback_only: bool, shown: str) -> None:
    bind = parse_master_bind(text)
    assert (bind.host, bind.port, bind.loopback_only, str(bind)) == (host, port, loopback_only, shown)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("127.0.0.1", "expected HOST:PORT"),
        ("5557", "expected HOST:PORT"),
        (":5557", "expected HOST:PORT"),
        ("127.0.0.1:", "expected HOST:PORT"),
        ("127.0.0.1:port", "expected HOST:PORT"),
        ("127.0.0.1:0", "between 1 and 65535"),
        ("127.0.0.1:65536", "between 1 and 65535"),
        ("::1:5557", "expected HOST:PORT"),
        ("[not-v6]:5557", "expected HOST:PORT"),
        ("[12345::]:5557", "not an IPv6 address"),
        ("bad_host:5557", "not a host name"),
        ("-dash:5557", "not a host name"),
    ],
)
def test_master_bind_rejects_naming_the_text(text: str, fragment: str) -> None:
    with pytest.raises(MasterBindError) as info:
        parse_master_bind(text)
    assert fragment in str(info.value)
    assert repr(text) in str(info.value)


def test_every_interface_is_written_the_way_locust_takes_it() -> None:
    assert [MasterBind(host, 1).locust_host for host in ("*", "0.0.0.0", "::", "10.0.0.1")] == [
        "*",
        "*",
        "*",
        "10.0.0.1",
    ]


@pytest.mark.parametrize(
    ("bind", "expected"),
    [
        (DEFAULT_MASTER_BIND, "locust --worker -f - --master-host 127.0.0.1 --master-port 5557"),
        (MasterBind("10.0.0.7", 6000), "locust --worker -f - --master-host 10.0.0.7 --master-port 6000"),
        (MasterBind("0.0.0.0", 5557), "locust --worker -f - --master-host ci-runner-3 --master-port 5557"),
        (MasterBind("*", 5557), "locust --worker -f - --master-host ci-runner-3 --master-port 5557"),
    ],
)
def test_worker_command_fills_in_host_and_port(bind: MasterBind, expected: str) -> None:
    assert worker_command(bind, this_host="ci-runner-3") == expected


def test_missing_workers_message_names_the_address_the_workers_must_reach() -> None:
    bind = MasterBind("169.254.77.1", 5557)
    assert missing_workers_message(4, 3, 59.6, bind, this_host="ci-runner-3") == (
        "expected 4 workers, 3 connected after 60 s to the master at 169.254.77.1:5557 (workers were "
        "to run `locust --worker -f - --master-host 169.254.77.1 --master-port 5557`; check that they "
        "can reach that address and port)"
    )
    every_interface = missing_workers_message(1, 0, 3, MasterBind("*", 6000), this_host="ci-runner-3")
    assert (
        "at *:6000" in every_interface and "--master-host ci-runner-3 --master-port 6000" in every_interface
    )


# --- options --------------------------------------------------------------------------------------


def _resolve(cli: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> BfdSettings:
    return resolve(cli or {}, environ or {}, {}.get, rootdir=Path("/root"))


def test_worker_options_default_to_one_machine() -> None:
    settings = _resolve()
    assert (settings.expect_workers, settings.master_bind, settings.worker_wait) == (None, None, None)
    assert settings.allow_worker_loss is False


def test_worker_options_from_the_environment() -> None:
    settings = _resolve(
        environ={
            "BFD_LOCUST_EXPECT_WORKERS": "3",
            "BFD_LOCUST_MASTER_BIND": "0.0.0.0:6000",
            "BFD_LOCUST_WORKER_WAIT": "90",
            "BFD_LOCUST_ALLOW_WORKER_LOSS": "true",
        }
    )
    assert settings.expect_workers == 3
    assert settings.master_bind == MasterBind("0.0.0.0", 6000)
    assert settings.worker_wait == 90.0
    assert settings.allow_worker_loss is True


def test_bad_master_bind_from_the_environment_names_the_variable() -> None:
    with pytest.raises(SettingsError) as info:
        _resolve(environ={"BFD_LOCUST_MASTER_BIND": "5557"})
    assert "BFD_LOCUST_MASTER_BIND (for --bfd-master-bind): expected HOST:PORT" in str(info.value)


def test_master_bind_type_function_raises_argparse_errors() -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        master_bind("nowhere")


def test_processes_and_expect_workers_exclude_each_other() -> None:
    with pytest.raises(SettingsError) as info:
        _resolve({"bfd_processes": 2}, {"BFD_LOCUST_EXPECT_WORKERS": "2"})
    assert "--bfd-processes and --bfd-expect-workers cannot be combined" in str(info.value)


# --- the catalog's workers block -----------------------------------------------------------------


def _catalog(tmp_path: Path, text: str) -> Path:
    (tmp_path / "locustfile.py").write_text("from locust import HttpUser\n")
    path = tmp_path / "suites.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_workers_block_merges_over_defaults(tmp_path: Path) -> None:
    path = _catalog(
        tmp_path,
        """\
        defaults:
          workers: {expect: 4, master_bind: "0.0.0.0:6000"}
        suites:
          - {name: inherits, locustfile: locustfile.py}
          - name: overrides
            locustfile: locustfile.py
            workers: {expect: 2, wait: 2m, allow_loss: true}
          - {name: seconds, locustfile: locustfile.py, workers: {wait: 45.5}}
        """,
    )
    suites = {suite.name: suite for suite in load_catalog(path).suites}
    bind = MasterBind("0.0.0.0", 6000)
    assert suites["inherits"].workers == Workers(expect=4, master_bind=bind, wait=DEFAULT_WORKER_WAIT)
    assert suites["overrides"].workers == Workers(expect=2, master_bind=bind, wait=120.0, allow_loss=True)
    assert suites["seconds"].workers == Workers(expect=4, master_bind=bind, wait=45.5)


def test_suite_without_workers_block_runs_on_one_machine(tmp_path: Path) -> None:
    path = _catalog(tmp_path, "suites:\n  - {name: a, locustfile: locustfile.py}\n")
    assert load_catalog(path).suites[0].workers is None


@pytest.mark.parametrize(
    ("block", "key", "fragment"),
    [
        ("workers: 2", "workers", "expected a mapping such as {expect: 4}"),
        ("workers: {wait: 5}", "workers.expect", "missing"),
        ("workers: {expect: 0}", "workers.expect", "expected a whole number >= 1, got 0"),
        ("workers: {expect: true}", "workers.expect", "got True"),
        ("workers: {expect: 2.5}", "workers.expect", "got 2.5"),
        ("workers: {expect: 2, master_bind: 5557}", "workers.master_bind", "as a string, got 5557"),
        ("workers: {expect: 2, master_bind: 'x:99999'}", "workers.master_bind", "between 1 and 65535"),
        ("workers: {expect: 2, wait: 0}", "workers.wait", "must be > 0"),
        ("workers: {expect: 2, wait: 0s}", "workers.wait", "must be > 0"),
        ("workers: {expect: 2, wait: soon}", "workers.wait", "invalid timespan 'soon'"),
        ("workers: {expect: 2, allow_loss: maybe}", "workers.allow_loss", "expected true or false"),
        ("workers: {expect: 2, expected: 3}", "workers.expected", "did you mean 'expect'?"),
    ],
)
def test_bad_workers_block_names_file_suite_and_key(
    tmp_path: Path, block: str, key: str, fragment: str
) -> None:
    path = _catalog(tmp_path, f"suites:\n  - name: big\n    locustfile: locustfile.py\n    {block}\n")
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert (info.value.file, info.value.suite, info.value.key) == (path, "big", key)
    assert str(info.value).startswith(f"{path}: suite 'big': key '{key}': ")
    assert fragment in str(info.value)


def test_bad_workers_block_in_defaults_says_so(tmp_path: Path) -> None:
    path = _catalog(
        tmp_path, "defaults: {workers: {expect: -1}}\nsuites:\n  - {name: a, locustfile: locustfile.py}\n"
    )
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    assert str(info.value).endswith("got -1 (value from defaults)")


# --- the command line over the catalog -------------------------------------------------------------


def _suite(workers: Workers | None = None) -> Suite:
    return Suite(name="s", catalog=Path("/c.yaml"), locustfile=Path("/l.py"), host=None, workers=workers)


@pytest.mark.parametrize(
    ("catalog", "settings", "expected"),
    [
        (None, BfdSettings(), None),
        (None, BfdSettings(expect_workers=3), Workers(expect=3)),
        (
            None,
            BfdSettings(expect_workers=3, master_bind=MasterBind("0.0.0.0", 6000), worker_wait=5.0),
            Workers(expect=3, master_bind=MasterBind("0.0.0.0", 6000), wait=5.0),
        ),
        # without an expected number anywhere, the other worker options have nothing to act on
        (None, BfdSettings(worker_wait=5.0, allow_worker_loss=True), None),
        (Workers(expect=2, wait=30.0), BfdSettings(), Workers(expect=2, wait=30.0)),
        (
            Workers(expect=2, wait=30.0),
            BfdSettings(expect_workers=8, allow_worker_loss=True),
            Workers(expect=8, wait=30.0, allow_loss=True),
        ),
    ],
)
def test_command_line_worker_options_override_the_catalog(
    catalog: Workers | None, settings: BfdSettings, expected: Workers | None
) -> None:
    assert effective_suite(_suite(catalog), settings).workers == expected


def test_allow_loss_reaches_the_validation_rules() -> None:
    assert validation_rules(_suite(Workers(expect=2, allow_loss=True))).allow_worker_loss is True
    assert validation_rules(_suite(Workers(expect=2))).allow_worker_loss is False
    assert validation_rules(_suite()).allow_worker_loss is False


# --- the record and validation ----------------------------------------------------------------


def test_record_keeps_its_worker_count_and_reads_records_without_one() -> None:
    record = make_record()
    assert record.workers is None and "workers" not in record.to_json()
    counted = Record.from_json({**record.to_json(), "workers": {"expected": 3, "started": 3, "finished": 2}})
    assert counted.workers == WorkerCount(expected=3, started=3, finished=2)
    assert counted.workers.lost == 1
    assert Record.from_json(counted.to_json()) == counted
    assert counted.extra == {}


def test_record_keeps_what_each_worker_sent_and_when_a_lost_one_went() -> None:
    per_worker = (
        WorkerContribution("pod-a_1f", requests=900, failures=2, finished=True),
        WorkerContribution("pod-b_2e", requests=412, failures=0, finished=False, lost_after=4.24),
    )
    counted = replace(make_record(), workers=WorkerCount(2, 2, 1, per_worker=per_worker))
    data = counted.to_json()
    assert data["workers"]["per_worker"] == [
        {"id": "pod-a_1f", "requests": 900, "failures": 2, "finished": True},
        {"id": "pod-b_2e", "requests": 412, "failures": 0, "finished": False, "lost_after_s": 4.2},
    ]
    read = Record.from_json(data)
    assert read.workers is not None and read.workers.per_worker[1].lost_after == 4.2
    assert read.workers.describe_lost() == (
        "1 of 2 workers finished (worker pod-b_2e lost 4.2 s after the users started, after 412 requests)"
    )


def test_per_worker_entries_are_checked_naming_the_entry() -> None:
    workers = {"expected": 1, "started": 1, "finished": 1, "per_worker": [{"id": "w", "requests": -0.5}]}
    with pytest.raises(ValueError, match=r"record\.workers\.per_worker\[0\]\.requests: expected a whole"):
        Record.from_json({**make_record().to_json(), "workers": workers})


def test_worker_count_fields_are_checked() -> None:
    with pytest.raises(ValueError, match=r"record\.workers\.finished: expected a whole number"):
        Record.from_json(
            {**make_record().to_json(), "workers": {"expected": 2, "started": 2, "finished": "2"}}
        )


@pytest.mark.parametrize(
    ("workers", "allow", "failed"),
    [
        (None, False, False),
        (WorkerCount(2, 2, 2), False, False),
        (WorkerCount(2, 2, 1), False, True),
        (WorkerCount(2, 2, 1), True, False),
        (WorkerCount(2, 2, 0), False, True),
    ],
)
def test_a_lost_worker_fails_validation_unless_allowed(
    workers: WorkerCount | None, allow: bool, failed: bool
) -> None:
    record = replace(make_record(), workers=workers)
    failures = [f for f in validate(record, ValidationRules(allow_worker_loss=allow)) if f.rule == "workers"]
    assert bool(failures) is failed
    if failed:
        assert workers is not None
        assert failures[0].measured == f"{workers.finished} of {workers.started} workers finished"


def test_a_lost_workers_failure_names_it_when_the_record_says_which() -> None:
    lost = WorkerContribution("pod-b_2e", requests=412, failures=0, finished=False, lost_after=4.2)
    record = replace(make_record(), workers=WorkerCount(2, 2, 1, per_worker=(lost,)))
    (failure,) = [f for f in validate(record, ValidationRules()) if f.rule == "workers"]
    assert failure.measured.endswith(
        "(worker pod-b_2e lost 4.2 s after the users started, after 412 requests)"
    )


# --- the master's command and deadline -------------------------------------------------------------


def _request(**overrides: Any) -> RunRequest:
    values: dict[str, Any] = {
        "suite": "s",
        "locustfile": Path("/l.py"),
        "host": "http://127.0.0.1:1",
        "users": 10,
        "spawn_rate": 5.0,
        "spawned_runtime": 30,
        "artifacts_dir": Path("/a"),
        "grace_seconds": 10.0,
    }
    values.update(overrides)
    return RunRequest(**values)


def test_master_argv_and_a_deadline_that_counts_the_wait() -> None:
    request = _request(workers=Workers(expect=4, master_bind=MasterBind("0.0.0.0", 6000), wait=45.0))
    argv = locust_command(request, Path("/a/report.html"))
    assert argv[:3] == [sys.executable, "-m", "pytest_bfd_locust.run.locust_child"]
    start = argv.index("--master")
    assert argv[start : start + 7] == [
        "--master",
        "--expect-workers",
        "4",
        "--master-bind-host",
        "*",
        "--master-bind-port",
        "6000",
    ]
    assert request.deadline_seconds == 45 + 2 + 30 + 10
    assert request.describe_deadline() == (
        "87 s (worker wait 45 s + spawn time + spawned runtime 32 s + grace 10 s)"
    )


def test_one_machine_argv_has_no_master_and_no_wait() -> None:
    request = _request()
    assert "--master" not in locust_command(request, Path("/a/report.html"))
    assert request.deadline_seconds == 2 + 30 + 10
    assert "worker wait" not in request.describe_deadline()


def test_child_control_carries_the_wait(tmp_path: Path) -> None:
    control = ChildControl(
        result_path="r",
        progress_path="p",
        suite="s",
        run_id="x",
        environment="local",
        tags=("default",),
        spawned_runtime=3,
        failsafe_avg_ms=1.0,
        expect_workers=2,
        worker_wait=7.5,
        abort_after=0,
    )
    control.write(tmp_path / "control.json")
    assert ChildControl.read(str(tmp_path / "control.json")) == control


# --- what the user sees ------------------------------------------------------------------------


def test_progress_line_shows_workers_of_a_distributed_run() -> None:
    line = '{"elapsed": 4, "users": 2, "num_requests": 10, "num_failures": 0, "current_rps": 5.0, '
    progress = Progress.from_line(line + '"avg_response_time": 3, "workers": 1}')
    assert progress is not None and progress.workers == 1
    shown = format_progress("s", progress, expected_seconds=10, target_users=2, expected_workers=2)
    assert shown.startswith("[bfd] s  4s/10s  workers 1/2  users 2/2")
    assert "workers" not in format_progress("s", progress, expected_seconds=10, target_users=2)
    one_machine = Progress.from_line(line + '"avg_response_time": 3}')
    assert one_machine is not None and one_machine.workers is None


VERSION_WARNING = "A worker (w-9_cd) running a different version (2.1.0) connected, master version is 2.47.0"
UNREPORTED = (
    "Spawning is complete and report waittime is expired, but not all reports received from workers: "
    '{"Other": 0} (0 total users)'
)
CPU_WARNING = "Worker w-9_cd (index 1) exceeded cpu threshold (will only log this once per worker)"
MASTER_LOG = "\n".join(
    [
        "[2026-11-25 02:39:48,471] ci-7/INFO/locust.runners: ci-7_ab (index 0) reported as ready.",
        f"[2026-11-25 02:39:48,472] ci-7/WARNING/locust.runners: {VERSION_WARNING}",
        "[2026-11-25 02:39:48,551] ci-7/INFO/locust.runners: Sending spawn jobs to 1 ready workers",
        f"[2026-11-25 02:39:49,837] ci-7/INFO/locust.runners: {UNREPORTED}",
        "[2026-11-25 02:39:50,100] ci-7/WARNING/locust.runners: CPU usage above 90%! This may constrain",
        f"[2026-11-25 02:39:50,101] ci-7/WARNING/locust.runners: {CPU_WARNING}",
        "[2026-11-25 02:39:50,102] ci-7/WARNING/locust.main: a worker mentioned by another logger",
        f"[2026-11-25 02:39:51,000] ci-7/WARNING/locust.runners: {VERSION_WARNING}",
        " GET /v2/fhir/Patient  623  0(0.00%)",
    ]
)


def test_master_warnings_about_workers_become_notes_once() -> None:
    assert worker_warnings(MASTER_LOG) == tuple(
        f"Locust master: {message}" for message in (VERSION_WARNING, UNREPORTED, CPU_WARNING)
    )


def test_worker_notes_are_capped() -> None:
    line = "[2026-11-25 02:39:48,472] h/ERROR/locust.runners: Got spawning message from unknown worker w{}"
    log = "\n".join(line.format(index) for index in range(MAX_WORKER_NOTES + 5))
    assert len(worker_warnings(log)) == MAX_WORKER_NOTES


# --- the documentation's examples ---------------------------------------------------------------

SCALING_DOC = Path(__file__).resolve().parents[2] / "docs" / "scaling.md"


def _yaml_blocks(text: str) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", text, re.S)


def test_scaling_doc_catalog_example_parses(tmp_path: Path) -> None:
    (catalog_block,) = [block for block in _yaml_blocks(SCALING_DOC.read_text()) if "suites:" in block]
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "regression_suite.py").write_text("from locust import HttpUser\n")
    path = tmp_path / "suites.yaml"
    path.write_text(catalog_block)
    (suite,) = load_catalog(path).suites
    assert suite.workers == Workers(expect=4, master_bind=MasterBind("0.0.0.0", 5557), wait=120.0)


def test_scaling_doc_ci_example_starts_workers_that_take_the_locustfile_from_the_master() -> None:
    (ci_block,) = [block for block in _yaml_blocks(SCALING_DOC.read_text()) if "jobs:" in block]
    job = yaml.safe_load(ci_block)["jobs"]["load-test"]
    services = job["services"].values()
    assert len(services) == 2
    for service in services:
        assert service["env"]["LOCUST_MODE_WORKER"] == "true"
        assert service["env"]["LOCUST_LOCUSTFILE"] == "-"
    pytest_step = next(step["run"] for step in job["steps"] if step.get("run", "").startswith("pytest "))
    assert "--bfd-expect-workers 2" in pytest_step


def test_catalog_workers_and_processes_option_fail_the_suite_before_any_run(tmp_path: Path) -> None:
    settings = BfdSettings(processes=2, artifacts=tmp_path / "artifacts")
    thresholds = read_threshold_file(default_thresholds_path())
    result = execute_suite(_suite(Workers(expect=3)), settings, store=None, thresholds=thresholds)
    assert result.failed and result.run is None and result.record is None
    assert result.errors == (
        "the suite waits for 3 workers (its catalog's workers block) and --bfd-processes 2 was given: "
        "use one or the other",
    )
    assert not (tmp_path / "artifacts").exists()
