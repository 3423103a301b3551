"""`--bfd-report FILE` and `bfd-locust report`: one self-contained HTML page for a session's suites.

Everything is inline (CSS, the charts' SVG); the page has no script and loads nothing, so it opens
offline, from a CI artifact, from S3. Input is the `SuiteReport` model only.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterable, Sequence

from pytest_bfd_locust.figures import format_change, format_value_with_unit, iso_utc, stat_label
from pytest_bfd_locust.judge.comparison import StatComparison, TaskKey, task_scope
from pytest_bfd_locust.judge.verdict import Verdict
from pytest_bfd_locust.record import TaskStats
from pytest_bfd_locust.reports import charts
from pytest_bfd_locust.reports.model import Outcome, SuiteReport, acceptance_mark
from pytest_bfd_locust.reports.terminal import (
    format_fails_beyond,
    format_history_caveat,
    format_noise,
    format_reason,
    format_summary_line,
    format_threshold,
    is_unsure_pass,
)

MAX_ENDPOINT_CHARTS = 12
"""Percentile charts per suite beyond the totals' (the endpoints that moved most first)."""

KEY_STATISTICS = ("0.5", "0.95", "0.99", "average_response_time", "total_reqs_per_second", "num_failures")
"""Statistics the current-vs-baseline table always shows per scope; the rest are under "all"."""

_CSS = """
:root{--ok:#15803d;--bad:#b91c1c;--warn:#b45309;--muted:#6b7280;--line:#e5e7eb}
*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0;
color:#111827;background:#f3f4f6;line-height:1.45}
header{background:#111827;color:#f9fafb;padding:18px 28px}
header h1{margin:0 0 4px;font-size:22px}
header p{margin:0;color:#d1d5db}
nav{display:flex;flex-wrap:wrap;gap:8px;margin-top:12px}
nav a{color:#f9fafb;text-decoration:none;padding:3px 10px;border-radius:12px;font-size:13px;
background:#374151}
nav a.failed{background:var(--bad)}nav a.passed{background:var(--ok)}
nav a.inconclusive{background:var(--warn)}
main{padding:18px 28px;max-width:1400px}
section.suite{background:#fff;border:1px solid var(--line);border-radius:8px;padding:18px 22px;
margin:0 0 22px;overflow-x:auto}
h2{margin:0 0 6px;font-size:20px;display:flex;align-items:center;gap:10px}
h3{margin:22px 0 8px;font-size:15px;color:#374151}
.badge{font-size:12px;font-weight:700;letter-spacing:.04em;padding:2px 9px;border-radius:10px;color:#fff}
.badge.passed{background:var(--ok)}.badge.failed{background:var(--bad)}.badge.no-statistics{background:var(--muted)}
.badge.inconclusive{background:var(--warn)}
.meta{color:var(--muted);font-size:13px;margin:0}
.meta code{color:#374151}
ul.why{margin:10px 0 0;padding-left:20px}
ul.why li.reason{color:var(--bad)}ul.why li.note{color:var(--warn)}
ul.why li.caveat,ul.why li.unsure{color:var(--warn)}
ul.why li.accepted{color:#1d4ed8}
ul.accepted{margin:6px 0 0;padding-left:20px;font-size:13px}
table{border-collapse:collapse;font-size:13px;margin-top:4px}
.change{white-space:nowrap}
th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;white-space:nowrap}
th{background:#f9fafb;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.FAILURE td{background:#fef2f2}tr.WARNING td{background:#fffbeb}
td.FAILURE{color:var(--bad);font-weight:700}td.WARNING{color:var(--warn);font-weight:700}td.PASS{color:var(--ok)}
td.PASS.unsure{color:var(--warn);font-weight:700}tr.unsure td{background:#fffbeb}
td.why{white-space:normal;min-width:220px;max-width:380px;color:#374151}
details{margin-top:8px}summary{cursor:pointer;color:#374151;font-size:13px}
.charts{display:flex;flex-wrap:wrap;gap:14px}
figure.chart{margin:0;border:1px solid var(--line);border-radius:6px;padding:4px;background:#fff}
figure.chart svg{display:block;max-width:100%;height:auto}
figure.wide svg{width:560px}figure.small svg{width:420px}
p.empty{color:var(--muted);font-size:13px;margin:4px 0}
"""


def render_report(
    suites: Sequence[SuiteReport], *, title: str = "Load test report", generated: float | None = None
) -> str:
    """The whole page for `suites`, failed ones first (what a reader opens the report for), each
    group in the order given."""
    suites = sorted(suites, key=lambda suite: suite.outcome is Outcome.PASSED)
    when = iso_utc(time.time() if generated is None else generated)
    failed = sum(1 for suite in suites if suite.outcome is not Outcome.PASSED)
    plural = "s" if len(suites) != 1 else ""
    counts = f"{len(suites)} suite{plural}: {len(suites) - failed} passed, {failed} failed"
    nav = "".join(
        f'<a class="{_css_class(suite.outcome)}" href="#{_anchor(suite.suite)}">{_e(suite.suite)}</a>'
        for suite in suites
    )
    body = "\n".join(_suite_section(suite) for suite in suites) or '<p class="empty">No suite ran.</p>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)} {when}</title><style>{_CSS}</style></head>\n<body>"
        f"<header><h1>{_e(title)}</h1><p>{when} · {counts}</p><nav>{nav}</nav></header>\n"
        f"<main>{body}</main></body></html>\n"
    )


def _suite_section(suite: SuiteReport) -> str:
    parts = [
        f'<section class="suite" id="{_anchor(suite.suite)}">',
        f'<h2>{_e(suite.suite)} <span class="badge {_css_class(suite.outcome)}">'
        f"{suite.outcome.value.upper()}</span></h2>",
        _meta(suite),
        _why(suite),
    ]
    record = suite.record
    if record is not None:
        parts.append(_comparison_table(suite))
        parts.append(_charts(suite))
    parts.append("</section>")
    return "\n".join(part for part in parts if part)


def _meta(suite: SuiteReport) -> str:
    items = []
    record = suite.record
    if record is not None:
        meta = record.metadata
        items += [
            f"run <code>{_e(record.run_id or '-')}</code> of {iso_utc(meta.timestamp)}",
            f"host <code>{_e(record.host or '-')}</code>",
            f"{meta.num_total_users} users at {meta.num_users_per_second:g}/s for {meta.total_runtime:.0f} s",
            f"environment {_e(meta.environment)}",
            f"hash <code>{_e(meta.hash[:12])}</code>",
        ]
    items.append(
        f"compared against the {_e(suite.baseline_label)}" if suite.baseline_label else "no baseline compared"
    )
    lines = [" · ".join(items)]
    if suite.record_location:
        lines.append(f"record stored at <code>{_e(suite.record_location)}</code>")
    if suite.log_path:
        lines.append(f"Locust log <code>{_e(suite.log_path)}</code>")
    return "".join(f'<p class="meta">{line}</p>' for line in lines)


def _why(suite: SuiteReport) -> str:
    items = [f'<li class="reason">{_prose(reason)}</li>' for reason in suite.reasons]
    comparison = suite.comparison
    caveat = format_history_caveat(comparison)
    if caveat:
        items.append(f'<li class="caveat">{_prose(caveat)}</li>')
    if comparison is not None and suite.inconclusive is None:
        items += [
            f'<li class="unsure">{_prose(format_summary_line(row))}</li>'
            for row in comparison.stats
            if is_unsure_pass(row)
        ]
    items += [f'<li class="note">{_prose(note)}</li>' for note in suite.notes]
    if suite.acceptances:
        # Said first: an accepted run passes whatever its comparison says, and the reader must see why.
        tags = ", ".join(acceptance.tag for acceptance in suite.acceptances)
        items.insert(
            0,
            f'<li class="accepted">accepted as the new level under tag {_e(tags)}: '
            f"{_e(suite.acceptances[0].reason)}; later runs are compared against it</li>",
        )
    elif suite.outcome is Outcome.PASSED and not suite.reasons and suite.inconclusive is None:
        if comparison is None:
            verdict = "validation passed"
        elif _judged(comparison.stats):
            verdict = "every compared statistic passed; the table says what change would have failed each"
        else:
            verdict = "every compared statistic within its thresholds"
        items.insert(0, f"<li>{verdict}</li>")
    return f'<ul class="why">{"".join(items)}</ul>' if items else ""


JUDGE_COLUMNS = (
    "scope",
    "statistic",
    "baseline",
    "this run",
    "change",
    "fails beyond",
    "noise of one run",
    "result",
    "why",
)
"""The comparison table's columns under the judge: "fails beyond" is the smallest change that would
have failed the statistic on this run's evidence, "noise of one run" the run-to-run spread it was
built from (measured, or mostly the judge's prior), "why" the judge's reason."""

FIXED_RATIO_COLUMNS = ("scope", "statistic", "baseline", "this run", "change", "threshold", "result")
"""The comparison table's columns under the seed's fixed ratios."""


def _judged(rows: Sequence[StatComparison]) -> bool:
    return bool(rows) and all(row.judgement is not None for row in rows)


def _comparison_table(suite: SuiteReport) -> str:
    comparison = suite.comparison
    record = suite.record
    assert record is not None
    if comparison is None:
        return "<h3>This run</h3>" + _figures_table([record.totals, *record.tasks])
    key_rows = [
        row
        for row in comparison.stats
        if row.verdict is not Verdict.PASS or row.stat in KEY_STATISTICS or is_unsure_pass(row)
    ]
    judged = _judged(comparison.stats)
    columns = JUDGE_COLUMNS if judged else FIXED_RATIO_COLUMNS
    header = "<tr>" + "".join(f"<th>{_e(column)}</th>" for column in columns) + "</tr>"
    render = _judged_row if judged else _row
    table = f"<table>{header}{''.join(render(row) for row in key_rows)}</table>"
    everything = (
        f"<details><summary>all {len(comparison.stats)} compared statistics</summary>"
        f"<table>{header}{''.join(render(row) for row in comparison.stats)}</table></details>"
    )
    return "<h3>This run against the baseline</h3>" + table + everything


def _row(row: StatComparison) -> str:
    return (
        f'<tr class="{row.verdict.value}"><td>{_e(row.scope)}</td><td>{_e(stat_label(row.stat))}</td>'
        f'<td class="num">{_e(format_value_with_unit(row.stat, row.baseline))}</td>'
        f'<td class="num">{_e(format_value_with_unit(row.stat, row.current))}</td>'
        f'<td class="num">{format_change(row.baseline, row.current)}</td>'
        f"<td>{_e(format_threshold(row))}</td>"
        f'<td class="{row.verdict.value}">{row.verdict.value}</td></tr>'
    )


def _judged_row(row: StatComparison) -> str:
    """A judged statistic: its bar, the noise it rests on and the judge's reason beside the verdict;
    a large worsening that passed for want of requests is marked unsure, never a plain green PASS."""
    judgement = row.judgement
    assert judgement is not None
    verdict = row.verdict.value
    result_class = f"{verdict} unsure" if is_unsure_pass(row) else verdict
    return (
        f'<tr class="{result_class}"><td>{_e(row.scope)}</td><td>{_e(stat_label(row.stat))}</td>'
        f'<td class="num">{_e(format_value_with_unit(row.stat, row.baseline))}</td>'
        f'<td class="num">{_e(format_value_with_unit(row.stat, row.current))}</td>'
        f'<td class="num">{format_change(row.baseline, row.current)}</td>'
        f'<td class="num">{_e(format_fails_beyond(row))}</td>'
        f"<td>{_e(format_noise(judgement))}</td>"
        f'<td class="{result_class}">{verdict}</td>'
        f'<td class="why">{_e(format_reason(row, judgement))}</td></tr>'
    )


def _figures_table(entries: Iterable[TaskStats]) -> str:
    header = (
        "<tr>"
        + "".join(
            f"<th>{name}</th>" for name in ("scope", "requests", "failures", "p50", "p95", "p99", "req/s")
        )
        + "</tr>"
    )
    rows = []
    for entry in entries:
        percentiles = entry.response_time_percentiles
        scope = (
            "totals"
            if entry.request_method == "" and entry.task_name == "Aggregated"
            else task_scope(entry.key)
        )
        rows.append(
            f"<tr><td>{_e(scope)}</td><td class=num>{entry.num_requests}</td>"
            f"<td class=num>{entry.num_failures}</td>"
            f"<td class=num>{percentiles.get('0.5', 0)} ms</td>"
            f"<td class=num>{percentiles.get('0.95', 0)} ms</td>"
            f"<td class=num>{percentiles.get('0.99', 0)} ms</td>"
            f"<td class=num>{format_value_with_unit('total_reqs_per_second', entry.total_reqs_per_second)}"
            "</td></tr>"
        )
    return f"<table>{header}{''.join(rows)}</table>"


def _charts(suite: SuiteReport) -> str:
    record = suite.record
    assert record is not None
    sections = []
    percentile_figures = [
        _figure(
            "percentiles-totals",
            charts.percentile_chart("totals", _percentiles(record.totals), suite.baseline),
            "small",
        )
    ]
    for key in _endpoints_by_change(suite)[:MAX_ENDPOINT_CHARTS]:
        task = record.task(key)
        if task is None:
            continue
        baseline = suite.baseline_tasks.get(key)
        chart = charts.percentile_chart(task_scope(key), _percentiles(task), baseline)
        percentile_figures.append(_figure(f"percentiles-{task_scope(key)}", chart, "small"))
    omitted = len(record.tasks) - (len(percentile_figures) - 1)
    more = f'<p class="empty">{omitted} more endpoint(s) not charted.</p>' if omitted > 0 else ""
    sections.append(
        "<h3>Response-time percentiles per endpoint</h3>"
        + f'<div class="charts">{"".join(percentile_figures)}</div>{more}'
    )
    if record.timeline is not None and record.timeline.samples:
        response = charts.response_timeline_chart(record.timeline, suite.breached_windows)
        timeline = _figure(
            "timeline-throughput", charts.throughput_timeline_chart(record.timeline), "wide"
        ) + _figure("timeline-response", response, "wide")
        sections.append(f'<h3>Over the run</h3><div class="charts">{timeline}</div>')
    else:
        sections.append(
            '<h3>Over the run</h3><p class="empty">This record has no timeline '
            "(recorded before timelines were kept).</p>"
        )
    if len(suite.history) > 1:
        history = _figure(
            "history-response",
            charts.history_chart(suite.history, suite.change_points, ("median_response_time", "0.95")),
            "wide",
        ) + _figure(
            "history-throughput",
            charts.history_chart(suite.history, suite.change_points, ("total_reqs_per_second",)),
            "wide",
        )
        sections.append(
            f'<h3>History of the last {len(suite.history)} runs</h3><div class="charts">{history}</div>'
            + _accepted_runs(suite)
        )
    else:
        sections.append(
            '<h3>History</h3><p class="empty">The first stored run of this hash: no history yet.</p>'
        )
    if record.totals.num_failures or record.errors:
        sections.append(
            '<h3>Errors</h3><div class="charts">'
            f"{_figure('errors', charts.errors_chart(record), 'wide')}</div>" + _errors_table(suite)
        )
    else:
        sections.append('<h3>Errors</h3><p class="empty">No request failed.</p>')
    return "\n".join(sections)


def _accepted_runs(suite: SuiteReport) -> str:
    """The history's accepted runs, each with its reason: where a new level starts and why."""
    items = [
        f"<li>run <code>{_e(run.record.run_id or '-')}</code> of {iso_utc(run.record.metadata.timestamp)} "
        f"{_e(acceptance_mark(acceptance))}</li>"
        for run in suite.history
        for acceptance in run.acceptances
    ]
    return f'<ul class="accepted">{"".join(items)}</ul>' if items else ""


def _errors_table(suite: SuiteReport) -> str:
    record = suite.record
    assert record is not None
    if not record.errors:
        return ""
    rows = "".join(
        f"<tr><td>{_e(task_scope((error.task_name, error.request_method)))}</td><td>{_e(error.error)}</td>"
        f"<td class=num>{error.occurrences}</td></tr>"
        for error in sorted(record.errors, key=lambda error: -error.occurrences)
    )
    return f"<table><tr><th>endpoint</th><th>error</th><th>occurrences</th></tr>{rows}</table>"


def _endpoints_by_change(suite: SuiteReport) -> list[TaskKey]:
    record = suite.record
    assert record is not None
    worst: dict[TaskKey, float] = {task.key: 0.0 for task in record.tasks}
    if suite.comparison is not None:
        for row in suite.comparison.stats:
            if row.task is not None:
                worst[row.task] = max(worst.get(row.task, 0.0), row.ratio)
    return sorted(worst, key=lambda key: (-worst[key], key))


def _percentiles(entry: TaskStats) -> dict[str, float]:
    return {key: float(ms) for key, ms in entry.response_time_percentiles.items()}


def _figure(name: str, svg: str, size: str) -> str:
    return f'<figure class="chart {size}" data-chart="{_e(name)}">{svg}</figure>'


def _css_class(outcome: Outcome) -> str:
    return outcome.value.replace(" ", "-")


def _anchor(name: str) -> str:
    return "suite-" + "".join(c if c.isalnum() or c in "-_" else "-" for c in name)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


_CHANGE = re.compile(r"(\S+(?: (?:ms|s|/s|%|req/s))?) -&gt; (\S+(?: (?:ms|s|/s|%|req/s))?)")
"""A change as the formatters write it ("3.1 ms -> 49.4 ms"), once escaped."""


def _prose(text: str) -> str:
    """Escaped text whose changes never break across lines (a browser breaks after the hyphen of
    "->" and at every space: "3.1 ms -" at the end of one line, "> 49.4 ms" on the next)."""
    return _CHANGE.sub(r'<span class="change">\1 -&gt; \2</span>', _e(text))
