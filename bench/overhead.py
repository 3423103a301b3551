"""What the plugin costs over plain Locust: wall time per suite and requests/s.

Runs the same suite against the same demo target, alternately through plain `locust` and through
`pytest --bfd-suite ... --compare previous` (file store: the main job), several times each, and
prints both and their ratios. Plain Locust's `--run-time` counts spawning while the plugin's spawned
runtime starts after it: plain Locust is given the spawned runtime plus the seconds its spawning
takes (`plain_run_time`), so both load for as long and the paired wall times compare like with like;
the overhead around the load (wall time minus the run's own duration, first to last request) is
printed too. Run by hand:

    .venv/bin/python bench/overhead.py [--rounds 5] [--users 10] [--runtime 5] [--breakdown]
        [--workers 2 [--netns]] [--host URL --path /]

Aim (issue 2): at most 1 s of extra wall time per suite, at least 95 % of plain Locust's requests/s;
issue 16 narrowed it to 0.3 s and 98 %, read on the paired rounds (`around the load, paired`: each
plugin run's wall time minus its load, less the same of the plain run just before it, the median;
`wall time, paired` compares whole wall times, which still differ by what the loads do).

`--breakdown` loads bench/phase_timer.py into the plugin's pytest and prints where the plugin's time
around the load goes: pytest's start and imports, collection, the runner (the child started under
parent_watch, spawning, stopping) beyond the load itself, the store's baseline read and write, the
report built and written, the interpreter's exit.

`--workers N` adds, in every round, the same suite through the plugin as Locust's master with N local
`locust --worker -f -` processes (issue 12), and prints their requests/s against the one-process
run of the same round. `--host` (with `--path`, the one path requested) loads a server already
running on 127.0.0.1 (nginx, say) instead of the in-process demo target, which is the bottleneck
long before Locust is.

`--workers N --netns` (root; issue 20) runs both across a real network hop instead: the hop of
tests/netns (a namespace for the master and one per worker on a bridge, link-local addresses, no
route out), pytest in the master's namespace with a small keep-alive HTTP target on its bridge
address; each round, the one-process run in the master's namespace, then the master with N workers
loading the target from their own namespaces. Plain Locust is not run then.

`--sla-cost` (issue 18) measures what judging windows costs the Locust child: the same run through
the shared runner (`run_suite`, no pytest around it), two at once, without an SLA and with a windowed
SLA on the totals and on each of `ENDPOINTS` endpoints plus `abort_on_breach` (so the child keeps
every sample's histograms and evaluates the newest window at every sample), at the highest rate the
target takes (FastHttpUser, no wait). The child's CPU during the load (user + system from
/proc/<child>/stat, read at its progress reports from the end of spawning to its last report, so
Locust's start and stop are left out) per request, with over without, is the cost; aim: at most
+2 %. On a shared 2-core machine that end-to-end ratio varies by +-20 % from round to round, far more
than the cost sought, so the SLA's own work is also timed directly: the windowed run's recorded
histograms replayed through what the child does at each sample (each entry's cumulative histogram
copied and differenced, `latest_window_breach` over the newest window), as a share of the child's CPU
per second of load. It also prints the size of the timeline's histograms and what an hour at one
sample a second would take at the rate measured.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examples.demo_target import start_server  # noqa: E402
from pytest_bfd_locust.judge.sla import SlaRules  # noqa: E402
from pytest_bfd_locust.run.progress import Progress  # noqa: E402
from pytest_bfd_locust.timeline import Timeline  # noqa: E402
from tests.locustfiles import patient_and_coverage_locustfile  # noqa: E402
from tests.netns.conftest import Hop, build_hop, cannot_make_namespaces  # noqa: E402

LOCUSTFILE = patient_and_coverage_locustfile(user_class="FastHttpUser", wait=0.005, patient_id=7)
LOCUST = Path(sys.executable).with_name("locust")


def one_path_locustfile(path: str) -> str:
    return (
        "from locust import FastHttpUser, constant, task\n\n\n"
        "class Api(FastHttpUser):\n"
        "    wait_time = constant(0)  # the generator, not a wait, is the limit\n\n"
        "    @task\n"
        "    def get(self):\n"
        f"        self.client.get({path!r})\n"
    )


def plain_run_time(users: int, spawn_rate: float, runtime: int) -> int:
    """Plain Locust's `--run-time` (seconds) loading as long as the plugin's spawned runtime: Locust
    starts `spawn_rate` users at once every second, the first batch at once, so its spawning lasts
    ceil(users / spawn_rate) - 1 seconds (none at all for users == spawn_rate: Locust 2.47 logs "All
    users spawned" 1 ms after "Ramping"). The bench once gave 1 + runtime, and plain Locust then
    loaded 5.8 s against the plugin's 5.0 s, a paired wall time 0.2-0.4 s in the plugin's favour."""
    return runtime + max(math.ceil(users / spawn_rate) - 1, 0)


def plain_locust(workdir: Path, host: str, users: int, runtime: int) -> tuple[float, float, float]:
    """Wall seconds, load duration and requests/s of `locust --headless` loading for spawning +
    runtime (spawn rate == users, as the plugin's suite)."""
    run_time = plain_run_time(users, users, runtime)
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(workdir / "api.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{run_time}s",
            "--host",
            host,
            "--only-summary",
            "--json",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        check=False,
    )
    wall = time.monotonic() - started
    entries = json.loads(done.stdout)
    requests = sum(e["num_requests"] for e in entries)
    start = min(e["start_time"] for e in entries)
    last = max(e["last_request_timestamp"] for e in entries)
    return wall, last - start, requests / (last - start)


def plugin(
    workdir: Path,
    host: str,
    users: int,
    runtime: int,
    extra: tuple[str, ...] = (),
    phases: list[dict[str, float]] | None = None,
    inside: Sequence[str] = (),
) -> tuple[float, float, float]:
    """Wall seconds, load duration and requests/s of `pytest --bfd-suite` running the same suite: the
    main job, `--compare previous` against a file store in `workdir` (from round 2 on, with a baseline).

    With `phases`, the run's breakdown (seconds per phase, see `breakdown`) is appended to it.
    `inside` prefixes pytest's command (`ip netns exec NS`: pytest in a network namespace)."""
    (workdir / "suites.yaml").write_text(
        f"suites:\n  - name: bench\n    locustfile: api.py\n    host: {host}\n"
        f"    users: {users}\n    spawn_rate: {users}\n    spawned_runtime: {runtime}s\n"
    )
    artifacts = workdir / "artifacts"
    phase_file = workdir / "phases.json"
    timer = ("-p", "bench.phase_timer") if phases is not None else ()
    # hypothesis (the test extra) registers a pytest plugin that imports all of hypothesis at every
    # session's end: not the plugin's cost, measured apart by `other_plugins_cost`.
    timer += OTHER_PLUGINS_OFF
    env = {**os.environ, "BFD_PHASE_FILE": str(phase_file), "PYTHONPATH": str(ROOT)}
    started_at = time.time()
    started = time.monotonic()
    subprocess.run(
        [
            *inside,
            sys.executable,
            "-m",
            "pytest",
            *timer,
            "--bfd-suite",
            "suites.yaml",
            "--bfd-store",
            f"file://{workdir / 'store'}",
            "--compare",
            "previous",
            "-q",
            "--bfd-only-summary",
            "--bfd-artifacts",
            str(artifacts),
            "-p",
            "no:cacheprovider",
            "--bfd-progress",
            "0",
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        check=True,
        env=env,
    )
    ended_at = time.time()
    wall = time.monotonic() - started
    newest = next((artifacts / "bench" / "latest").glob("*.stats.json"))
    record = json.loads(newest.read_text())
    load = float(record["metadata"]["total_runtime"])
    if phases is not None:
        phases.append(breakdown(json.loads(phase_file.read_text()), started_at, ended_at, load))
    return wall, load, float(record["totals"]["total_reqs_per_second"])


OTHER_PLUGINS_OFF: tuple[str, ...] = ("-p", "no:hypothesispytest")


def other_plugins_cost(workdir: Path, rounds: int = 3) -> float:
    """Seconds that the plugins switched off by OTHER_PLUGINS_OFF add to a pytest process (median)."""
    empty = workdir / "empty"
    empty.mkdir(exist_ok=True)

    def once(extra: tuple[str, ...]) -> float:
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra],
            capture_output=True,
            cwd=empty,
            check=False,
        )
        return time.monotonic() - started

    return statistics.median(once(()) - once(OTHER_PLUGINS_OFF) for _ in range(rounds))


PHASE_NAMES = (
    ("start", "pytest's start and imports (to pytest_configure)"),
    ("collection", "collection (the catalog read)"),
    ("runner", "the runner beyond the load (child start, spawning, stop)"),
    ("store.load_baseline", "baseline read (store)"),
    ("store.save", "record write (store)"),
    ("store.load_history", "history read for the report (store)"),
    ("suite_report", "the suite's report built"),
    ("write_session_reports", "the session's HTML/Markdown written"),
    ("exit", "pytest's end and the interpreter's exit"),
    ("other", "the rest (hooks, terminal output, record checks)"),
)


def breakdown(timing: dict[str, Any], started_at: float, ended_at: float, load: float) -> dict[str, float]:
    """Seconds per phase of one plugin run around its load (bench/phase_timer.py's marks)."""
    marks, intervals = timing["marks"], timing["phases"]

    def spent(name: str) -> float:
        return sum(end - start for start, end in intervals.get(name, []))

    parts = {
        "start": marks["configure"] - started_at,
        "collection": marks["collected"] - marks["configure"],
        "runner": spent("run_suite") - load,
        "store.load_baseline": spent("store.load_baseline"),
        "store.save": spent("store.save"),
        "store.load_history": spent("store.load_history"),
        "suite_report": spent("suite_report") - spent("store.load_history"),
        "write_session_reports": spent("write_session_reports"),
        "exit": ended_at - marks["unconfigure"],
    }
    parts["other"] = (ended_at - started_at - load) - sum(parts.values())
    return parts


@contextlib.contextmanager
def local_workers(workdir: Path, count: int) -> Iterator[int]:
    """`count` workers waiting for a master on a free loopback port (yielded); stopped by PID."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    workers = []
    for index in range(count):
        tmp = workdir / f"worker{index}"  # each its own: `-f -` writes the locustfile there
        tmp.mkdir(exist_ok=True)
        command = [
            str(LOCUST),
            "--worker",
            "-f",
            "-",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            str(port),
        ]
        workers.append(
            subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "TMPDIR": str(tmp)},
            )
        )
    try:
        yield port
    finally:
        for worker in workers:
            try:
                worker.wait(timeout=10)  # the master tells them to quit at the end of the run
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def distributed(workdir: Path, host: str, users: int, runtime: int, count: int) -> tuple[float, float, float]:
    """The plugin's run as Locust's master with `count` local workers."""
    with local_workers(workdir, count) as port:
        options = ("--bfd-expect-workers", str(count), "--bfd-master-bind", f"127.0.0.1:{port}")
        return plugin(workdir, host, users, runtime, options)


HOP_TARGET = """\
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real API

    def do_GET(self):
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer((sys.argv[1], int(sys.argv[2])), Handler)
print("listening", flush=True)
server.serve_forever()
"""
HOP_TARGET_PORT = 8080
HOP_MASTER_PORT = 5557


@contextlib.contextmanager
def network_hop(workdir: Path, count: int) -> Iterator[tuple[Hop, str]]:
    """tests/netns's hop with `count` workers and the target on the master's bridge address
    (yielded with its URL); every process stopped by PID and every namespace deleted after."""
    reason = cannot_make_namespaces()
    if reason is not None:
        raise SystemExit(f"--netns: {reason}")
    hop = build_hop(worker_count=count)
    try:
        (workdir / "hop_target.py").write_text(HOP_TARGET)
        log = workdir / "hop_target.log"
        argv = [
            sys.executable,
            "-u",
            str(workdir / "hop_target.py"),
            hop.master.address,
            str(HOP_TARGET_PORT),
        ]
        target = hop.start(hop.master, argv, log=log)
        deadline = time.monotonic() + 30
        while "listening" not in log.read_text():
            if target.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"--netns: the target did not start: {log.read_text()}")
            time.sleep(0.05)
        yield hop, f"http://{hop.master.address}:{HOP_TARGET_PORT}"
    finally:
        hop.stop_processes()
        hop.delete()


def across_the_hop(
    workdir: Path, hop: Hop, host: str, users: int, runtime: int
) -> tuple[float, float, float]:
    """The plugin as master in the hop's master namespace, its workers in their own namespaces."""
    workers = []
    for index, station in enumerate(hop.workers):
        tmp = workdir / f"hop-worker{index}"
        tmp.mkdir(exist_ok=True)
        command = [str(LOCUST), "--worker", "-f", "-", "--master-host", hop.master.address]
        command += ["--master-port", str(HOP_MASTER_PORT)]
        env = {**os.environ, "TMPDIR": str(tmp)}
        workers.append(hop.start(station, command, log=workdir / f"hop-worker{index}.log", env=env))
    bind = f"{hop.master.address}:{HOP_MASTER_PORT}"
    options = ("--bfd-expect-workers", str(len(hop.workers)), "--bfd-master-bind", bind)
    try:
        return plugin(workdir, host, users, runtime, options, inside=hop.master.argv([]))
    finally:
        for worker in workers:
            try:
                worker.wait(timeout=10)  # the master tells them to quit at the end of the run
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()


def main_netns(args: argparse.Namespace) -> None:
    """`--workers N --netns`: one process against N workers across the hop, round by round."""
    one_process: list[tuple[float, float, float]] = []
    hop_runs: list[tuple[float, float, float]] = []
    with tempfile.TemporaryDirectory() as tmp, network_hop(Path(tmp), args.workers) as (hop, host):
        workdir = Path(tmp)
        (workdir / "api.py").write_text(one_path_locustfile("/"))
        for round_number in range(1, args.rounds + 1):
            one_process.append(plugin(workdir, host, args.users, args.runtime, inside=hop.master.argv([])))
            hop_runs.append(across_the_hop(workdir, hop, host, args.users, args.runtime))
            print(
                f"round {round_number}: one process {describe(one_process[-1])} | "
                f"{args.workers} workers across the hop {describe(hop_runs[-1])}",
                flush=True,
            )

    def median(runs: list[tuple[float, float, float]], index: int) -> float:
        return statistics.median(run[index] for run in runs)

    ratios = [h[2] / p[2] for h, p in zip(hop_runs, one_process, strict=True)]
    print()
    print(f"users {args.users}, spawned runtime {args.runtime} s, {args.rounds} rounds (medians)")
    print(
        f"wall time:   one process {median(one_process, 0):.2f} s   "
        f"{args.workers} workers across the hop {median(hop_runs, 0):.2f} s"
    )
    print(
        f"requests/s:  one process {median(one_process, 2):.0f}   "
        f"{args.workers} workers across the hop {median(hop_runs, 2):.0f}   "
        f"ratio {median(hop_runs, 2) / median(one_process, 2):.3f} "
        f"(per round: {', '.join(f'{r:.2f}' for r in ratios)})"
    )


ENDPOINTS = 10
"""Endpoints of the `--sla-cost` suite: each has its own limits, histograms and window."""


def endpoints_locustfile(path: str, count: int = ENDPOINTS) -> str:
    """Users asking for `path` under `count` request names, as if it were `count` endpoints."""
    tasks = "".join(
        f"    @task\n    def get_{n}(self):\n        self.client.get({path!r}, name='/endpoint-{n}')\n\n"
        for n in range(count)
    )
    return (
        "from locust import FastHttpUser, constant, task\n\n\n"
        "class Api(FastHttpUser):\n"
        "    wait_time = constant(0)  # the generator, not a wait, is the limit\n\n" + tasks
    )


def child_cpu_run(
    workdir: Path, host: str, users: int, runtime: int, with_sla: bool, n: int
) -> tuple[float, int, int]:
    """(child CPU seconds, requests, bytes of the timeline's histograms) of one run via `run_suite`."""
    from pytest_bfd_locust.run.runner import RunRequest, run_suite

    limits = {"p95": 60_000, "p99": 60_000}  # never breached: the run lasts its whole length
    sla = (
        SlaRules(
            totals=limits, endpoints={f"GET /endpoint-{e}": limits for e in range(ENDPOINTS)}, window=10.0
        )
        if with_sla
        else SlaRules()
    )
    request = RunRequest(
        suite="sla-cost",
        locustfile=workdir / f"endpoints-{'sla' if with_sla else 'plain'}.py",
        host=host,
        users=users,
        spawn_rate=users,
        spawned_runtime=runtime,
        artifacts_dir=workdir / f"sla-cost-{n}",
        only_summary=True,
        sla=sla,
        abort_on_breach=with_sla,
    )
    readings: list[tuple[float, int]] = []
    """(child CPU seconds, requests so far) at each progress report after spawning."""
    locustfile = str(request.locustfile)
    child: list[int] = []

    def on_progress(progress: Progress) -> None:
        if progress.spawned_elapsed is None:
            return
        if not child:
            child.extend(_child_pid("pytest_bfd_locust.run.locust_child", locustfile))
        if child:
            readings.append((_cpu_seconds(child[0]), progress.num_requests))

    outcome = run_suite(request, on_progress=on_progress)
    record = outcome.record
    if record is None or outcome.abort_reason:
        raise SystemExit(f"the --sla-cost run failed: {outcome.error or outcome.abort_reason}")
    if len(readings) < 2:
        raise SystemExit("the --sla-cost run reported its progress fewer than twice after spawning")
    cpu = readings[-1][0] - readings[0][0]
    requests = readings[-1][1] - readings[0][1]
    timeline = record.timeline
    histograms = timeline.histograms if timeline is not None else None
    size = len(json.dumps(histograms.to_json(), separators=(",", ":"))) if histograms is not None else 0
    if timeline is not None and histograms is not None:
        # An hour at one sample a second: this run's samples repeated (the rate measured here).
        per_sample = size / max(len(histograms.samples), 1)
        work = sla_work_seconds(timeline, sla)
        cpu_per_second = cpu / (len(readings) - 1)
        print(
            f"    timeline histograms: {size / 1024:.0f} KB for {len(histograms.samples)} samples, "
            f"{per_sample * 3600 / 1024 / 1024:.1f} MB for an hour at 1 sample/s; the SLA's own work "
            f"{work * 1000:.2f} ms per sample = {work / cpu_per_second * 100:.3f} % of the child's CPU",
            flush=True,
        )
    return cpu, requests, size


def sla_work_seconds(timeline: Timeline, rules: SlaRules) -> float:
    """Seconds per sample the child spends on a windowed SLA, replayed from a run's timeline: each
    entry's cumulative histogram copied and differenced (`endpoint_intervals`), then the newest
    window judged (`latest_window_breach`), as the child does at every sample."""
    from pytest_bfd_locust.judge.sla import latest_window_breach

    assert timeline.histograms is not None
    entries = timeline.histograms.entries
    series = {entry: timeline.histograms.series(entry) for entry in entries}
    ends = [sample.elapsed for sample in timeline.samples]
    cumulative: dict[str, dict[int, int]] = {entry: {} for entry in entries}
    sampled: dict[str, dict[int, int]] = {entry: {} for entry in entries}
    rows: list[dict[str, dict[int, int]]] = []
    spent = 0.0
    for index in range(len(ends)):
        for entry in entries:  # what Locust's entries hold now (not timed: Locust's own work)
            for ms, count in series[entry][index].items():
                cumulative[entry][ms] = cumulative[entry].get(ms, 0) + count
        # This thread's CPU, not wall time: on a busy machine the wall clock counts others' work.
        started = time.thread_time()
        row: dict[str, dict[int, int]] = {}
        for entry in entries:
            histogram = dict(cumulative[entry])
            previous, sampled[entry] = sampled[entry], histogram
            interval = {ms: count - previous.get(ms, 0) for ms, count in histogram.items()}
            row[entry] = {ms: count for ms, count in interval.items() if count > 0}
        rows.append(row)
        latest_window_breach(rows, ends[: index + 1], timeline.interval, rules)
        spent += time.thread_time() - started
    return spent / max(len(ends), 1)


def _child_pid(module: str, argument: str) -> list[int]:
    """The pid of the process running `python -m module ... argument` (Linux /proc), or none."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            # parent_watch's argv holds the child's after `--`: the child is the one running the module.
            if argv[1:3] == [b"-m", module.encode()] and argument.encode() in argv:
                return [int(entry.name)]
    return []


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main_sla_cost(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        host = args.host or stack.enter_context(start_server()).url
        workdir = Path(tmp)
        for variant in ("sla", "plain"):
            (workdir / f"endpoints-{variant}.py").write_text(
                endpoints_locustfile(args.path if args.host else "/health")
            )
        without: list[float] = []
        with_sla: list[float] = []
        rates: list[float] = []
        for round_number in range(1, args.rounds + 1):
            # Both at once, against the same target: on a shared machine they meet the same
            # contention, which one after the other they do not (rounds then varied by +-20 %).
            with ThreadPoolExecutor(max_workers=2) as pool:
                runs = {
                    sla: pool.submit(
                        child_cpu_run, workdir, host, args.users, args.runtime, sla, 2 * round_number + sla
                    )
                    for sla in (False, True)
                }
            for sla, run in runs.items():
                cpu, requests, _ = run.result()
                (with_sla if sla else without).append(cpu / requests * 1e6)
                rates.append(requests / args.runtime)
                print(
                    f"round {round_number} {'windowed SLA' if sla else 'no SLA      '}: "
                    f"child CPU {cpu:.2f} s "
                    f"for {requests} requests = {cpu / requests * 1e6:.0f} us per request",
                    flush=True,
                )
    ratios = [w / o for w, o in zip(with_sla, without, strict=True)]
    print()
    print(
        f"users {args.users}, spawned runtime {args.runtime} s, {args.rounds} rounds of both runs at "
        f"once, about {statistics.median(rates):.0f} requests/s each, {ENDPOINTS} endpoints, window 10 s "
        "(medians)"
    )
    print(
        f"child CPU per request: no SLA {statistics.median(without):.0f} us, windowed SLA "
        f"{statistics.median(with_sla):.0f} us, ratio {statistics.median(ratios):.3f} "
        f"(per round: {', '.join(f'{r:.3f}' for r in ratios)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--runtime", type=int, default=5, help="spawned runtime, seconds")
    parser.add_argument("--workers", type=int, default=0, help="also run with N local workers")
    parser.add_argument(
        "--breakdown", action="store_true", help="where the plugin's time around the load goes"
    )
    parser.add_argument("--host", help="a server on 127.0.0.1 to load instead of the demo target")
    parser.add_argument("--path", default="/", help="with --host: the path requested")
    parser.add_argument(
        "--netns", action="store_true", help="with --workers: across a real network hop (root)"
    )
    parser.add_argument(
        "--sla-cost", action="store_true", help="the child's CPU with a windowed SLA against without"
    )
    args = parser.parse_args()
    if args.sla_cost:
        if args.host and not args.host.startswith(("http://127.0.0.1", "http://localhost")):
            parser.error("--host: load goes to 127.0.0.1 only")
        main_sla_cost(args)
        return
    if args.netns:
        if not args.workers or args.host or args.breakdown:
            parser.error("--netns needs --workers N, and takes neither --host nor --breakdown")
        main_netns(args)
        return
    if args.host and not args.host.startswith(("http://127.0.0.1", "http://localhost")):
        parser.error("--host: load goes to 127.0.0.1 only")
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        host = args.host or stack.enter_context(start_server()).url
        workdir = Path(tmp)
        (workdir / "api.py").write_text(one_path_locustfile(args.path) if args.host else LOCUSTFILE)
        plain_runs: list[tuple[float, float, float]] = []
        plugin_runs: list[tuple[float, float, float]] = []
        worker_runs: list[tuple[float, float, float]] = []
        phases: list[dict[str, float]] | None = [] if args.breakdown else None
        for round_number in range(1, args.rounds + 1):
            plain_runs.append(plain_locust(workdir, host, args.users, args.runtime))
            plugin_runs.append(plugin(workdir, host, args.users, args.runtime, phases=phases))
            line = (
                f"round {round_number}: plain {describe(plain_runs[-1])} | plugin {describe(plugin_runs[-1])}"
            )
            if args.workers:
                worker_runs.append(distributed(workdir, host, args.users, args.runtime, args.workers))
                line += f" | {args.workers} workers {describe(worker_runs[-1])}"
            print(line, flush=True)
        other_cost = other_plugins_cost(workdir) if args.breakdown else 0.0

    def median(runs: list[tuple[float, float, float]], index: int) -> float:
        return statistics.median(run[index] for run in runs)

    plain_overhead = statistics.median(wall - load for wall, load, _ in plain_runs)
    plugin_overhead = statistics.median(wall - load for wall, load, _ in plugin_runs)
    print()
    print(f"users {args.users}, spawned runtime {args.runtime} s, {args.rounds} rounds (medians)")
    print(f"wall time:        plain {median(plain_runs, 0):.2f} s   plugin {median(plugin_runs, 0):.2f} s")
    # Issue 16's figure: the rounds paired (each plugin run against the plain run just before it,
    # under the same load of the machine), the median of their differences.
    paired = [plugin[0] - plain[0] for plain, plugin in zip(plain_runs, plugin_runs, strict=True)]
    print(
        f"wall time, paired: plugin - plain median {statistics.median(paired):+.2f} s "
        f"(per round: {', '.join(f'{d:+.2f}' for d in paired)})"
    )
    print(
        f"around the load:  plain {plain_overhead:.2f} s   plugin {plugin_overhead:.2f} s   "
        f"plugin adds {plugin_overhead - plain_overhead:+.2f} s"
    )
    # The same pairing around the load (wall time minus first-to-last request on each side): what
    # is left of the runs' difference in length once both load for as long as they can be made to.
    around = [
        (plugin[0] - plugin[1]) - (plain[0] - plain[1])
        for plain, plugin in zip(plain_runs, plugin_runs, strict=True)
    ]
    print(
        f"around the load, paired: plugin - plain median {statistics.median(around):+.2f} s "
        f"(per round: {', '.join(f'{d:+.2f}' for d in around)})"
    )
    plain_rps, plugin_rps = median(plain_runs, 2), median(plugin_runs, 2)
    print(
        f"requests/s:       plain {plain_rps:.0f}   plugin {plugin_rps:.0f}   "
        f"ratio {plugin_rps / plain_rps:.3f}"
    )
    if phases:
        print(f"the plugin's {plugin_overhead:.2f} s around the load (medians over {len(phases)} rounds):")
        for name, label in PHASE_NAMES:
            print(f"  {statistics.median(p[name] for p in phases):6.3f} s  {label}")
        print(f"  plain Locust's own start and stop around the load: {plain_overhead:.3f} s")
        print(
            f"  not counted: hypothesis's pytest plugin (test extra) adds {other_cost:.2f} s"
            " to every pytest process"
        )
    if worker_runs:
        workers_rps = median(worker_runs, 2)
        ratios = [w[2] / p[2] for w, p in zip(worker_runs, plugin_runs, strict=True)]
        print(
            f"{args.workers} workers:        requests/s {workers_rps:.0f} vs one process {plugin_rps:.0f}   "
            f"ratio {workers_rps / plugin_rps:.3f} (per round: {', '.join(f'{r:.2f}' for r in ratios)})"
        )


def describe(run: tuple[float, float, float]) -> str:
    wall, load, rps = run
    return f"{wall:.2f} s wall, {load:.2f} s load, {rps:.0f} req/s"


if __name__ == "__main__":
    main()
