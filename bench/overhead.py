"""What the plugin costs over plain Locust: wall time per suite and requests/s.

Runs the same suite against the same demo target, alternately through plain `locust` and through
`pytest --bfd-suite ... --compare previous` (file store: the main job), several times each, and
prints both and their ratios. Plain Locust's `--run-time` counts spawning while the plugin's spawned
runtime starts after it, so the runs differ slightly in length; the fair wall-time figure is the
overhead around the load: wall time minus the run's own duration (first to last request). Run by hand:

    .venv/bin/python bench/overhead.py [--rounds 5] [--users 10] [--runtime 5]

Aim (issue 2): at most 1 s of extra wall time per suite, at least 95 % of plain Locust's requests/s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examples.demo_target import start_server  # noqa: E402
from tests.locustfiles import patient_and_coverage_locustfile  # noqa: E402

LOCUSTFILE = patient_and_coverage_locustfile(user_class="FastHttpUser", wait=0.005, patient_id=7)


def plain_locust(workdir: Path, host: str, users: int, runtime: int) -> tuple[float, float, float]:
    """Wall seconds, load duration and requests/s of `locust --headless` running spawn time + runtime."""
    run_time = 1 + runtime  # spawn rate == users: one second of spawning, then the runtime
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


def plugin(workdir: Path, host: str, users: int, runtime: int) -> tuple[float, float, float]:
    """Wall seconds, load duration and requests/s of `pytest --bfd-suite` running the same suite."""
    (workdir / "suites.yaml").write_text(
        f"suites:\n  - name: bench\n    locustfile: api.py\n    host: {host}\n"
        f"    users: {users}\n    spawn_rate: {users}\n    spawned_runtime: {runtime}s\n"
    )
    artifacts = workdir / "artifacts"
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--bfd-suite",
            "suites.yaml",
            "--bfd-no-store",
            "-q",
            "--bfd-only-summary",
            "--bfd-artifacts",
            str(artifacts),
            "-p",
            "no:cacheprovider",
            "--bfd-progress",
            "0",
        ],
        capture_output=True,
        text=True,
        cwd=workdir,
        check=True,
    )
    wall = time.monotonic() - started
    newest = next((artifacts / "bench" / "latest").glob("*.stats.json"))
    record = json.loads(newest.read_text())
    return wall, float(record["metadata"]["total_runtime"]), float(record["totals"]["total_reqs_per_second"])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--runtime", type=int, default=5, help="spawned runtime, seconds")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, start_server() as server:
        workdir = Path(tmp)
        (workdir / "api.py").write_text(LOCUSTFILE)
        plain_runs: list[tuple[float, float, float]] = []
        plugin_runs: list[tuple[float, float, float]] = []
        for round_number in range(1, args.rounds + 1):
            plain_runs.append(plain_locust(workdir, server.url, args.users, args.runtime))
            plugin_runs.append(plugin(workdir, server.url, args.users, args.runtime))
            print(
                f"round {round_number}: plain {describe(plain_runs[-1])} | "
                f"plugin {describe(plugin_runs[-1])}",
                flush=True,
            )

    def median(runs: list[tuple[float, float, float]], index: int) -> float:
        return statistics.median(run[index] for run in runs)

    plain_overhead = statistics.median(wall - load for wall, load, _ in plain_runs)
    plugin_overhead = statistics.median(wall - load for wall, load, _ in plugin_runs)
    print()
    print(f"users {args.users}, spawned runtime {args.runtime} s, {args.rounds} rounds (medians)")
    print(f"wall time:        plain {median(plain_runs, 0):.2f} s   plugin {median(plugin_runs, 0):.2f} s")
    print(
        f"around the load:  plain {plain_overhead:.2f} s   plugin {plugin_overhead:.2f} s   "
        f"plugin adds {plugin_overhead - plain_overhead:+.2f} s"
    )
    plain_rps, plugin_rps = median(plain_runs, 2), median(plugin_runs, 2)
    print(
        f"requests/s:       plain {plain_rps:.0f}   plugin {plugin_rps:.0f}   "
        f"ratio {plugin_rps / plain_rps:.3f}"
    )


def describe(run: tuple[float, float, float]) -> str:
    wall, load, rps = run
    return f"{wall:.2f} s wall, {load:.2f} s load, {rps:.0f} req/s"


if __name__ == "__main__":
    main()
