"""Locust as the child uses it, in one place: its public names, and each internal it reaches into
behind a function of its own, so that a Locust release that moves one is fixed here only.

Supported: the range pinned in setup.cfg's `install_requires` (locust >= 2.30, < 3). Imported only
by the child process (`locust_child`): importing Locust monkey-patches the interpreter with gevent.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

# Locust monkey-patches the interpreter with gevent on import; it must come first in this process.
import gevent
import locust.main
import locust.runners
from locust import FastHttpUser, HttpUser, events
from locust.argument_parser import LocustArgumentParser
from locust.clients import HttpSession
from locust.contrib.fasthttp import FastHttpSession
from locust.env import Environment
from locust.html import get_html_report, process_html_filename
from locust.runners import STATE_MISSING, WORKER_REPORT_INTERVAL, MasterRunner, WorkerRunner
from locust.stats import StatsEntry

__all__ = [
    "WORKER_REPORT_INTERVAL",
    "Environment",
    "LocustArgumentParser",
    "MasterRunner",
    "StatsEntry",
    "WorkerRunner",
    "events",
    "gevent",
    "generator_cpu_percent",
    "measure_cpu_every",
    "html_report",
    "let_later_definitions_win",
    "live_workers",
    "master_bind_address",
    "run_locust_main",
    "take_html_file",
    "uses_http",
    "wrap_session_requests",
]


def let_later_definitions_win(parser: LocustArgumentParser) -> None:
    """An option defined twice (ours, then a seed suite's own `--spawned-runtime`) takes the later
    definition instead of argparse raising a conflict. argparse checks conflicts per group, so every
    group (optionals included: `_action_groups`, private to argparse) must resolve."""
    for container in (parser, *parser._action_groups):
        container.conflict_handler = "resolve"


def uses_http(user_class: type) -> bool:
    """A user class that needs a host (HttpUser, FastHttpUser)."""
    return issubclass(user_class, (HttpUser, FastHttpUser))


def live_workers(runner: MasterRunner) -> frozenset[str]:
    """Workers connected now: Locust marks one that missed its heartbeats missing, or drops it."""
    return frozenset(node.id for node in runner.clients.all if node.state != STATE_MISSING)


def measure_cpu_every(seconds: float) -> None:
    """Have Locust measure its process's CPU every `seconds` instead of its 10 s.

    Locust reads `runners.CPU_MONITOR_INTERVAL` before each of its measurements (psutil's
    `cpu_percent` of the process since the previous one; the first reads 0). At 10 s a run of a few
    seconds is never measured and a 30 s run three times; the timeline samples every second. Set in
    this process before the runner starts, so `--processes` workers (forked from it) inherit it;
    workers started elsewhere keep their own interval, and the master sees their latest reading.
    """
    locust.runners.CPU_MONITOR_INTERVAL = seconds


def generator_cpu_percent(runner: Any) -> float:
    """The load generator's CPU now, in % of one core: the highest of this runner's latest reading
    (Locust's `current_cpu_usage`) and, on a master, each connected worker's (its heartbeats')."""
    readings = [float(runner.current_cpu_usage)]
    if isinstance(runner, MasterRunner):
        readings.extend(float(node.cpu_usage) for node in runner.clients.all if node.state != STATE_MISSING)
    return max(readings)


def master_bind_address(runner: MasterRunner) -> tuple[str, int]:
    """Where the master listens for workers (`--master-bind-host`, `*` for every interface)."""
    return str(runner.master_bind_host), int(runner.master_bind_port)


def take_html_file(options: Any) -> str | None:
    """The `--html` file Locust was asked for, taken from Locust (which then writes none), with its
    placeholders (`{u}`, `{r}`, ...) filled in as Locust would."""
    if options is None or not getattr(options, "html_file", None):
        return None
    process_html_filename(options)
    html_file: str = options.html_file
    options.html_file = None
    return html_file


def html_report(environment: Environment) -> str:
    """Locust's HTML report of the run, without its download link (the page stands alone)."""
    html: str = get_html_report(environment, show_download_link=False)
    return html


def wrap_session_requests(wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    """Replace `request` of both of Locust's HTTP clients by `wrap(request)`: the one method every
    request of an HttpUser or FastHttpUser goes through."""
    for cls in (HttpSession, FastHttpSession):
        cls.request = wrap(cls.request)  # type: ignore[method-assign]


def run_locust_main() -> None:
    """Locust's own command line, in this process, as if started as `locust`."""
    sys.argv[0] = "locust"
    locust.main.main()
