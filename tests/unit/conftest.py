"""The fast tier stays pure: a unit test that starts a process or opens a socket fails, naming what
it did, so that it moves to tests/process/ (or further) instead of slowing the loop down."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest

FORBIDDEN_EVENTS = frozenset(
    {
        "subprocess.Popen",
        "os.system",
        "os.exec",
        "os.fork",
        "os.posix_spawn",
        "os.spawn",
        "socket.bind",
        "socket.connect",
    }
)
"""Python's audit events (PEP 578) for starting a process and for using the network."""

_active: list[bool] = [False]
"""Whether a unit test is running now (an audit hook cannot be removed, so it checks this)."""


def _refuse_processes_and_sockets(event: str, args: tuple[Any, ...]) -> None:
    if _active[0] and event in FORBIDDEN_EVENTS:
        raise RuntimeError(
            f"tests/unit is the pure tier: {event}{args!r} belongs in tests/process/ or beyond"
        )


sys.addaudithook(_refuse_processes_and_sockets)


@pytest.fixture(autouse=True)
def _pure_tier() -> Iterator[None]:
    _active[0] = True
    try:
        yield
    finally:
        _active[0] = False
