"""A copy of what is written to stderr while pytest runs, keeping its last characters.

pytest prints usage errors to stderr before any plugin runs; the copy lets the Lambda's response
say what was wrong while the text still reaches the log.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr
from typing import Any, TextIO


class StderrCopy:
    """Writes through to the real stderr and keeps the last `limit` characters."""

    def __init__(self, target: TextIO, limit: int) -> None:
        self._target = target
        self._limit = limit
        self._kept = ""

    def write(self, text: str) -> int:
        self._kept = (self._kept + text)[-self._limit :]
        return self._target.write(text)

    def text(self) -> str:
        return self._kept

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


@contextmanager
def stderr_tee(limit: int) -> Iterator[StderrCopy]:
    """While active, stderr goes to the real stderr and to the returned copy."""
    copy = StderrCopy(sys.stderr, limit)
    with redirect_stderr(copy):
        yield copy
