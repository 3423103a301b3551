"""Confirm before failing: when the judge fails a suite, the suite runs again, and the verdict is
decided on the evidence of every attempt.

The rule: **a statistic fails only when it fails in a majority of the attempts allowed** (with
`confirm` = N more attempts, 1 + N in all: 2 of 2, 2 of 3, 3 of 4, 3 of 5). Its verdict, and the row
shown for it, is that of its median attempt: the attempts ranked from worst to best for that
statistic, the one at the majority's position. Warnings are decided the same way.

Why this rule and not the band of a mean of k runs, or pooled histograms:
- The attempts are independent runs of the same build, each judged against the same baseline by
  the same judge. If one judgement is a false alarm with probability p, a majority of three is one
  with about 2 p^2 (the first must fail, then one of two more): 1 % becomes 0.02 %. A real
  regression that the judge catches with probability q is still caught with probability about
  q (2 q - q^2): 0.95 stays 0.95; only changes the judge barely sees (q near 0.5) lose power.
- It is robust to one disturbed attempt, which is what confirmation is for: a CPU hog, a noisy
  neighbour, a garbage-collection pause on the target slows one run by any amount. A mean (or a
  pooled histogram) of three runs moves by a third of that disturbance, so one run 3x slower moves
  the mean by +67 % and fails it anyway; the median attempt ignores it whatever its size.
- It uses the judge as it is: fixed ratios, or the judge's noise model, significance and floors,
  including whatever they become; it re-derives none of their statistics, so the confirmed verdict
  means what a single verdict means.
- The statistic must fail again, not just any statistic: the suite fails for a named regression
  that repeated, never for different chance failures in different attempts.

Cost: a first attempt that passes is the verdict (nothing more runs). After a failure the suite
runs again until the verdict is settled: a majority reached (confirmed) or out of reach (not
confirmed), at most `confirm` more runs. A first attempt whose failure repeats costs one more run.
Validation failures (SLA, fail ratio, a crash) are facts about the run, not judgements, and are
never confirmed: they fail at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from pytest_bfd_locust.judge.comparison import Comparison, StatComparison
from pytest_bfd_locust.judge.verdict import SEVERITY, Verdict, regression_rank

DEFAULT_CONFIRM = 2
"""More attempts after a judged failure under the judge: a majority of three, robust to one
disturbed attempt. A threshold file with only the seed's keys (fixed ratios) defaults to 0, the
seed's behaviour."""

StatKey = tuple[str, str]
"""(scope, statistic): a statistic across attempts."""


def default_confirm(*, judge: bool) -> int:
    """More attempts when neither the command line nor the catalog says: `DEFAULT_CONFIRM` under the
    judge, none under the seed's fixed ratios (the seed fails at once)."""
    return DEFAULT_CONFIRM if judge else 0


def votes_needed(attempts_allowed: int) -> int:
    """Attempts a statistic must fail in to fail the suite: a majority of those allowed."""
    return attempts_allowed // 2 + 1


def _key(row: StatComparison) -> StatKey:
    return (row.scope, row.stat)


def _failures(comparisons: Sequence[Comparison]) -> dict[StatKey, int]:
    counts: dict[StatKey, int] = {}
    for comparison in comparisons:
        for row in comparison.failures:
            counts[_key(row)] = counts.get(_key(row), 0) + 1
    return counts


def settled(comparisons: Sequence[Comparison], attempts_allowed: int) -> bool:
    """Whether the attempts so far decide the verdict, so no further attempt is needed.

    A first attempt that passes settles it; otherwise it is settled when a statistic has failed in
    a majority of the attempts allowed (confirmed), when no statistic can reach one in the attempts
    left (not confirmed), or when no attempt is left.
    """
    if not comparisons:
        return False
    if not comparisons[0].failed:
        return True
    remaining = attempts_allowed - len(comparisons)
    if remaining <= 0:
        return True
    needed = votes_needed(attempts_allowed)
    counts = _failures(comparisons)
    if any(count >= needed for count in counts.values()):
        return True
    # Out of reach for every statistic, also one that has not failed yet (its count is 0).
    return max(counts.values(), default=0) + remaining < needed


@dataclass(frozen=True)
class Confirmation:
    """The verdict of a suite judged over several attempts."""

    attempts_allowed: int
    """1 + `confirm`: the attempts the majority is counted over."""
    comparisons: tuple[Comparison, ...]
    """Each attempt's own comparison (against the same baseline), first attempt first."""
    decided: Comparison
    """Each statistic at its median attempt: the comparison the suite's verdict reads."""
    taken_from: Mapping[StatKey, int]
    """For each statistic of `decided`, the attempt (1-based) its row was taken from."""

    @property
    def needed(self) -> int:
        return votes_needed(self.attempts_allowed)

    def failed_in(self, row: StatComparison) -> tuple[int, ...]:
        """The attempts (1-based) in which this statistic failed."""
        key = _key(row)
        return tuple(
            number
            for number, comparison in enumerate(self.comparisons, start=1)
            if any(_key(failure) == key for failure in comparison.failures)
        )

    @property
    def confirmed(self) -> bool:
        """A statistic failed in a majority of the attempts allowed."""
        return self.decided.failed


def confirm(comparisons: Sequence[Comparison], attempts_allowed: int) -> Confirmation:
    """Decide over the attempts' comparisons (first attempt first; see the module's rule).

    One attempt decides alone. Otherwise each statistic takes the verdict and the row of its median
    attempt: its rows ranked worst first (`regression_rank`), an attempt that lacks the statistic
    counted as a PASS, the row at position `votes_needed`. The new and missing endpoints are those
    of any attempt.
    """
    if not comparisons:
        raise ValueError("confirm() needs the comparison of at least one attempt")
    if len(comparisons) == 1:
        only = comparisons[0]
        return Confirmation(attempts_allowed, (only,), only, {_key(row): 1 for row in only.stats})
    needed = votes_needed(attempts_allowed)
    order: dict[StatKey, list[tuple[int, StatComparison]]] = {}
    for number, comparison in enumerate(comparisons, start=1):
        for row in comparison.stats:
            order.setdefault(_key(row), []).append((number, row))
    rows: list[StatComparison] = []
    taken_from: dict[StatKey, int] = {}
    for key, found in order.items():
        ranked = sorted(found, key=lambda item: regression_rank(item[1]))
        position = min(needed, len(comparisons)) - 1
        if position < len(ranked):
            number, row = ranked[position]
        else:
            # Fewer attempts measured this statistic than the majority needs: the missing ones are
            # PASSes, so the statistic passes; its least severe row is shown.
            number, row = ranked[-1]
            if SEVERITY[row.verdict] > SEVERITY[Verdict.PASS]:
                row = replace(row, verdict=Verdict.PASS)
        rows.append(row)
        taken_from[key] = number
    decided = Comparison(
        stats=tuple(rows),
        new_tasks=tuple(sorted({key for c in comparisons for key in c.new_tasks})),
        missing_tasks=tuple(sorted({key for c in comparisons for key in c.missing_tasks})),
    )
    return Confirmation(attempts_allowed, tuple(comparisons), decided, taken_from)
