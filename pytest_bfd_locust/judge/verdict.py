"""Verdicts: of one statistic (`Verdict`), and of a whole suite (`decide_suite`, its one home).

A suite's verdict is decided here and nowhere else: `suite_run.SuiteResult.verdict`, the plugin's
summary line and outcome, the report built from a finished run and the report built from a stored
record (`bfd-locust report`) all call `decide_suite` and read the `SuiteVerdict` it returns.
"The worst failing statistic" is ranked once too (`rank_regressions`): the failure text's headline,
the report's reasons and the Markdown summary read the same order.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # comparison.py imports this module for `Verdict`
    from pytest_bfd_locust.judge.comparison import Comparison, StatComparison


class Verdict(StrEnum):
    """The outcome of comparing one statistic (the seed's StatCompareResult values)."""

    # bandit B105 (a hard-coded password): "PASS" is a verdict.
    PASS = "PASS"  # nosec B105
    WARNING = "WARNING"
    FAILURE = "FAILURE"


SEVERITY: dict[Verdict, int] = {Verdict.PASS: 0, Verdict.WARNING: 1, Verdict.FAILURE: 2}
"""How bad a statistic's verdict is, for ordering (FAILURE worst)."""


class Outcome(StrEnum):
    """The suite's verdict as a person reads it."""

    PASSED = "passed"
    FAILED = "failed"
    NO_STATISTICS = "no statistics"
    INCONCLUSIVE = "inconclusive"
    """The load generator was saturated (`judge.generator_health`): the run measured it, not the
    API; failed under `--bfd-inconclusive fail` (the default), passed with a warning under `warn`."""


def regression_rank(row: StatComparison) -> tuple[int, bool, float]:
    """The sort key of `rank_regressions` (smaller is worse), for callers that order other rows alike.

    FAILURE before WARNING before PASS; within a verdict a finite ratio before an infinite one (a
    statistic rising from 0, e.g. a failure rate from none, has an infinite ratio but says least
    about how much slower the API got), then the larger ratio first.
    """
    finite = math.isfinite(row.ratio)
    return (-SEVERITY[row.verdict], not finite, -row.ratio if finite else 0.0)


def rank_regressions(rows: Iterable[StatComparison]) -> tuple[StatComparison, ...]:
    """The failed and warned statistics, worst first (`regression_rank`); PASS rows left out.

    Stable: rows that rank alike keep the comparison's order (totals first, then tasks).
    """
    return tuple(sorted((row for row in rows if row.verdict is not Verdict.PASS), key=regression_rank))


@dataclass(frozen=True)
class SuiteVerdict:
    """A suite's verdict and everything that decided it, in the order a person reads it."""

    outcome: Outcome
    errors: tuple[str, ...] = ()
    """What failed besides validation and comparison: a crash, a baseline lookup, the store."""
    validation: tuple[str, ...] = ()
    """Each validation rule the run broke, in words."""
    regressions: tuple[StatComparison, ...] = ()
    """The failed statistics, worst first (`rank_regressions`)."""
    compare_failed: bool = False
    """The comparison failed (also when only a stored record's compare_result says so)."""
    inconclusive: str | None = None
    """Why the run is inconclusive (`generator_health.inconclusive_reason`); its comparison then
    fails nothing, whatever the outcome."""

    @property
    def failed(self) -> bool:
        return self.outcome is not Outcome.PASSED

    @property
    def worst(self) -> StatComparison | None:
        """The worst failed statistic (None when no statistic failed)."""
        return self.regressions[0] if self.regressions else None


def decide_suite(
    *,
    statistics: bool,
    errors: Sequence[str] = (),
    validation: Sequence[str] = (),
    comparison: Comparison | None = None,
    stored_compare_failed: bool = False,
    inconclusive: str | None = None,
    inconclusive_fails: bool = True,
) -> SuiteVerdict:
    """The one rule for a suite's verdict.

    No statistics (Locust did not run, crashed before any) is its own outcome; otherwise the suite
    failed when anything failed it: an error, a broken validation rule, a FAILURE statistic in the
    (confirmed) comparison, or, for a stored record judged before, its stored compare_result.
    Warnings never fail a suite (pytest's `-W error` does that, outside this rule).

    An inconclusive run (its load generator saturated) has no regressions: its comparison measured
    the generator. Errors and validation still fail it; otherwise, when it was compared, it is
    INCONCLUSIVE, a failure, unless `inconclusive_fails` is False (`--bfd-inconclusive warn`: it
    passes, and says why). A run compared with nothing (no `--compare`, no baseline yet) had no
    verdict to void: it passes with the same warning, and, like every inconclusive run, is never a
    baseline. (A seed-style suite without wait time on a busy machine read 91 % for 1 s of 2 and
    failed a run that asked for no comparison: the saturation voids comparisons, not runs.)
    """
    regressions = tuple(
        row for row in rank_regressions(comparison.stats if comparison is not None else ())
        if row.verdict is Verdict.FAILURE and inconclusive is None
    )
    compare_failed = (bool(regressions) or stored_compare_failed) and inconclusive is None
    compared = comparison is not None or stored_compare_failed
    if not statistics:
        outcome = Outcome.NO_STATISTICS
    elif errors or validation or compare_failed:
        outcome = Outcome.FAILED
    elif inconclusive is not None and inconclusive_fails and compared:
        outcome = Outcome.INCONCLUSIVE
    else:
        outcome = Outcome.PASSED
    return SuiteVerdict(
        outcome=outcome,
        errors=tuple(errors),
        validation=tuple(validation),
        regressions=regressions,
        compare_failed=compare_failed,
        inconclusive=inconclusive,
    )
