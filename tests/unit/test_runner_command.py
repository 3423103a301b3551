"""The runner's pure parts: the child's argv, a run's expected duration, and following the progress file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_bfd_locust.run.progress import Progress
from pytest_bfd_locust.run.runner import (
    ProgressTail,
    RunRequest,
    child_pythonpath,
    locust_command,
    package_root,
)

LOCUSTFILE = Path("/suites/regression/v2_regression.py")
HTML = Path("/artifacts/regression/report.html")

SECRETS = {
    "LOCUST_BFD_DATABASE_CONNECTION_STRING": "postgres://bfd_user:s3cr3t%2Fpw@reader.example:5432/fhirdb",
    "LOCUST_BFD_CLIENT_CERT_PATH": "/run/secrets/bfd-client-7f3a.pem",
    "API_TOKEN": "tok_9c1e44b2",
}


def _request(**overrides: Any) -> RunRequest:
    values: dict[str, Any] = {
        "suite": "regression",
        "locustfile": LOCUSTFILE,
        "host": "https://test.bfd.example",
        "users": 10,
        "spawn_rate": 10.0,
        "spawned_runtime": 30,
        "artifacts_dir": Path("/artifacts/regression"),
    }
    values.update(overrides)
    return RunRequest(**values)


def _value(argv: list[str], flag: str) -> str:
    assert argv.count(flag) == 1, f"{flag} in {argv}"
    return argv[argv.index(flag) + 1]


def test_command_runs_our_child_entry_headless() -> None:
    argv = locust_command(_request(), HTML)
    assert argv[:3] == [sys.executable, "-m", "pytest_bfd_locust.run.locust_child"]
    assert _value(argv, "-f") == str(LOCUSTFILE)
    assert "--headless" in argv
    assert _value(argv, "--users") == "10"
    assert _value(argv, "--spawned-runtime") == "30"
    assert _value(argv, "--html") == str(HTML)
    assert _value(argv, "--host") == "https://test.bfd.example"
    for absent in ("--only-summary", "--processes", "--run-time", "-t"):
        assert absent not in argv


@pytest.mark.parametrize(
    ("spawn_rate", "text"),
    [
        (10.0, "10"),
        (10, "10"),
        (1.0, "1"),
        (100.0, "100"),
        (0.5, "0.5"),
        (2.25, "2.25"),
        (0.1, "0.1"),
        # The child hashes the float it parses: the text must give back the very same float.
        (0.1234567, "0.1234567"),
        (1234567.0, "1234567"),
    ],
)
def test_spawn_rate_without_trailing_zero_noise(spawn_rate: float, text: str) -> None:
    argv = locust_command(_request(spawn_rate=spawn_rate), HTML)
    assert _value(argv, "--spawn-rate") == text
    assert float(_value(argv, "--spawn-rate")) == spawn_rate


@pytest.mark.parametrize("host", [None, ""])
def test_no_host_flag_without_a_host(host: str | None) -> None:
    assert "--host" not in locust_command(_request(host=host), HTML)


@pytest.mark.parametrize(
    ("overrides", "expected_tail"),
    [
        ({"only_summary": True}, ["--only-summary"]),
        ({"processes": 4}, ["--processes", "4"]),
        ({"processes": -1}, ["--processes", "-1"]),
        ({"only_summary": True, "processes": 2}, ["--only-summary", "--processes", "2"]),
    ],
)
def test_only_summary_and_processes(overrides: dict[str, Any], expected_tail: list[str]) -> None:
    argv = locust_command(_request(**overrides), HTML)
    assert argv[-len(expected_tail) :] == expected_tail


def test_processes_master_listens_on_this_machine_at_the_port_given() -> None:
    """Locust's defaults (every interface, 5557) made a second session with --bfd-processes on the
    same machine fail with "Address already in use" (the runner passes a free port)."""
    argv = locust_command(_request(processes=2), HTML, 40123)
    assert argv[argv.index("--processes") :] == [
        "--processes", "2", "--master-bind-host", "127.0.0.1", "--master-bind-port", "40123",
        "--master-port", "40123",
    ]  # fmt: skip
    assert "--master-bind-host" not in locust_command(_request(), HTML, 40123)  # no --processes


@pytest.mark.parametrize("own", [("--master-bind-port", "6000"), ("--master-port=6000",)])
def test_a_users_own_master_address_is_left_alone(own: tuple[str, ...]) -> None:
    argv = locust_command(_request(processes=2, locust_args=own), HTML, 40123)
    assert "--master-bind-host" not in argv and argv[-len(own) :] == list(own)


@pytest.mark.parametrize(
    "locust_args",
    [
        ("--tags", "smoke"),
        ("--loglevel=DEBUG",),
        ("--csv", "out", "--users", "3"),
    ],
)
def test_extra_locust_args_come_last(locust_args: tuple[str, ...]) -> None:
    argv = locust_command(_request(only_summary=True, processes=2, locust_args=locust_args), HTML)
    assert argv[-len(locust_args) :] == list(locust_args)
    # Appended as given, after everything we set: a repeated flag overrides ours, as on Locust's CLI.
    assert argv.index("--processes") < len(argv) - len(locust_args)


def test_no_environment_value_reaches_argv() -> None:
    request = _request(env=SECRETS, locust_args=("--tags", "smoke"), only_summary=True, processes=2)
    argv = locust_command(request, HTML)
    for name, secret in SECRETS.items():
        assert not any(secret in arg for arg in argv), name
        assert not any(name in arg for arg in argv), name


def test_argv_is_all_strings() -> None:
    argv = locust_command(_request(processes=3, spawn_rate=2.5), HTML)
    assert all(isinstance(arg, str) for arg in argv)


@pytest.mark.parametrize(
    ("users", "spawn_rate", "spawned_runtime", "seconds"),
    [
        (10, 10.0, 30, 31.0),
        (100, 0.5, 60, 260.0),
        (1, 1.0, 0, 1.0),
        (250, 25.0, 180, 190.0),
    ],
)
def test_expected_seconds(users: int, spawn_rate: float, spawned_runtime: int, seconds: float) -> None:
    request = _request(users=users, spawn_rate=spawn_rate, spawned_runtime=spawned_runtime)
    assert request.expected_seconds == pytest.approx(seconds)


# --- ProgressTail ---------------------------------------------------------------------------------------


def _line(elapsed: float, num_requests: int = 0) -> str:
    report = {
        "elapsed": elapsed,
        "spawned_elapsed": None,
        "users": 5,
        "num_requests": num_requests,
        "num_failures": 0,
        "current_rps": 1.5,
        "avg_response_time": 12.0,
    }
    return json.dumps(report) + "\n"


def _append(path: Path, text: str) -> None:
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


class Seen:
    """Collects what the tail passes on."""

    def __init__(self) -> None:
        self.reports: list[Progress] = []

    def __call__(self, progress: Progress) -> None:
        self.reports.append(progress)

    @property
    def elapsed(self) -> list[float]:
        return [p.elapsed for p in self.reports]


@pytest.fixture
def progress_file(tmp_path: Path) -> Path:
    path = tmp_path / "progress.jsonl"
    path.touch()
    return path


def test_empty_file_reports_nothing(progress_file: Path) -> None:
    seen = Seen()
    ProgressTail(progress_file, seen).poll()
    assert seen.reports == []


def test_partial_line_is_reported_only_once_completed(progress_file: Path) -> None:
    seen = Seen()
    tail = ProgressTail(progress_file, seen)
    line = _line(1.0, 10)
    _append(progress_file, line[:20])
    tail.poll()
    assert seen.reports == []
    _append(progress_file, line[20:-1])
    tail.poll()
    assert seen.reports == []
    _append(progress_file, "\n")
    tail.poll()
    assert seen.elapsed == [1.0]
    assert seen.reports[0].num_requests == 10


def test_only_the_newest_complete_report_is_passed_on(progress_file: Path) -> None:
    seen = Seen()
    tail = ProgressTail(progress_file, seen)
    _append(progress_file, _line(1.0) + _line(2.0) + _line(3.0))
    tail.poll()
    assert seen.elapsed == [3.0]


def test_complete_lines_before_a_torn_one(progress_file: Path) -> None:
    seen = Seen()
    tail = ProgressTail(progress_file, seen)
    torn = _line(3.0)
    _append(progress_file, _line(1.0) + _line(2.0) + torn[:15])
    tail.poll()
    assert seen.elapsed == [2.0]
    _append(progress_file, torn[15:])
    tail.poll()
    assert seen.elapsed == [2.0, 3.0]


def test_nothing_new_is_nothing_reported(progress_file: Path) -> None:
    seen = Seen()
    tail = ProgressTail(progress_file, seen)
    _append(progress_file, _line(1.0))
    tail.poll()
    tail.poll()
    tail.poll()
    assert seen.elapsed == [1.0]
    _append(progress_file, _line(2.0))
    tail.poll()
    assert seen.elapsed == [1.0, 2.0]


def test_foreign_lines_are_skipped(progress_file: Path) -> None:
    seen = Seen()
    tail = ProgressTail(progress_file, seen)
    _append(progress_file, "not json\n")
    tail.poll()
    assert seen.reports == []
    _append(progress_file, _line(4.0) + "{}\n")
    tail.poll()
    # The newest *report* is passed on, not the newest line.
    assert seen.elapsed == [4.0]


def test_missing_file_reports_nothing(tmp_path: Path) -> None:
    seen = Seen()
    ProgressTail(tmp_path / "absent.jsonl", seen).poll()
    assert seen.reports == []


def test_without_a_callback_nothing_is_read(progress_file: Path) -> None:
    _append(progress_file, _line(1.0))
    tail = ProgressTail(progress_file, None)
    tail.poll()
    assert tail.offset == 0


def test_host_with_credentials_stays_out_of_argv() -> None:
    argv = locust_command(_request(host="https://reader:s3cret@api.example.test:8443/base"), HTML)
    assert not [arg for arg in argv if "s3cret" in arg]
    assert "--host" not in argv


# --- the child's PYTHONPATH: it must import this package from where the parent did ------------------


@pytest.mark.parametrize(
    ("current", "root", "site_dirs", "expected"),
    [
        # A zip deployment: Lambda's bootstrap put /var/task on sys.path, PYTHONPATH has the runtime.
        (
            "/var/runtime",
            "/var/task",
            frozenset({"/var/lang/lib/python3.12/site-packages"}),
            "/var/task:/var/runtime",
        ),
        (None, "/var/task", frozenset(), "/var/task"),
        ("", "/var/task", frozenset(), "/var/task"),
        # Installed with pip: the interpreter finds it by itself; nothing changes.
        ("/x", "/venv/lib/site-packages", frozenset({"/venv/lib/site-packages"}), None),
        # Already there: not added twice.
        ("/a:/var/task", "/var/task", frozenset(), None),
    ],
)
def test_child_pythonpath(
    current: str | None, root: str, site_dirs: frozenset[str], expected: str | None
) -> None:
    assert child_pythonpath(current, root, site_dirs) == expected


def test_package_root_holds_this_package() -> None:
    assert (Path(package_root()) / "pytest_bfd_locust" / "run" / "runner.py").is_file()
