"""Text a user reads: a failed suite's headline and failure text, the comparison table, the lines
of each attempt under confirmation, and terminal summary lines.

Pure: no pytest, boto3, locust or gevent; every function returns strings. Under fixed ratios a row
reads as the seed's (ratio and threshold); under the judge it reads in words: the signed change,
what it would have taken to fail (`fails above +18 %`, `-15 %` for a throughput drop), and the
run-to-run noise of one run the judge measured (or still takes mostly from its prior). Each column
is named for what it holds:
the noise of one run is not the band a change had to beat; "fails beyond" is that bar.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from pytest_bfd_locust.figures import format_change, format_value_with_unit, iso_utc, stat_label
from pytest_bfd_locust.judge.changepoints import ChangePoint
from pytest_bfd_locust.judge.comparison import Comparison, Judgement, NoiseBasis, StatComparison, task_scope
from pytest_bfd_locust.judge.confirmation import UNANIMOUS_ATTEMPTS, Confirmation, judge_warnings
from pytest_bfd_locust.judge.distributions import normal_quantile
from pytest_bfd_locust.judge.generator_health import inconclusive_message
from pytest_bfd_locust.judge.significance import StatKind, stat_kind
from pytest_bfd_locust.judge.thresholds import RESPONSE_TIME_STATS, BetterIf, Threshold
from pytest_bfd_locust.judge.verdict import SuiteVerdict, Verdict, rank_regressions
from pytest_bfd_locust.record import Record

TABLE_COLUMNS = ("scope", "statistic", "baseline", "current", "change", "ratio", "threshold", "result")
"""The failure table's columns (SPEC §4) with the signed change, plus the verdict of the row."""

JUDGE_TABLE_COLUMNS = (
    "scope",
    "statistic",
    "baseline",
    "current",
    "change",
    "fails beyond",
    "noise of one run",
    "result",
)
"""The failure table's columns under the judge: "fails beyond" is the smallest change that would have
failed the statistic on this run's evidence (`format_fails_beyond`); "noise of one run" is the
run-to-run spread of one run, measured or mostly prior (`format_noise`), which that bar is built from."""

_RIGHT_ALIGNED = frozenset({"baseline", "current", "change", "ratio", "fails beyond"})

CANNOT_FAIL = "cannot fail"
"""The "fails beyond" cell of a statistic nothing could have failed on this run's evidence."""


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


def signed_percent(percent: float) -> str:
    """A signed percentage in whole percent, or two significant figures below 10: `+18 %`, `-4.9 %`,
    `+0.52 %`, `0 %`."""
    if percent == 0 or not math.isfinite(percent):
        return "0 %" if percent == 0 else ("+inf %" if percent > 0 else "-inf %")
    if abs(percent) >= 9.95:
        return f"{percent:+.0f} %"
    digits = max(1 - math.floor(math.log10(abs(percent))), 0)
    return f"{percent:+.{digits}f} %"


def fails_beyond_percent(row: StatComparison) -> float | None:
    """The judge's failure bar as the signed change of the value itself: `fails_above_percent` for a
    statistic where smaller is better (+18: 18 % slower fails), the matching drop where larger is
    better (a worsening of 18 % on the log scale is a throughput of 1 / 1.18, -15 %).

    None: nothing could have failed it on this run's evidence (or it was not judged); inf: the run
    holds no evidence that could bound it (too few requests).
    """
    judgement = row.judgement
    if judgement is None or judgement.fails_above_percent is None:
        return None
    above = judgement.fails_above_percent
    if not isinstance(row.threshold, Threshold) and row.threshold.better_if is BetterIf.LARGER:
        return -math.inf if math.isinf(above) else (1.0 / (1.0 + above / 100.0) - 1.0) * 100.0
    return above


def format_fails_beyond(row: StatComparison) -> str:
    """The "fails beyond" cell: `+18 %`, `-15 %`, or "cannot fail"."""
    bar = fails_beyond_percent(row)
    if bar is None or math.isinf(bar):
        return CANNOT_FAIL
    return signed_percent(bar)


def _fails_phrase(row: StatComparison) -> str:
    """ "fails above +18 %", "fails below -15 %", or "cannot fail on this run's evidence"."""
    bar = fails_beyond_percent(row)
    if bar is None or math.isinf(bar):
        return "cannot fail on this run's evidence"
    return f"fails {'below' if bar < 0 else 'above'} {signed_percent(bar)}"


def _percent(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _runs(count: int) -> str:
    return f"{count} run{'s' if count != 1 else ''}"


def format_noise(judgement: Judgement) -> str:
    """The noise of one run in a table cell: "±3.0 % (12 runs)" measured over the history, or
    "±14 % mostly prior (2 runs)" while the judge's prior still outweighs the runs measured."""
    runs = judgement.spread.runs
    if judgement.basis is NoiseBasis.PRIOR:
        return f"±{_percent(judgement.noise_percent)} % mostly prior ({_runs(runs)})"
    return f"±{_percent(judgement.noise_percent)} % ({_runs(runs)})"


def _noise_words(judgement: Judgement) -> str:
    """The noise of one run in a sentence, saying whether it was measured or still mostly the prior
    (the packaged one, or the store's: measured on its other hashes, `judge.prior_from_store`)."""
    runs, noise = judgement.spread.runs, _percent(judgement.noise_percent)
    if judgement.basis is NoiseBasis.PRIOR:
        earlier = "no earlier runs" if runs == 0 else f"only {_runs(runs).replace(' run', ' earlier run')}"
        prior = "the store's prior" if judgement.spread.prior_source else "the packaged prior"
        return f"{earlier}: the noise of one run is mostly {prior}, ±{noise} %"
    return f"noise of one run over the last {runs} runs: ±{noise} %"


def _worse(row: StatComparison) -> bool:
    """Whether the value moved in the worse direction of its rule."""
    better_if = BetterIf.SMALLER if isinstance(row.threshold, Threshold) else row.threshold.better_if
    if better_if is BetterIf.LARGER:
        return row.current < row.baseline
    return row.current > row.baseline


def is_unsure_pass(row: StatComparison) -> bool:
    """A large worsening that passed because the runs were too small to be sure of it: PASS, worse by
    more than the noise of one run, and the runs' own requests less certain of the change than the
    run-to-run noise is (the half-width of the change's interval at the judge's confidence at least
    the noise of a difference of two runs, sqrt(2) times one run's): the runs' size, not the
    history, is what kept it from failing."""
    judgement = row.judgement
    if judgement is None or row.verdict is not Verdict.PASS or not _worse(row):
        return False
    if stat_kind(row.stat) is StatKind.EXTREME:
        return False  # a minimum or maximum has no interval at any size: not the runs' size
    log_se = judgement.change.log_se
    if log_se is None or math.isnan(judgement.change.log_ratio):
        return False
    noise = math.log1p(judgement.noise_percent / 100.0)
    if abs(judgement.change.log_ratio) <= noise:
        return False
    half_width = normal_quantile(0.5 + judgement.confidence / 2.0) * log_se
    return half_width >= noise * math.sqrt(2.0)


def _unsure_words(judgement: Judgement) -> str:
    """What the runs' size allows, for an unsure PASS: the change's interval from their requests."""
    interval = judgement.change.interval(judgement.confidence)
    if interval is None or math.isinf(interval[1]):
        return "the runs are too small to be sure: their requests cannot bound the change"
    low, high = ((bound - 1.0) * 100.0 for bound in interval)
    return (
        "the runs are too small to be sure: their requests leave the change anywhere from "
        f"{signed_percent(low)} to {signed_percent(high)} ({judgement.confidence * 100:g} %)"
    )


def format_reason(row: StatComparison, judgement: Judgement) -> str:
    """Why the judge decided what it did about one statistic, in a few words: FAILURE "beyond the
    +41 % it takes to fail"; WARNING "a warning: short of the +41 % it takes to fail"; PASS the
    judge's reason ("within the run-to-run noise"), with what the runs' size allows when a large
    worsening passed for want of requests."""
    bar = format_fails_beyond(row)
    if row.verdict is Verdict.FAILURE:
        return judgement.reason if bar == CANNOT_FAIL else f"beyond the {bar} it takes to fail"
    if row.verdict is Verdict.WARNING:
        short_of = judgement.reason if bar == CANNOT_FAIL else f"short of the {bar} it takes to fail"
        return f"a warning: {short_of}"
    if is_unsure_pass(row):
        return f"{judgement.reason}; {_unsure_words(judgement)}"
    return judgement.reason


def format_decision(row: StatComparison, judgement: Judgement) -> str:
    """What the judge decided about one statistic, in words:
    FAILURE "worse by +95 %, beyond the +41 % it takes to fail";
    WARNING "worse by +30 %, a warning: short of the +41 % it takes to fail";
    PASS "+3.4 %, within the run-to-run noise; fails above +18 %" (the judge's reason, then its bar)."""
    change = format_change(row.baseline, row.current)
    if row.verdict is not Verdict.PASS:
        return f"worse by {change}, {format_reason(row, judgement)}"
    return f"{change}, {format_reason(row, judgement)}; {_fails_phrase(row)}"


def _values(name: str, baseline: float, current: float) -> tuple[str, str]:
    """ "40 -> 50 ms": the unit once, after the current value."""
    before, now = format_value_with_unit(name, baseline), format_value_with_unit(name, current)
    for unit in (" ms", "/s"):
        if before.endswith(unit) and now.endswith(unit):
            return before.removesuffix(unit), now
    return before, now


def format_judgement(row: StatComparison, judgement: Judgement) -> str:
    """One judged statistic in words: what moved, what the judge decided, the noise it rests on, e.g.
    "`GET /Claim search` median 40 -> 50 ms: worse by +25 %, beyond the +18 % it takes to fail;
    noise of one run over the last 12 runs: ±3.0 %"."""
    before, now = _values(row.stat, row.baseline, row.current)
    text = f"`{row.scope}` {stat_label(row.stat)} {before} -> {now}: {format_decision(row, judgement)}"
    if judgement.change.log_se is None:
        text += "; no histograms, so the runs' own requests were not weighed"
    return f"{text}; {_noise_words(judgement)}"


def format_comparison_table(comparisons: Sequence[StatComparison]) -> str:
    """An aligned plain-text table, one row per comparison, under a header line.

    The seed's columns under fixed ratios; the judge's (change, fails beyond, noise of one run)
    when the rows were judged.
    """
    judged = [row.judgement for row in comparisons if row.judgement is not None]
    if judged and len(judged) == len(comparisons):
        columns: tuple[str, ...] = JUDGE_TABLE_COLUMNS
        header = columns
        cells: list[tuple[str, ...]] = [
            (
                row.scope,
                stat_label(row.stat),
                format_value_with_unit(row.stat, row.baseline),
                format_value_with_unit(row.stat, row.current),
                format_change(row.baseline, row.current),
                format_fails_beyond(row),
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
    or under the judge the statistic in words (`format_judgement`), the reason of a PASS included."""
    if row.judgement is not None:
        return f"{row.verdict.value} {format_judgement(row, row.judgement)}"
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
    """Terminal summary of one suite's comparison: the non-PASS rows and the passes too small to be
    sure of (every row when `verbose`), then the endpoint changes; a single line saying all passed
    when there is nothing else to say."""
    rows = (
        comparison.stats
        if verbose
        else [row for row in comparison.stats if row.verdict is not Verdict.PASS or is_unsure_pass(row)]
    )
    lines = [format_summary_line(row) for row in rows] + format_endpoint_changes(comparison)
    if not lines:
        lines.append(f"all {len(comparison.stats)} compared statistics passed")
    return lines


def format_suite_notes(comparison: Comparison, *, verbose: bool = False) -> list[str]:
    """The lines under a suite's summary line: the history caveat (`format_history_caveat`), then
    every row in words and the endpoint changes when `verbose`, else only the large worsenings that
    passed because the runs were too small to be sure (failed and warned rows are in the failure
    text and the warnings)."""
    caveat = format_history_caveat(comparison)
    if verbose:
        lines = format_summary_lines(comparison, verbose=True)
    else:
        lines = [format_summary_line(row) for row in comparison.stats if is_unsure_pass(row)]
    return ([caveat] if caveat else []) + lines


def format_history_caveat(comparison: Comparison | None) -> str | None:
    """One line when the suite was judged on too little history to measure its noise, even when it
    passed: "history: 2 earlier runs, noise mostly prior; slowdowns below +60 % cannot fail yet (lowest
    bar: `totals` median)". None in the steady state (every statistic's noise measured) and under
    fixed ratios.

    The figure is the smallest "fails above" of the suite's response-time statistics: below it no
    slowdown of any endpoint could have failed this run, which is the one claim a single figure can
    make truly (a per-statistic figure is in the table and the reports). Throughput bars, in the
    other direction, are left to the rows.
    """
    if comparison is None:
        return None
    judged = [(row, row.judgement) for row in comparison.stats if row.judgement is not None]
    if not any(judgement.basis is NoiseBasis.PRIOR for _, judgement in judged):
        return None
    runs = max(judgement.spread.runs for _, judgement in judged)
    head = f"history: {'no earlier runs' if runs == 0 else _runs(runs).replace(' run', ' earlier run')}"
    head += ", noise mostly prior"
    source = next((j.spread.prior_source for _, j in judged if j.spread.prior_source), "")
    if source:
        head += f" ({source})"
    bars = [
        (bar, row)
        for row, _ in judged
        if row.stat in RESPONSE_TIME_STATS and (bar := fails_beyond_percent(row)) is not None
        if math.isfinite(bar)
    ]
    if not bars:
        return f"{head}; no slowdown can fail yet"
    bar, row = min(bars, key=lambda item: item[0])
    return (
        f"{head}; slowdowns below {signed_percent(bar)} cannot fail yet"
        f" (lowest bar: `{row.scope}` {stat_label(row.stat)})"
    )


def format_failed_statistic(row: StatComparison) -> str:
    """A failed statistic for a failure reason: under the judge what it decided, "totals median
    2 -> 11 ms: worse by +450 %, beyond the +41 % it takes to fail"; under fixed ratios the ratio
    against the rule's fail_percent, "totals median 2 -> 11 ms (+450 %, ratio 550.0% >= fail_percent
    200%)"."""
    label = f"{row.scope} {stat_label(row.stat)}"
    before, now = _values(row.stat, row.baseline, row.current)
    if row.judgement is not None:
        return f"{label} {before} -> {now}: {format_decision(row, row.judgement)}"
    limit = "" if row.exceeded_percent is None else f" >= fail_percent {format_value(row.exceeded_percent)}%"
    change = format_change(row.baseline, row.current)
    return f"{label} {before} -> {now} ({change}, ratio {format_ratio(row.ratio)}{limit})"


def format_failures_reason(failures: Sequence[StatComparison], worst: int = 3) -> str:
    """One line for a suite's failed statistics, the `worst` first (as given): under the judge
    "2 statistics failed; worst: ..." (the judge has no fail threshold, only each statistic's bar);
    under fixed ratios "2 statistics at or beyond their fail_percent; worst: ..."."""
    count = f"{len(failures)} statistic{'s' if len(failures) != 1 else ''}"
    judged = all(row.judgement is not None for row in failures)
    verb = "failed" if judged else "at or beyond their fail_percent"
    return f"{count} {verb}; worst: {'; '.join(format_failed_statistic(row) for row in failures[:worst])}"


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
    statistic whose FAILURE or WARNING already says the same; a shift that starts at this run on a
    statistic that passed says why it passed ("; passes: within the run-to-run noise (fails above
    +60 %)"), so a level shift and a PASS never stand together unexplained."""
    rows = {(row.scope, row.stat): row for row in (comparison.stats if comparison is not None else ())}
    lines = []
    for point in points:
        row = rows.get((point.scope, point.statistic))
        here = current_run_id is not None and point.run_id == current_run_id
        if here and row is not None and row.verdict is not Verdict.PASS:
            continue
        line = "level shift: " + format_change_point(point, current_run_id)
        if here and row is not None:
            line += f"; passes: {_pass_reason(row)}"
        lines.append(line)
    return lines


def _pass_reason(row: StatComparison) -> str:
    """Why a row passed, with its bar: "within the run-to-run noise (fails above +60 %)". The judge's
    reason alone: a pass the runs were too small to be sure of has its own line saying so."""
    if row.judgement is None:
        return f"ratio {format_ratio(row.ratio)} within {format_threshold(row)}"
    return f"{row.judgement.reason} ({_fails_phrase(row)})"


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


def format_headline(
    verdict: SuiteVerdict, confirmation: Confirmation | None = None, cause: str | None = None
) -> str:
    """Why the suite failed, on one line: the first line of the failure text (pytest's short summary).

    What went wrong, not the details: those follow in the text. A failed validation rule is preceded
    by its `cause` when one is known (what the requests met: `first_cause`), since the short summary
    keeps only the start of the line. Under confirmation it says in how many of the attempts run the
    worst statistic failed.
    """
    clauses = [error.split(": ", 1)[0].split("\n", 1)[0] for error in verdict.errors]
    if verdict.validation:
        rules = len(verdict.validation)
        if cause:
            clauses.append(cause)
        clauses.append(f"{rules} validation rule{'s' if rules != 1 else ''} failed")
    worst = verdict.worst
    if worst is not None:
        # Under confirmation, how often the worst failed comes first: a cut headline keeps it.
        repeated = ""
        if confirmation is not None:
            times = len(confirmation.regressed_in(worst))
            repeated = f" in {times} of {len(confirmation.comparisons)} attempts"
        clauses.append(
            f"{_statistics(len(verdict.regressions))} regressed{repeated}, "
            f"worst {worst.scope} {stat_label(worst.stat)} {format_change(worst.baseline, worst.current)}"
        )
    if verdict.inconclusive is not None:
        clauses.append(inconclusive_message(verdict.inconclusive))
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
        elif warned := rank_regressions(judge_warnings(comparison)):
            judged = f"comparison PASSED with {_statistics(len(warned))} warned, worst {_worst(warned[0])}"
        else:
            judged = "comparison PASSED"
        where = f"; record at {attempt.location}" if attempt.location else ""
        lines.append(f"{figures}; {judged}{where}")
    if confirmation is not None:
        lines.append(format_confirmation(confirmation))
    return lines


def format_confirmation(confirmation: Confirmation) -> str:
    """What decided: the statistic that regressed in a majority of the attempts (and which attempt's
    row the table shows), or that none did."""
    attempts = len(confirmation.comparisons)
    majority = f"a majority of {confirmation.attempts_allowed} attempts is {confirmation.needed}"
    if confirmation.confirmed:
        failures = confirmation.decided.failures
        worst = rank_regressions(failures)[0]
        deciding = confirmation.taken_from[(worst.scope, worst.stat)]
        counted = ""
        if any(confirmation.warned_in(row) for row in failures):
            counted = "; the judge's warning counts where the statistic failed in another attempt"
            if confirmation.attempts_allowed >= UNANIMOUS_ATTEMPTS:
                counted += f" or warned in all {confirmation.attempts_allowed}"
        return (
            f"confirmed, decided by attempt {deciding}: {_statistics(len(failures))} "
            f"regressed in a majority of the attempts ({majority}{counted}); worst {_worst(worst)} "
            f"{_where_it_regressed(confirmation, worst)}; each statistic is shown at its median attempt"
        )
    first = confirmation.comparisons[0]
    flagged = rank_regressions(first.failures) or rank_regressions(judge_warnings(first))
    if not flagged:
        return f"not confirmed after {attempts} attempts: no statistic regressed in a majority ({majority})"
    worst = flagged[0]
    what = "failures" if first.failures else "warnings"
    deciding = confirmation.taken_from.get((worst.scope, worst.stat), attempts)
    return (
        f"not confirmed, decided by attempt {deciding}: attempt 1's {what} did not repeat in a majority "
        f"of the attempts ({majority}); its worst, {_worst(worst)}, "
        f"{_where_it_regressed(confirmation, worst)}"
    )


def _where_it_regressed(confirmation: Confirmation, row: StatComparison) -> str:
    """`failed in attempts 1, 3, warned in attempt 2` (each part only when it happened)."""
    found = (("failed", confirmation.failed_in(row)), ("warned", confirmation.warned_in(row)))
    parts = [
        f"{verb} in attempt{'s' if len(numbers) != 1 else ''} {_numbers(numbers)}"
        for verb, numbers in found
        if numbers
    ]
    return ", ".join(parts)


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
    cause: str | None = None,
) -> str:
    """What a user reads when the suite fails: a headline, then every reason with its numbers, each
    attempt's line, where Locust's log and the record are."""
    sections = [format_headline(verdict, confirmation, cause), *verdict.errors]
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
