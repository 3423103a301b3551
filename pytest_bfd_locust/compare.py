"""All comparison rules: the threshold file, the ratio of a statistic to its baseline, and verdicts.

Pure: no pytest, boto3, locust or gevent. The threshold file is the seed's format (`totals` and
`tasks` lists of `{name, better_if, warn_percent, fail_percent}`) plus an optional `min_delta`
(SPEC §8). `compare()` takes two `StatsView`s, so a `Record` (through `record_view`) and an averaged
`Baseline` compare alike.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from pytest_bfd_locust.histogram import PERCENTILE_KEYS
from pytest_bfd_locust.record import (
    COMPARABLE_STATS,
    Record,
    ResultStatus,
    TaskStats,
)

TaskKey = tuple[str, str]
"""(name, method): what identifies a task across runs."""

TOTALS_SCOPE = "totals"
"""The scope label of the totals' comparisons."""

RESPONSE_TIME_STATS: frozenset[str] = frozenset(
    {"median_response_time", "average_response_time", "min_response_time", "max_response_time"}
) | frozenset(PERCENTILE_KEYS)
"""Statistics in whole milliseconds at Locust's resolution."""

RESPONSE_TIME_MIN_DELTA = 1.0
"""The `min_delta` (ms) of a response-time rule without one: a 0 -> 1 ms change is not a regression."""

_FIELD_STATS = COMPARABLE_STATS - frozenset(PERCENTILE_KEYS)

_THRESHOLD_KEYS = ("name", "better_if", "warn_percent", "fail_percent", "min_delta")


class ThresholdError(ValueError):
    """A threshold file is malformed; the message names the file, list, entry, field and value."""


class BetterIf(StrEnum):
    """Which direction of change is an improvement."""

    SMALLER = "SMALLER"
    LARGER = "LARGER"


class Verdict(StrEnum):
    """The outcome of comparing one statistic (the seed's StatCompareResult values)."""

    PASS = "PASS"
    WARNING = "WARNING"
    FAILURE = "FAILURE"


@dataclass(frozen=True)
class Threshold:
    """How one statistic is compared: a ratio at or above `fail_percent` fails, above `warn_percent` warns."""

    name: str
    better_if: BetterIf
    warn_percent: float
    fail_percent: float
    min_delta: float | None = None
    """A change no larger than this (in the statistic's unit) always passes; None: the default."""

    @property
    def effective_min_delta(self) -> float | None:
        """`min_delta`, or 1 ms for response-time statistics, or None: no absolute tolerance."""
        if self.min_delta is not None:
            return self.min_delta
        return RESPONSE_TIME_MIN_DELTA if self.name in RESPONSE_TIME_STATS else None

    def ratio(self, baseline: float, current: float) -> float:
        """How much worse `current` is than `baseline`, in percent (100: unchanged; may be inf)."""
        if self.better_if is BetterIf.SMALLER:
            dividend, divisor = current, baseline
        else:
            dividend, divisor = baseline, current
        if divisor == 0:
            # The seed returned 0 here, so a stat rising from zero always passed; SPEC §8 says inf.
            return 100.0 if dividend == 0 else math.inf
        return dividend / divisor * 100.0

    def verdict(self, baseline: float, current: float) -> Verdict:
        """PASS within `min_delta`; else FAILURE at or above `fail_percent`, WARNING at `warn_percent`."""
        min_delta = self.effective_min_delta
        if min_delta is not None and abs(current - baseline) <= min_delta:
            return Verdict.PASS
        ratio = self.ratio(baseline, current)
        if ratio >= self.fail_percent:
            return Verdict.FAILURE
        if ratio >= self.warn_percent:
            return Verdict.WARNING
        return Verdict.PASS


@dataclass(frozen=True)
class ThresholdSet:
    """The rules of one threshold file: `totals` apply to the totals, `tasks` to each task."""

    totals: tuple[Threshold, ...]
    tasks: tuple[Threshold, ...]
    source: str = "<thresholds>"
    """Where the rules came from (a path), for messages."""


class StatsView(Protocol):
    """Statistic values by threshold-file name, for the totals and for each task.

    A `Baseline` (possibly averaged, so float values) is one; `record_view(record)` makes one of a record.
    """

    @property
    def totals(self) -> Mapping[str, float]: ...

    @property
    def tasks(self) -> Mapping[TaskKey, Mapping[str, float]]: ...


@dataclass(frozen=True)
class RecordView:
    """A record's statistics as a `StatsView`."""

    totals: Mapping[str, float]
    tasks: Mapping[TaskKey, Mapping[str, float]]


def stat_values(task: TaskStats) -> dict[str, float]:
    """Every comparable statistic of one entry by threshold-file name (percentiles it lacks are absent)."""
    values = {name: task.stat(name) for name in _FIELD_STATS}
    values.update(
        (key, float(ms)) for key, ms in task.response_time_percentiles.items() if key in COMPARABLE_STATS
    )
    return values


def record_view(record: Record) -> RecordView:
    """The statistics of a record, keyed as `compare()` reads them."""
    return RecordView(
        totals=stat_values(record.totals),
        tasks={task.key: stat_values(task) for task in record.tasks},
    )


def task_scope(key: TaskKey) -> str:
    """The scope label of a task in tables and messages: "METHOD name" (just the name without a method).

    Suites name requests after their method too (`name="GET /api/orders/[id]"`): the method is
    then shown once, not `GET GET /api/orders/[id]`.
    """
    name, method = key
    if not method or name.startswith(f"{method} "):
        return name
    return f"{method} {name}"


@dataclass(frozen=True)
class StatComparison:
    """One statistic of the totals or of one task, compared against its baseline."""

    scope: str
    """"totals" or the task's "METHOD name"."""
    task: TaskKey | None
    """The task's (name, method); None for the totals."""
    stat: str
    baseline: float
    current: float
    ratio: float
    """Percent, 100 when unchanged, larger when worse; may be inf."""
    threshold: Threshold
    verdict: Verdict

    @property
    def exceeded_percent(self) -> float | None:
        """The threshold percent this comparison reached: fail_percent, warn_percent, or None (PASS)."""
        if self.verdict is Verdict.FAILURE:
            return self.threshold.fail_percent
        if self.verdict is Verdict.WARNING:
            return self.threshold.warn_percent
        return None

    @property
    def within_min_delta(self) -> bool:
        """Whether the change is within the rule's min_delta (which makes it PASS whatever the ratio)."""
        min_delta = self.threshold.effective_min_delta
        return min_delta is not None and abs(self.current - self.baseline) <= min_delta


def compare_stat(
    rule: Threshold,
    baseline: float,
    current: float,
    *,
    scope: str = TOTALS_SCOPE,
    task: TaskKey | None = None,
) -> StatComparison:
    """One statistic judged by its rule: the row of the failure table."""
    return StatComparison(
        scope=scope,
        task=task,
        stat=rule.name,
        baseline=baseline,
        current=current,
        ratio=rule.ratio(baseline, current),
        threshold=rule,
        verdict=rule.verdict(baseline, current),
    )


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing a run against a baseline."""

    stats: tuple[StatComparison, ...]
    """Totals first, then tasks by (name, method); each in threshold-file order."""
    new_tasks: tuple[TaskKey, ...] = ()
    """Tasks in the current run but not in the baseline (not compared)."""
    missing_tasks: tuple[TaskKey, ...] = ()
    """Tasks in the baseline but not in the current run (not compared)."""

    @property
    def failures(self) -> tuple[StatComparison, ...]:
        return tuple(s for s in self.stats if s.verdict is Verdict.FAILURE)

    @property
    def warnings(self) -> tuple[StatComparison, ...]:
        return tuple(s for s in self.stats if s.verdict is Verdict.WARNING)

    @property
    def failed(self) -> bool:
        return any(s.verdict is Verdict.FAILURE for s in self.stats)

    @property
    def result(self) -> ResultStatus:
        """The record's `compare_result`: FAILED when any statistic is FAILURE, else PASSED."""
        return ResultStatus.FAILED if self.failed else ResultStatus.PASSED


def compare(
    current: StatsView | Record, baseline: StatsView | Record, thresholds: ThresholdSet
) -> Comparison:
    """Compare the totals with the `totals` rules and every task present on both sides with the `tasks` rules.

    A statistic missing on either side (an older record without some percentile) is not compared.
    """
    current_view = record_view(current) if isinstance(current, Record) else current
    baseline_view = record_view(baseline) if isinstance(baseline, Record) else baseline
    rows = _compare_values(TOTALS_SCOPE, None, baseline_view.totals, current_view.totals, thresholds.totals)
    current_keys = set(current_view.tasks)
    baseline_keys = set(baseline_view.tasks)
    for key in sorted(current_keys & baseline_keys):
        rows.extend(
            _compare_values(
                task_scope(key), key, baseline_view.tasks[key], current_view.tasks[key], thresholds.tasks
            )
        )
    return Comparison(
        stats=tuple(rows),
        new_tasks=tuple(sorted(current_keys - baseline_keys)),
        missing_tasks=tuple(sorted(baseline_keys - current_keys)),
    )


def _compare_values(
    scope: str,
    task: TaskKey | None,
    baseline: Mapping[str, float],
    current: Mapping[str, float],
    rules: Sequence[Threshold],
) -> list[StatComparison]:
    rows = []
    for rule in rules:
        if rule.name not in baseline or rule.name not in current:
            continue
        rows.append(compare_stat(rule, baseline[rule.name], current[rule.name], scope=scope, task=task))
    return rows


# --- the threshold file ---------------------------------------------------------------------------


def default_thresholds_path() -> Path:
    """The packaged threshold file: the seed's production values plus min_delta for response times."""
    return Path(__file__).with_name("default_compare_meta.json")


def read_threshold_file(path: Path) -> ThresholdSet:
    """Read and validate a threshold file; ThresholdError names the file and what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ThresholdError(f"{path}: cannot read the threshold file: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise ThresholdError(f"{path}: not UTF-8 text: {error.reason} at byte {error.start}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ThresholdError(
            f"{path}: not JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    return load_thresholds(data, str(path))


def load_thresholds(data: object, source: str) -> ThresholdSet:
    """Validate an already-loaded threshold file; `source` (its path) starts every error message."""
    if not isinstance(data, Mapping):
        raise ThresholdError(
            f"{source}: expected an object with 'totals' and 'tasks' lists, got {_kind(data)}"
        )
    unknown = sorted(str(k) for k in data if k not in ("totals", "tasks"))
    if unknown:
        raise ThresholdError(f"{source}: unknown key {unknown[0]!r}; expected 'totals' and 'tasks'")
    return ThresholdSet(
        totals=_load_rules(data, "totals", source),
        tasks=_load_rules(data, "tasks", source),
        source=source,
    )


def _load_rules(data: Mapping[str, Any], list_name: str, source: str) -> tuple[Threshold, ...]:
    entries = data.get(list_name)
    if not isinstance(entries, list):
        raise ThresholdError(f"{source}: {list_name}: expected a list of thresholds, got {_kind(entries)}")
    rules: list[Threshold] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        rule = _load_rule(entry, f"{source}: {list_name}[{index}]")
        if rule.name in seen:
            raise ThresholdError(
                f"{source}: {list_name}[{index}] ({rule.name!r}): name: {rule.name!r} is listed twice"
            )
        seen.add(rule.name)
        rules.append(rule)
    return tuple(rules)


def _load_rule(entry: object, where: str) -> Threshold:
    if not isinstance(entry, Mapping):
        raise ThresholdError(f"{where}: expected an object, got {_kind(entry)}")
    name = entry.get("name")
    if not isinstance(name, str):
        raise ThresholdError(f"{where}: name: expected a string, got {name!r}")
    if name not in COMPARABLE_STATS:
        allowed = ", ".join(sorted(COMPARABLE_STATS))
        raise ThresholdError(f"{where}: name: {name!r} is not a statistic; expected one of {allowed}")
    where = f"{where} ({name!r})"
    unknown = sorted(str(k) for k in entry if k not in _THRESHOLD_KEYS)
    if unknown:
        raise ThresholdError(f"{where}: unknown field {unknown[0]!r}; expected {', '.join(_THRESHOLD_KEYS)}")
    better_if = entry.get("better_if")
    if better_if not in (BetterIf.SMALLER.value, BetterIf.LARGER.value):
        raise ThresholdError(f"{where}: better_if: expected SMALLER or LARGER, got {better_if!r}")
    warn_percent = _percent(entry, "warn_percent", where)
    fail_percent = _percent(entry, "fail_percent", where)
    if warn_percent > fail_percent:
        raise ThresholdError(
            f"{where}: warn_percent: {entry['warn_percent']!r} is above"
            f" fail_percent {entry['fail_percent']!r}"
        )
    raw_min_delta = entry.get("min_delta")
    min_delta = _number(raw_min_delta)
    if raw_min_delta is not None and (min_delta is None or min_delta < 0):
        raise ThresholdError(f"{where}: min_delta: expected a number >= 0 or null, got {raw_min_delta!r}")
    return Threshold(
        name=name,
        better_if=BetterIf(better_if),
        warn_percent=warn_percent,
        fail_percent=fail_percent,
        min_delta=min_delta,
    )


def _percent(entry: Mapping[str, Any], key: str, where: str) -> float:
    value = _number(entry.get(key))
    if value is None or value <= 0:
        raise ThresholdError(f"{where}: {key}: expected a number of percent > 0, got {entry.get(key)!r}")
    return value


def _number(value: object) -> float | None:
    """The value as a float when it is a finite JSON number (not a boolean), else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__
