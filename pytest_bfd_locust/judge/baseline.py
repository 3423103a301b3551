"""Baselines: which stored records a run may be compared against, and the values it is compared with.

Pure: no pytest, boto3, locust or gevent. A run asks a store with a `BaselineQuery` and gets
`LoadedBaselines`; stores call `select_eligible` so every store applies the same eligibility rules
(SPEC §7) and honours acceptances the same way; the plugin builds a `Baseline` from what the store
returned. Stores depend on `judge.baseline_query` (the eligibility rules), never the other way round.

An acceptance (`pytest_bfd_locust.acceptance`) of a run under the query's hash and tag starts a new
level: the accepted run is eligible although its comparison failed, and no run before it is a
baseline any more, for `previous` and `average` alike. Only the newest accepted level counts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import fmean, median

from pytest_bfd_locust.acceptance import Acceptance
from pytest_bfd_locust.figures import iso_utc
from pytest_bfd_locust.histogram import Histogram

# The query's types and the eligibility rules live apart (a session's start and the stores need
# them, not this module's statistics); re-exported here.
from pytest_bfd_locust.judge.baseline_query import TOTAL_RUNTIME_DELTA as TOTAL_RUNTIME_DELTA
from pytest_bfd_locust.judge.baseline_query import BaselineKind as BaselineKind
from pytest_bfd_locust.judge.baseline_query import BaselineQuery as BaselineQuery
from pytest_bfd_locust.judge.baseline_query import LoadedBaselines as LoadedBaselines
from pytest_bfd_locust.judge.baseline_query import applies_to as applies_to
from pytest_bfd_locust.judge.baseline_query import current_acceptance as current_acceptance
from pytest_bfd_locust.judge.baseline_query import is_accepted_run as is_accepted_run
from pytest_bfd_locust.judge.baseline_query import is_eligible as is_eligible
from pytest_bfd_locust.judge.baseline_query import measured_cleanly as measured_cleanly
from pytest_bfd_locust.judge.baseline_query import newest_first_key as newest_first_key
from pytest_bfd_locust.judge.baseline_query import select_eligible as select_eligible
from pytest_bfd_locust.judge.changepoints import change_points
from pytest_bfd_locust.judge.comparison import TaskKey, record_view, stat_values
from pytest_bfd_locust.judge.significance import log_value
from pytest_bfd_locust.record import Record, TaskStats


@dataclass(frozen=True)
class Baseline:
    """The values a run is compared against (a `compare.StatsView`) and the records they came from."""

    kind: BaselineKind
    records: tuple[Record, ...]
    """Newest first."""
    totals: Mapping[str, float]
    tasks: Mapping[TaskKey, Mapping[str, float]] = field(default_factory=dict)
    accepted: Acceptance | None = None
    """The acceptance the baseline's level starts at, when one applies."""

    def describe(self) -> str:
        """For messages: "previous run of 2026-11-25T02:40:00Z (run <id>)" or "average of 5 runs";
        "(run <id>, accepted as the new level)" / "... since the accepted run <id>" after an acceptance."""
        accepted = self.accepted
        if self.kind is BaselineKind.PREVIOUS:
            record = self.records[0]
            parts = [f"run {record.run_id}"] if record.run_id else []
            if accepted is not None and is_accepted_run(record, accepted):
                parts.append("accepted as the new level")
            run = f" ({', '.join(parts)})" if parts else ""
            return f"previous run of {iso_utc(record.metadata.timestamp)}{run}"
        since = "" if accepted is None else f" since the accepted run {accepted.run_id}"
        return f"average of {len(self.records)} run{'s' if len(self.records) != 1 else ''}{since}"


def build_baseline(
    kind: BaselineKind, records: Sequence[Record], accepted: Acceptance | None = None
) -> Baseline | None:
    """The baseline of `kind` from eligible records (newest first, from the accepted level on:
    `select_eligible`); None when there are none. `accepted` only names the level in messages."""
    built = previous_baseline(records) if kind is BaselineKind.PREVIOUS else average_baseline(records)
    return built if built is None or accepted is None else replace(built, accepted=accepted)


def previous_baseline(records: Sequence[Record]) -> Baseline | None:
    """The newest record's statistics as they were stored; None when there is no record."""
    if not records:
        return None
    view = record_view(records[0])
    return Baseline(kind=BaselineKind.PREVIOUS, records=(records[0],), totals=view.totals, tasks=view.tasks)


def average_baseline(records: Sequence[Record]) -> Baseline | None:
    """Every statistic over the records, per task (name, method); None when there are none.

    Like the seed, a task is averaged over the records that have it, and percentiles over the keys
    every one of them has. Records that all carry the task's histogram (this plugin's) give each
    statistic the median of the runs' own values: the baseline then describes a run, whatever
    one unusual run did (merging the histograms, as before issue 17, let one slow run's requests
    make a baseline whose median was 2 ms and whose average was 14.2 ms, a run that never
    happened; a mean of the runs' values is pulled the same way). The seed's records, without
    histograms, keep the seed's mean. The judge still reads every request of the k runs for the
    baseline's within-run error (judge/rule.py).

    Measured runs are first cut to their newest level (`newest_level`): an average that mixed a
    fix with the runs before it would describe neither, and would let the regression back to the
    old level pass as "within the average".
    """
    if not records:
        return None
    if all(record.histograms for record in records):
        records = newest_level(records)
    entries: dict[TaskKey, list[tuple[TaskStats, Histogram | None]]] = {}
    for record in records:
        for task in record.tasks:
            entries.setdefault(task.key, []).append((task, record.histogram_for(task.key)))
    totals = [(record.totals, record.histogram_for(record.totals.key)) for record in records]
    return Baseline(
        kind=BaselineKind.AVERAGE,
        records=tuple(records),
        totals=_average_entry(totals),
        tasks={key: _average_entry(entries[key]) for key in sorted(entries)},
    )


def _average_entry(entries: Sequence[tuple[TaskStats, Histogram | None]]) -> dict[str, float]:
    per_record = [stat_values(task) for task, _ in entries]
    common = set(per_record[0]).intersection(*per_record[1:])
    if all(histogram is not None for _, histogram in entries):
        return {name: float(median(values[name] for values in per_record)) for name in sorted(common)}
    return {name: fmean(values[name] for values in per_record) for name in sorted(common)}


LEVEL_STATISTICS = ("median_response_time", "0.95")
"""The statistics whose change points cut an average to its newest level (every entry's)."""


def newest_level(records: Sequence[Record]) -> tuple[Record, ...]:
    """The records (newest first) from the newest change point on: E-divisive means
    (judge/changepoints.py) over ln of each entry's median and p95; the latest change point of
    any of them starts the newest level. No change point: all of them."""
    chronological = list(reversed(records))
    start = 0
    keys = {record.totals.key for record in records}
    keys |= {task.key for record in records for task in record.tasks}
    for key in keys:
        for statistic in LEVEL_STATISTICS:
            series = [_log_stat(record, key, statistic) for record in chronological]
            if len(series) < 2 or any(math.isnan(value) for value in series):
                continue
            cuts = change_points(series)
            if cuts:
                start = max(start, cuts[-1].index)
    return tuple(reversed(chronological[start:]))


def _log_stat(record: Record, key: TaskKey, statistic: str) -> float:
    entry = record.totals if key == record.totals.key else record.task(key)
    if entry is None:
        return math.nan
    try:
        return log_value(entry.stat(statistic))
    except KeyError:
        return math.nan
