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

The wrapping is by attribute on the modules that define the functions (their callers import them
where they call them), so a renamed function shows as a missing phase, never as a wrong figure. The
plugin imports the run, the judge and the reports late (while the first Locust child runs): a
module not imported yet is wrapped when it is, so this timer moves no import earlier.
"""

from __future__ import annotations

import functools
import importlib.abc
import importlib.machinery
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from types import ModuleType
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


def _wrap_module(module: ModuleType) -> None:
    if module.__name__ == "pytest_bfd_locust.run.runner":
        _wrap(module, "run_suite", "run_suite")
    elif module.__name__ == "pytest_bfd_locust.stores.file":
        for method in ("save", "load_baseline", "load_history"):
            _wrap(module.FileStore, method, f"store.{method}")
    elif module.__name__ == "pytest_bfd_locust.reports.session":
        _wrap(module, "suite_report", "suite_report")
        _wrap(module, "write_session_reports", "write_session_reports")


WRAPPED_MODULES = (
    "pytest_bfd_locust.run.runner",
    "pytest_bfd_locust.stores.file",
    "pytest_bfd_locust.reports.session",
)


class _WrappingLoader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self.loader = loader

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.loader.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        self.loader.exec_module(module)
        _wrap_module(module)


class _WrapWhenImported(importlib.abc.MetaPathFinder):
    """Finds the modules of WRAPPED_MODULES with the other finders and wraps them once executed."""

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name not in WRAPPED_MODULES:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                spec.loader = _WrappingLoader(spec.loader)
                return spec
        return None


def pytest_configure(config: pytest.Config) -> None:
    MARKS["configure"] = time.time()
    for name in WRAPPED_MODULES:
        if name in sys.modules:
            _wrap_module(sys.modules[name])
    sys.meta_path.insert(0, _WrapWhenImported())


def pytest_collection_finish(session: pytest.Session) -> None:
    MARKS["collected"] = time.time()


def pytest_unconfigure(config: pytest.Config) -> None:
    MARKS["unconfigure"] = time.time()
    path = os.environ.get("BFD_PHASE_FILE")
    if path:
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"marks": MARKS, "phases": PHASES}, out)
