"""The CI summary: a session's suites as Markdown (GitHub's step summary, `--bfd-markdown FILE`).

Pure. One table per session: suite, outcome, requests, failures, p50/p95, the change against the
baseline, the worst regressions; then, per suite, what its verdict cannot yet see (a history too
short to measure the noise, large worsenings that passed for want of requests) and, folded, every
compared statistic with the change that would have failed it; the runs accepted as a new level, with their
reasons; then where the HTML report is.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from pytest_bfd_locust.figures import format_change, format_value_with_unit, stat_label
from pytest_bfd_locust.judge.comparison import Comparison, StatComparison
from pytest_bfd_locust.judge.generator_health import inconclusive_message
from pytest_bfd_locust.reports.model import Outcome, SuiteReport, acceptance_mark
from pytest_bfd_locust.reports.terminal import (
    format_fails_beyond,
    format_history_caveat,
    format_reason,
    format_summary_line,
    format_threshold,
    is_unsure_pass,
)

SUMMARY_COLUMNS = (
    "suite",
    "outcome",
    "requests",
    "failures",
    "p50 / p95",
    "p95 vs baseline",
    "worst regressions",
)

STATISTIC_COLUMNS = ("scope", "statistic", "baseline", "current", "change", "fails beyond", "result", "why")
"""The folded table of a judged suite's compared statistics ("fails beyond": the smallest change that
would have failed it on this run's evidence)."""

FIXED_RATIO_STATISTIC_COLUMNS = ("scope", "statistic", "baseline", "current", "change", "threshold", "result")
"""The folded table of a suite compared by the seed's fixed ratios."""

_OUTCOME_MARK = {
    Outcome.PASSED: "✅ passed",
    Outcome.FAILED: "❌ failed",
    Outcome.NO_STATISTICS: "❌ no statistics",
    Outcome.INCONCLUSIVE: "❌ inconclusive",
}


def render_markdown(suites: Sequence[SuiteReport], *, report_path: str | None) -> str:
    """The summary of one session; ends with a newline so appended sessions stay apart."""
    failed = sum(1 for suite in suites if suite.outcome is not Outcome.PASSED)
    lines = [
        f"### bfd-locust: {len(suites) - failed} passed, {failed} failed",
        "",
        "| " + " | ".join(SUMMARY_COLUMNS) + " |",
        "|"
        + "|".join("---:" if name in ("requests", "failures") else "---" for name in SUMMARY_COLUMNS)
        + "|",
    ]
    lines += ["| " + " | ".join(_cells(suite)) + " |" for suite in suites]
    lines.append("")
    for suite in suites:
        lines += _suite_notes(suite)
    for suite in suites:
        if suite.comparison is not None and suite.comparison.stats:
            lines += _statistics(suite.suite, suite.comparison)
    lines += _accepted_lines(suites)
    if report_path:
        lines.append(f"HTML report: `{report_path}`")
        lines.append("")
    return "\n".join(lines)


def _cells(suite: SuiteReport) -> list[str]:
    record = suite.record
    if record is None:
        reason = suite.reasons[0] if suite.reasons else "no statistics"
        return [_cell(suite.suite), _OUTCOME_MARK[suite.outcome], "-", "-", "-", "-", _cell(reason)]
    totals = record.totals
    percentiles = totals.response_time_percentiles
    change = "no baseline"
    if suite.baseline is not None and "0.95" in suite.baseline:
        change = format_change(suite.baseline["0.95"], float(percentiles.get("0.95", 0)))
    worst = [_worst(row) for row in suite.worst_regressions()]
    if not worst and suite.outcome is not Outcome.PASSED:
        worst = list(suite.reasons[:2])
    elif suite.inconclusive is not None:  # passed: --bfd-inconclusive warn
        worst = [inconclusive_message(suite.inconclusive)]
    return [
        _cell(suite.suite),
        _OUTCOME_MARK[suite.outcome],
        str(totals.num_requests),
        str(totals.num_failures),
        f"{percentiles.get('0.5', 0)} / {percentiles.get('0.95', 0)} ms",
        change,
        _cell("; ".join(worst)) if worst else "-",
    ]


def _worst(row: StatComparison) -> str:
    """ "totals p95 +300 % (FAILURE, fails beyond +41 %)"; the seed's rows name no bar."""
    change = format_change(row.baseline, row.current)
    text = f"{row.scope} {stat_label(row.stat)} {change} ({row.verdict.value}"
    if row.judgement is not None:
        text += f", fails beyond {format_fails_beyond(row)}"
    return text + ")"


def _suite_notes(suite: SuiteReport) -> list[str]:
    """One bullet per caveat of a suite: its history too short to measure the noise, and each large
    worsening that passed because the runs were too small to be sure."""
    comparison = suite.comparison
    if comparison is None or suite.inconclusive is not None:
        return []
    caveat = format_history_caveat(comparison)
    notes = ([caveat] if caveat else []) + [
        format_summary_line(row) for row in comparison.stats if is_unsure_pass(row)
    ]
    lines = [f"- **{_cell(suite.suite)}**: {_cell(note)}" for note in notes]
    return lines + [""] if lines else []


def _statistics(suite: str, comparison: Comparison) -> list[str]:
    """Every compared statistic of a suite, folded (GitHub renders `<details>`)."""
    judged = all(row.judgement is not None for row in comparison.stats)
    columns = STATISTIC_COLUMNS if judged else FIXED_RATIO_STATISTIC_COLUMNS
    lines = [
        # An HTML block: Markdown is not read inside it, HTML is (so escaped as HTML, not as Markdown).
        f"<details><summary>{html.escape(' '.join(suite.split()))}: {len(comparison.stats)} compared"
        " statistics</summary>",
        "",
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---:" if name in _NUMERIC else "---" for name in columns) + "|",
    ]
    for row in comparison.stats:
        cells = [
            _cell(row.scope),
            stat_label(row.stat),
            format_value_with_unit(row.stat, row.baseline),
            format_value_with_unit(row.stat, row.current),
            format_change(row.baseline, row.current),
        ]
        if row.judgement is not None and judged:
            cells += [format_fails_beyond(row), row.verdict.value, _cell(format_reason(row, row.judgement))]
        else:
            cells += [_cell(format_threshold(row)), row.verdict.value]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + ["", "</details>", ""]


_NUMERIC = frozenset({"baseline", "current", "change", "fails beyond"})


def _accepted_lines(suites: Sequence[SuiteReport]) -> list[str]:
    """One line per suite whose run was accepted as the new level (`--bfd-accept`), with its reason;
    one per suite whose baseline is an accepted run. Followed by a blank line when there are any."""
    lines = []
    for suite in suites:
        if suite.acceptances:
            tags = ", ".join(acceptance.tag for acceptance in suite.acceptances)
            lines.append(
                f"- **{_cell(suite.suite)}**: accepted as the new level under tag {tags}: "
                f"{_cell(suite.acceptances[0].reason)}"
            )
        lines.extend(
            f"- **{_cell(suite.suite)}**: compared against run {run.record.run_id}, "
            f"{_cell(acceptance_mark(run.acceptances[0]))}"
            for run in suite.history
            if run.is_baseline and run.acceptances and not run.is_current
        )
    return [*lines, ""] if lines else []


_CODE_SPAN = re.compile(r"`[^`]+`")
_MARKUP = re.compile(r"([\\`*\[\]~]|(?<![^\W_])_|_(?![^\W_]))")
"""Markdown punctuation that could start markup; `_` inside a word (`min_delta`) never does (GFM)."""


def _cell(text: str) -> str:
    """Text safe inside a table cell: no pipe, no line break, and nothing a name brings in (an
    endpoint may be called `<img onerror=...>`, hold backticks or `*`) read as HTML or emphasis.

    Code spans (the statistic names our formatters quote) are literal already; everything else has
    Markdown's punctuation backslash-escaped and `<` written as an entity.
    """
    parts: list[str] = []
    last = 0
    for span in _CODE_SPAN.finditer(text):
        parts += [_plain(text[last : span.start()]), span.group()]
        last = span.end()
    parts.append(_plain(text[last:]))
    return " ".join("".join(parts).replace("|", "\\|").split())


def _plain(text: str) -> str:
    return _MARKUP.sub(r"\\\1", text).replace("<", "&lt;")
