"""The report's charts as static SVG, drawn by pygal: no script, no network, nothing to install.

Why pygal (ARCHITECTURE.md has the comparison): a 130 KB pure-Python wheel with one dependency
that renders server-side SVG a browser shows offline, so it ships in the Lambda's zip; Vega-Lite
through vl-convert is a 34 MB native wheel, plotly inlines 4.6 MB of JavaScript per report, and
matplotlib brings numpy and Pillow. Every function returns one `<svg>` element to inline.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import pygal
from pygal.style import Style

from pytest_bfd_locust.figures import iso_utc, stat_label
from pytest_bfd_locust.histogram import PERCENTILE_KEYS
from pytest_bfd_locust.judge.changepoints import ChangePoint
from pytest_bfd_locust.judge.comparison import TaskKey, task_scope
from pytest_bfd_locust.judge.generator_health import SATURATED_CPU_PERCENT, saturated_intervals
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.reports.model import HistoryRun
from pytest_bfd_locust.timeline import Timeline

CHART_PERCENTILES = tuple(key for key in PERCENTILE_KEYS if key not in ("0.9999", "1.0"))
"""p50 .. p99.9: the tail beyond is one or two requests in a short run."""

BASELINE_COLOR = "#8c96a8"
CURRENT_COLOR = "#2563eb"
FAILURE_COLOR = "#dc2626"
MARK_COLOR = "#f59e0b"
ACCEPTED_COLOR = "#1d4ed8"
"""Accepted runs in the history chart: where a new level starts."""
BREACH_BAND_COLOR = "rgba(220, 38, 38, 0.18)"
"""The SLA's breached windows behind the response-time lines (FAILURE_COLOR, see-through)."""
SATURATED_COLOR = "#f97316"
"""The intervals in which the load generator was saturated, on the timeline chart."""
P95_COLOR = "#9333ea"
AVERAGE_COLOR = "#16a34a"

_STYLE_OPTIONS: dict[str, object] = dict(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2937",
    foreground_strong="#111827",
    foreground_subtle="#e5e7eb",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=14,
    value_font_size=10,
    tooltip_font_size=11,
    opacity=".9",
    opacity_hover="1",
)


def _style(*colors: str) -> Style:
    """The report's style with one color per series, in the order the series are added."""
    return Style(colors=colors, **_STYLE_OPTIONS)


def _config(
    title: str, colors: Sequence[str], *, width: int = 560, height: int = 300, **options: object
) -> dict[str, object]:
    return {
        "title": title,
        "width": width,
        "height": height,
        "style": _style(*colors),
        # pygal's tooltips load a script from a CDN by default: none, the report opens offline.
        "js": [],
        "disable_xml_declaration": True,
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "margin": 8,
        "margin_bottom": 26,
        "legend_box_size": 10,
        "show_minor_x_labels": True,
        "truncate_legend": -1,
        **options,
    }


_SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _svg(chart: pygal.graph.graph.Graph) -> str:
    # pygal always writes its tooltip configuration as an inline script for the tooltip code it
    # would load from a CDN; without that code the script is dead weight, and the page keeps none.
    return _SCRIPT.sub("", str(chart.render(is_unicode=True)))


def percentile_chart(scope: str, current: Mapping[str, float], baseline: Mapping[str, float] | None) -> str:
    """Response time at p50 .. p99.9 of one endpoint (or the totals), the baseline's beside this run's."""
    keys = [key for key in CHART_PERCENTILES if key in current]
    colors = (BASELINE_COLOR, CURRENT_COLOR) if baseline is not None else (CURRENT_COLOR,)
    chart = pygal.Line(
        **_config(scope, colors, width=420, height=280, y_title="ms", dots_size=3, include_x_axis=True)
    )
    chart.x_labels = [stat_label(key) for key in keys]
    if baseline is not None:
        chart.add(
            "baseline", [baseline.get(key) for key in keys], stroke_style={"width": 2, "dasharray": "6,4"}
        )
    chart.add("this run", [current[key] for key in keys])
    return _svg(chart)


def throughput_timeline_chart(timeline: Timeline) -> str:
    """Requests/s and failures/s over the run's own time."""
    chart = pygal.XY(
        **_config(
            "Requests/s and failures/s over the run",
            (CURRENT_COLOR, FAILURE_COLOR),
            x_title="seconds since start",
            dots_size=2,
            include_x_axis=True,
        )
    )
    failures = timeline.interval_failures()
    chart.add("requests/s", [(s.elapsed, s.rps) for s in timeline.samples])
    chart.add(
        "failures/s",
        [(s.elapsed, count / timeline.interval) for s, count in zip(timeline.samples, failures, strict=True)],
    )
    return _svg(chart)


def response_timeline_chart(timeline: Timeline, breached: Sequence[tuple[float, float]] = ()) -> str:
    """Average, median and p95 response time of each interval over the run's own time; the SLA's
    breached windows (`breached`, seconds since start) as pale red bands behind the lines."""
    spans = merge_spans(breached)
    colors = (P95_COLOR, CURRENT_COLOR, AVERAGE_COLOR, SATURATED_COLOR)
    chart = pygal.XY(
        **_config(
            "Response time over the run",
            (BREACH_BAND_COLOR, *colors) if spans else colors,
            x_title="seconds since start",
            y_title="ms",
            dots_size=2,
            include_x_axis=True,
            allow_interruptions=True,
        )
    )
    busy = [s for s in timeline.samples if s.rps > 0]
    if spans:
        # Drawn first, so the lines stay on top: one closed rectangle per span, up to the top line.
        top = max((s.p95_ms for s in busy), default=0.0) * 1.05 or 1.0
        points: list[tuple[float, float] | None] = []
        for start, end in spans:
            points.extend([(start, 0.0), (start, top), (end, top), (end, 0.0), None])
        chart.add("SLA breached", points[:-1], fill=True, show_dots=False, stroke_style={"width": 0})
    chart.add("p95", [(s.elapsed, s.p95_ms) for s in busy])
    chart.add("median", [(s.elapsed, s.p50_ms) for s in busy])
    chart.add("average", [(s.elapsed, s.avg_ms) for s in busy])
    _mark_saturation(chart, timeline, top=max((s.p95_ms for s in busy), default=0.0))
    return _svg(chart)


def merge_spans(spans: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Overlapping or touching (start, end) spans as one each: sliding windows overlap."""
    merged: list[tuple[float, float]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _mark_saturation(chart: pygal.XY, timeline: Timeline, *, top: float) -> None:
    """A thick bar along the top of the chart over each interval in which the load generator was
    saturated (`generator_health.saturated_intervals`): its response times there are its own."""
    spans = saturated_intervals(timeline)
    if not spans:
        return
    points: list[tuple[float | None, float | None]] = []
    for start, end in spans:
        points += [(start, top), (end, top), (None, None)]
    chart.add(
        f"load generator above {SATURATED_CPU_PERCENT:.0f} % CPU",
        points[:-1],
        stroke_style={"width": 8},
        allow_interruptions=True,
        show_dots=False,
    )


def history_chart(
    runs: Sequence[HistoryRun], change_points: Sequence[ChangePoint], statistics: Sequence[str]
) -> str:
    """The totals' `statistics` over the last runs, baseline runs, change points, accepted and
    inconclusive runs marked."""
    # Month, day and time in UTC: the year is rarely news in a history of the last runs.
    labels = [iso_utc(run.record.metadata.timestamp).replace("T", " ")[5:19] for run in runs]
    unit = "req/s" if statistics == ("total_reqs_per_second",) else "ms"
    title = "History: " + ", ".join(stat_label(name) for name in statistics) + f" ({unit}) per run"
    changed = {(point.timestamp, point.run_id) for point in change_points if point.statistic in statistics}
    line_colors = (CURRENT_COLOR, P95_COLOR)[: len(statistics)]
    marks = [
        _Mark("baseline run", BASELINE_COLOR, 7, lambda run: run.is_baseline),
        _Mark("this run", "#111827", 7, lambda run: run.is_current),
    ]
    if changed:
        marks.append(
            _Mark(
                "change point",
                MARK_COLOR,
                9,
                lambda run: (run.record.metadata.timestamp, run.record.run_id) in changed,
            )
        )
    if any(run.acceptances for run in runs):
        # Where a new level was accepted (the history table and the report list the reason).
        marks.append(_Mark("accepted as new level", ACCEPTED_COLOR, 9, lambda run: bool(run.acceptances)))
    if any(run.record.inconclusive for run in runs):
        # A saturated generator's run: never a baseline (the history table says why).
        marks.append(
            _Mark(
                "inconclusive (generator saturated)",
                SATURATED_COLOR,
                9,
                lambda run: bool(run.record.inconclusive),
            )
        )
    chart = pygal.Line(
        **_config(
            title,
            line_colors + tuple(mark.color for mark in marks),
            x_label_rotation=30,
            dots_size=3,
            y_title=unit,
            include_x_axis=True,
        )
    )
    chart.x_labels = labels
    values = {
        name: [run.record.totals.stat(name) if _has(run.record, name) else None for run in runs]
        for name in statistics
    }
    for name in statistics:
        chart.add(stat_label(name), values[name])
    top = statistics[-1]
    for mark in marks:
        chart.add(
            mark.label,
            [value if mark.marks(run) else None for run, value in zip(runs, values[top], strict=True)],
            stroke=False,
            dots_size=mark.dots_size,
        )
    return _svg(chart)


class _Mark(NamedTuple):
    """A series of dots on the history's top line: the runs it marks, its legend, color and size."""

    label: str
    color: str
    dots_size: int
    marks: Callable[[HistoryRun], bool]


def errors_chart(record: Record) -> str:
    """Failed requests per endpoint."""
    failures: dict[TaskKey, int] = {}
    for error in record.errors:
        key = (error.task_name, error.request_method)
        failures[key] = failures.get(key, 0) + error.occurrences
    if not failures:
        failures = {task.key: task.num_failures for task in record.tasks if task.num_failures}
    chart = pygal.HorizontalBar(
        **_config(
            "Failures by endpoint",
            (FAILURE_COLOR,),
            height=max(160, 70 + 34 * len(failures)),
            show_legend=False,
            include_x_axis=True,
        )
    )
    ordered = sorted(failures.items(), key=lambda item: item[1])
    chart.x_labels = [task_scope(key) for key, _ in ordered]
    chart.add("failures", [count for _, count in ordered])
    return _svg(chart)


def _has(record: Record, name: str) -> bool:
    try:
        record.totals.stat(name)
    except KeyError:
        return False
    return True
