"""A run's own time series: one sample per progress interval, stored in the record as `timeline`.

Pure. Optional top-level key the seed's readers ignore. Stored column-wise (`columns` once, then one
list of numbers per sample) so an hour at one sample a second stays around 100 KiB, and a Glue
crawler infers one stable `array<array<double>>` column from it.

A suite with a windowed SLA (`sla.window`) also keeps each sample's own response-time histograms,
of the totals and of every endpoint (`IntervalHistograms`, the timeline's optional `histograms`
key), so a window's percentiles are computed from the requests completed in it (judge/sla.py
merges consecutive samples), never averaged from the samples' percentiles. Timelines without the
key (older records, suites without a window) still read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

TIMELINE_KEY = "timeline"
"""The record's top-level key holding the timeline."""

COLUMNS = (
    "elapsed",
    "users",
    "num_requests",
    "num_failures",
    "rps",
    "avg_ms",
    "p50_ms",
    "p95_ms",
    "cpu_percent",
)
"""What each sample holds, in order: seconds since the run started; running users; requests and
failures so far; requests per second, average, median and 95th percentile response time (ms) of
the requests completed during the interval; the load generator's CPU (Locust's own measurement, %
of one core, the highest of the master's and every worker's latest reading)."""

ADDED_COLUMNS = frozenset({"cpu_percent"})
"""Columns added after timelines were first stored (always at the end): a stored timeline without
one reads, with the sample's value None."""


HISTOGRAMS_KEY = "histograms"
"""The timeline's optional key holding each sample's histograms (`IntervalHistograms`)."""

TOTALS_ENTRY = "Aggregated"
"""The totals' entry in `IntervalHistograms` (Locust's name for them, as the record's totals)."""


def entry_key(method: str, name: str) -> str:
    """An endpoint as the record shows it and an SLA names it: `GET /v2/fhir/Patient search`."""
    return f"{method} {name}" if method else name


class TimelineError(ValueError):
    """A stored timeline is not of the expected shape; the message names the field."""


@dataclass(frozen=True)
class IntervalHistograms:
    """Each sample's histograms: what completed during its interval, per entry (`TOTALS_ENTRY`,
    then endpoints as `entry_key` writes them, in the order they first answered).

    JSON: `{"entries": [key, ...], "samples": [[[ms, count, ms, count, ...] per entry] per sample]}`:
    one flat list of pairs per entry (empty when it had no request), a sample's row shorter than
    `entries` when later endpoints had not answered yet. Pairs rather than objects: an hour at one
    sample a second with 10 endpoints stays a few MB (measured in the README), and a Glue crawler
    infers `array<array<array<double>>>`.
    """

    entries: tuple[str, ...]
    samples: tuple[tuple[Mapping[int, int], ...], ...]
    """samples[i][j]: the histogram of entry j during sample i (rows may be shorter than entries)."""

    def series(self, entry: str) -> list[Mapping[int, int]]:
        """The histograms of one entry, one per sample (empty ones where it had no request)."""
        if entry not in self.entries:
            return [{} for _ in self.samples]
        at = self.entries.index(entry)
        return [row[at] if at < len(row) else {} for row in self.samples]

    def to_json(self) -> dict[str, Any]:
        return {
            "entries": list(self.entries),
            "samples": [
                [[number for ms in sorted(histogram) for number in (ms, histogram[ms])] for histogram in row]
                for row in self.samples
            ],
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> IntervalHistograms:
        if not isinstance(data, Mapping):
            raise TimelineError(f"{where}: expected an object, got {type(data).__name__}")
        entries = data.get("entries")
        if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
            raise TimelineError(f"{where}.entries: expected a list of names, got {entries!r}")
        rows = data.get("samples")
        if not isinstance(rows, list):
            raise TimelineError(f"{where}.samples: expected a list, got {type(rows).__name__}")
        samples = []
        for index, row in enumerate(rows):
            if not isinstance(row, list) or len(row) > len(entries):
                raise TimelineError(
                    f"{where}.samples[{index}]: expected a list of at most {len(entries)} histograms, "
                    f"got {row!r}"
                )
            samples.append(
                tuple(_pairs(pairs, f"{where}.samples[{index}][{at}]") for at, pairs in enumerate(row))
            )
        return cls(entries=tuple(entries), samples=tuple(samples))


def interval_histograms(rows: Sequence[Mapping[str, Mapping[int, int]]]) -> IntervalHistograms:
    """`IntervalHistograms` of per-sample {entry: histogram} mappings (the child's samples)."""
    entries: dict[str, int] = {}
    for row in rows:
        for entry in row:
            entries.setdefault(entry, len(entries))
    samples = []
    for row in rows:
        width = max((entries[entry] + 1 for entry in row), default=0)
        cells: list[Mapping[int, int]] = [{} for _ in range(width)]
        for entry, histogram in row.items():
            cells[entries[entry]] = histogram
        samples.append(tuple(cells))
    return IntervalHistograms(entries=tuple(entries), samples=tuple(samples))


def _pairs(pairs: Any, where: str) -> dict[int, int]:
    if (
        not isinstance(pairs, list)
        or len(pairs) % 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in pairs)
    ):
        raise TimelineError(
            f"{where}: expected [ms, count, ms, count, ...] of whole numbers >= 0, got {pairs!r}"
        )
    return {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)}


@dataclass(frozen=True)
class TimelineSample:
    """The run during one progress interval."""

    elapsed: float
    users: int
    num_requests: int
    num_failures: int
    rps: float
    avg_ms: float
    p50_ms: float
    p95_ms: float
    cpu_percent: float | None = None
    """None: not measured (before Locust's first measurement, or a timeline stored before the column)."""

    def values(self) -> list[float | int | None]:
        return [
            round(self.elapsed, 2),
            self.users,
            self.num_requests,
            self.num_failures,
            round(self.rps, 2),
            round(self.avg_ms, 1),
            round(self.p50_ms, 1),
            round(self.p95_ms, 1),
            None if self.cpu_percent is None else round(self.cpu_percent, 1),
        ]


@dataclass(frozen=True)
class Timeline:
    """The samples of one run, oldest first, taken every `interval` seconds."""

    interval: float
    samples: tuple[TimelineSample, ...]
    histograms: IntervalHistograms | None = None
    """Each sample's histograms (suites with a windowed SLA); None: not kept."""

    def interval_failures(self) -> list[int]:
        """Failures during each interval (the samples hold running totals)."""
        previous = 0
        counts = []
        for sample in self.samples:
            counts.append(max(sample.num_failures - previous, 0))
            previous = sample.num_failures
        return counts

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "interval": self.interval,
            "columns": list(COLUMNS),
            "samples": [sample.values() for sample in self.samples],
        }
        if self.histograms is not None:
            data[HISTOGRAMS_KEY] = self.histograms.to_json()
        return data

    @classmethod
    def from_json(cls, data: Any, where: str) -> Timeline:
        if not isinstance(data, Mapping):
            raise TimelineError(f"{where}: expected an object, got {type(data).__name__}")
        interval: Any = data.get("interval")
        if not _is_number(interval) or interval <= 0:
            raise TimelineError(f"{where}.interval: expected a number > 0, got {interval!r}")
        columns = data.get("columns")
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise TimelineError(f"{where}.columns: expected a list of names, got {columns!r}")
        missing = [name for name in COLUMNS if name not in columns and name not in ADDED_COLUMNS]
        if missing:
            raise TimelineError(f"{where}.columns: {missing[0]!r} is missing")
        rows = data.get("samples")
        if not isinstance(rows, list):
            raise TimelineError(f"{where}.samples: expected a list, got {type(rows).__name__}")
        position = {name: columns.index(name) for name in COLUMNS if name in columns}
        nullable = {at for name, at in position.items() if name in ADDED_COLUMNS}
        samples = []
        for index, row in enumerate(rows):
            if (
                not isinstance(row, list)
                or len(row) != len(columns)
                or not all(_is_number(v) or (v is None and at in nullable) for at, v in enumerate(row))
            ):
                raise TimelineError(f"{where}.samples[{index}]: expected {len(columns)} numbers, got {row!r}")
            value = {name: row[at] for name, at in position.items()}
            cpu = value.get("cpu_percent")
            samples.append(
                TimelineSample(
                    elapsed=float(value["elapsed"]),
                    users=int(value["users"]),
                    num_requests=int(value["num_requests"]),
                    num_failures=int(value["num_failures"]),
                    rps=float(value["rps"]),
                    avg_ms=float(value["avg_ms"]),
                    p50_ms=float(value["p50_ms"]),
                    p95_ms=float(value["p95_ms"]),
                    cpu_percent=None if cpu is None else float(cpu),
                )
            )
        histograms = None
        if data.get(HISTOGRAMS_KEY) is not None:
            histograms = IntervalHistograms.from_json(data[HISTOGRAMS_KEY], f"{where}.{HISTOGRAMS_KEY}")
            if len(histograms.samples) != len(samples):
                raise TimelineError(
                    f"{where}.{HISTOGRAMS_KEY}.samples: expected {len(samples)} rows (one per sample), "
                    f"got {len(histograms.samples)}"
                )
        return cls(interval=float(interval), samples=tuple(samples), histograms=histograms)


def sample_interval(
    *,
    elapsed: float,
    users: int,
    num_requests: int,
    num_failures: int,
    seconds: float,
    interval_requests: int,
    interval_response_ms: float,
    interval_percentiles: Mapping[str, float],
    cpu_percent: float | None = None,
) -> TimelineSample:
    """A sample from the running totals and what completed during the last `seconds`."""
    return TimelineSample(
        elapsed=elapsed,
        users=users,
        num_requests=num_requests,
        num_failures=num_failures,
        rps=interval_requests / seconds if seconds > 0 else 0.0,
        avg_ms=interval_response_ms / interval_requests if interval_requests else 0.0,
        p50_ms=float(interval_percentiles.get("0.5", 0)),
        p95_ms=float(interval_percentiles.get("0.95", 0)),
        cpu_percent=cpu_percent,
    )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
