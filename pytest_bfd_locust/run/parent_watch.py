"""Run a command so that it cannot outlive the process that started it.

`python -I .../parent_watch.py <parent pid> -- <argv...>` starts `argv` in its own
process group (the caller starts this module with `start_new_session`), waits for it and exits
with its status (a signal death is passed on as the same signal). Every `POLL_INTERVAL_S` it
checks its parent: once the parent is gone (pytest was SIGKILLed, a CI runner killed it), the
whole group gets SIGTERM, then SIGKILL after `ORPHAN_GRACE_S`. Locust children and `target:`
processes both start through it, so neither is left running under init.

SIGTERM, SIGINT and SIGHUP sent to the group are ignored here, not by the command: the command
shuts down (Locust writes its result) and this process exits after it with its status. The
handlers are Python functions, not SIG_IGN, so the command starts with default dispositions.

Standard library only and started by file path in isolated mode without `site` (`-I -S`): it needs
no import path and no site-packages (whose `.pth` files an editable install makes cost ~8 ms), so it
starts in ~17 ms and runs the same from a checkout, a wheel or a Lambda zip. It exits with `os._exit`
once the command has: nothing of its own is left to finalize, and the interpreter's teardown took
5-10 ms of every suite's end.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from types import FrameType

POLL_INTERVAL_S = 0.25
ORPHAN_GRACE_S = 2.0
"""Seconds an orphaned command gets after SIGTERM (Locust quits in well under one)."""
CANNOT_START_STATUS = 127
"""As a shell answers for a command it cannot run."""


def watched_command(argv: list[str]) -> list[str]:
    """`argv` prefixed so that it runs under this module, watching the calling process."""
    return [sys.executable, "-I", "-S", os.path.abspath(__file__), str(os.getpid()), "--", *argv]


def wait_for_exit(process: subprocess.Popen[bytes], timeout: float) -> int | None:
    """`process`'s exit status as soon as it exits, or None after `timeout` seconds.

    `Popen.wait(timeout)` polls with sleeps that double up to 50 ms, so it notices an exit up to
    50 ms late, and a run paid that twice at its end (here and in the runner). A pidfd (Linux 5.3+)
    is readable the moment the process exits; elsewhere this falls back to `Popen.wait`. The
    process is unreaped until `poll` reaps it, so its pid cannot have been reused meanwhile.
    """
    if process.poll() is not None:
        return process.returncode
    try:
        pidfd = os.pidfd_open(process.pid)
    except (AttributeError, OSError):
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
    try:
        ready = select.poll()  # not select.select: a pidfd may be numbered beyond FD_SETSIZE
        ready.register(pidfd, select.POLLIN)
        ready.poll(timeout * 1000)
    finally:
        os.close(pidfd)
    return process.poll()


def _ignore(signum: int, frame: FrameType | None) -> None:
    """The command got the same signal (same group) and decides; this process waits for it."""


def _end_orphaned_group() -> None:
    os.killpg(0, signal.SIGTERM)
    deadline = time.monotonic() + ORPHAN_GRACE_S
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            # Reap what has exited; ChildProcessError: no child of ours is left.
            while os.waitpid(-1, os.WNOHANG) != (0, 0):
                pass
        except ChildProcessError:
            break
    os.killpg(0, signal.SIGKILL)  # ends this process too


def _exit_like(returncode: int) -> int:
    if returncode < 0:
        signum = -returncode
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        time.sleep(1)  # the signal arrives before this ends
    return returncode


def main(args: list[str]) -> int:
    if len(args) < 3 or args[1] != "--":
        print("usage: python -I parent_watch.py PARENT_PID -- COMMAND...", file=sys.stderr)
        return 2
    parent = int(args[0])
    command = args[2:]
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, _ignore)
    if os.getppid() != parent:
        return 1  # the parent died before this started: nothing to run for
    try:
        child = subprocess.Popen(command)
    except OSError as error:
        print(f"cannot start {command[0]}: {error}", file=sys.stderr, flush=True)
        return CANNOT_START_STATUS
    while True:
        returncode = wait_for_exit(child, POLL_INTERVAL_S)
        if returncode is not None:
            return _exit_like(returncode)
        if os.getppid() != parent:
            _end_orphaned_group()


if __name__ == "__main__":
    status = main(sys.argv[1:])
    # What it printed is flushed; no handler of its own waits at exit (a usage error leaves the
    # same way).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status)
