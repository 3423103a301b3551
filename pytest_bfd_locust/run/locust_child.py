"""The child process's entry: register our listeners, then run Locust's own command line.

Run as `python -m pytest_bfd_locust.run.locust_child <locust arguments>` with `BFD_LOCUST_CONTROL`
naming a JSON file of `ChildControl` fields. It behaves exactly like the `locust` command, plus:

- `--spawned-runtime` (seconds after all users have spawned). Suites written for the seed register
  that option themselves; our definition yields to theirs (argparse "resolve"), so both run unchanged.
  Without a load shape of its own, the run is stopped `spawned_runtime` seconds after spawning ends.
- the failsafe: the run is stopped once the running average response time exceeds the limit;
- `abort_on_breach` (`ChildControl`): after `abort_after` seconds, the run is stopped at the first
  sample whose newest window breaks the SLA (or, for an SLA without a window, whose whole run so far
  does), with the reason `aborted at 43 s: p95 1.8 s in 00:40-00:50 > 1000 ms` (judge/sla.py);
- with a windowed SLA, each sample's histograms (totals and every endpoint) are kept in the
  timeline, so windows are judged from their own requests. On a master of workers the statistics
  arrive with the workers' reports (every few seconds), so a window shorter than that sees lumps;
- progress: one JSON line per interval appended to the progress file, and one timeline sample per
  interval kept for the record (requests/s, failures and response times of the interval, and the
  load generator's CPU: Locust's own measurement, taken every interval instead of its 10 s);
- the result: a `ChildResult` (run/child_control.py) written atomically to the result file when
  Locust quits, *before* the HTML report: a report that cannot be written (disk full) no longer
  loses the run. Not stdout, not Locust's CSV. A run refused before any load (no host for an HTTP
  user) answers with its `setup_error` alone.
- the HTML report (`--html`) is written by us, not Locust, after the result and with the host's
  credentials removed.
- requests still waiting for an answer when the run ends are counted: a target that accepts
  connections and never answers is then named as such, not only as "0 requests".

Only the master (or local) runner collects; `--processes` workers just run users.

Everything of Locust comes through `locust_api`, which must be imported first (gevent's patching).

As the master of a suite that expects workers (`ChildControl.expect_workers`), it first waits up to
`worker_wait` seconds for them; when they do not all come, it answers with the `setup_error`
"expected N workers, M connected after S s" and exits. The record says how many workers started
the run and how many were still connected at its end (Locust's heartbeats decide which are lost).
"""

from __future__ import annotations

# isort: off
# Locust monkey-patches the interpreter with gevent on import; it must come first in this process.
from pytest_bfd_locust.run.locust_api import (
    WORKER_REPORT_INTERVAL,
    Environment,
    LocustArgumentParser,
    MasterRunner,
    StatsEntry,
    WorkerRunner,
    events,
    generator_cpu_percent,
    gevent,
    html_report,
    let_later_definitions_win,
    live_workers,
    master_bind_address,
    measure_cpu_every,
    run_locust_main,
    take_html_file,
    uses_http,
    wrap_session_requests,
)

# isort: on
import atexit
import gc
import os
import signal
import socket
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from pytest_bfd_locust.atomic_file import write_atomically
from pytest_bfd_locust.histogram import percentiles_from_histogram
from pytest_bfd_locust.hosts import host_without_credentials
from pytest_bfd_locust.judge.sla import SlaRules, abort_reason, latest_window_breach, so_far_breach
from pytest_bfd_locust.record import (
    EntryHistogram,
    ErrorCount,
    Record,
    RecordMetadata,
    TaskStats,
    WorkerContribution,
    WorkerCount,
    record_hash,
    sort_tasks,
)
from pytest_bfd_locust.run.child_control import CONTROL_ENV, ChildControl, ChildResult
from pytest_bfd_locust.run.progress import Progress
from pytest_bfd_locust.timeline import (
    TOTALS_ENTRY,
    Timeline,
    TimelineSample,
    entry_key,
    interval_histograms,
    sample_interval,
)
from pytest_bfd_locust.timespan import parse_timespan
from pytest_bfd_locust.workers import MasterBind, missing_workers_message

WORKER_POLL_S = 0.1


def say(message: str) -> None:
    """A line of ours in Locust's log (stderr), marked as the plugin's and flushed at once."""
    print(f"pytest-bfd-locust: {message}", file=sys.stderr, flush=True)


class ChildSession:
    """The listeners of one Locust run; built once per process from the control file."""

    def __init__(self, control: ChildControl) -> None:
        self.control = control
        self.abort_reason: str | None = None
        self.started = time.monotonic()
        self.spawned_at: float | None = None
        self.environment: Environment | None = None
        self.samples: list[TimelineSample] = []
        self.sampled: tuple[float, int, float, dict[int, int]] | None = None
        """(monotonic time, requests, total response time, histogram) at the last sample."""
        self.html_file: str | None = None
        self.interrupted_requests = 0
        self.started_workers: frozenset[str] | None = None
        self.finished_workers: frozenset[str] | None = None
        self.stopped_at: float | None = None
        """When the spawned runtime ended and the workers were told to stop (monotonic time)."""
        self.reported_at: dict[str, float] = {}
        """Worker id -> when the master last received its statistics."""
        self.sent: dict[str, tuple[int, int]] = {}
        """Worker id -> (requests, failures) its statistics reports carried so far."""
        self.users_started_at: float | None = None
        self.lost_after: dict[str, float] = {}
        """Worker id -> seconds after the users started when the master marked it missing."""
        self.sla = SlaRules.from_json(control.sla) if control.sla else SlaRules()
        self.interval_rows: list[dict[str, dict[int, int]]] = []
        """With a windowed SLA: each sample's histograms by entry (`TOTALS_ENTRY`, `entry_key`)."""
        self.entries_sampled: dict[str, tuple[int, dict[int, int]]] = {}
        """Endpoint -> (requests, histogram) at the last sample."""
        self.cpu_readings = 0
        """Locust's CPU measurements in this process so far (its first reads 0: no interval yet)."""

    def register(self) -> None:
        events.init_command_line_parser.add_listener(self.on_parser)
        events.init.add_listener(self.on_init)
        events.spawning_complete.add_listener(self.on_spawning_complete)
        events.quitting.add_listener(self.on_quitting)
        events.test_start.add_listener(self.on_test_start)
        events.test_stopping.add_listener(self.on_test_stopping)
        events.worker_report.add_listener(self.on_worker_report)
        events.usage_monitor.add_listener(self.on_usage_monitor)

    def on_parser(self, parser: LocustArgumentParser, **_: Any) -> None:
        # A seed suite adds its own --spawned-runtime after us: its definition wins.
        let_later_definitions_win(parser)
        parser.add_argument(
            "--spawned-runtime",
            type=_parse_runtime,
            dest="spawned_runtime",
            default=None,
            help="How long to run after all users have spawned (added by pytest-bfd-locust).",
        )

    def on_init(self, environment: Environment, **_: Any) -> None:
        self.environment = environment
        if isinstance(environment.runner, WorkerRunner):
            return
        missing_host = [
            cls.__name__
            for cls in environment.user_classes
            if uses_http(cls) and not (environment.host or cls.host)
        ]
        if missing_host:
            # Locust would start the users and log one exception each: "0 requests" and no cause.
            message = (
                "no host: set `host:` in the catalog or `--bfd-host` "
                f"(user class(es) {', '.join(missing_host)} set none either)"
            )
            say(message)
            ChildResult(setup_error=message).write(Path(self.control.result_path))
            sys.exit(1)
        # Written by `on_quitting` after the result, never by Locust before it.
        self.html_file = take_html_file(environment.parsed_options)
        self.count_interrupted_requests()
        gevent.spawn(self.monitor, environment)
        # Locust installs its own SIGTERM handler only after a load shape has finished, so a suite
        # whose shape never ends would die at the runner's deadline without its statistics.
        # Quitting the runner lets Locust shut down normally, and `on_quitting` writes the result.
        gevent.signal_handler(signal.SIGTERM, self.stop, environment, None)
        if isinstance(environment.runner, MasterRunner) and self.control.expect_workers:
            # Blocking here, before Locust's own (unbounded) wait, keeps the wait bounded and lets
            # the failure say how many workers came. The runner's greenlets accept them meanwhile.
            self.await_workers(environment.runner)

    def await_workers(self, runner: MasterRunner) -> None:
        expected = self.control.expect_workers or 0
        since = time.monotonic()
        while (connected := runner.worker_count) < expected:
            waited = time.monotonic() - since
            if waited >= self.control.worker_wait:
                message = missing_workers_message(
                    expected,
                    connected,
                    waited,
                    MasterBind(*master_bind_address(runner)),
                    this_host=socket.gethostname(),
                )
                ChildResult(setup_error=message).write(Path(self.control.result_path))
                say(f"{message}; stopping")
                runner.quit()  # tells the workers that did come to quit
                sys.exit(1)
            gevent.sleep(WORKER_POLL_S)
        say(f"{connected} workers connected after {time.monotonic() - since:.1f} s")

    def on_test_start(self, environment: Environment, **_: Any) -> None:
        if isinstance(environment.runner, MasterRunner) and self.started_workers is None:
            self.started_workers = live_workers(environment.runner)
            self.users_started_at = time.monotonic()
            gevent.spawn(self.watch_workers, environment.runner)

    def watch_workers(self, runner: MasterRunner) -> None:
        """Note when each started worker goes missing (its link or process gone), and say so now:
        Locust itself only logs it at INFO, and stops the whole run only when the last one goes."""
        while self.finished_workers is None:
            gevent.sleep(WORKER_POLL_S)
            live = live_workers(runner)
            for worker in sorted((self.started_workers or frozenset()) - live - self.lost_after.keys()):
                self.lost_after[worker] = time.monotonic() - (self.users_started_at or self.started)
                requests, _ = self.sent.get(worker, (0, 0))
                say(
                    f"worker {worker} lost {self.lost_after[worker]:.1f} s after the "
                    f"users started (no heartbeat), after {requests} requests"
                )

    def on_test_stopping(self, environment: Environment, **_: Any) -> None:
        # Taken when the run stops, before Locust tells its workers to quit (they leave then).
        if isinstance(environment.runner, MasterRunner) and self.finished_workers is None:
            self.finished_workers = live_workers(environment.runner)

    def worker_count(self, environment: Environment) -> WorkerCount | None:
        runner = environment.runner
        if not isinstance(runner, MasterRunner) or not self.control.expect_workers:
            return None
        started = self.started_workers or frozenset()
        finished = self.finished_workers if self.finished_workers is not None else live_workers(runner)
        if self.stopped_at is not None:
            # Connected is not finished: a worker killed seconds before the end is still "connected"
            # until its heartbeats are missed, yet its last requests never arrive. Only a worker that
            # reported after the users stopped sent everything it counted.
            finished = frozenset(w for w in finished if self.reported_at.get(w, 0.0) > self.stopped_at)
        per_worker = tuple(
            WorkerContribution(
                worker_id=worker,
                requests=self.sent.get(worker, (0, 0))[0],
                failures=self.sent.get(worker, (0, 0))[1],
                finished=worker in finished,
                lost_after=None if worker in finished else self.lost_after.get(worker),
            )
            for worker in sorted(started)
        )
        return WorkerCount(
            expected=self.control.expect_workers,
            started=len(started),
            finished=len(started & finished),
            per_worker=per_worker,
        )

    def on_spawning_complete(self, user_count: int, **_: Any) -> None:
        if self.spawned_at is not None:
            return
        self.spawned_at = time.monotonic()
        environment = self.environment
        if environment is not None and environment.reset_stats:
            self.sent.clear()  # the workers reset their statistics now, as the master does
        if environment is None or environment.shape_class is not None:
            return  # a suite with its own load shape decides when to stop
        runtime = getattr(environment.parsed_options, "spawned_runtime", None)
        if runtime is None:
            runtime = self.control.spawned_runtime
        gevent.spawn_later(runtime, self.finish, environment)

    def finish(self, environment: Environment) -> None:
        """End of the spawned runtime: on a master of workers, collect everything they counted first.

        Locust's own quit gives workers 0.5 s to send their last statistics, which a busy worker
        misses. Stopping the users first and waiting for one report of each worker after that
        (they report every few seconds) leaves nothing unsent.
        """
        runner = environment.runner
        if isinstance(runner, MasterRunner) and self.control.expect_workers:
            stopped_at = self.stopped_at = time.monotonic()
            runner.stop()  # waits until the workers say their users have stopped
            pending = self.finished_workers or frozenset()
            deadline = time.monotonic() + WORKER_REPORT_INTERVAL + 1
            while time.monotonic() < deadline and any(
                self.reported_at.get(worker, 0.0) <= stopped_at for worker in pending
            ):
                gevent.sleep(WORKER_POLL_S)
        self.stop(environment, None)

    def on_worker_report(self, client_id: str, data: dict[str, Any], **_: Any) -> None:
        self.reported_at[client_id] = time.monotonic()
        # Each report carries what the worker counted since its previous one.
        total = data.get("stats_total") or {}
        requests, failures = self.sent.get(client_id, (0, 0))
        self.sent[client_id] = (
            requests + int(total.get("num_requests", 0)),
            failures + int(total.get("num_failures", 0)),
        )

    def on_usage_monitor(self, **_: Any) -> None:
        self.cpu_readings += 1

    def stop(self, environment: Environment, reason: str | None) -> None:
        if reason and self.abort_reason is None:
            self.abort_reason = reason
            say(f"{reason}; stopping the run")
        if environment.runner is not None:
            environment.runner.quit()

    def monitor(self, environment: Environment) -> None:
        with open(self.control.progress_path, "a", encoding="utf-8") as progress:
            while True:
                gevent.sleep(self.control.progress_interval)
                total = environment.stats.total
                progress.write(self.progress(environment, total).to_line() + "\n")
                progress.flush()
                self.samples.append(self.sample(environment, total))
                if self.control.abort_on_breach and self.abort_reason is None:
                    self.abort_on_breach(environment)
                if (
                    self.abort_reason is None
                    and total.num_requests
                    and (total.avg_response_time > self.control.failsafe_avg_ms)
                ):
                    self.stop(
                        environment,
                        f"failsafe: average response time {total.avg_response_time:.0f} ms exceeded "
                        f"failsafe_avg_ms {self.control.failsafe_avg_ms:g} ms",
                    )

    def progress(self, environment: Environment, total: StatsEntry) -> Progress:
        runner = environment.runner
        return Progress(
            elapsed=round(time.monotonic() - self.started, 2),
            spawned_elapsed=None if self.spawned_at is None else round(time.monotonic() - self.spawned_at, 2),
            users=runner.user_count if runner is not None else 0,
            num_requests=int(total.num_requests),
            num_failures=int(total.num_failures),
            current_rps=round(total.total_rps, 1),
            avg_response_time=round(total.avg_response_time, 1),
            workers=runner.worker_count if isinstance(runner, MasterRunner) else None,
        )

    def sample(self, environment: Environment, total: StatsEntry) -> TimelineSample:
        """What completed since the previous sample: the difference of Locust's running totals."""
        now = time.monotonic()
        histogram = dict(total.response_times)
        since, requests, response_ms, previous = self.sampled or (self.started, 0, 0.0, {})
        # Locust resets its statistics when spawning ends (--reset-stats): start over then.
        if total.num_requests < requests:
            requests, response_ms, previous = 0, 0.0, {}
        self.sampled = (now, int(total.num_requests), float(total.total_response_time), histogram)
        interval = {ms: count - previous.get(ms, 0) for ms, count in histogram.items()}
        interval = {ms: count for ms, count in interval.items() if count > 0}
        interval_requests = int(total.num_requests) - requests
        if self.sla.window is not None:
            self.interval_rows.append({TOTALS_ENTRY: interval, **self.endpoint_intervals(environment)})
        runner = environment.runner
        return sample_interval(
            elapsed=now - self.started,
            users=runner.user_count if runner is not None else 0,
            num_requests=int(total.num_requests),
            num_failures=int(total.num_failures),
            seconds=now - since,
            interval_requests=interval_requests,
            interval_response_ms=float(total.total_response_time) - response_ms,
            interval_percentiles=percentiles_from_histogram(interval, sum(interval.values())),
            # None until Locust has measured an interval (its first reading is always 0).
            cpu_percent=None if runner is None or self.cpu_readings < 2 else generator_cpu_percent(runner),
        )

    def endpoint_intervals(self, environment: Environment) -> dict[str, dict[int, int]]:
        """Each endpoint's histogram of the requests completed since the previous sample."""
        rows: dict[str, dict[int, int]] = {}
        for entry in list(environment.stats.entries.values()):
            key = entry_key(str(entry.method or ""), str(entry.name))
            histogram = dict(entry.response_times)
            requests, previous = self.entries_sampled.get(key, (0, {}))
            if entry.num_requests < requests:  # reset after spawning: start over
                previous = {}
            self.entries_sampled[key] = (int(entry.num_requests), histogram)
            interval = {ms: count - previous.get(ms, 0) for ms, count in histogram.items()}
            interval = {ms: count for ms, count in interval.items() if count > 0}
            if interval:
                rows[key] = interval
        return rows

    def abort_on_breach(self, environment: Environment) -> None:
        """Stop the run at the SLA's first breach, once the grace (`abort_after`) has passed."""
        elapsed = time.monotonic() - self.started
        if elapsed < self.control.abort_after or not self.sla.scopes():
            return
        if self.sla.window is not None:
            ends = [sample.elapsed for sample in self.samples]
            breach = latest_window_breach(self.interval_rows, ends, self.control.progress_interval, self.sla)
            found = None if breach is None else breach.scoped()
        else:
            stats = environment.stats
            so_far = {
                entry_key(str(entry.method or ""), str(entry.name)): percentiles_from_histogram(
                    entry.response_times, entry.num_requests
                )
                for entry in list(stats.entries.values())
            }
            total = stats.total
            so_far[TOTALS_ENTRY] = percentiles_from_histogram(total.response_times, total.num_requests)
            found = so_far_breach(so_far, self.sla)
        if found is not None:
            self.stop(environment, abort_reason(elapsed, found))

    def count_interrupted_requests(self) -> None:
        """Count requests cut off by the end of the run (their users were killed mid-request).

        Locust records a request only when it completes; without this count, a target that
        accepts connections and never answers shows as a run of 0 requests and nothing else.
        """
        session = self

        def counting(original: Any) -> Any:
            def request(*args: Any, **kwargs: Any) -> Any:
                try:
                    return original(*args, **kwargs)
                except gevent.GreenletExit:
                    session.interrupted_requests += 1
                    raise

            return request

        wrap_session_requests(counting)

    def on_quitting(self, environment: Environment, **_: Any) -> None:
        if isinstance(environment.runner, WorkerRunner):
            return
        record = build_record(environment, self.control, workers=self.worker_count(environment))
        if self.samples:
            record = replace(
                record,
                timeline=Timeline(
                    interval=self.control.progress_interval,
                    samples=tuple(self.samples),
                    histograms=None if self.sla.window is None else interval_histograms(self.interval_rows),
                ),
            )
        result = ChildResult(
            record=record,
            abort_reason=self.abort_reason,
            html_path=self.html_file,
            interrupted_requests=self.interrupted_requests,
        )
        # The result first: whatever happens to the report, the run is not lost.
        result_path = Path(self.control.result_path)
        result.write(result_path)
        if self.html_file is None:
            return
        try:
            write_html_report(environment, Path(self.html_file))
        except OSError as error:
            report_error = f"Locust's HTML report {self.html_file} could not be written: {error}"
            say(report_error)
            try:
                replace(result, report_error=report_error).write(result_path)
            except OSError:
                pass  # the result without the note is still there; the parent sees no report file


def write_html_report(environment: Environment, path: Path) -> None:
    """Locust's HTML report, with the host it shows stripped of any credentials."""
    hosts = {environment.host} if environment.host else {cls.host for cls in environment.user_classes}
    shown = host_without_credentials(hosts.pop()) if len(hosts) == 1 else None
    original = environment.host
    environment.host = shown  # the report shows environment.host, or the classes' single host
    try:
        html = html_report(environment)
    finally:
        environment.host = original
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.is_file():
        # Whole or not at all: on a full disk a half-written report looked complete, unsaid.
        write_atomically(path, html)
    else:
        with open(path, "w", encoding="utf-8") as stream:  # /dev/full, a pipe: not renamed over
            stream.write(html)


def _parse_runtime(text: str) -> int:
    return parse_timespan(text, "--spawned-runtime")


def task_stats(entry: StatsEntry) -> TaskStats:
    """The seed's TaskStats of one Locust stats entry."""
    percentiles = percentiles_from_histogram(entry.response_times, entry.num_requests)
    return TaskStats(
        task_name=str(entry.name),
        request_method=str(entry.method or ""),
        num_requests=int(entry.num_requests),
        num_failures=int(entry.num_failures),
        median_response_time=int(entry.median_response_time or 0),
        average_response_time=float(entry.avg_response_time),
        min_response_time=int(entry.min_response_time or 0),
        max_response_time=int(entry.max_response_time),
        total_reqs_per_second=float(entry.total_rps),
        total_fails_per_sec=float(entry.total_fail_per_sec),
        response_time_percentiles=percentiles,
    )


def build_record(
    environment: Environment, control: ChildControl, *, workers: WorkerCount | None = None
) -> Record:
    """The record of the finished run, from Locust's (on a master: aggregated) statistics."""
    stats = environment.stats
    options = environment.parsed_options
    entries = [stats.entries[key] for key in sorted(stats.entries.keys())]
    tasks = sort_tasks([task_stats(entry) for entry in entries])
    user_classes = [cls.__name__ for cls in environment.user_classes]
    num_users = int(getattr(options, "num_users", 0) or 0)
    spawn_rate = float(getattr(options, "spawn_rate", 0) or 0)
    requested_runtime = int(getattr(options, "spawned_runtime", None) or getattr(options, "run_time", 0) or 0)
    last = stats.last_request_timestamp
    total_runtime = float(last - stats.start_time) if last else 0.0
    metadata = RecordMetadata(
        timestamp=int(time.time()),
        tags=control.tags,
        environment=control.environment,
        stats_reset_after_spawn=bool(environment.reset_stats),
        num_total_users=num_users,
        num_users_per_second=spawn_rate,
        requested_runtime=requested_runtime,
        total_runtime=total_runtime,
        user_classes=tuple(user_classes),
        hash=record_hash(
            user_classes=user_classes,
            entry_names=[task.task_name for task in tasks],
            num_users=num_users,
            requested_runtime=requested_runtime,
            spawn_rate=spawn_rate,
            stats_reset_after_spawn=bool(environment.reset_stats),
            environment=control.environment,
        ),
    )
    histograms = [
        EntryHistogram(str(e.name), str(e.method or ""), dict(e.response_times))
        for e in [stats.total, *entries]
    ]
    errors = [
        ErrorCount(str(err.name), str(err.method or ""), str(err.error), int(err.occurrences))
        for err in stats.errors.values()
    ]
    return Record(
        metadata=metadata,
        totals=task_stats(stats.total),
        tasks=tasks,
        run_id=control.run_id,
        suite=control.suite,
        host=host_without_credentials(environment.host),
        histograms=tuple(histograms),
        errors=tuple(errors),
        workers=workers,
    )


def _collect_then_freeze() -> None:
    gc.collect()
    gc.freeze()


def main() -> None:
    control_path = os.environ.get(CONTROL_ENV)
    if not control_path:
        sys.exit(f"pytest_bfd_locust.run.locust_child: {CONTROL_ENV} is not set; run suites through pytest")
    control = ChildControl.read(control_path)
    # Registered first, so it runs last of the exit handlers (Locust's, a locustfile's, logging's).
    atexit.register(_collect_then_freeze)
    measure_cpu_every(control.progress_interval)
    ChildSession(control).register()
    run_locust_main()


if __name__ == "__main__":
    main()
