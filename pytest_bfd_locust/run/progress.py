"""Progress of a running suite: what the child reports each interval, and the line a user reads. Pure."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Progress:
    """One progress report of the child (`locust_child.ChildSession.progress` writes it with
    `to_line`, the runner reads it with `from_line`)."""

    elapsed: float
    users: int
    num_requests: int
    num_failures: int
    current_rps: float
    avg_response_time: float
    spawned_elapsed: float | None = None
    workers: int | None = None
    """Workers connected to the master; None when the run is not distributed."""

    def to_line(self) -> str:
        """One line of the progress file (JSON, the field names as keys); `from_line` reads it."""
        return json.dumps(asdict(self))

    @classmethod
    def from_line(cls, line: str) -> Progress | None:
        """Parse one line of the progress file; None for a torn or foreign line."""
        try:
            data: Any = json.loads(line)
            return cls(
                elapsed=float(data["elapsed"]),
                users=int(data["users"]),
                num_requests=int(data["num_requests"]),
                num_failures=int(data["num_failures"]),
                current_rps=float(data["current_rps"]),
                avg_response_time=float(data["avg_response_time"]),
                spawned_elapsed=None
                if data.get("spawned_elapsed") is None
                else float(data["spawned_elapsed"]),
                workers=None if data.get("workers") is None else int(data["workers"]),
            )
        except (ValueError, KeyError, TypeError, OverflowError):
            return None


def format_progress(
    suite: str,
    progress: Progress,
    *,
    expected_seconds: float,
    target_users: int,
    expected_workers: int | None = None,
) -> str:
    """`[bfd] demo  12s/35s  users 10/10  reqs 1234  fails 0  98.5 req/s  avg 4 ms`

    A distributed run adds `workers 2/2` after the elapsed time.
    """
    workers = (
        f"  workers {progress.workers}/{expected_workers}"
        if expected_workers is not None and progress.workers is not None
        else ""
    )
    return (
        f"[bfd] {suite}  {progress.elapsed:.0f}s/{expected_seconds:.0f}s{workers}"
        f"  users {progress.users}/{target_users}"
        f"  reqs {progress.num_requests}"
        f"  fails {progress.num_failures}"
        f"  {progress.current_rps:.1f} req/s"
        f"  avg {progress.avg_response_time:.0f} ms"
    )
