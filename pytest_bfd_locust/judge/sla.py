"""A suite's SLA beyond the totals' percentiles: per endpoint, per time window, a throughput floor,
and the breach that stops a run early (`abort_on_breach`). Pure.

The catalog's `sla:` block becomes `SlaRules` (suite_run.py); `judge/validation.py` turns what is
found here into `ValidationFailure`s after the run, and the Locust child asks `latest_window_breach`
or `so_far_breach` at each sample while the run goes on. Both sides read the same rules and the
same wording, so a breach that aborted a run reads as the one found after a whole run.

**Windows.** A window is `samples_per_window` consecutive timeline samples (the child samples every
`progress_interval`, 1 s by default); its percentiles come from the merged histograms of those
samples, i.e. from exactly the requests that completed in it (Locust's percentile rule over them),
never from an average of the samples' percentiles. Windows slide one sample at a time, so a stall
is caught wherever it starts. When the interval does not divide the window, the window is the
nearest whole number of samples (at least one): a `window: 10s` sampled every 3 s is 3 samples (9 s)
and says so in its breach (`00:00-00:09`). A run shorter than one window is evaluated as one window.
A window in which an endpoint completed no request says nothing about that endpoint (a missing
endpoint is judged once, on the whole run: `missing_endpoints`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pytest_bfd_locust.histogram import Histogram, percentiles_from_histogram
from pytest_bfd_locust.record import Record, TaskStats
from pytest_bfd_locust.timeline import TOTALS_ENTRY, Timeline, entry_key

SLA_PERCENTILES: Mapping[str, str] = {"p50": "0.5", "p95": "0.95", "p99": "0.99"}
"""SLA names in the catalog -> percentile keys of the record."""

ABORT_PREFIX = "aborted at "
"""How the reason of a run stopped on a breach begins (`aborted at 43 s: p95 ...`): the child writes
it with `abort_reason`, validation recognises it with `is_breach_abort`."""


@dataclass(frozen=True)
class SlaRules:
    """A suite's SLA as plain values: what the judge checks after the run and the child while it runs."""

    totals: Mapping[str, int] = field(default_factory=dict)
    """SLA name (p50, p95, p99) -> limit in ms on the totals."""
    endpoints: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """`METHOD name` (as the record shows an endpoint) -> SLA name -> limit in ms."""
    window: float | None = None
    """Seconds: every window of this length must hold the totals' and endpoints' limits too."""
    min_rps: float | None = None
    """Throughput floor on the totals (requests/s over the whole run)."""

    def scopes(self) -> list[tuple[str | None, Mapping[str, int]]]:
        """(endpoint or None for the totals, its limits), totals first, only those with limits."""
        scopes: list[tuple[str | None, Mapping[str, int]]] = []
        if self.totals:
            scopes.append((None, self.totals))
        scopes.extend((endpoint, limits) for endpoint, limits in self.endpoints.items() if limits)
        return scopes

    def to_json(self) -> dict[str, Any]:
        return {
            "totals": dict(self.totals),
            "endpoints": {name: dict(limits) for name, limits in self.endpoints.items()},
            "window": self.window,
            "min_rps": self.min_rps,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SlaRules:
        """What `to_json` wrote (the child's control file: written and read by this project only)."""
        return cls(
            totals={str(k): int(v) for k, v in data.get("totals", {}).items()},
            endpoints={
                str(name): {str(k): int(v) for k, v in limits.items()}
                for name, limits in data.get("endpoints", {}).items()
            },
            window=None if data.get("window") is None else float(data["window"]),
            min_rps=None if data.get("min_rps") is None else float(data["min_rps"]),
        )


@dataclass(frozen=True)
class WindowBreach:
    """A limit broken in one or more windows: the first such window, and every one of them."""

    endpoint: str | None
    """None: the totals."""
    statistic: str
    """p50, p95 or p99."""
    limit_ms: int
    measured_ms: int
    """The statistic in the first breached window."""
    start: float
    end: float
    """The first breached window, seconds since the run started."""
    windows: tuple[tuple[float, float], ...] = ()
    """Every breached window (start, end), for the report's chart."""
    evaluated: int = 1
    """How many windows were evaluated for this limit."""

    def describe(self) -> str:
        """`p95 1.8 s in 00:40-00:50 > 1000 ms`."""
        return (
            f"{self.statistic} {format_ms(self.measured_ms)} in {clock(self.start)}-{clock(self.end)} "
            f"> {self.limit_ms} ms"
        )

    def scoped(self) -> str:
        """`describe` with the endpoint first: `GET /slow p95 1.8 s in 00:40-00:50 > 400 ms`."""
        return f"{self.endpoint} {self.describe()}" if self.endpoint else self.describe()

    @property
    def rule(self) -> str:
        scope = f" {self.endpoint}" if self.endpoint else ""
        return f"SLA{scope} {self.statistic}"


def format_ms(ms: float) -> str:
    """`850 ms` below a second, `1.8 s` from one."""
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def clock(seconds: float) -> str:
    """Seconds since the run started as `mm:ss` (minutes go past 59 rather than adding hours)."""
    whole = max(int(round(seconds)), 0)
    return f"{whole // 60:02d}:{whole % 60:02d}"


def samples_per_window(window: float, interval: float) -> int:
    """The nearest whole number of samples to a window (at least one; see the module's docstring)."""
    return max(1, round(window / interval))


def abort_reason(elapsed: float, breach: str) -> str:
    """The reason a run stopped on a breach: `aborted at 43 s: p95 1.8 s in 00:40-00:50 > 1000 ms`."""
    return f"{ABORT_PREFIX}{elapsed:.0f} s: {breach}"


def is_breach_abort(reason: str | None) -> bool:
    return bool(reason) and str(reason).startswith(ABORT_PREFIX)


def _sliding(series: Sequence[Histogram], width: int) -> Iterator[tuple[int, int, Mapping[int, int]]]:
    """(first, last, merged histogram) of every run of `width` consecutive samples, sliding by one.

    One running histogram: each step adds the newest sample and removes the one that left, so an
    hour of windows costs one pass, not one merge per window. The mapping yielded is reused.
    """
    width = min(width, len(series))
    running: dict[int, int] = {}
    for last, histogram in enumerate(series):
        for ms, count in histogram.items():
            running[ms] = running.get(ms, 0) + count
        if last >= width:
            for ms, count in series[last - width].items():
                left = running[ms] - count
                if left:
                    running[ms] = left
                else:
                    del running[ms]
        if last >= width - 1:
            yield last - width + 1, last, running


def _window_breaches(
    series: Sequence[Histogram],
    ends: Sequence[float],
    width: int,
    endpoint: str | None,
    limits: Mapping[str, int],
) -> list[WindowBreach]:
    """The limits of one scope broken in any window (`ends[i]`: when sample i was taken)."""
    found: dict[str, WindowBreach] = {}
    windows: dict[str, list[tuple[float, float]]] = {name: [] for name in limits}
    evaluated = 0
    for first, last, merged in _sliding(series, width):
        count = sum(merged.values())
        if not count:
            continue
        evaluated += 1
        percentiles = percentiles_from_histogram(merged, count)
        start = ends[first - 1] if first > 0 else 0.0
        for name, limit in limits.items():
            measured = percentiles[SLA_PERCENTILES[name]]
            if measured > limit:
                windows[name].append((start, ends[last]))
                found.setdefault(name, WindowBreach(endpoint, name, limit, measured, start, ends[last]))
    return [
        WindowBreach(
            b.endpoint,
            b.statistic,
            b.limit_ms,
            b.measured_ms,
            b.start,
            b.end,
            windows=tuple(windows[name]),
            evaluated=evaluated,
        )
        for name, b in found.items()
    ]


def window_breaches(timeline: Timeline | None, rules: SlaRules) -> tuple[WindowBreach, ...]:
    """Every windowed limit the run broke (totals first, then endpoints in the SLA's order).

    Empty when the SLA has no window, or the timeline kept no histograms (a record from before
    windows, or a run whose child did not keep them): `window_unevaluated` says so.
    """
    if rules.window is None or timeline is None or timeline.histograms is None:
        return ()
    width = samples_per_window(rules.window, timeline.interval)
    ends = [sample.elapsed for sample in timeline.samples]
    breaches: list[WindowBreach] = []
    for endpoint, limits in rules.scopes():
        series = timeline.histograms.series(TOTALS_ENTRY if endpoint is None else endpoint)
        breaches.extend(_window_breaches(series, ends, width, endpoint, limits))
    return tuple(breaches)


def window_unevaluated(timeline: Timeline | None, rules: SlaRules) -> bool:
    """The SLA has a window and limits, but the record holds no per-sample histograms to check it."""
    return bool(rules.window is not None and rules.scopes()) and (
        timeline is None or timeline.histograms is None or not timeline.samples
    )


def latest_window_breach(
    rows: Sequence[Mapping[str, Histogram]], ends: Sequence[float], interval: float, rules: SlaRules
) -> WindowBreach | None:
    """The first limit broken by the newest full window of samples (the child, at each sample).

    `rows[i]` is sample i's {entry: histogram} (`TOTALS_ENTRY` and `entry_key`s), `ends[i]` when it
    was taken. None while the run has fewer samples than a window, or nothing is broken.
    """
    if rules.window is None:
        return None
    width = samples_per_window(rules.window, interval)
    if len(rows) < width:
        return None
    recent = rows[-width:]
    start = ends[-width - 1] if len(ends) > width else 0.0
    for endpoint, limits in rules.scopes():
        entry = TOTALS_ENTRY if endpoint is None else endpoint
        merged: dict[int, int] = {}
        for row in recent:
            for ms, count in row.get(entry, {}).items():
                merged[ms] = merged.get(ms, 0) + count
        count = sum(merged.values())
        if not count:
            continue
        percentiles = percentiles_from_histogram(merged, count)
        for name, limit in limits.items():
            measured = percentiles[SLA_PERCENTILES[name]]
            if measured > limit:
                return WindowBreach(endpoint, name, limit, measured, start, ends[-1])
    return None


def so_far_breach(percentiles: Mapping[str, Mapping[str, int]], rules: SlaRules) -> str | None:
    """The first whole-run limit the run so far breaks (an SLA without a window), in words.

    `percentiles`: entry (`TOTALS_ENTRY` or `entry_key`) -> Locust's percentile keys -> ms, of the
    requests so far. Endpoints that answered nothing yet are not judged here.
    """
    for endpoint, limits in rules.scopes():
        measured_by_key = percentiles.get(TOTALS_ENTRY if endpoint is None else endpoint)
        if not measured_by_key:
            continue
        for name, limit in limits.items():
            measured = measured_by_key.get(SLA_PERCENTILES[name], 0)
            if measured > limit:
                scope = f"{endpoint} " if endpoint else ""
                return f"{scope}{name} {format_ms(measured)} so far > {limit} ms"
    return None


def task_by_endpoint(record: Record) -> dict[str, TaskStats]:
    """The record's endpoints by the key an SLA names them with (`entry_key`)."""
    return {entry_key(task.request_method, task.task_name): task for task in record.tasks}


def missing_endpoints(record: Record, rules: SlaRules) -> list[str]:
    """Endpoints the SLA names that recorded no request: each fails the suite by name."""
    tasks = task_by_endpoint(record)
    return [name for name in rules.endpoints if name not in tasks or tasks[name].num_requests == 0]
