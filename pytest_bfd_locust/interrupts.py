"""SIGTERM and SIGHUP turned into a KeyboardInterrupt while a suite runs, as Ctrl-C already is.

A CI runner cancels a job with SIGTERM (a closed terminal sends SIGHUP). Python's default action
for both ends the process on the spot: no `finally`, so the Locust child and the `target:` process
(each in its own session, out of reach of the terminal's signals) were left running. Raised as
`TerminationSignal` (a KeyboardInterrupt), the signal unwinds through the runner and the target's
`with` block, which stop both process groups, and pytest ends the session as interrupted.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

HANDLED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class TerminationSignal(KeyboardInterrupt):
    """The process got SIGTERM or SIGHUP while a suite ran."""

    def __init__(self, signum: int) -> None:
        self.signal_name = signal.Signals(signum).name
        super().__init__(f"received {self.signal_name}")


def _raise(signum: int, frame: FrameType | None) -> None:
    raise TerminationSignal(signum)


@contextlib.contextmanager
def termination_signals_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `TerminationSignal` in the main thread.

    Outside the main thread (signal handlers can only be set there) this does nothing; earlier
    handlers are restored on the way out, so pytest's and a host program's own stay intact.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[signal.Signals, Any] = {}
    try:
        for signum in HANDLED_SIGNALS:
            previous[signum] = signal.signal(signum, _raise)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def describe_interrupt(exc: BaseException) -> str:
    """`SIGTERM`, `SIGHUP` or `Ctrl-C (SIGINT)`: what ended the run, for the user."""
    if isinstance(exc, TerminationSignal):
        return exc.signal_name
    return "Ctrl-C (SIGINT)"
