"""`parent_watch.wait_for_exit`: the exit status as soon as a process exits, None at the timeout;
the same answers through its fallback (`Popen.wait`) where there is no pidfd."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from pytest_bfd_locust.run.parent_watch import wait_for_exit

SLEEPER = [sys.executable, "-c", "import time; time.sleep(30)"]


@pytest.fixture(params=["pidfd", "popen_wait"])
def waiting(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "popen_wait":
        monkeypatch.delattr(os, "pidfd_open", raising=False)  # as on macOS
    elif not hasattr(os, "pidfd_open"):
        pytest.skip("no os.pidfd_open on this platform")
    return str(request.param)


def test_a_running_process_is_waited_for_until_the_timeout(waiting: str) -> None:
    process = subprocess.Popen(SLEEPER)
    try:
        started = time.monotonic()
        assert wait_for_exit(process, 0.3) is None
        assert time.monotonic() - started >= 0.29
        assert process.returncode is None
    finally:
        process.kill()
        process.wait()


def test_the_exit_status_comes_back_when_the_process_exits(waiting: str) -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time, sys; time.sleep(0.2); sys.exit(3)"])
    started = time.monotonic()
    assert wait_for_exit(process, 20.0) == 3
    assert time.monotonic() - started < 10.0  # the exit ended the wait, not the timeout
    assert process.returncode == 3


def test_a_signal_death_is_the_negative_signal(waiting: str) -> None:
    process = subprocess.Popen(SLEEPER)
    process.send_signal(signal.SIGKILL)
    assert wait_for_exit(process, 20.0) == -signal.SIGKILL


def test_a_process_already_reaped_answers_at_once(waiting: str) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    started = time.monotonic()
    assert wait_for_exit(process, 20.0) == 0
    assert time.monotonic() - started < 1.0
