"""What Locust's master said about its workers, picked out of its log for the suite's output.

Locust reports a worker running another Locust version, a worker over its CPU threshold or a message
from an unknown worker only as a log line of the master (`locust.runners`, WARNING and above). A
worker running another locustfile (its own `-f`, not the master's `-f -`) crashes on the master's
user classes, and the master says only, at INFO, that not all reports were received from workers.
A distributed run passes those lines on as notes, each once, so they reach pytest's warnings
instead of staying in an artifact nobody opens.
"""

from __future__ import annotations

import re
from pathlib import Path

MAX_WORKER_NOTES = 10
"""More would bury the suite's own result; the log artifact holds the rest."""

_RUNNER_LINE = re.compile(r"^\[[^\]]+\] [^ ]*/(?P<level>[A-Z]+)/locust\.runners: (?P<message>.+)$")
_WARNING_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})
_UNREPORTED_USERS = "not all reports received from workers"


def worker_warnings(log_text: str) -> tuple[str, ...]:
    """The master's warnings and errors about workers, in order, without repeats."""
    found: dict[str, None] = {}
    for line in log_text.splitlines():
        match = _RUNNER_LINE.match(line.strip())
        if match is None:
            continue
        message = match.group("message")
        warning = match.group("level") in _WARNING_LEVELS and "worker" in message.lower()
        if warning or _UNREPORTED_USERS in message:
            found.setdefault(f"Locust master: {message}", None)
    return tuple(found)[:MAX_WORKER_NOTES]


def read_worker_warnings(log_path: Path) -> tuple[str, ...]:
    try:
        return worker_warnings(log_path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return ()
