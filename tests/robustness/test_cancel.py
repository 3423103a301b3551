"""Cancels: SIGTERM (how CI cancels a job), SIGINT (Ctrl-C), SIGHUP (a closed terminal) and SIGKILL
of pytest in the middle of a run. No Locust child and no `target:` process may be left running,
and nothing half-done is stored."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.locustfiles import PLAIN_LOCUSTFILE

DEMO_TARGET = Path(__file__).resolve().parents[2] / "examples" / "demo_target.py"

CATALOG = f"""\
suites:
  - name: long
    locustfile: api.py
    host: http://127.0.0.1:{{port}}
    users: 2
    spawn_rate: 2
    spawned_runtime: 60s
    target:
      command: ["{{python}}", "{DEMO_TARGET}", "--port", "{{port}}"]
      ready_url: http://127.0.0.1:{{port}}/health
"""


def children_of(pid: int) -> set[int]:
    """Every living descendant of `pid` (by parent pid, across sessions)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rpartition(")")[2].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(entry)] = int(fields[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().rpartition(")")[2].split()[0] != "Z":
                    living.add(pid)
        except OSError:
            pass
    return living


def start_session(root: Path) -> subprocess.Popen[bytes]:
    (root / "api.py").write_text(PLAIN_LOCUSTFILE)
    (root / "suites.yaml").write_text(CATALOG)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "--bfd-suite",
            "suites.yaml",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:pytester",
        ],
        cwd=root,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # our signal reaches pytest only, as a CI runner's does
    )


def wait_for_load(session: subprocess.Popen[bytes], root: Path) -> set[int]:
    """Wait until Locust reports requests; return pytest's descendants (children, target, Locust)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert session.poll() is None, session.communicate()[0].decode()
        progress = [p.read_text().splitlines() for p in root.glob(".bfd-artifacts/long/*/progress.jsonl")]
        if progress and progress[0] and json.loads(progress[0][-1])["num_requests"] > 0:
            descendants = children_of(session.pid)
            if len(descendants) >= 4:  # two watchers, the target, Locust
                return descendants
        time.sleep(0.2)
    raise AssertionError("the run never got going")


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    return alive(pids)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=lambda s: s.name)
def test_signal_mid_run_stops_every_child_and_stores_nothing(tmp_path: Path, signum: signal.Signals) -> None:
    session = start_session(tmp_path)
    try:
        descendants = wait_for_load(session, tmp_path)
        session.send_signal(signum)
        output = session.communicate(timeout=60)[0].decode()
    finally:
        if session.poll() is None:
            session.kill()
    assert session.returncode == pytest.ExitCode.INTERRUPTED, output
    assert wait_gone(descendants, 1) == set(), f"left running after {signum.name}:\n{output}"
    name = "Ctrl-C (SIGINT)" if signum == signal.SIGINT else signum.name
    assert (
        f"suites.yaml::long was interrupted by {name}: its Locust run and target were stopped "
        "and its run was not stored" in output
    ), output
    assert not list(tmp_path.glob(".bfd-stats/**/*.stats.json"))


def test_sigkill_of_pytest_leaves_no_child_for_more_than_a_few_seconds(tmp_path: Path) -> None:
    session = start_session(tmp_path)
    descendants = wait_for_load(session, tmp_path)
    session.kill()
    session.wait(timeout=10)
    left = wait_gone(descendants, 5)
    for pid in left:  # this test must not leave them either
        os.kill(pid, signal.SIGKILL)
    assert left == set(), "children outlived a SIGKILLed pytest by more than 5 s"
