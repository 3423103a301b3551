"""Detection quality of the judge on a noise model built from real runs (bench/data/runs), by history length.

The records under bench/data/runs were measured on this machine by bench/collect_runs.py: the
demo's three suites plus `claims` (one endpoint at ~40 ms, one at ~1 ms), 80 runs each; every
suite has two endpoints. Comparisons are drawn from them with a seeded generator (the same
figures on every run of this script), for each history length h of 1, 2, 3, 5, 10 and 20
earlier runs:

- A/A: a run of a suite against h other runs of the same suite (random subsets in random order:
  runs are exchangeable when nothing changed), over all four suites; and every chronological
  window (a run against the h runs just before it). A FAILURE is a false alarm, counted per suite
  comparison (any statistic failing fails the suite).
- A/B: the same with the `claims` suite, its ExplanationOfBenefit endpoint (`--slowed patient`: its
  ~1 ms Patient read endpoint) slowed 1.2x, 1.5x, 2x
  and 3x: every response time in its histogram multiplied and rounded into Locust's buckets
  again, its median, percentiles, average, min and max recomputed (Locust's rules), the totals
  rebuilt from the endpoints. Request counts are left as measured, so only the response-time
  statistics carry the slowdown. A FAILURE of the suite is a detection.

Side by side, on the same draws: the competitor, the rule a user would write in 30 lines, "fail
when any endpoint's p95 or median is above 1.2x the previous passing run" (`competitor_fails`).
Settings of the judge are passed in (`--judge '{"multiplicity": "bonferroni"}'`), never set on a
module. Run by hand:

    .venv/bin/python bench/detection.py [--comparisons 400] [--compare previous] [--seed 1] [--confirm 2]
        [--slowed eob|patient] [--wide] [--aa-only]
        [--store-prior measured|max]

`--store-prior` gives the judge, for each suite, the prior measured on the other three suites'
newest 20 runs (leave one suite out: what `prior_from_store` would find in a store holding them).
"""

from __future__ import annotations

import argparse
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
from pytest_bfd_locust.judge.baseline import BaselineKind, build_baseline  # noqa: E402
from pytest_bfd_locust.judge.compare import compare  # noqa: E402
from pytest_bfd_locust.judge.comparison import Comparison, Evidence  # noqa: E402
from pytest_bfd_locust.judge.confirmation import confirm, settled  # noqa: E402
from pytest_bfd_locust.judge.noise import (  # noqa: E402
    OTHER_SERIES_RUNS,
    PACKAGED_PRIOR,
    PRIOR_SCALES,
    PriorScales,
    measured_scales,
)
from pytest_bfd_locust.judge.thresholds import Multiplicity, ThresholdSet, read_threshold_file  # noqa: E402
from pytest_bfd_locust.record import EntryHistogram, Record, TaskStats  # noqa: E402
from tests.record_factory import locust_bucket  # noqa: E402

DATA = ROOT / "bench" / "data" / "runs"
DEFAULT_RULES = ROOT / "pytest_bfd_locust" / "judge" / "default_compare_meta.json"
SLOWED_SUITE = "claims"
SLOWED_ENDPOINTS = {
    "eob": ("/v2/fhir/ExplanationOfBenefit search", "GET"),
    "patient": ("/v2/fhir/Patient read", "GET"),
}
SLOWDOWNS = (1.2, 1.5, 2.0, 3.0)
HISTORY_LENGTHS = (1, 2, 3, 5, 10, 20)
COMPETITOR_RATIO = 1.2

Judge = Callable[[Record, Sequence[Record], str, Sequence[Record]], bool]
"""(current, history newest first, "previous"|"average", more attempts) -> whether the suite fails.

The fourth argument holds the runs a confirming judge may take as its further attempts, in the
order it would run them (`--confirm`); a rule that does not confirm ignores it."""


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


WIDE_SUITE = "claims+3 suites"


def widened(runs: dict[str, list[Record]]) -> list[Record]:
    """A suite of 8 endpoints (54 statistics): each `claims` run with the endpoints of the other
    three suites' run of the same index added (their names prefixed with their suite), the totals
    rebuilt from all requests. It asks what adding endpoints costs each endpoint's sensitivity."""
    others = [suite for suite in sorted(runs) if suite != SLOWED_SUITE]
    wide = []
    for index, base in enumerate(runs[SLOWED_SUITE]):
        tasks = list(base.tasks)
        histograms = {(h.task_name, h.request_method): dict(h.response_times) for h in base.histograms}
        for suite in others:
            record = runs[suite][index % len(runs[suite])]
            for task in record.tasks:
                renamed = replace(task, task_name=f"{suite} {task.task_name}")
                tasks.append(renamed)
                histograms[renamed.key] = dict(record.histogram_for(task.key) or {})
        merged: Counter[int] = Counter()
        for task in tasks:
            merged.update(histograms[task.key])
        requests = sum(task.num_requests for task in tasks)
        totals = _stats_from_histogram(
            replace(
                base.totals,
                num_requests=requests,
                num_failures=sum(task.num_failures for task in tasks),
                total_reqs_per_second=sum(task.total_reqs_per_second for task in tasks),
                total_fails_per_sec=sum(task.total_fails_per_sec for task in tasks),
            ),
            dict(merged),
            sum(task.average_response_time * task.num_requests for task in tasks) / max(requests, 1),
            min(task.min_response_time for task in tasks),
            max(task.max_response_time for task in tasks),
        )
        histograms[base.totals.key] = dict(merged)
        wide.append(
            replace(
                base,
                totals=totals,
                tasks=tuple(tasks),
                histograms=tuple(EntryHistogram(k[0], k[1], h) for k, h in histograms.items()),
            )
        )
    return wide


def store_priors(runs: dict[str, list[Record]]) -> dict[str, PriorScales]:
    """Per suite, the prior a store holding the OTHER suites would give it (leave one suite out):
    `measured_scales` of each other suite's newest `OTHER_SERIES_RUNS` runs, as the store hands
    them over (`stores.listing.load_other_series`)."""
    return {
        suite: measured_scales(
            [records[-OTHER_SERIES_RUNS:] for other, records in runs.items() if other != suite]
        )
        for suite in runs
    }


def judge_with(
    thresholds: ThresholdSet, confirm_attempts: int = 0, priors: dict[str, PriorScales] | None = None
) -> Judge:
    """Whether the suite fails, decided by `compare()` exactly as `execute_suite` calls it; with
    `confirm_attempts`, a first attempt that failed or warned is judged again on up to that many
    more runs until `settled()` (each against the same baseline and history, as `execute_suite`
    does) and decided by `confirm()`.
    `priors`: the prior noise's scales per suite (`--store-prior`); None: the packaged ones."""

    def fails(current: Record, history: Sequence[Record], kind: str, more: Sequence[Record]) -> bool:
        records = history[:1] if kind == "previous" else history[:LOAD_LIMIT]
        baseline = build_baseline(BaselineKind(kind), records)
        assert baseline is not None
        prior = PACKAGED_PRIOR if priors is None else priors[current.suite or current.metadata.hash]

        def judged(run: Record) -> Comparison:
            evidence = Evidence(current=run, baseline_records=baseline.records, history=history, prior=prior)
            return compare(run, baseline, thresholds, evidence)

        allowed = 1 + confirm_attempts
        attempts = [judged(current)]
        for run in more[:confirm_attempts]:
            if settled(attempts, allowed):
                break
            attempts.append(judged(run))
        return confirm(attempts, allowed).confirmed if len(attempts) > 1 else attempts[0].failed

    return fails


def further_attempts(
    rng: random.Random, runs: Sequence[Record], used: Sequence[Record], count: int
) -> list[Record]:
    """`count` runs of the suite other than those `used` (the current run and its history), drawn
    with their own generator so the first attempts' draws stay those of a run without --confirm."""
    taken = {id(run) for run in used}
    rest = [run for run in runs if id(run) not in taken]
    return rng.sample(rest, min(count, len(rest)))


def draw(rng: random.Random, runs: Sequence[Record], history: int) -> tuple[Record, list[Record]]:
    """A current run and `history` other runs in random order (newest first)."""
    current_index = rng.randrange(len(runs))
    others = [r for i, r in enumerate(runs) if i != current_index]
    return runs[current_index], rng.sample(others, min(history, len(others)))


def competitor_fails(current: Record, history: Sequence[Record], _kind: str, _more: Sequence[Record]) -> bool:
    """The 30-line rule: any endpoint's p95 or median above 1.2x the previous passing run's.

    `history` holds passing runs only (newest first), so its first is the previous passing run;
    an endpoint the previous run lacks is not compared. The comparison mode is ignored: this rule
    only knows the previous run, and never runs again to confirm.
    """
    previous = history[0]
    for task in current.tasks:
        before = previous.task(task.key)
        if before is None:
            continue
        for statistic in ("median_response_time", "0.95"):
            try:
                now, then = task.stat(statistic), before.stat(statistic)
            except KeyError:
                continue
            if now > COMPETITOR_RATIO * then:
                return True
    return False


def rate(hits: int, total: int) -> str:
    return f"{hits / total * 100:5.1f} %" if total else "   n/a"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comparisons", type=int, default=400, help="random draws per cell")
    parser.add_argument("--histories", type=str, default=",".join(map(str, HISTORY_LENGTHS)))
    parser.add_argument("--compare", choices=("previous", "average"), default="previous")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--judge", type=str, default="{}", help="JSON overrides of the file's judge object")
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES, help="the judge's threshold file")
    parser.add_argument("--judge-only", action="store_true", help="leave the competitor out")
    parser.add_argument(
        "--confirm",
        type=int,
        default=0,
        help="more attempts after a failed first one (the plugin's --bfd-confirm; packaged: 2): random"
        " draws take other runs of the suite, chronological windows the runs that follow",
    )
    parser.add_argument("--aa-only", action="store_true", help="only the A/A false alarms (no slowdowns)")
    parser.add_argument(
        "--slowed",
        choices=sorted(SLOWED_ENDPOINTS),
        default="eob",
        help="the claims endpoint slowed in the A/B draws: eob, the ~40 ms ExplanationOfBenefit search"
        " (default); patient, the ~1 ms Patient read (a few-ms endpoint: Locust's whole-ms rounding and"
        " a busy machine's noise, the judge's weak spot on a cold start)",
    )
    parser.add_argument(
        "--wide",
        action="store_true",
        help=f"A/A and A/B on {WIDE_SUITE!r}: claims with the other suites' endpoints added (8 endpoints)",
    )
    parser.add_argument(
        "--store-prior",
        choices=("measured", "max"),
        default=None,
        help="the prior's scales measured on the other suites' newest runs (leave one suite out), as"
        " `prior_from_store` measures a store's other hashes (measured), or the larger of that and the"
        " packaged scale per kind (max); default: the packaged scales",
    )
    args = parser.parse_args(argv)
    runs = load_runs(args.data)
    print(
        f"{sum(len(r) for r in runs.values())} records: "
        + ", ".join(f"{s} {len(r)}" for s, r in sorted(runs.items()))
    )
    judge_file = read_threshold_file(args.rules)
    assert judge_file.judge is not None, f"{args.rules} has no judge section"
    overrides = json.loads(args.judge)
    for key, value in overrides.items():
        if key == "multiplicity":
            overrides[key] = Multiplicity(value)
    judged = replace(judge_file, judge=replace(judge_file.judge, **overrides))
    label = f"judge {json.loads(args.judge) or ''}".strip() + (
        f" confirm {args.confirm}" if args.confirm else ""
    )
    priors = None
    if args.store_prior:
        priors = store_priors(runs)
        if args.store_prior == "max":
            priors = {
                suite: replace(prior, by_kind={k: max(v, PRIOR_SCALES[k]) for k, v in prior.by_kind.items()})
                for suite, prior in priors.items()
            }
        label += f" store prior ({args.store_prior})"
        for suite, prior in sorted(priors.items()):
            print(f"store prior for {suite}: " + ", ".join(f"{k} {v:.3f}" for k, v in prior.by_kind.items()))
    judges: dict[str, Judge] = {label: judge_with(judged, args.confirm, priors)}
    if not args.judge_only:
        judges[f"competitor (p95 or median > {COMPETITOR_RATIO}x previous)"] = competitor_fails
    slowed_suite = SLOWED_SUITE
    slowed_endpoint = SLOWED_ENDPOINTS[args.slowed]
    if args.wide:
        runs = {WIDE_SUITE: widened(runs)}
        slowed_suite = WIDE_SUITE
    suites = sorted(runs)
    histories = [int(h) for h in args.histories.split(",")]
    slowdowns = () if args.aa_only else SLOWDOWNS
    print(
        f"--compare {args.compare}; A/A: {args.comparisons} random draws over the {len(suites)} suites"
        f" and every chronological window; A/B: {args.comparisons} draws of {slowed_suite!r}"
        f" per slowdown of {slowed_endpoint[1]} {slowed_endpoint[0]}"
    )
    print(
        "| rule | earlier runs | A/A false alarms (random) | A/A (chronological) | "
        + " | ".join(f"{s:g}x" for s in slowdowns)
        + " |"
    )
    print("|---|---|---|---|" + "---|" * len(slowdowns))
    for label, judge in judges.items():
        for history_length in histories:
            started = time.monotonic()
            rng = random.Random(f"{args.seed}-{args.compare}-{history_length}")
            more_rng = random.Random(f"{args.seed}-{args.compare}-{history_length}-confirm")
            false_alarms = 0
            for n in range(args.comparisons):
                suite = suites[n % len(suites)]
                current, history = draw(rng, runs[suite], history_length)
                more = further_attempts(more_rng, runs[suite], [current, *history], args.confirm)
                false_alarms += judge(current, history, args.compare, more)
            windows = chronological = 0
            for suite in suites:
                ordered = runs[suite]
                for index in range(history_length, len(ordered)):
                    windows += 1
                    chronological += judge(
                        ordered[index],
                        ordered[index - history_length : index][::-1],
                        args.compare,
                        ordered[index + 1 : index + 1 + args.confirm],
                    )
            detections = []
            for factor in slowdowns:
                rng = random.Random(f"{args.seed}-{args.compare}-{history_length}-{factor}")
                more_rng = random.Random(f"{args.seed}-{args.compare}-{history_length}-{factor}-confirm")
                hits = 0
                for _ in range(args.comparisons):
                    current, history = draw(rng, runs[slowed_suite], history_length)
                    slow = slowed(current, slowed_endpoint, factor)
                    more = further_attempts(more_rng, runs[slowed_suite], [current, *history], args.confirm)
                    hits += judge(
                        slow, history, args.compare, [slowed(run, slowed_endpoint, factor) for run in more]
                    )
                detections.append(rate(hits, args.comparisons).strip())
            print(
                f"| {label} | {history_length} | {rate(false_alarms, args.comparisons).strip()}"
                f" ({false_alarms}/{args.comparisons}) | {chronological}/{windows} | "
                + " | ".join(detections)
                + f" |   ({time.monotonic() - started:.0f} s)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
