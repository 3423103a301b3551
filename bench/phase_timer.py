"""A pytest plugin for bench/overhead.py --breakdown: when each phase of a suite began and ended.

Loaded with `-p bench.phase_timer` (bench only, never shipped). It wraps, for the process it is
loaded in, the functions a suite passes through on its way around the load, and writes their
wall-clock intervals (time.time(), comparable with the bench's own clock) to the JSON file named by
BFD_PHASE_FILE at the end of the session:

- `pytest_configure`: pytest has started and imported its plugins (this one is imported with them);
- `collection`: the catalog read into items;
- `run_suite`: the runner, from starting the child under parent_watch to its exit (the load inside);
- `store.save`, `store.load_baseline`, `store.load_history`: the store's calls;
- `suite_report`, `write_session_reports`: the reports built and written.

The wrapping is by attribute on the modules that call the functions, so a renamed function shows
as a missing phase, never as a wrong figure.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable
from typing import Any

import pytest

PHASES: dict[str, list[tuple[float, float]]] = {}
MARKS: dict[str, float] = {"imported": time.time()}


def _timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.time()
        try:
            return function(*args, **kwargs)
        finally:
            PHASES.setdefault(name, []).append((started, time.time()))

    return wrapper


def _wrap(module: Any, attribute: str, name: str) -> None:
    if hasattr(module, attribute):
        setattr(module, attribute, _timed(name, getattr(module, attribute)))


def pytest_configure(config: pytest.Config) -> None:
    MARKS["configure"] = time.time()
    from pytest_bfd_locust import plugin, suite_run
    from pytest_bfd_locust.stores import file

    _wrap(suite_run, "run_suite", "run_suite")
    for method in ("save", "load_baseline", "load_history"):
        _wrap(file.FileStore, method, f"store.{method}")
    _wrap(plugin, "suite_report", "suite_report")
    _wrap(plugin, "write_session_reports", "write_session_reports")


def pytest_collection_finish(session: pytest.Session) -> None:
    MARKS["collected"] = time.time()


def pytest_unconfigure(config: pytest.Config) -> None:
    MARKS["unconfigure"] = time.time()
    path = os.environ.get("BFD_PHASE_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"marks": MARKS, "phases": PHASES}, out)
