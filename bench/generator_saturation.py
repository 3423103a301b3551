"""How much of a run must the load generator be saturated before its percentiles measure it?

The measurement behind `judge.generator_health.MAX_SATURATED_SHARE`. Runs one suite through the
plugin against the in-process demo target (20 users, `--runtime` s after spawning), first without
client-side work, then with users that burn this process's CPU between requests (pure Python,
~20 ms per request) for a window of `--burn` seconds in the middle of the run, and prints for
each run: Locust's CPU readings from the record's timeline, the saturated seconds and share
(`generator_load`), whether the judge calls it inconclusive, and the run's p50/p90/p95/p99.
Run by hand:

    .venv/bin/python bench/generator_saturation.py [--runtime 10] [--burn 0 1 2 4] [--repeat 2]

Measured on the project's 2-core machine (load average 1.3-2; README "Benchmarks"): without
burn 28-47 % in every sample, p95 7-8 ms, p99 13-15 ms; a 1 s window read as one sample of
96-99 % (1 of 9 s, 11 %), p99 150-210 ms, p95 unchanged; 2 s (25 %) p95 15-20 ms, p99
210-250 ms; 3-4 s (39-51 %) p90 24-93 ms, p95 210 ms. On a busier machine (load average 2.8, an
earlier version of this script) 2 and 4 s windows read only 65-75 %: Locust's measurement does
not see a generator waiting to be scheduled.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from examples.demo_target import start_server  # noqa: E402
from pytest_bfd_locust.judge.generator_health import generator_load, inconclusive_reason  # noqa: E402
from pytest_bfd_locust.record import Record  # noqa: E402

LOCUSTFILE = """
import os, time
from locust import HttpUser, constant, task

START = time.monotonic()
BURN_FROM = float(os.environ["BURN_FROM"])
BURN_S = float(os.environ["BURN_S"])


class Api(HttpUser):
    wait_time = constant(0.05)

    @task
    def patient(self):
        self.client.get("/v2/fhir/Patient?_id=1", name="/v2/fhir/Patient")
        if BURN_FROM <= time.monotonic() - START < BURN_FROM + BURN_S:
            sum(i * i for i in range(250_000))
"""


def run(directory: Path, host: str, *, runtime: int, burn: float) -> Record:
    """One run of the suite with a burn window of `burn` s starting 4 s in; its stored record."""
    (directory / "api.py").write_text(LOCUSTFILE)
    (directory / "suites.yaml").write_text(
        f"defaults:\n  host: {host}\n  users: 20\n  spawn_rate: 20\n  spawned_runtime: {runtime}s\n"
        f'suites:\n  - name: api\n    locustfile: api.py\n    env: {{BURN_S: "{burn}", BURN_FROM: "4"}}\n'
    )
    store = directory / "stats"
    command = [sys.executable, "-m", "pytest", "--bfd-suite", "suites.yaml", "-q", "-p", "no:cacheprovider"]
    command += ["--bfd-progress", "0", "--bfd-store", f"file://{store}"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(command, cwd=directory, env=environment, capture_output=True, check=False)
    newest = max(store.glob("hash=*/*.stats.json"), key=lambda path: path.stat().st_mtime)
    return Record.from_json(json.loads(newest.read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runtime", type=int, default=10)
    parser.add_argument("--burn", type=float, nargs="+", default=[0.0, 1.0, 2.0, 4.0])
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with start_server() as server, tempfile.TemporaryDirectory() as temporary:
        for burn in args.burn:
            for _ in range(args.repeat):
                record = run(Path(temporary), server.url, runtime=args.runtime, burn=burn)
                load = generator_load(record.timeline)
                cpu = [s.cpu_percent for s in record.timeline.samples] if record.timeline else []
                p = record.totals.response_time_percentiles
                share = "unmeasured" if load is None else (
                    f"{load.saturated_s:.0f} of {load.measured_s:.0f} s ({load.saturated_share:.0%})"
                )
                print(
                    f"burn {burn:g} s: saturated {share}, inconclusive: "
                    f"{inconclusive_reason(record.timeline) or 'no'}; p50 {p.get('0.5')} p90 {p.get('0.9')} "
                    f"p95 {p.get('0.95')} p99 {p.get('0.99')} ms; cpu {cpu}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
