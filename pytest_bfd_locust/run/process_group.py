"""Stopping a child's whole process group: SIGTERM, a grace period, then SIGKILL for what is left.

Locust (with `--processes`) and a suite's `target:` both start their own children; each is
started in a new session, so its process group holds everything it started.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

POLL_INTERVAL_S = 0.05


def signal_group(pgid: int, signum: int) -> bool:
    """Send `signum` to the group (0: only probe it); False when no process of it is left."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:
        # macOS answers EPERM for a group whose only members are zombies: nothing left to stop.
        return False
    return True


def stop_process_group(process: subprocess.Popen[bytes], grace: float) -> None:
    """SIGTERM the group led by `process`, SIGKILL whatever of it is left after `grace` seconds.

    Waits for the whole group, not only its leader: a worker that outlives its leader would keep
    writing into the run's artifacts.
    """
    if not signal_group(process.pid, signal.SIGTERM):
        process.wait()  # the group is gone; reap the leader if it is a zombie
        return
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        process.poll()  # reap the leader, or the group never looks empty
        if not signal_group(process.pid, 0):
            return
        time.sleep(POLL_INTERVAL_S)
    signal_group(process.pid, signal.SIGKILL)
    process.wait()
