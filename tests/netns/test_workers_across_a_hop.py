"""Suites on Locust's master/worker engine across a real network hop (issue 20): pytest, as the
master, runs in one network namespace with the load target; each `locust --worker -f -` runs in
its own, reaching the master over a bridge. Then the faults between machines: a link cut mid-run,
workers that cannot reach the master, a worker of another Locust version, a lossy slow link.

Times a user can rely on (Locust's, not ours): a worker whose link goes is marked missing after
three missed heartbeats (one a second), so the loss is reported within about 4 s of the cut;
workers that never arrive fail the suite after `--bfd-worker-wait` seconds.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from pytest_bfd_locust.workers import MasterBind, missing_workers_message
from tests.locustfiles import COUNTING_LOCUSTFILE, COUNTS_ENV
from tests.netns.conftest import (
    LOCUST,
    PREFIX,
    SUBNET,
    Hop,
    Station,
    build_hop,
    delete_stale_namespaces,
    ip,
    namespaces,
)

MASTER_PORT = 5557
"""Locust's default: each test has namespaces of its own, so no port is taken by anything else."""
TARGET_PORT = 8080
WORKER_REPORT_S = 3.0
"""Locust's WORKER_REPORT_INTERVAL: how often a worker sends its statistics to the master."""
OLD_LOCUST = "2.33.*"
"""The oldest Locust this plugin supports (setup.cfg), for a worker one version behind the master."""
OLD_LOCUST_VENV = Path(os.environ.get("BFD_OLD_LOCUST_VENV", "/tmp/pytest-bfd-locust-old-locust-2.33"))
"""Where the older Locust is installed once and reused by later runs."""


@pytest.fixture
def target(hop: Hop, tmp_path: Path) -> str:
    """A static HTTP target in the master's namespace, on the bridge address (workers load it over
    the hop): Python's own `http.server`, serving the path the counting users ask for."""
    root = tmp_path / "site"
    (root / "v2" / "fhir").mkdir(parents=True)
    (root / "v2" / "fhir" / "Patient").write_text('{"resourceType": "Bundle", "total": 1}')
    log = tmp_path / "target.log"
    address = hop.master.address
    argv = [sys.executable, "-u", "-m", "http.server", str(TARGET_PORT), "--bind", address]
    process = hop.start(hop.master, [*argv, "--directory", str(root)], log=log)
    deadline = time.monotonic() + 30
    while "Serving HTTP" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"the target did not start: {log.read_text()}")
        time.sleep(0.05)
    return f"http://{address}:{TARGET_PORT}"


@pytest.fixture
def counts(tmp_path: Path) -> Path:
    path = tmp_path / "counts"
    path.mkdir()
    return path


def start_worker(
    hop: Hop, station: Station, tmp_path: Path, counts: Path, *, master_host: str, locust: Path = LOCUST
) -> subprocess.Popen[bytes]:
    """`locust --worker -f -` in `station`'s namespace, with a host name of its own (as a pod has),
    so that Locust's worker id (`<host name>_<random>`) says which one it is."""
    host_name = f"bfd-{station.namespace.rsplit('-', 1)[1]}"
    tmp = tmp_path / host_name
    tmp.mkdir()
    become = "import os, socket, sys; socket.sethostname(sys.argv[1]); os.execv(sys.argv[2], sys.argv[2:])"
    command = ["unshare", "--uts", sys.executable, "-c", become, host_name, str(locust)]
    command += ["--worker", "-f", "-", "--master-host", master_host, "--master-port", str(MASTER_PORT)]
    env = {**os.environ, "TMPDIR": str(tmp), COUNTS_ENV: str(counts)}
    return hop.start(station, command, log=tmp_path / f"{host_name}.log", env=env)


def write_catalog(directory: Path, host: str, *, runtime: str = "3s", workers: str = "") -> None:
    (directory / "counting.py").write_text(COUNTING_LOCUSTFILE)
    (directory / "suites.yaml").write_text(
        "defaults:\n"
        f"  host: {host}\n"
        "  users: 4\n"
        "  spawn_rate: 4\n"
        f"  spawned_runtime: {runtime}\n"
        "suites:\n"
        "  - name: across\n"
        "    locustfile: counting.py\n" + (f"    workers: {workers}\n" if workers else "")
    )


def run_master(pytester: pytest.Pytester, hop: Hop, *options: str) -> pytest.RunResult:
    """pytest with the plugin, in the master's namespace (the master binds the bridge address)."""
    command = [sys.executable, "-m", "pytest", "--bfd-suite", "suites.yaml", "-p", "no:cacheprovider"]
    return pytester.run(*hop.master.argv([*command, *options]), timeout=240)


def worker_options(hop: Hop, *, wait: str = "60") -> list[str]:
    bind = f"{hop.master.address}:{MASTER_PORT}"
    return ["--bfd-expect-workers", "2", "--bfd-master-bind", bind, "--bfd-worker-wait", wait]


def stored_records(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(root.glob(".bfd-stats/hash=*/*.stats.json"))]


def wait_for_exit(process: subprocess.Popen[bytes]) -> int:
    """A worker leaves when its master tells it to quit."""
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"worker {process.pid} did not quit")


def counted(counts: Path, process: subprocess.Popen[bytes]) -> int:
    """The requests a worker counted itself (written when it quits)."""
    return int((counts / f"requests-{process.pid}").read_text())


def by_host_name(per_worker: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(worker["id"]).split("_")[0]: worker for worker in per_worker}


@pytest.mark.parametrize("declared_by", ["options", "catalog"])
def test_two_workers_across_the_hop_store_one_record_with_both_workers_requests(
    pytester: pytest.Pytester, hop: Hop, target: str, counts: Path, tmp_path: Path, declared_by: str
) -> None:
    workers = [
        start_worker(hop, station, tmp_path, counts, master_host=hop.master.address)
        for station in hop.workers
    ]
    if declared_by == "catalog":
        block = f'{{expect: 2, master_bind: "{hop.master.address}:{MASTER_PORT}", wait: 60}}'
        write_catalog(pytester.path, target, workers=block)
        result = run_master(pytester, hop)
    else:
        write_catalog(pytester.path, target)
        result = run_master(pytester, hop, *worker_options(hop))
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*across*workers 2/2*"])
    assert [wait_for_exit(worker) for worker in workers] == [0, 0]

    (record,) = stored_records(pytester.path)
    assert record["host"] == target
    seen = record["workers"]
    assert isinstance(seen, dict)
    per_worker = by_host_name(seen.pop("per_worker"))
    assert seen == {"expected": 2, "started": 2, "finished": 2}
    assert sorted(per_worker) == ["bfd-w0", "bfd-w1"]
    # What the master says each worker sent is what that worker counted itself, and the sum is the run.
    assert [per_worker[f"bfd-w{i}"]["requests"] for i in (0, 1)] == [counted(counts, w) for w in workers]
    assert all(counted(counts, w) > 0 for w in workers)
    assert record["totals"]["num_requests"] == sum(counted(counts, w) for w in workers)
    assert record["totals"]["num_failures"] == 0


@pytest.mark.parametrize("allow_loss", [False, True])
def test_a_worker_whose_link_is_cut_mid_run_is_named_with_when_and_what_it_sent(
    pytester: pytest.Pytester, hop: Hop, target: str, counts: Path, tmp_path: Path, allow_loss: bool
) -> None:
    survivor, victim = (
        start_worker(hop, station, tmp_path, counts, master_host=hop.master.address)
        for station in hop.workers
    )
    write_catalog(pytester.path, target, runtime="10s")

    def cut_the_victim_once_both_send_load() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if {f"started-{survivor.pid}", f"started-{victim.pid}"} <= {p.name for p in counts.iterdir()}:
                time.sleep(WORKER_REPORT_S + 0.5)  # so that the master has some of the victim's requests
                hop.cut(hop.workers[1])  # the process lives on; only its cable is pulled
                return
            time.sleep(0.1)

    cutter = threading.Thread(target=cut_the_victim_once_both_send_load)
    cutter.start()
    try:
        options = worker_options(hop) + (["--bfd-allow-worker-loss"] if allow_loss else [])
        result = run_master(pytester, hop, *options)
    finally:
        cutter.join()
    assert victim.poll() is None  # cut off, not dead: the master can only tell by missed heartbeats
    (record,) = stored_records(pytester.path)
    seen = record["workers"]
    assert isinstance(seen, dict)
    assert (seen["started"], seen["finished"]) == (2, 1)
    lost = by_host_name(seen["per_worker"])["bfd-w1"]
    assert lost["finished"] is False and lost["requests"] > 0
    assert by_host_name(seen["per_worker"])["bfd-w0"]["finished"] is True
    said = (
        f"1 of 2 workers finished (worker {lost['id']} lost {lost['lost_after_s']:.1f} s after the users "
        f"started, after {lost['requests']} requests)"
    )
    if allow_loss:
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines([f"*{said}: worker loss allowed*"])
        assert record["metadata"]["validation_result"] == "PASSED"
    else:
        result.assert_outcomes(failed=1)
        assert f"workers: measured {said}" in result.stdout.str()
        assert record["metadata"]["validation_result"] == "FAILED"
    assert wait_for_exit(survivor) == 0
    # The survivor's requests are all in the record, and the victim's up to its last report.
    assert record["totals"]["num_requests"] == counted(counts, survivor) + lost["requests"]


@pytest.mark.parametrize("fault", ["wrong master address", "links down from the start"])
def test_workers_that_cannot_reach_the_master_fail_within_the_wait_naming_the_bind_address(
    pytester: pytest.Pytester, hop: Hop, target: str, counts: Path, tmp_path: Path, fault: str
) -> None:
    told = hop.master.address
    if fault == "wrong master address":
        told = "169.254.77.99"  # on the subnet, but nobody has it
    else:
        for station in hop.workers:
            hop.cut(station)
    workers = [start_worker(hop, station, tmp_path, counts, master_host=told) for station in hop.workers]
    write_catalog(pytester.path, target)
    result = run_master(pytester, hop, *worker_options(hop, wait="3"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["FAILED suites.yaml::*expected 2 workers, 0 connected after 3 s*"])
    bind = MasterBind(hop.master.address, MASTER_PORT)
    assert missing_workers_message(2, 0, 3, bind, this_host=socket.gethostname()) in result.stdout.str()
    assert stored_records(pytester.path) == []
    assert all(worker.poll() is None for worker in workers)  # still trying; stopped by the fixture


@pytest.fixture(scope="session")
def old_locust() -> Path:
    """Locust {OLD_LOCUST} in a venv of its own, installed from PyPI once (skip when pip cannot)."""
    locust = OLD_LOCUST_VENV / "bin" / "locust"
    if not locust.exists():
        made = subprocess.run(
            [sys.executable, "-m", "venv", str(OLD_LOCUST_VENV)], capture_output=True, text=True
        )
        pip = [
            str(OLD_LOCUST_VENV / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            f"locust=={OLD_LOCUST}",
        ]
        installed = made.returncode == 0 and subprocess.run(pip, capture_output=True, text=True, timeout=600)
        if not installed or installed.returncode != 0:
            detail = made.stderr if made.returncode else installed and installed.stderr
            pytest.skip(f"cannot install locust=={OLD_LOCUST} into {OLD_LOCUST_VENV}: {str(detail)[-500:]}")
    return locust


def test_a_worker_of_an_older_locust_is_named_as_locust_reports_it(
    pytester: pytest.Pytester, hop: Hop, target: str, counts: Path, tmp_path: Path, old_locust: Path
) -> None:
    version = subprocess.run([str(old_locust), "--version"], capture_output=True, text=True, check=True)
    old_version = version.stdout.split()[1]  # "locust 2.33.2 from ..."
    current = start_worker(hop, hop.workers[0], tmp_path, counts, master_host=hop.master.address)
    older = start_worker(
        hop, hop.workers[1], tmp_path, counts, master_host=hop.master.address, locust=old_locust
    )
    write_catalog(pytester.path, target)
    result = run_master(pytester, hop, *worker_options(hop))
    warning = f"A worker (bfd-w1_*) running a different version ({old_version})"
    result.stdout.fnmatch_lines([f"*BfdLocustWarning: Locust master: {warning}*"])
    result.assert_outcomes(passed=1)
    assert [wait_for_exit(current), wait_for_exit(older)] == [0, 0]


def test_loss_and_latency_on_one_workers_link_complete_and_the_record_says_what_each_sent(
    pytester: pytest.Pytester, hop: Hop, target: str, counts: Path, tmp_path: Path
) -> None:
    slowed = hop.qdisc(hop.workers[1], "netem", "loss", "5%", "delay", "20ms")
    if slowed.returncode != 0:
        pytest.skip(f"tc netem is not available here: {slowed.stderr.strip()}")
    workers = [
        start_worker(hop, station, tmp_path, counts, master_host=hop.master.address)
        for station in hop.workers
    ]
    write_catalog(pytester.path, target)
    result = run_master(pytester, hop, *worker_options(hop))
    result.assert_outcomes(passed=1)
    assert [wait_for_exit(worker) for worker in workers] == [0, 0]
    (record,) = stored_records(pytester.path)
    per_worker = by_host_name(record["workers"]["per_worker"])
    assert [per_worker[f"bfd-w{i}"]["requests"] for i in (0, 1)] == [counted(counts, w) for w in workers]
    assert all(per_worker[name]["finished"] for name in ("bfd-w0", "bfd-w1"))
    assert record["totals"]["num_requests"] == sum(counted(counts, w) for w in workers)


def test_a_hop_has_no_route_out_and_its_teardown_leaves_nothing(
    netns_available: None, tmp_path: Path
) -> None:
    built = build_hop(worker_count=1)
    try:
        routes = subprocess.run(built.workers[0].argv(["ip", "route"]), capture_output=True, text=True)
        assert routes.stdout.splitlines() == [routes.stdout.splitlines()[0]]  # one route: the subnet
        assert routes.stdout.startswith(f"{SUBNET}.0/24 dev eth0")
        sleeper = built.start(built.workers[0], ["sleep", "60"], log=tmp_path / "sleep.log")
    finally:
        built.stop_processes()
        built.delete()
    assert sleeper.poll() is not None
    assert [name for name in namespaces() if name.startswith(f"{built.name}-")] == []


def test_namespaces_of_a_killed_run_are_deleted_and_a_running_ones_kept(netns_available: None) -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()  # its PID now names a run that is over, as a killed pytest's would
    stale, alive = f"{PREFIX}-{gone.pid}-0-m", f"{PREFIX}-{os.getpid()}-test-m"
    for name in (stale, alive):
        ip("netns", "add", name)
    try:
        deleted = delete_stale_namespaces()
        assert stale in deleted and stale not in namespaces()
        assert alive in namespaces()
    finally:
        for name in (stale, alive):
            if name in namespaces():
                ip("netns", "delete", name)
