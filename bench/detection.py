"""Detection quality of the comparison rules on a noise model built from real runs (bench/data/runs).

The records under bench/data/runs were measured on this machine by bench/collect_runs.py: the
demo's three suites plus `claims` (one endpoint at ~40 ms), run after run. Comparisons are drawn
from them with a seeded generator (the same figures on every run of this script):

- A/A: a run of a suite against a history of other runs of the same suite (random subsets in
  random order: runs are exchangeable when nothing changed); a FAILURE is a false alarm.
  Counted per suite comparison (any statistic failing fails the suite), over all four suites.
- A/B: the same, with one endpoint of the current run slowed by 10/20/30/50 %: every response time
  in its histogram multiplied and rounded into Locust's buckets again, its median, percentiles,
  average, min and max recomputed (Locust's rules), the totals rebuilt from the endpoints.
  Request counts are left as measured, so only the response-time statistics carry the slowdown.
  A FAILURE of the suite is a detection.

Rule sets: (a) the seed's production thresholds (fixed ratios), (b) the thresholds packaged before
the judge (fixed ratios with min_delta), (c) the judge with the packaged default. Run by hand:

    .venv/bin/python bench/detection.py [--comparisons 1200] [--history 20] [--seed 1]
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pytest_bfd_locust.histogram import (  # noqa: E402
    Histogram,
    median_from_histogram,
    percentiles_from_histogram,
)
from pytest_bfd_locust.judge import rule as compare_module  # noqa: E402
from pytest_bfd_locust.judge.baseline import BaselineKind, build_baseline  # noqa: E402
from pytest_bfd_locust.judge.compare import compare  # noqa: E402
from pytest_bfd_locust.judge.comparison import Evidence  # noqa: E402
from pytest_bfd_locust.judge.noise import log_spread  # noqa: E402
from pytest_bfd_locust.judge.thresholds import ThresholdSet, read_threshold_file  # noqa: E402
from pytest_bfd_locust.record import EntryHistogram, Record, TaskStats  # noqa: E402
from tests.record_factory import locust_bucket  # noqa: E402

DATA = ROOT / "bench" / "data" / "runs"
SEED_THRESHOLDS = ROOT / "bench" / "thresholds" / "seed_production.json"
"""The seed's production threshold file (a copy of reference/regression_suites_compare_meta.json)."""
BEFORE_THE_JUDGE = ROOT / "bench" / "thresholds" / "packaged_before_judge.json"
"""The packaged default before the judge: the production ratios with min_delta on response times."""
DEFAULT_RULES = ROOT / "pytest_bfd_locust" / "judge" / "default_compare_meta.json"
SLOWED_SUITE = "claims"
SLOWED_ENDPOINT = ("/v2/fhir/ExplanationOfBenefit search", "GET")
SLOWDOWNS = (1.1, 1.2, 1.3, 1.5)

Judge = Callable[[Record, Sequence[Record], str, Sequence[Record]], bool]
"""(current, history newest first, "previous"|"average", ...) -> whether the suite fails."""


def load_runs(directory: Path) -> dict[str, list[Record]]:
    """Records by suite, oldest first."""
    runs: dict[str, list[Record]] = defaultdict(list)
    for path in sorted(directory.glob("hash=*/*.stats.json")):
        record = Record.from_json(json.loads(path.read_text(encoding="utf-8")), str(path))
        runs[record.suite or record.metadata.hash].append(record)
    for records in runs.values():
        records.sort(key=lambda r: (r.metadata.timestamp, r.run_id or ""))
    return dict(runs)


def _stats_from_histogram(
    task: TaskStats, histogram: Histogram, average: float, lowest: int, highest: int
) -> TaskStats:
    count = sum(histogram.values())
    return replace(
        task,
        median_response_time=median_from_histogram(histogram, count, lowest, highest),
        average_response_time=average,
        min_response_time=lowest,
        max_response_time=highest,
        response_time_percentiles=percentiles_from_histogram(histogram, count),
    )


def slowed(record: Record, key: tuple[str, str], factor: float) -> Record:
    """The record with every response time of one endpoint multiplied by `factor`, totals rebuilt."""
    histograms = {(h.task_name, h.request_method): dict(h.response_times) for h in record.histograms}
    old = histograms[key]
    new: Counter[int] = Counter()
    for ms, count in old.items():
        new[locust_bucket(ms * factor)] += count
    histograms[key] = dict(new)
    task = record.task(key)
    assert task is not None
    slowed_task = _stats_from_histogram(
        task,
        new,
        task.average_response_time * factor,
        locust_bucket(task.min_response_time * factor),
        locust_bucket(task.max_response_time * factor),
    )
    tasks = tuple(slowed_task if t.key == key else t for t in record.tasks)
    totals_histogram: Counter[int] = Counter()
    for t in tasks:
        totals_histogram.update(histograms[t.key])
    requests = sum(t.num_requests for t in tasks)
    totals = _stats_from_histogram(
        record.totals,
        dict(totals_histogram),
        sum(t.average_response_time * t.num_requests for t in tasks) / max(requests, 1),
        min(t.min_response_time for t in tasks),
        max(t.max_response_time for t in tasks),
    )
    histograms[record.totals.key] = dict(totals_histogram)
    return replace(
        record,
        totals=totals,
        tasks=tasks,
        histograms=tuple(EntryHistogram(k[0], k[1], h) for k, h in histograms.items()),
    )


LOAD_LIMIT = 5
"""--compare-load-limit's default: an `average` baseline averages the newest 5 eligible runs."""


def judge_with(thresholds: ThresholdSet) -> Judge:
    """Whether the suite fails, decided by `compare()` exactly as `execute_suite` calls it."""

    def fails(current: Record, history: Sequence[Record], kind: str, _all: Sequence[Record]) -> bool:
        records = history[:1] if kind == "previous" else history[:LOAD_LIMIT]
        baseline = build_baseline(BaselineKind(kind), records)
        assert baseline is not None
        evidence = Evidence(current=current, baseline_records=baseline.records, history=history)
        return compare(current, baseline, thresholds, evidence).failed

    return fails


def draw(rng: random.Random, runs: Sequence[Record], history: int) -> tuple[Record, list[Record]]:
    """A current run and `history` other runs in random order (newest first)."""
    current_index = rng.randrange(len(runs))
    others = [r for i, r in enumerate(runs) if i != current_index]
    return runs[current_index], rng.sample(others, min(history, len(others)))


def rate(hits: int, total: int) -> str:
    return f"{hits / total * 100:5.1f} %" if total else "   n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=1200, help="A/A and A/B comparisons per cell")
    parser.add_argument("--history", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--judge-only", action="store_true", help="only (c), the judge")
    parser.add_argument("--judge", type=str, default="{}", help="JSON overrides of the file's judge object")
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES, help="the judge's threshold file")
    parser.add_argument(
        "--mad-only", action="store_true", help="the noise band from the MAD alone (noise.py's alternative)"
    )
    parser.add_argument("--aa-only", action="store_true", help="only the A/A false alarms (no slowdowns)")
    parser.add_argument(
        "--average-credit",
        action="store_true",
        help="credit an average of k runs with the band sqrt(1 + 1/k) instead of sqrt(2) (the alternative)",
    )
    args = parser.parse_args(argv)
    compare_module.CREDIT_AVERAGED_BASELINE = args.average_credit
    if args.mad_only:
        compare_module.log_spread = functools.partial(log_spread, heavy_tails=False)  # type: ignore[assignment]
    runs = load_runs(args.data)
    print(
        f"{sum(len(r) for r in runs.values())} records: "
        + ", ".join(f"{s} {len(r)}" for s, r in sorted(runs.items()))
    )
    judge_file = read_threshold_file(args.rules)
    assert judge_file.judge is not None, f"{args.rules} has no judge section"
    overrides = json.loads(args.judge)
    judged = replace(judge_file, judge=replace(judge_file.judge, **overrides))
    judges: dict[str, Judge] = {}
    if not args.judge_only:
        judges["(a) seed production thresholds"] = judge_with(read_threshold_file(SEED_THRESHOLDS))
        judges["(b) packaged before the judge"] = judge_with(read_threshold_file(BEFORE_THE_JUDGE))
    judges[f"(c) judge {overrides or ''}".strip()] = judge_with(judged)
    suites = sorted(runs)
    print(
        f"history {args.history} runs; A/A: {args.comparisons} random draws over the {len(suites)} suites"
        " and every chronological window (a run against the runs just before it);"
        f" A/B: {args.comparisons} draws of {SLOWED_SUITE!r} per slowdown of"
        f" {SLOWED_ENDPOINT[1]} {SLOWED_ENDPOINT[0]}"
    )
    print(
        f"{'rules':34} {'compare':8} {'A/A false alarms':>18} {'chronological':>14} "
        + " ".join(f"{f'+{round((s - 1) * 100)} %':>7}" for s in SLOWDOWNS)
    )
    for label, judge in judges.items():
        for kind in ("previous", "average"):
            started = time.monotonic()
            rng = random.Random(f"{args.seed}-{kind}")
            false_alarms = 0
            by_suite: Counter[str] = Counter()
            for n in range(args.comparisons):
                suite = suites[n % len(suites)]
                current, history = draw(rng, runs[suite], args.history)
                if judge(current, history, kind, runs[suite]):
                    false_alarms += 1
                    by_suite[suite] += 1
            windows = chronological_false_alarms = 0
            for suite in suites:
                ordered = runs[suite]
                for index in range(args.history, len(ordered)):
                    history = ordered[index - args.history : index][::-1]
                    windows += 1
                    chronological_false_alarms += judge(ordered[index], history, kind, ordered)
            detections = []
            for factor in () if args.aa_only else SLOWDOWNS:
                rng = random.Random(f"{args.seed}-{kind}-{factor}")
                hits = 0
                for _ in range(args.comparisons):
                    current, history = draw(rng, runs[SLOWED_SUITE], args.history)
                    if judge(slowed(current, SLOWED_ENDPOINT, factor), history, kind, runs[SLOWED_SUITE]):
                        hits += 1
                detections.append(rate(hits, args.comparisons))
            random_aa = f"{rate(false_alarms, args.comparisons):>8} ({false_alarms:>4}/{args.comparisons})"
            print(
                f"{label:34} {kind:8} {random_aa} {chronological_false_alarms:>5}/{windows:<7} "
                + " ".join(f"{d:>7}" for d in detections)
                + f"   ({time.monotonic() - started:.0f} s; by suite: {dict(sorted(by_suite.items()))})",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
