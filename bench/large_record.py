"""Time the judge on a very large baseline record: thousands of endpoints with wide histograms.

Run: `python bench/large_record.py [--endpoints N] [--history H] [--profile]`. Builds a baseline
record (by default about 56 MB of JSON, the size issue 19 measured at 20 s in the judge) and a
current run of the same endpoints, then times, in one process: `json.loads` of the baseline's file
(the reference: the least any reader pays), `Record.from_json` and `record_checks.implausible`
(reading it as the file store does), and `compare()` with the packaged judge over a history of H
such records. `--profile` prints cProfile's 25 most expensive functions of the judging.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from pytest_bfd_locust.histogram import median_from_histogram, percentiles_from_histogram
from pytest_bfd_locust.judge.baseline import previous_baseline
from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Evidence
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.record import (
    TOTALS_NAME,
    EntryHistogram,
    Record,
    RecordMetadata,
    ResultStatus,
    TaskStats,
)
from pytest_bfd_locust.record_checks import implausible

T = TypeVar("T")

BUCKETS: tuple[int, ...] = (
    *range(1, 100),
    *range(100, 1000, 10),
    *range(1000, 10_000, 100),
    *range(10_000, 60_001, 1000),
)
"""Every bucket Locust rounds a response time into up to a minute: the widest histogram there is."""


def _histogram(rng: random.Random, scale: float) -> dict[int, int]:
    """A long-tailed histogram touching most buckets, ~10^5 requests."""
    histogram = {}
    for ms in BUCKETS:
        weight = 2000.0 * scale / (1.0 + (ms / (40.0 * scale)) ** 1.6)
        count = int(weight * rng.uniform(0.8, 1.2))
        if count:
            histogram[ms] = count
    return histogram


def _entry(name: str, method: str, histogram: dict[int, int], runtime: float) -> TaskStats:
    n = sum(histogram.values())
    total = sum(ms * count for ms, count in histogram.items())
    return TaskStats(
        task_name=name,
        request_method=method,
        num_requests=n,
        num_failures=n // 1000,
        median_response_time=median_from_histogram(histogram, n, min(histogram), max(histogram)),
        average_response_time=total / n,
        min_response_time=min(histogram),
        max_response_time=max(histogram),
        total_reqs_per_second=n / runtime,
        total_fails_per_sec=(n // 1000) / runtime,
        response_time_percentiles=percentiles_from_histogram(histogram, n),
    )


def build_record(endpoints: int, seed: int, timestamp: int, slower: float = 1.0) -> Record:
    rng = random.Random(seed)
    runtime = 600.0
    histograms = [
        (f"/api/resource/{i}", "GET", _histogram(rng, slower * (1 + i % 7))) for i in range(endpoints)
    ]
    totals_histogram: dict[int, int] = {}
    for _, _, histogram in histograms:
        for ms, count in histogram.items():
            totals_histogram[ms] = totals_histogram.get(ms, 0) + count
    tasks = tuple(_entry(name, method, histogram, runtime) for name, method, histogram in histograms)
    totals = _entry(TOTALS_NAME, "", totals_histogram, runtime)
    return Record(
        metadata=RecordMetadata(
            timestamp=timestamp,
            tags=("default",),
            environment="bench",
            stats_reset_after_spawn=True,
            num_total_users=500,
            num_users_per_second=50.0,
            requested_runtime=600,
            total_runtime=runtime,
            user_classes=("Api",),
            hash="b" * 64,
            compare_result=ResultStatus.PASSED,
            validation_result=ResultStatus.PASSED,
        ),
        totals=totals,
        tasks=tasks,
        run_id=f"run{seed}",
        histograms=(
            EntryHistogram(TOTALS_NAME, "", totals_histogram),
            *(EntryHistogram(name, method, histogram) for name, method, histogram in histograms),
        ),
    )


def timed(label: str, action: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - start
    print(f"{label:<44} {seconds:8.2f} s")
    return result, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoints", type=int, default=3000)
    parser.add_argument("--history", type=int, default=5, help="earlier runs the judge reads (>= 1)")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    history = [
        build_record(args.endpoints, seed, 1_700_000_000 + seed * 3600) for seed in range(args.history)
    ]
    current = build_record(args.endpoints, 999, 1_800_000_000, slower=1.05)
    with tempfile.TemporaryDirectory(prefix="bfd-bench-") as directory:
        path = Path(directory) / "baseline.stats.json"
        path.write_text(json.dumps(history[-1].to_json()))
        print(f"baseline record: {path.stat().st_size / 1e6:.1f} MB, {args.endpoints} endpoints")
        data, reference = timed("json.loads (reference)", lambda: json.loads(path.read_text()))
        timed("Record.from_json", lambda: Record.from_json(data))
        timed("record_checks.implausible", lambda: implausible(history[-1], now=1_900_000_000))
    rules = read_threshold_file(default_thresholds_path())
    baseline = previous_baseline(list(reversed(history)))
    assert baseline is not None
    evidence = Evidence(current, baseline.records, tuple(reversed(history)))
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    comparison, judging = timed(
        f"compare() over {args.history} runs' history", lambda: compare(current, baseline, rules, evidence)
    )
    if profiler is not None:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    failed = sum(1 for row in comparison.stats if row.verdict.value == "FAILURE")
    print(
        f"judged {len(comparison.stats)} statistics ({failed} failed): {judging / reference:.1f}x json.loads"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
