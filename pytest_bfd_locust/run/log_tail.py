"""The last lines of a log file (Locust's, a target's), for failure texts."""

from __future__ import annotations

import os
from pathlib import Path

LOG_TAIL_LINES = 20
"""Lines of a log a failure text shows."""

_TAIL_BYTES = 16_384
"""Only the end of the file is read: a long run's log can be large."""


def log_tail(log_path: Path, lines: int = LOG_TAIL_LINES, *, name: str = "log") -> str:
    """The last `lines` lines of the file, or a note in parentheses saying why there are none."""
    try:
        with log_path.open("rb") as log:
            log.seek(0, os.SEEK_END)
            log.seek(max(0, log.tell() - _TAIL_BYTES))
            text = log.read().decode("utf-8", errors="replace")
    except OSError as error:
        return f"(cannot read the {name} {log_path}: {error.strerror or error})"
    tail = text.splitlines()[-lines:]
    return "\n".join(tail) if tail else f"(the {name} is empty)"
