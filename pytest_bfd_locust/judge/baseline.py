"""Baselines: which stored records a run may be compared against, and the values it is compared with.

Pure: no pytest, boto3, locust or gevent. A run asks a store with a `BaselineQuery` and gets
`LoadedBaselines`; stores call `select_eligible` so every store applies the same eligibility rules
(SPEC §7) and honours acceptances the same way; the plugin builds a `Baseline` from what the store
returned. Stores depend on this module, never the other way round.

An acceptance (`pytest_bfd_locust.acceptance`) of a run under the query's hash and tag starts a new
level: the accepted run is eligible although its comparison failed, and no run before it is a
baseline any more, for `previous` and `average` alike. Only the newest accepted level counts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import fmean, median

from pytest_bfd_locust.acceptance import Acceptance
from pytest_bfd_locust.figures import iso_utc
from pytest_bfd_locust.histogram import Histogram

# The query's types live apart (a session's start needs them, not this module); re-exported here.
from pytest_bfd_locust.judge.baseline_query import BaselineKind as BaselineKind
from pytest_bfd_locust.judge.baseline_query import BaselineQuery as BaselineQuery
from pytest_bfd_locust.judge.baseline_query import LoadedBaselines as LoadedBaselines
from pytest_bfd_locust.judge.changepoints import change_points
from pytest_bfd_locust.judge.comparison import TaskKey, record_view, stat_values
from pytest_bfd_locust.judge.significance import log_value
from pytest_bfd_locust.record import Record, ResultStatus, TaskStats

TOTAL_RUNTIME_DELTA = 3.0
"""Seconds two runs' total runtimes may differ by and still be compared (the seed's delta)."""

_ELIGIBLE_RESULTS = frozenset({ResultStatus.PASSED, ResultStatus.NOT_APPLICABLE})


def is_eligible(record: Record, query: BaselineQuery, accepted: Acceptance | None = None) -> bool:
    """Whether a stored record may serve as a baseline for the run described by `query` (SPEC §7).

    Unlike the seed, the runtime check is on the absolute difference: a baseline that ran much
    longer than this run is as incomparable as one that ran much shorter. With an acceptance that
    applies to the query (`current_acceptance`), the accepted run passes the compare_result rule
    and every run before it fails the whole test: it belongs to the level the acceptance ended.
    An inconclusive run (its load generator saturated: `Record.inconclusive`) measured the
    generator, not the API, and is never a baseline.
    """
    metadata = record.metadata
    accepted_run = accepted is not None and _is_accepted_run(record, accepted)
    return (
        query.tag in metadata.tags
        and metadata.hash == query.hash
        and (metadata.compare_result in _ELIGIBLE_RESULTS or accepted_run)
        and measured_cleanly(record)
        and abs(metadata.total_runtime - query.total_runtime) < TOTAL_RUNTIME_DELTA
        and (accepted is None or newest_first_key(record) >= accepted.run_key)
    )


def measured_cleanly(record: Record) -> bool:
    """Whether a run measured the API as it was: validated (or never validated: the seed's) and
    not inconclusive. What a baseline needs besides matching the query; what a run of another hash
    must be for its spread to inform this one's prior noise (`judge.noise.measured_scales`)."""
    return record.metadata.validation_result in _ELIGIBLE_RESULTS and record.inconclusive is None


def _is_accepted_run(record: Record, accepted: Acceptance) -> bool:
    return record.run_id == accepted.run_id and record.metadata.timestamp == accepted.run_timestamp


def applies_to(acceptance: Acceptance, query: BaselineQuery) -> bool:
    """Whether an acceptance moves the level of this query: a run is accepted only into its own
    suite, hash and tag."""
    return (
        acceptance.hash == query.hash
        and acceptance.tag == query.tag
        and (query.suite is None or acceptance.suite is None or acceptance.suite == query.suite)
    )


def current_acceptance(acceptances: Iterable[Acceptance], query: BaselineQuery) -> Acceptance | None:
    """The acceptance the query's current level starts at: of those that apply, the one of the
    newest accepted run (not the newest decision: accepting an older run later does not undo a
    newer level)."""
    applying = [acceptance for acceptance in acceptances if applies_to(acceptance, query)]
    return max(applying, key=lambda acceptance: (acceptance.run_key, acceptance.accepted_at), default=None)


def newest_first_key(record: Record) -> tuple[int, str]:
    """Sort key (use with reverse=True) putting the newest record first.

    Two runs stored in the same second are ordered by run id so every store and every call picks
    the same one; records without a run id (the seed's) sort after those with one.
    """
    return (record.metadata.timestamp, record.run_id or "")


def select_eligible(
    records: Iterable[Record], query: BaselineQuery, acceptances: Iterable[Acceptance] = ()
) -> tuple[Record, ...]:
    """The newest `query.limit` eligible records, newest first, from the accepted level on."""
    accepted = current_acceptance(acceptances, query)
    eligible = sorted(
        (r for r in records if is_eligible(r, query, accepted)), key=newest_first_key, reverse=True
    )
    return tuple(eligible[: max(query.limit, 0)])


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
            if accepted is not None and _is_accepted_run(record, accepted):
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
