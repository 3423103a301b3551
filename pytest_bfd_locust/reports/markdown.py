"""The CI summary: a session's suites as Markdown (GitHub's step summary, `--bfd-markdown FILE`).

Pure. One table per session: suite, outcome, requests, failures, p50/p95, the change against the
baseline, the worst regressions; the runs accepted as a new level, with their reasons; then where
the HTML report is.
"""

from __future__ import annotations

from collections.abc import Sequence

from pytest_bfd_locust.figures import format_change, stat_label
from pytest_bfd_locust.reports.model import Outcome, SuiteReport, acceptance_mark

SUMMARY_COLUMNS = (
    "suite",
    "outcome",
    "requests",
    "failures",
    "p50 / p95",
    "p95 vs baseline",
    "worst regressions",
)

_OUTCOME_MARK = {
    Outcome.PASSED: "✅ passed",
    Outcome.FAILED: "❌ failed",
    Outcome.NO_STATISTICS: "❌ no statistics",
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
    worst = [
        f"{row.scope} {stat_label(row.stat)} {format_change(row.baseline, row.current)} ({row.verdict.value})"
        for row in suite.worst_regressions()
    ]
    if not worst and suite.outcome is not Outcome.PASSED:
        worst = list(suite.reasons[:2])
    return [
        _cell(suite.suite),
        _OUTCOME_MARK[suite.outcome],
        str(totals.num_requests),
        str(totals.num_failures),
        f"{percentiles.get('0.5', 0)} / {percentiles.get('0.95', 0)} ms",
        change,
        _cell("; ".join(worst)) if worst else "-",
    ]


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


def _cell(text: str) -> str:
    """Text safe inside a table cell: no pipe, no line break."""
    return " ".join(text.replace("|", "\\|").split())
