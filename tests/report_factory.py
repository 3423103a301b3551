"""Report models for tests: a suite with a baseline, a history of its hash, a timeline and errors."""

from __future__ import annotations

from dataclasses import replace

from pytest_bfd_locust.figures import stat_label
from pytest_bfd_locust.histogram import PERCENTILE_KEYS
from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Comparison, Evidence, record_view
from pytest_bfd_locust.judge.thresholds import (
    BetterIf,
    Threshold,
    ThresholdSet,
    default_thresholds_path,
    read_threshold_file,
)
from pytest_bfd_locust.record import ErrorCount, Record
from pytest_bfd_locust.reports.model import Outcome, SuiteReport, history_runs
from pytest_bfd_locust.timeline import Timeline, TimelineSample
from tests.record_factory import make_record, make_task, make_totals, measured_record

START = 1_790_000_000


def percentiles(base: float) -> dict[str, int]:
    """Rising percentiles from `base` ms: p50 = base, each next key 30 % more."""
    return {key: int(base * (1 + index * 0.3)) for index, key in enumerate(PERCENTILE_KEYS)}


def timeline(base_ms: float, seconds: int = 20) -> Timeline:
    return Timeline(
        interval=1.0,
        samples=tuple(
            TimelineSample(
                elapsed=second + 1.0,
                users=min(10, second + 1),
                num_requests=50 * (second + 1),
                num_failures=second // 5,
                rps=50.0 + second % 3,
                avg_ms=base_ms + second % 4,
                p50_ms=base_ms,
                p95_ms=base_ms * 2,
            )
            for second in range(seconds)
        ),
    )


def run_record(
    index: int,
    base_ms: float,
    *,
    endpoints: int = 2,
    failures: int = 4,
    suite: str = "api",
    hash: str = "a" * 64,
) -> Record:
    """Run number `index` of a hash (one hour apart), `endpoints` GET endpoints, the last one failing."""
    names = ["GET /api/orders/[id]"] + [f"/api/items/{n}" for n in range(1, endpoints)]
    tasks = [
        make_task(
            name, percentiles=percentiles(base_ms * (1 + n * 0.2)), num_failures=failures if n == 0 else 0
        )
        for n, name in enumerate(names)
    ]
    record = make_record(
        timestamp=START + index * 3600,
        run_id=f"run{index:03d}",
        hash=hash,
        totals=make_totals(percentiles=percentiles(base_ms), num_failures=failures),
        tasks=tasks,
    )
    errors = (ErrorCount(names[0], "GET", "HTTPError('500 Server Error')", failures),) if failures else ()
    return replace(
        record, suite=suite, timeline=timeline(base_ms), errors=errors, host="http://127.0.0.1:8080"
    )


SEED_RULES = ThresholdSet(
    totals=(
        Threshold("median_response_time", BetterIf.SMALLER, 150, 200),
        Threshold("0.95", BetterIf.SMALLER, 150, 200),
        Threshold("total_reqs_per_second", BetterIf.LARGER, 150, 200),
    ),
    tasks=(Threshold("0.95", BetterIf.SMALLER, 150, 200),),
    source="seed.json",
)
"""Fixed ratios as the seed's threshold files have them (no `judge` section)."""


def compared_suite(
    name: str = "api",
    *,
    endpoints: int = 2,
    slower: float = 6.0,
    runs: int = 15,
    thresholds: ThresholdSet | None = None,
) -> SuiteReport:
    """A suite whose last run is `slower` times its baseline (the previous run), with its history of
    `runs` earlier runs; judged by the packaged threshold file unless `thresholds` are given."""
    levels = [10 + (5 if i > runs // 2 else 0) for i in range(runs)]
    history = [run_record(i, level, endpoints=endpoints, suite=name) for i, level in enumerate(levels)]
    current = run_record(runs, levels[-1] * slower, endpoints=endpoints, suite=name)
    rules = read_threshold_file(default_thresholds_path()) if thresholds is None else thresholds
    # The judge's evidence: the previous run as baseline, the runs before as its noise history.
    comparison = compare(current, history[-1], rules, Evidence(current, (history[-1],), history[::-1]))
    return _report(name, current, history, comparison)


def _report(name: str, current: Record, history: list[Record], comparison: Comparison) -> SuiteReport:
    baseline = record_view(history[-1])
    return SuiteReport(
        suite=name,
        outcome=Outcome.FAILED if comparison.failed else Outcome.PASSED,
        reasons=tuple(f"{row.scope} {stat_label(row.stat)} regressed" for row in comparison.failures),
        notes=("new endpoint GET /api/new: not in the baseline, not compared",),
        record=current,
        baseline_label=f"previous run of 2026-09-22T00:00:00Z (run {history[-1].run_id})",
        baseline=baseline.totals,
        baseline_tasks=baseline.tasks,
        comparison=comparison,
        history=history_runs(history + [current], current=current, baseline_records=[history[-1]]),
        record_location=f"/stats/hash={'a' * 64}/{current.metadata.timestamp}-{current.run_id}.stats.json",
        log_path="/artifacts/api/locust.log",
    )


def short_run_suite(name: str = "short", *, runs: int = 8) -> SuiteReport:
    """A suite of short runs (140 requests of 5 ms), measured as Locust would with histograms, whose
    last run has its 3 slowest requests at 95 ms: the p99 goes from 5 to 95 ms (+1800 %) on 3
    requests, more than one run's noise and far less than such small runs can be sure of."""
    steady = [5.0] * 140
    history = [
        replace(
            measured_record({"/api/orders": steady}, timestamp=START + i * 3600, run_id=f"run{i:03d}"),
            suite=name,
        )
        for i in range(runs)
    ]
    slow_tail = [5.0] * 137 + [95.0] * 3
    current = replace(
        measured_record({"/api/orders": slow_tail}, timestamp=START + runs * 3600, run_id=f"run{runs:03d}"),
        suite=name,
    )
    rules = read_threshold_file(default_thresholds_path())
    comparison = compare(current, history[-1], rules, Evidence(current, (history[-1],), history[::-1]))
    return _report(name, current, history, comparison)


def first_run_suite(name: str = "fresh") -> SuiteReport:
    """A suite's first run: no baseline, no history."""
    record = run_record(0, 8, suite=name, failures=0)
    return SuiteReport(
        suite=name,
        outcome=Outcome.PASSED,
        notes=("no eligible baseline under tag 'default' in file store /stats",),
        record=record,
        history=history_runs([record], current=record),
    )


def crashed_suite(name: str = "broken") -> SuiteReport:
    return SuiteReport(
        suite=name,
        outcome=Outcome.NO_STATISTICS,
        reasons=("Locust run failed: Locust exited with code 1 before producing statistics",),
    )
