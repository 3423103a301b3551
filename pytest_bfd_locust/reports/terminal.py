"""Text a user reads: a failed suite's headline and failure text, the comparison table, the lines
of each attempt under confirmation, and terminal summary lines.

Pure: no pytest, boto3, locust or gevent; every function returns strings. Under fixed ratios a row
reads as the seed's (ratio and threshold); under the judge it reads in words: the signed change,
its interval and the run-to-run noise it was held against ("-22 %" for a throughput drop).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_bfd_locust.figures import format_change, format_value_with_unit, iso_utc, stat_label
from pytest_bfd_locust.judge.changepoints import ChangePoint
from pytest_bfd_locust.judge.comparison import Comparison, Judgement, NoiseBasis, StatComparison, task_scope
from pytest_bfd_locust.judge.confirmation import Confirmation
from pytest_bfd_locust.judge.thresholds import Threshold
from pytest_bfd_locust.judge.verdict import SuiteVerdict, Verdict, rank_regressions
from pytest_bfd_locust.record import Record

TABLE_COLUMNS = ("scope", "statistic", "baseline", "current", "change", "ratio", "threshold", "result")
"""The failure table's columns (SPEC §4) with the signed change, plus the verdict of the row."""

JUDGE_TABLE_COLUMNS = ("scope", "statistic", "baseline", "current", "change", "interval", "noise", "result")
"""The failure table's columns under the judge ("interval" is headed with its confidence)."""

_RIGHT_ALIGNED = frozenset({"baseline", "current", "change", "ratio", "interval"})


def format_value(value: float) -> str:
    """A statistic's value: whole numbers without decimals (most are ms counts), others with two."""
    if math.isfinite(value) and value == int(value):
        return str(int(value))
    return f"{value:.2f}"


def format_ratio(ratio: float) -> str:
    """A ratio in percent; an infinite ratio (a zero baseline) is "inf"."""
    return "inf" if math.isinf(ratio) else f"{ratio:.1f}%"


def format_threshold(row: StatComparison) -> str:
    """The rule applied: "warn 150% fail 200%" (or "judge"), plus its min_delta when one applies."""
    rule = row.threshold
    if isinstance(rule, Threshold):
        text = f"warn {format_value(rule.warn_percent)}% fail {format_value(rule.fail_percent)}%"
    else:
        text = "judge" if rule.min_percent is None else f"judge min_percent {format_value(rule.min_percent)}"
    min_delta = rule.effective_min_delta
    if min_delta is not None:
        text += f" min_delta {format_value(min_delta)}"
    return text


def format_interval(judgement: Judgement) -> str:
    """The change's interval: "+23..+27 %"; "none: no histograms"; "none: too few requests"."""
    interval = judgement.change.interval(judgement.confidence)
    if interval is None:
        return "none: no histograms"
    low, high = interval
    if math.isinf(high):
        return "none: too few requests"
    return f"{format_change(1.0, low).removesuffix(' %')}..{format_change(1.0, high)}"


def _percent(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def format_noise(judgement: Judgement) -> str:
    """The noise band in a table cell: "±3.0 % over 12 runs" or "±75 % assumed (2 runs)"."""
    runs = judgement.spread.runs
    if judgement.basis is NoiseBasis.PRIOR:
        return f"±{_percent(judgement.noise_percent)} % assumed ({runs} run{'s' if runs != 1 else ''})"
    return f"±{_percent(judgement.noise_percent)} % over {runs} runs"


def _values(name: str, baseline: float, current: float) -> tuple[str, str]:
    """ "40 -> 50 ms": the unit once, after the current value."""
    before, now = format_value_with_unit(name, baseline), format_value_with_unit(name, current)
    for unit in (" ms", "/s"):
        if before.endswith(unit) and now.endswith(unit):
            return before.removesuffix(unit), now
    return before, now


def format_judgement(row: StatComparison, judgement: Judgement) -> str:
    """One judged statistic in words, e.g.
    "`GET /Claim search` median 40 -> 50 ms (+25 %, 99 % CI +23..+27 %); run-to-run noise of this
    statistic over the last 12 runs: ±3.0 %"."""
    interval = format_interval(judgement)
    if interval.startswith("none: "):
        evidence = "no interval, " + interval.removeprefix("none: ")
    else:
        evidence = f"{judgement.confidence * 100:g} % CI {interval}"
    before, now = _values(row.stat, row.baseline, row.current)
    change = format_change(row.baseline, row.current)
    text = f"`{row.scope}` {stat_label(row.stat)} {before} -> {now} ({change}, {evidence})"
    runs, noise_percent = judgement.spread.runs, _percent(judgement.noise_percent)
    if judgement.basis is NoiseBasis.PRIOR:
        earlier = "no earlier runs" if runs == 0 else f"only {runs} earlier run{'s' if runs != 1 else ''}"
        noise = (
            f"{earlier}: judged on this run's own evidence, widened by an assumed run-to-run noise"
            f" of ±{noise_percent} %"
        )
    else:
        noise = f"run-to-run noise of this statistic over the last {runs} runs: ±{noise_percent} %"
    return f"{text}; {noise}"


def format_comparison_table(comparisons: Sequence[StatComparison]) -> str:
    """An aligned plain-text table, one row per comparison, under a header line.

    The seed's columns under fixed ratios; the judge's (change, interval, noise) when the rows
    were judged.
    """
    judged = [row.judgement for row in comparisons if row.judgement is not None]
    if judged and len(judged) == len(comparisons):
        columns: tuple[str, ...] = JUDGE_TABLE_COLUMNS
        header = tuple(
            f"{judged[0].confidence * 100:g} % CI" if column == "interval" else column for column in columns
        )
        cells: list[tuple[str, ...]] = [
            (
                row.scope,
                stat_label(row.stat),
                format_value_with_unit(row.stat, row.baseline),
                format_value_with_unit(row.stat, row.current),
                format_change(row.baseline, row.current),
                format_interval(judgement),
                format_noise(judgement),
                row.verdict.value,
            )
            for row, judgement in zip(comparisons, judged, strict=True)
        ]
    else:
        columns = header = TABLE_COLUMNS
        cells = [
            (
                row.scope,
                stat_label(row.stat),
                format_value(row.baseline),
                format_value(row.current),
                format_change(row.baseline, row.current),
                format_ratio(row.ratio),
                format_threshold(row),
                row.verdict.value,
            )
            for row in comparisons
        ]
    return _table(columns, header, cells)


def _table(columns: Sequence[str], header: Sequence[str], cells: Sequence[Sequence[str]]) -> str:
    rows = [tuple(header), *cells]
    widths = [max(len(row[i]) for row in rows) for i in range(len(columns))]
    lines = []
    for row in rows:
        aligned = [
            cell.rjust(width) if column in _RIGHT_ALIGNED else cell.ljust(width)
            for column, cell, width in zip(columns, row, widths, strict=True)
        ]
        lines.append("  ".join(aligned).rstrip())
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def format_summary_line(row: StatComparison) -> str:
    """One comparison on one line: "WARNING GET /a median: 100 -> 160 (+60 %, ratio 160.0%; ...)",
    or under the judge the statistic in words (`format_judgement`), with the reason of a PASS."""
    if row.judgement is not None:
        reason = f" ({row.judgement.reason})" if row.verdict is Verdict.PASS else ""
        return f"{row.verdict.value}{reason} {format_judgement(row, row.judgement)}"
    return (
        f"{row.verdict.value} {row.scope} {stat_label(row.stat)}: {format_value(row.baseline)} -> "
        f"{format_value(row.current)} ({format_change(row.baseline, row.current)}, "
        f"ratio {format_ratio(row.ratio)}; {format_threshold(row)})"
    )


def format_endpoint_changes(comparison: Comparison) -> list[str]:
    """One line per endpoint present on one side only; these were not compared."""
    new = [
        f"new endpoint {task_scope(key)}: not in the baseline, not compared" for key in comparison.new_tasks
    ]
    missing = [
        f"missing endpoint {task_scope(key)}: in the baseline but not in this run"
        for key in comparison.missing_tasks
    ]
    return new + missing


def format_summary_lines(comparison: Comparison, *, verbose: bool = False) -> list[str]:
    """Terminal summary of one suite's comparison: the non-PASS rows (every row when `verbose`),
    then the endpoint changes; a single line saying all passed when there is nothing else to say."""
    rows = (
        comparison.stats if verbose else [row for row in comparison.stats if row.verdict is not Verdict.PASS]
    )
    lines = [format_summary_line(row) for row in rows] + format_endpoint_changes(comparison)
    if not lines:
        lines.append(f"all {len(comparison.stats)} compared statistics passed")
    return lines


def fit_to_width(text: str, width: int) -> str:
    """The first line of `text` within `width` characters, cut after a whole word (marked "...")."""
    line = text.split("\n", 1)[0]
    if len(line) <= width:
        return line
    room = max(width - 3, 0)
    cut = line[: room + 1].rsplit(" ", 1)[0] if " " in line[: room + 1] else line[:room]
    return cut.rstrip(" ,;:") + "..."


def format_change_point(point: ChangePoint, current_run_id: str | None = None) -> str:
    """A level shift in words: "`GET /a` median 41 -> 50 ms (+22 %) since run r1 at
    2026-01-02T03:04:05Z (change point, p = 2e-08)"; "since this run" when the current run starts it."""
    before, now = _values(point.statistic, point.before, point.after)
    if current_run_id is not None and point.run_id == current_run_id:
        since = "since this run"
    else:
        since = f"since run {point.run_id or '(no id)'} at {iso_utc(point.timestamp)}"
    pvalue = "p < 1e-9" if point.pvalue < 1e-9 else f"p = {point.pvalue:.1g}"
    return (
        f"`{point.scope}` {stat_label(point.statistic)} {before} -> {now}"
        f" ({format_change(point.before, point.after)}) {since} (change point, {pvalue})"
    )


def format_level_shifts(
    points: Sequence[ChangePoint], comparison: Comparison | None, current_run_id: str | None
) -> list[str]:
    """One "level shift: ..." line per change point, leaving out those that start at this run on a
    statistic whose FAILURE or WARNING already says the same."""
    reported = {
        (row.scope, row.stat)
        for row in (comparison.stats if comparison is not None else ())
        if row.verdict is not Verdict.PASS
    }
    return [
        "level shift: " + format_change_point(point, current_run_id)
        for point in points
        if not (point.run_id == current_run_id and (point.scope, point.statistic) in reported)
    ]


# --- a suite's outcome: headline, failure text, warnings, attempts ----------------------------------


@dataclass(frozen=True)
class AttemptFigures:
    """One attempt of a suite as its lines show it (`format_attempts`)."""

    record: Record | None
    """Its record as stored; None: it produced no statistics."""
    comparison: Comparison | None = None
    """Its own comparison against the suite's baseline (None: not compared)."""
    location: str | None = None
    """Where its record went (the store, or the artifacts when not stored)."""
    error: str | None = None
    """Why it failed besides its comparison (first error), if it did."""


def _statistics(count: int) -> str:
    return f"{count} statistic{'s' if count != 1 else ''}"


def _worst(row: StatComparison) -> str:
    return f"`{row.scope}` {stat_label(row.stat)} {format_change(row.baseline, row.current)}"


def _numbers(numbers: Sequence[int]) -> str:
    return ", ".join(str(number) for number in numbers)


def format_headline(verdict: SuiteVerdict, confirmation: Confirmation | None = None) -> str:
    """Why the suite failed, on one line: the first line of the failure text (pytest's short summary).

    What went wrong, not the details: those follow in the text. Under confirmation it says in how
    many of the attempts run the worst statistic failed.
    """
    clauses = [error.split(": ", 1)[0].split("\n", 1)[0] for error in verdict.errors]
    if verdict.validation:
        rules = len(verdict.validation)
        clauses.append(f"{rules} validation rule{'s' if rules != 1 else ''} failed")
    worst = verdict.worst
    if worst is not None:
        # Under confirmation, how often the worst failed comes first: a cut headline keeps it.
        repeated = ""
        if confirmation is not None:
            repeated = f" in {len(confirmation.failed_in(worst))} of {len(confirmation.comparisons)} attempts"
        clauses.append(
            f"{_statistics(len(verdict.regressions))} regressed{repeated}, "
            f"worst {worst.scope} {stat_label(worst.stat)} {format_change(worst.baseline, worst.current)}"
        )
    return "; ".join(clauses)


def format_attempts(
    attempts: Sequence[AttemptFigures], confirmation: Confirmation | None, allowed: int
) -> list[str]:
    """One line per attempt with its key figures and its own verdict, then the line that says what
    decided (empty for a single attempt: its figures are the suite's). `allowed`: 1 + confirm."""
    if len(attempts) < 2:
        return []
    lines = []
    for number, attempt in enumerate(attempts, start=1):
        head = f"attempt {number} of up to {allowed}"
        record = attempt.record
        if record is None:
            lines.append(f"{head}: no statistics ({attempt.error or 'the run failed'})")
            continue
        totals = record.totals
        percentiles = totals.response_time_percentiles
        figures = (
            f"{head} (run {record.run_id or '(no id)'}, {iso_utc(record.metadata.timestamp)}): "
            f"{totals.num_requests} reqs, p50 {percentiles.get('0.5', 0)} ms, "
            f"p95 {percentiles.get('0.95', 0)} ms, {totals.total_reqs_per_second:.1f} req/s"
        )
        comparison = attempt.comparison
        if attempt.error is not None:
            judged = f"FAILED: {attempt.error.splitlines()[0]}"
        elif comparison is None:
            judged = "not compared"
        elif comparison.failed:
            ranked = rank_regressions(comparison.failures)
            judged = f"comparison FAILED, {_statistics(len(ranked))}, worst {_worst(ranked[0])}"
        else:
            judged = "comparison PASSED"
        where = f"; record at {attempt.location}" if attempt.location else ""
        lines.append(f"{figures}; {judged}{where}")
    if confirmation is not None:
        lines.append(format_confirmation(confirmation))
    return lines


def format_confirmation(confirmation: Confirmation) -> str:
    """What decided: the statistic that failed in a majority of the attempts (and which attempt's
    row the table shows), or that none did."""
    attempts = len(confirmation.comparisons)
    majority = f"a majority of {confirmation.attempts_allowed} attempts is {confirmation.needed}"
    if confirmation.confirmed:
        worst = rank_regressions(confirmation.decided.failures)[0]
        deciding = confirmation.taken_from[(worst.scope, worst.stat)]
        return (
            f"confirmed, decided by attempt {deciding}: {_statistics(len(confirmation.decided.failures))} "
            f"failed in a majority of the attempts ({majority}); worst {_worst(worst)} failed in attempts "
            f"{_numbers(confirmation.failed_in(worst))}; each statistic is shown at its median attempt"
        )
    first = rank_regressions(confirmation.comparisons[0].failures)
    if not first:
        return f"not confirmed after {attempts} attempts: no statistic failed in a majority ({majority})"
    worst = first[0]
    deciding = confirmation.taken_from.get((worst.scope, worst.stat), attempts)
    return (
        f"not confirmed, decided by attempt {deciding}: attempt 1's failures did not repeat in a majority "
        f"of the attempts ({majority}); its worst, {_worst(worst)}, failed in attempt"
        f"{'s' if len(confirmation.failed_in(worst)) != 1 else ''} {_numbers(confirmation.failed_in(worst))}"
    )


def format_failure_text(
    verdict: SuiteVerdict,
    *,
    comparison: Comparison | None,
    baseline_label: str | None,
    attempts: Sequence[AttemptFigures] = (),
    confirmation: Confirmation | None = None,
    attempts_allowed: int = 1,
    log_section: str | None = None,
    record_location: str | None = None,
) -> str:
    """What a user reads when the suite fails: a headline, then every reason with its numbers, each
    attempt's line, where Locust's log and the record are."""
    sections = [format_headline(verdict, confirmation), *verdict.errors]
    if verdict.validation:
        sections.append("validation failed:\n" + "\n".join(f"  {failure}" for failure in verdict.validation))
    if verdict.regressions and comparison is not None and baseline_label is not None:
        sections.append(
            f"regression against the {baseline_label}:\n"
            + format_comparison_table(comparison.failures + comparison.warnings)
        )
    attempt_lines = format_attempts(attempts, confirmation, attempts_allowed)
    if attempt_lines:
        sections.append("attempts:\n" + "\n".join(f"  {line}" for line in attempt_lines))
    if log_section:
        sections.append(log_section)
    if record_location is not None:
        sections.append(f"record: {record_location}")
    return "\n\n".join(sections)


def format_warnings(notes: Sequence[str], comparison: Comparison | None) -> tuple[str, ...]:
    """What to warn about, each once: the notes, the endpoints new or gone, and the warned statistics
    unless the failure's regression table shows them already."""
    if comparison is None:
        return tuple(notes)
    lines = [*notes, *format_endpoint_changes(comparison)]
    if not comparison.failed:
        lines += [format_summary_line(row) for row in comparison.warnings]
    return tuple(dict.fromkeys(lines))
