"""Report models for tests: a suite with a baseline, a history of its hash, a timeline and errors."""

from __future__ import annotations

from dataclasses import replace

from pytest_bfd_locust.figures import stat_label
from pytest_bfd_locust.histogram import PERCENTILE_KEYS
from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Evidence, record_view
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.record import ErrorCount, Record
from pytest_bfd_locust.reports.model import Outcome, SuiteReport, history_runs
from pytest_bfd_locust.timeline import Timeline, TimelineSample
from tests.record_factory import make_record, make_task, make_totals

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


def compared_suite(
    name: str = "api", *, endpoints: int = 2, slower: float = 6.0, runs: int = 15
) -> SuiteReport:
    """A suite whose last run is `slower` times its baseline (the previous run), with its history."""
    history = [
        run_record(i, 10 + (5 if i > runs // 2 else 0), endpoints=endpoints, suite=name) for i in range(runs)
    ]
    current = run_record(runs, 15 * slower, endpoints=endpoints, suite=name)
    thresholds = read_threshold_file(default_thresholds_path())
    # The judge's evidence: the previous run as baseline, the runs before as its noise history.
    comparison = compare(current, history[-1], thresholds, Evidence(current, (history[-1],), history[::-1]))
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
