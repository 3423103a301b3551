"""Time baseline lookups in a file store of 10,000 records over 100 hashes.

Run: `python bench/baseline_lookup.py [--records N] [--hashes H] [--repeat R]`. Each timing covers
the store lookup (listing, reading and parsing one hash's files, eligibility) plus building the
baseline from what it returned. Aim: `previous` under 50 ms, `average` (5) under 100 ms, and the
judge's one lookup of the last 20 eligible runs (baseline and history together) under 50 ms; the
judging itself (`compare()` with the packaged judge over that history) is timed on its own.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pytest_bfd_locust.histogram import PERCENTILE_KEYS
from pytest_bfd_locust.judge.baseline import BaselineQuery, average_baseline, previous_baseline
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
from pytest_bfd_locust.stores.file import FileStore

TASKS_PER_RECORD = 10
"""About the size of the seed's regression suites (v2: 9 requests, v3: 12)."""


def _task(name: str, method: str, seed: int) -> TaskStats:
    return TaskStats(
        task_name=name,
        request_method=method,
        num_requests=1000 + seed,
        num_failures=0,
        median_response_time=100 + seed % 50,
        average_response_time=120.5 + seed % 30,
        min_response_time=20,
        max_response_time=900 + seed % 100,
        total_reqs_per_second=33.3,
        total_fails_per_sec=0.0,
        response_time_percentiles={key: 100 + i * 50 for i, key in enumerate(PERCENTILE_KEYS)},
    )


def _histogram(seed: int) -> dict[int, int]:
    # Locust's buckets: 1 ms up to 100, 10 ms up to 1000 -- about 100 buckets for a spread of times.
    return {ms: 1 + (ms + seed) % 17 for ms in [*range(20, 100, 2), *range(100, 1000, 10)]}


def _record(record_hash: str, timestamp: int, run_id: str, seed: int, failed: bool) -> Record:
    names = [f"/v2/fhir/Resource{i}" for i in range(TASKS_PER_RECORD)]
    tasks = tuple(_task(name, "GET", seed + i) for i, name in enumerate(names))
    totals = _task(TOTALS_NAME, "", seed)
    return Record(
        metadata=RecordMetadata(
            timestamp=timestamp,
            tags=("default", "nightly"),
            environment="bench",
            stats_reset_after_spawn=True,
            num_total_users=50,
            num_users_per_second=10.0,
            requested_runtime=60,
            total_runtime=60.5,
            user_classes=("RegressionUser",),
            hash=record_hash,
            compare_result=ResultStatus.FAILED if failed else ResultStatus.PASSED,
            validation_result=ResultStatus.PASSED,
        ),
        totals=totals,
        tasks=tasks,
        run_id=run_id,
        histograms=tuple(
            EntryHistogram(task.task_name, task.request_method, _histogram(seed + i))
            for i, task in enumerate((totals, *tasks))
        ),
    )


def _fill(store: FileStore, records: int, hashes: int) -> list[str]:
    all_hashes = [hashlib.sha256(str(h).encode()).hexdigest() for h in range(hashes)]
    for n in range(records):
        record_hash = all_hashes[n % hashes]
        run_of_hash = n // hashes
        # Every tenth run failed: stored, never a baseline, so a lookup must skip past it.
        failed = run_of_hash % 10 == 9
        store.save(_record(record_hash, 1_700_000_000 + run_of_hash * 3600, f"run{n:05d}", n, failed))
    return all_hashes


def _time(label: str, action: Callable[[], object], repeat: int) -> None:
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<25} median {statistics.median(timings):7.1f} ms   max {max(timings):7.1f} ms   (n={repeat})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--hashes", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bfd-bench-") as directory:
        store = FileStore(Path(directory))
        start = time.perf_counter()
        hashes = _fill(store, args.records, args.hashes)
        print(
            f"stored {args.records} records over {args.hashes} hashes in {time.perf_counter() - start:.1f} s"
        )
        sample = next(iter(Path(directory).rglob("*.stats.json")))
        print(
            f"one record file: {sample.stat().st_size / 1024:.1f} KiB, {TASKS_PER_RECORD} tasks + histograms"
        )
        # Rotate over the hashes so no lookup is served by a single warm directory entry.
        rotation = iter(range(10**9))

        def lookup(limit: int, build: Callable[[tuple[Record, ...]], object]) -> None:
            record_hash = hashes[next(rotation) % len(hashes)]
            loaded = store.load_baseline(BaselineQuery(record_hash, "default", 60.0, limit))
            if build(loaded.records) is None:
                raise SystemExit(f"no baseline found for {record_hash}: the bench data is wrong")

        _time("previous (limit 1)", lambda: lookup(1, previous_baseline), args.repeat)
        _time("average (limit 5)", lambda: lookup(5, average_baseline), args.repeat)
        _time("judge's history (limit 20)", lambda: lookup(20, previous_baseline), args.repeat)

        judge = read_threshold_file(default_thresholds_path())
        current = _record(hashes[0], 1_800_000_000, "current", 7, False)
        history = store.load_baseline(BaselineQuery(hashes[0], "default", 60.0, 20)).records
        baseline = previous_baseline(history)
        assert baseline is not None and len(history) == 20
        evidence = Evidence(current, baseline.records, history)
        _time("judging 20 runs' history", lambda: compare(current, baseline, judge, evidence), args.repeat)

        def unknown_tag() -> None:
            # Nothing is eligible, so every file of the hash is read: the worst case of a lookup.
            record_hash = hashes[next(rotation) % len(hashes)]
            store.load_baseline(BaselineQuery(record_hash, "no_such_tag", 60.0, 5))

        _time("worst (nothing eligible)", unknown_tag, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
