"""Suites on Locust's master/worker engine, end to end: real `locust --worker -f -` processes on
127.0.0.1 connect to the suite's master, which sends them the locustfile."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_bfd_locust.workers import MasterBind, missing_workers_message
from tests.locustfiles import COUNTING_LOCUSTFILE, COUNTS_ENV
from tests.on_disk import stored_records

LOCUST = Path(sys.executable).with_name("locust")
WORKER_REPORT_S = 3.0
"""Locust's WORKER_REPORT_INTERVAL: how often a worker sends its statistics to the master."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Worker:
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def master_port() -> int:
    return free_port()


@pytest.fixture
def counts(tmp_path: Path) -> Path:
    path = tmp_path / "counts"
    path.mkdir()
    return path


@pytest.fixture
def start_worker(tmp_path: Path, master_port: int, counts: Path) -> Iterator[Callable[..., Worker]]:
    """Start `locust --worker -f -` for the test's master port; every one is stopped by its PID."""
    workers: list[Worker] = []

    def start(*, version: str | None = None) -> Worker:
        index = len(workers)
        # Each worker gets its own temporary directory: `-f -` writes the received locustfile there,
        # and two workers writing one file could import it half-written.
        tmp = tmp_path / f"worker{index}"
        tmp.mkdir()
        command = [str(LOCUST)]
        if version is not None:
            # A real worker that announces another Locust version, as one from an older image would.
            command = [
                sys.executable,
                "-c",
                f"import sys, locust.runners; locust.runners.__version__ = {version!r}; "
                "sys.argv[0] = 'locust'; from locust.main import main; main()",
            ]
        command += ["--worker", "-f", "-", "--master-host", "127.0.0.1", "--master-port", str(master_port)]
        log = tmp_path / f"worker{index}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env={**os.environ, "TMPDIR": str(tmp), COUNTS_ENV: str(counts)},
            )
        worker = Worker(process, log)
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for_exit(worker: Worker) -> int:
    """A worker leaves when its master tells it to quit; its count is written by then."""
    try:
        return worker.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"worker {worker.process.pid} did not quit: {worker.log.read_text()[-2000:]}")


def counted(counts: Path, worker: Worker) -> int:
    return int((counts / f"requests-{worker.process.pid}").read_text())


def run_as_master(pytester: pytest.Pytester, master_port: int, workers: int, *args: str) -> pytest.RunResult:
    """pytest on suites.yaml as Locust's master waiting for `workers` on 127.0.0.1:`master_port`."""
    return pytester.runpytest(
        "--bfd-suite",
        "suites.yaml",
        "--bfd-expect-workers",
        str(workers),
        "--bfd-master-bind",
        f"127.0.0.1:{master_port}",
        *args,
        "-p",
        "no:cacheprovider",
    )


def run_killing_a_worker(
    pytester: pytest.Pytester,
    master_port: int,
    counts: Path,
    survivor: Worker,
    victim: Worker,
    *,
    after_start_s: float,
) -> tuple[pytest.RunResult, dict[str, object], list[dict[str, object]]]:
    """Run with two workers and SIGKILL `victim` `after_start_s` seconds after both send load (no
    goodbye: only missed heartbeats, or a missing final report, tell); the pytest result, the one
    stored record (its `workers` block without `per_worker`) and the record's `per_worker` entries."""

    def kill_victim() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            started = {path.name for path in counts.glob("started-*")}
            if {f"started-{w.process.pid}" for w in (survivor, victim)} <= started:
                time.sleep(after_start_s)
                victim.process.send_signal(signal.SIGKILL)
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_victim)
    killer.start()
    try:
        result = run_as_master(pytester, master_port, 2)
    finally:
        killer.join()
    assert victim.process.wait(timeout=5) == -signal.SIGKILL
    (record,) = stored_records(pytester.path)
    per_worker = record["workers"].pop("per_worker")  # type: ignore[attr-defined]
    return result, record, per_worker


def test_two_workers_run_one_record_with_the_sum_of_their_requests(
    pytester: pytest.Pytester, write_catalog, start_worker, master_port: int, counts: Path
) -> None:
    workers = [start_worker(), start_worker()]
    write_catalog(
        f"""\
        - name: one-machine
          locustfile: counting.py
        - name: distributed
          locustfile: counting.py
          workers: {{expect: 2, master_bind: "127.0.0.1:{master_port}", wait: 60}}
        """,
        locustfiles={"counting.py": COUNTING_LOCUSTFILE},
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    command = f"locust --worker -f - --master-host 127.0.0.1 --master-port {master_port}"
    assert result.stdout.str().count(command) == 1, result.stdout.str()
    result.stdout.fnmatch_lines(["*distributed*workers 2/2*"])
    assert [wait_for_exit(worker) for worker in workers] == [0, 0]

    by_suite = {record["suite"]: record for record in stored_records(pytester.path)}
    distributed, one_machine = by_suite["distributed"], by_suite["one-machine"]
    per_worker_counted = [counted(counts, worker) for worker in workers]
    assert all(count > 0 for count in per_worker_counted), per_worker_counted  # spread over both
    assert distributed["totals"]["num_requests"] == sum(per_worker_counted)  # type: ignore[index]
    workers_seen = distributed["workers"]
    per_worker = workers_seen.pop("per_worker")  # type: ignore[attr-defined]
    assert workers_seen == {"expected": 2, "started": 2, "finished": 2}
    # What each worker sent, as the master counted it, is what each worker counted itself.
    assert sorted(w["requests"] for w in per_worker) == sorted(per_worker_counted)
    assert all(w["finished"] and "lost_after_s" not in w for w in per_worker)
    assert "workers" not in one_machine
    # Scaling out keeps a suite's history comparable: the hash has no worker count.
    assert distributed["metadata"]["hash"] == one_machine["metadata"]["hash"]  # type: ignore[index]
    assert distributed["metadata"]["num_total_users"] == 2  # type: ignore[index]


def test_missing_workers_fail_within_the_wait_and_nothing_is_stored(
    pytester: pytest.Pytester, write_catalog, start_worker, master_port: int
) -> None:
    came = start_worker()
    bind = MasterBind("127.0.0.1", master_port)
    write_catalog("- name: short\n  locustfile: api.py\n")
    result = run_as_master(pytester, master_port, 2, "--bfd-worker-wait", "3")
    result.assert_outcomes(failed=1)
    # Refused before any load: the reason alone, not a "Locust run failed" crash report.
    result.stdout.fnmatch_lines(["FAILED suites.yaml::*expected 2 workers, 1 connected after 3 s*"])
    # In full in the failure's text: the address the workers had to reach and how to start them.
    assert missing_workers_message(2, 1, 3, bind, this_host=socket.gethostname()) in result.stdout.str()
    assert "Locust run failed" not in result.stdout.str()
    assert stored_records(pytester.path) == []
    assert wait_for_exit(came) == 0  # the master told the worker that did come to quit


def test_worker_lost_mid_run_fails_the_suite_and_the_record_says_so(
    pytester: pytest.Pytester, write_catalog, start_worker, master_port: int, counts: Path
) -> None:
    survivor, victim = start_worker(), start_worker()
    write_catalog(
        "- name: lossy\n  locustfile: counting.py\n  spawned_runtime: 10s\n",
        locustfiles={"counting.py": COUNTING_LOCUSTFILE},
    )

    # After a worker report or so, so that the master has some of the victim's requests.
    result, record, per_worker = run_killing_a_worker(
        pytester, master_port, counts, survivor, victim, after_start_s=WORKER_REPORT_S + 0.5
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*workers: measured 1 of 2 workers finished*"])
    assert record["workers"] == {"expected": 2, "started": 2, "finished": 1}
    (lost,) = [w for w in per_worker if not w["finished"]]
    assert lost["requests"] > 0 and lost["lost_after_s"] > 0
    result.stdout.fnmatch_lines([f"*worker {lost['id']} lost {lost['lost_after_s']:.1f} s after the users*"])
    assert record["metadata"]["validation_result"] == "FAILED"  # type: ignore[index]
    assert wait_for_exit(survivor) == 0
    # The survivor's requests are all in the record, and the victim's up to its last report.
    assert record["totals"]["num_requests"] > counted(counts, survivor)  # type: ignore[index]


def test_a_worker_of_another_locust_version_is_reported(
    pytester: pytest.Pytester, write_catalog, start_worker, master_port: int
) -> None:
    start_worker(version="2.1.0")
    write_catalog("- name: mixed\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    result = run_as_master(pytester, master_port, 1)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["*BfdLocustWarning: Locust master: A worker * running a different version (2.1.0)*"]
    )


def test_worker_killed_just_before_the_end_counts_as_lost(
    pytester: pytest.Pytester, write_catalog, start_worker, master_port: int, counts: Path
) -> None:
    """Issue 19: killed seconds before the end, a worker is still "connected" (its heartbeats are
    not missed yet) but sends no final report: it is lost, not finished."""
    survivor, victim = start_worker(), start_worker()
    write_catalog(
        "- name: late\n  locustfile: counting.py\n  spawned_runtime: 6s\n",
        locustfiles={"counting.py": COUNTING_LOCUSTFILE},
    )

    # Of the 6 s: ~1.5 s before the end, sooner than the master misses its heartbeats.
    result, record, per_worker = run_killing_a_worker(
        pytester, master_port, counts, survivor, victim, after_start_s=4.5
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*workers: measured 1 of 2 workers finished*"])
    assert record["workers"] == {"expected": 2, "started": 2, "finished": 1}
    # The killed worker is the one not finished, whatever Locust's list of connected workers said.
    assert sorted(w["finished"] for w in per_worker) == [False, True]
    assert wait_for_exit(survivor) == 0
