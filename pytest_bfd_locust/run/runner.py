"""The shared runner: one suite, one Locust child process, one record.

The plugin, the `bfd_locust` fixture and the Lambda all run suites through `run_suite`. Locust runs
in a child process (`python -m pytest_bfd_locust.run.locust_child`, i.e. Locust's own command line plus
our listeners) because importing Locust monkey-patches the interpreter with gevent; a child keeps the
pytest process (and a warm Lambda) clean and gives `--processes` for free.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_bfd_locust.hosts import host_without_credentials
from pytest_bfd_locust.judge.sla import SlaRules
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.run.child_control import CONTROL_ENV, PROGRESS_INTERVAL_S, ChildControl, ChildResult
from pytest_bfd_locust.run.log_tail import LOG_TAIL_LINES, log_tail
from pytest_bfd_locust.run.master_port import free_local_port
from pytest_bfd_locust.run.parent_watch import wait_for_exit, watched_command
from pytest_bfd_locust.run.process_group import stop_process_group
from pytest_bfd_locust.run.progress import Progress
from pytest_bfd_locust.run.worker_log import read_worker_warnings
from pytest_bfd_locust.settings import option_default
from pytest_bfd_locust.suites import DEFAULT_ABORT_AFTER, DEFAULT_FAILSAFE_AVG_MS
from pytest_bfd_locust.workers import Workers

STOP_GRACE_S = 5.0
"""Seconds Locust gets after SIGTERM to write its result before its process group is killed."""


@dataclass(frozen=True)
class RunRequest:
    """Everything one run needs, as plain values (the suite after command-line overrides)."""

    suite: str
    locustfile: Path
    host: str | None
    users: int
    spawn_rate: float
    spawned_runtime: int
    artifacts_dir: Path
    environment: str = option_default("env")
    tags: tuple[str, ...] = option_default("store_tag")
    failsafe_avg_ms: float = DEFAULT_FAILSAFE_AVG_MS
    sla: SlaRules = field(default_factory=SlaRules)
    abort_on_breach: bool = False
    """Stop the run at the first SLA breach (after `abort_after` seconds)."""
    abort_after: float = DEFAULT_ABORT_AFTER
    processes: int | None = None
    only_summary: bool = False
    locust_args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    grace_seconds: float = option_default("timeout_grace")
    progress_interval: float = PROGRESS_INTERVAL_S
    run_id: str | None = None
    """None: a fresh one. The caller passes its own when it names the run directory after it."""
    workers: Workers | None = None
    """Run as Locust's master and wait for workers started elsewhere; None: this machine only."""

    @property
    def expected_seconds(self) -> float:
        """Spawn time plus spawned runtime: how long a healthy run lasts."""
        return self.users / self.spawn_rate + self.spawned_runtime

    @property
    def worker_wait(self) -> float:
        return self.workers.wait if self.workers is not None else 0.0

    @property
    def deadline_seconds(self) -> float:
        """When the run is stopped: the wait for workers, the run itself, and the grace."""
        return self.worker_wait + self.expected_seconds + self.grace_seconds

    def describe_deadline(self) -> str:
        wait = f"worker wait {self.worker_wait:.0f} s + " if self.workers is not None else ""
        return (
            f"{self.deadline_seconds:.0f} s ({wait}spawn time + spawned runtime "
            f"{self.expected_seconds:.0f} s + grace {self.grace_seconds:.0f} s)"
        )


@dataclass(frozen=True)
class RunOutcome:
    """What a run produced. `record` is None when Locust crashed, could not start or hung."""

    record: Record | None
    exit_code: int | None
    error: str | None
    """Why the run failed to finish (crash, timeout, unreadable result); None when Locust finished.
    A run stopped at its deadline may still have a record of what it did until then."""
    abort_reason: str | None
    """Set when the failsafe or an SLA breach (`abort_on_breach`) stopped the run."""
    log_path: Path
    html_path: Path
    duration: float
    report_error: str | None = None
    """Why Locust's HTML report could not be written (the record was written before it)."""
    interrupted_requests: int = 0
    """Requests still waiting for an answer when the run ended (a target that never answers)."""
    notes: tuple[str, ...] = ()
    """What Locust's master warned about its workers (another Locust version, CPU, ...)."""
    refused: bool = False
    """The child refused before any load (no host, workers that did not come): `error` says why."""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines, name="Locust log")


def locust_command(request: RunRequest, html_path: Path, master_port: int | None = None) -> list[str]:
    """The child's argv. No secrets here: they travel in the environment. `master_port`: where a
    `--processes` master listens on this machine (`master_port.free_local_port`, chosen by the
    caller); None leaves Locust's own defaults."""
    argv = [
        sys.executable,
        "-m",
        "pytest_bfd_locust.run.locust_child",
        "-f",
        str(request.locustfile),
        "--headless",
        "--users",
        str(request.users),
        "--spawn-rate",
        spawn_rate_arg(request.spawn_rate),
        "--spawned-runtime",
        str(request.spawned_runtime),
        "--html",
        str(html_path),
    ]
    if request.host and host_without_credentials(request.host) == request.host:
        argv += ["--host", request.host]  # a host with credentials goes through LOCUST_HOST instead
    if request.only_summary:
        argv.append("--only-summary")
    if request.processes:
        argv += ["--processes", str(request.processes), *_local_master_args(request.locust_args, master_port)]
    if request.workers is not None:
        bind = request.workers.master_bind
        argv += [
            "--master",
            "--expect-workers",
            str(request.workers.expect),
            "--master-bind-host",
            bind.locust_host,
            "--master-bind-port",
            str(bind.port),
        ]
    argv += list(request.locust_args)
    return argv


MASTER_PORT_ARGS = frozenset({"--master-bind-host", "--master-bind-port", "--master-port", "--master-host"})
"""Locust's master/worker address options: a user's own (in `locust_args`) are left alone."""


def _local_master_args(locust_args: Sequence[str], port: int | None) -> list[str]:
    """Where `--processes`'s master listens and its forked workers connect: this machine only, on a
    port free now. Locust's defaults bind every interface at 5557, so a second session with
    `--bfd-processes` on the same machine (parallel CI jobs, pytest-xdist) failed with "Address
    already in use", and the master answered on every interface. A user who set any of these
    options in the suite's Locust arguments keeps them."""
    if port is None or any(arg.split("=", 1)[0] in MASTER_PORT_ARGS for arg in locust_args):
        return []
    return ["--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--master-port", str(port)]


def _host_with_credentials_env(host: str | None) -> dict[str, str]:
    """Locust reads `--host` from LOCUST_HOST too: credentials in a host URL stay out of argv."""
    return {"LOCUST_HOST": host} if host and host_without_credentials(host) != host else {}


def package_root() -> str:
    """The directory this package was imported from (site-packages, a checkout, Lambda's /var/task)."""
    return str(Path(__file__).resolve().parents[2])  # <root>/pytest_bfd_locust/run/runner.py


def site_directories() -> frozenset[str]:
    """Where this interpreter finds packages by itself, so a child started with it does too."""
    user_site = site.getusersitepackages() if site.ENABLE_USER_SITE else None
    found = [*site.getsitepackages(), *([user_site] if user_site else [])]
    return frozenset(str(Path(directory).resolve()) for directory in found)


def child_pythonpath(current: str | None, root: str, site_dirs: frozenset[str]) -> str | None:
    """PYTHONPATH for the child so that it imports this package (and Locust) from where we did.

    Lambda's bootstrap puts its code directory on `sys.path` itself, not in PYTHONPATH, so a child
    `python -m pytest_bfd_locust.run.locust_child` would not find the packages of a zip deployment.
    None when nothing needs to change: the root is a site directory or already on the path.
    """
    if root in site_dirs or root in (current or "").split(os.pathsep):
        return None
    return os.pathsep.join([root, current]) if current else root


def spawn_rate_arg(spawn_rate: float) -> str:
    """`10` for 10.0 (as a user would type it), but never a rounded value: Locust parses it back
    into the float that goes into the record's hash."""
    rate = float(spawn_rate)
    return str(int(rate)) if rate.is_integer() else repr(rate)


def run_suite(
    request: RunRequest,
    *,
    on_progress: Callable[[Progress], None] | None = None,
    on_started: Callable[[], None] | None = None,
    poll_interval: float = 0.2,
) -> RunOutcome:
    """Run one suite to completion (or to its deadline) and return what it produced.

    `on_started` is called once the child is started, before the wait for it: the caller's work
    that need not come before the load (the plugin imports its reports) is then done while this
    process would otherwise only wait."""
    run_dir = request.artifacts_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "locust.log"
    html_path = run_dir / "report.html"
    result_path = run_dir / "result.json"
    progress_path = run_dir / "progress.jsonl"
    control_path = run_dir / "control.json"
    for stale in (result_path, progress_path):
        stale.unlink(missing_ok=True)
    progress_path.touch()
    control = ChildControl(
        result_path=str(result_path),
        progress_path=str(progress_path),
        suite=request.suite,
        run_id=request.run_id or uuid.uuid4().hex[:12],
        environment=request.environment,
        tags=request.tags,
        spawned_runtime=request.spawned_runtime,
        failsafe_avg_ms=request.failsafe_avg_ms,
        progress_interval=request.progress_interval,
        sla=request.sla.to_json(),
        abort_on_breach=request.abort_on_breach,
        abort_after=request.abort_after,
        expect_workers=request.workers.expect if request.workers is not None else None,
        worker_wait=request.worker_wait,
    )
    control.write(control_path)
    env = {
        **os.environ,
        **request.env,
        **_host_with_credentials_env(request.host),
        CONTROL_ENV: str(control_path),
        "PYTHONUNBUFFERED": "1",
    }
    child_path = child_pythonpath(env.get("PYTHONPATH"), package_root(), site_directories())
    if child_path is not None:
        env["PYTHONPATH"] = child_path
    deadline_seconds = request.deadline_seconds
    started = time.monotonic()
    timed_out = False
    progress = ProgressTail(progress_path, on_progress)
    with open(log_path, "wb") as log:
        child = subprocess.Popen(
            # Under parent_watch: Locust must not outlive a pytest that was killed.
            watched_command(
                locust_command(request, html_path, free_local_port() if request.processes else None)
            ),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=request.cwd or request.locustfile.parent,
            env=env,
            start_new_session=True,  # one group: --processes workers are stopped with it
        )
        try:
            if on_started is not None:
                on_started()
            while child.poll() is None:
                if time.monotonic() - started > deadline_seconds:
                    timed_out = True
                    stop_process_group(child, STOP_GRACE_S)
                    break
                progress.poll()
                # Waiting on the child, not sleeping: its exit ends the wait at once.
                wait_for_exit(child, poll_interval)
            progress.poll()
            # The master has exited; a `--processes` worker it forked may not have (a master that
            # could not bind its port leaves its workers waiting for it, reparented to init).
            stop_process_group(child, STOP_GRACE_S)
        except BaseException:
            stop_process_group(child, STOP_GRACE_S)
            raise
    duration = time.monotonic() - started
    exit_code = child.returncode
    result, error = _read_result(result_path, exit_code)
    if timed_out:
        # Locust answers SIGTERM by shutting down, which still writes the statistics it has: they
        # are kept (the run fails either way).
        error = f"Locust did not finish within {request.describe_deadline()} and was stopped"
    report = Path(result.html_path) if result.html_path else html_path
    report_error = result.report_error
    if report_error is None and result.record is not None and not report.exists():
        # The child could not say so itself when the disk that refused the report held its result too.
        report_error = f"Locust's HTML report {report} was not written (the child's result names no cause)"
    return RunOutcome(
        result.record,
        exit_code,
        error,
        result.abort_reason,
        log_path,
        report,
        duration,
        report_error=report_error,
        interrupted_requests=result.interrupted_requests,
        notes=read_worker_warnings(log_path) if request.workers is not None else (),
        refused=result.setup_error is not None and not timed_out,
    )


def _read_result(path: Path, exit_code: int | None) -> tuple[ChildResult, str | None]:
    """The child's answer, and why the run failed to finish (None when it did)."""
    if not path.exists():
        return ChildResult(), f"Locust exited with code {exit_code} before producing statistics"
    try:
        result = ChildResult.read(path)
    except (OSError, ValueError) as exc:
        return ChildResult(), f"could not read the run's result: {exc}"
    # A refusal before any load (no host, workers that did not come) is all the child says.
    return result, result.setup_error


class ProgressTail:
    """Follows the child's progress file, passing the newest complete report to the callback."""

    def __init__(self, path: Path, on_progress: Callable[[Progress], None] | None) -> None:
        self.path = path
        self.on_progress = on_progress
        self.offset = 0

    def poll(self) -> None:
        if self.on_progress is None:
            return
        try:
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                chunk = handle.read()
        except OSError:
            return
        complete, _, _torn = chunk.rpartition(b"\n")
        if not complete:
            return
        self.offset += len(complete) + 1
        latest = None
        for line in complete.decode("utf-8", errors="replace").splitlines():
            latest = Progress.from_line(line) or latest
        if latest is not None:
            self.on_progress(latest)
