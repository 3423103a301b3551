"""Confirm before failing: when the judge fails (or warns about) a suite, the suite runs again, and
the verdict is decided on the evidence of every attempt.

The rule: **a statistic fails only when it regressed in a majority of the attempts allowed** (with
`confirm` = N more attempts, 1 + N in all: 2 of 2, 2 of 3, 3 of 4, 3 of 5). Its verdict, and the row
shown for it, is that of its median attempt: the attempts ranked from worst to best for that
statistic, the one at the majority's position. Under the judge a WARNING counts towards the
majority when the statistic is a FAILURE in at least one attempt, and a statistic the judge warned
about in every attempt of three or more (`UNANIMOUS_ATTEMPTS`) fails too: a median attempt at
WARNING so confirmed is a FAILURE (its row says why). A first attempt with the judge's warnings is
confirmed too: it runs again. Under the seed's fixed ratios only FAILUREs count (their warn ratio
is a fixed band, not evidence).

Why this rule and not the band of a mean of k runs, or pooled histograms:
- The attempts are independent runs of the same build, each judged against the same baseline by
  the same judge. If one judgement is a false alarm with probability p, a majority of three is one
  with about 2 p^2 (the first must fail, then one of two more): 1 % becomes 0.02 %. A real
  regression that the judge catches with probability q is still caught with probability about
  q (2 q - q^2): 0.95 stays 0.95; only changes the judge barely sees (q near 0.5) lose power.
- The judge's WARNING (significant at `warn_confidence`, 95 %) is evidence too, and counting it
  gives that power back: a false alarm then needs a FAILURE (1 %) and a WARNING (5 %) in two of
  three attempts (about 6 x 0.01 x 0.05 = 0.3 %), or three warnings in a row (about 0.05^3, far
  less), were the attempts independent; they share the baseline and the machine, so it was
  measured (bench/detection.py on the recorded runs, README): +20 % from one earlier run was
  caught in 59 % of the draws instead of 31 %, from two in 82 % instead of 41 %, from three in
  87 % instead of 60 %, the random draws' false alarms at or below 0.8 %; the chronological
  windows, where a re-run meets the same loaded machine, rose (3 earlier runs: 1/308 -> 5/308).
  Unchanged first attempts that only warn (0-3 % of them there) cost up to two more runs.
- It is robust to one disturbed attempt, which is what confirmation is for: a CPU hog, a noisy
  neighbour, a garbage-collection pause on the target slows one run by any amount. A mean (or a
  pooled histogram) of three runs moves by a third of that disturbance, so one run 3x slower moves
  the mean by +67 % and fails it anyway; the median attempt ignores it whatever its size.
- It uses the judge as it is: fixed ratios, or the judge's noise model, significance and floors,
  including whatever they become; it re-derives none of their statistics, so the confirmed verdict
  means what a single verdict means.
- The statistic must regress again, not just any statistic: the suite fails for a named regression
  that repeated, never for different chance failures in different attempts.

Cost: a first attempt that passes without the judge's warnings is the verdict (nothing more runs).
Otherwise the suite runs again until the verdict is settled: a majority reached with a failure
among it, or every attempt warned (confirmed), or out of reach (not confirmed), at most `confirm`
more runs. A first attempt
whose failure repeats costs one more run. Validation failures (SLA, fail ratio, a crash) are facts
about the run, not judgements, and are never confirmed: they fail at once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from pytest_bfd_locust.judge.comparison import Comparison, StatComparison
from pytest_bfd_locust.judge.verdict import SEVERITY, Verdict, regression_rank

UNANIMOUS_ATTEMPTS = 3
"""The fewest attempts allowed for a statistic the judge warned about in every one of them to fail
without a FAILURE (three warnings at 95 % in a row; two would be a majority of two)."""

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


def judge_warning(row: StatComparison) -> bool:
    """Whether a row is the judge's WARNING (a fixed ratio's warning is a band the user drew, not
    evidence: it does not vote)."""
    return row.verdict is Verdict.WARNING and row.judgement is not None


def regressed(row: StatComparison) -> bool:
    """Whether a row votes for its statistic's regression: a FAILURE, or the judge's WARNING."""
    return row.verdict is Verdict.FAILURE or judge_warning(row)


def judge_warnings(comparison: Comparison) -> tuple[StatComparison, ...]:
    """The judge's warnings of one attempt: those a confirmation counts."""
    return tuple(row for row in comparison.stats if judge_warning(row))


def _counts(comparisons: Sequence[Comparison]) -> tuple[dict[StatKey, int], dict[StatKey, int]]:
    """Per statistic, in how many attempts it regressed (`regressed`) and in how many it failed."""
    votes: dict[StatKey, int] = {}
    failures: dict[StatKey, int] = {}
    for comparison in comparisons:
        for row in comparison.stats:
            if regressed(row):
                votes[_key(row)] = votes.get(_key(row), 0) + 1
            if row.verdict is Verdict.FAILURE:
                failures[_key(row)] = failures.get(_key(row), 0) + 1
    return votes, failures


def _decides(votes: int, failures: int, attempts_allowed: int) -> bool:
    """Whether a statistic that regressed in `votes` attempts and failed in `failures` fails the
    suite: a majority with a failure among it, or every attempt of at least `UNANIMOUS_ATTEMPTS`."""
    if failures >= 1 and votes >= votes_needed(attempts_allowed):
        return True
    return attempts_allowed >= UNANIMOUS_ATTEMPTS and votes >= attempts_allowed


def settled(comparisons: Sequence[Comparison], attempts_allowed: int) -> bool:
    """Whether the attempts so far decide the verdict, so no further attempt is needed.

    A first attempt in which nothing regressed (no FAILURE, no judge's WARNING) settles it;
    otherwise it is settled when a statistic has regressed in a majority of the attempts allowed
    and failed in one of them, or regressed in all of three or more (confirmed), when no statistic
    can still reach a majority in the attempts left (not confirmed), or when no attempt is left.
    """
    if not comparisons:
        return False
    if not any(regressed(row) for row in comparisons[0].stats):
        return True
    remaining = attempts_allowed - len(comparisons)
    if remaining <= 0:
        return True
    votes, failures = _counts(comparisons)
    if any(_decides(count, failures.get(key, 0), attempts_allowed) for key, count in votes.items()):
        return True
    needed = votes_needed(attempts_allowed)
    # Out of reach for every statistic, also one that has not regressed yet (its count is 0).
    return max(votes.values(), default=0) + remaining < needed


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
        return self._attempts_where(row, lambda found: found.verdict is Verdict.FAILURE)

    def regressed_in(self, row: StatComparison) -> tuple[int, ...]:
        """The attempts (1-based) in which this statistic regressed: failed, or the judge warned."""
        return self._attempts_where(row, regressed)

    def warned_in(self, row: StatComparison) -> tuple[int, ...]:
        """The attempts (1-based) in which this statistic was the judge's WARNING."""
        return self._attempts_where(row, judge_warning)

    def _attempts_where(
        self, row: StatComparison, holds: Callable[[StatComparison], bool]
    ) -> tuple[int, ...]:
        key = _key(row)
        return tuple(
            number
            for number, comparison in enumerate(self.comparisons, start=1)
            if any(_key(found) == key and holds(found) for found in comparison.stats)
        )

    @property
    def confirmed(self) -> bool:
        """A statistic regressed in a majority of the attempts allowed, failing in one of them."""
        return self.decided.failed


def confirm(comparisons: Sequence[Comparison], attempts_allowed: int) -> Confirmation:
    """Decide over the attempts' comparisons (first attempt first; see the module's rule).

    One attempt decides alone. Otherwise each statistic takes the verdict and the row of its median
    attempt: its rows ranked worst first (`regression_rank`), an attempt that lacks the statistic
    counted as a PASS, the row at position `votes_needed`; a median row at the judge's WARNING
    whose statistic failed in another attempt is a FAILURE (its reason says so). The new and
    missing endpoints are those of any attempt.
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
            failed_in = [attempt for attempt, other in ranked if other.verdict is Verdict.FAILURE]
            votes = sum(1 for _, other in ranked if regressed(other))
            if judge_warning(row):
                if failed_in:
                    row = _confirmed_by_warning(row, f"a failure in {_attempts(failed_in)}")
                elif _decides(votes, 0, attempts_allowed):
                    row = _confirmed_by_warning(row, f"warned in all {votes} attempts")
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


def _confirmed_by_warning(row: StatComparison, why: str) -> StatComparison:
    """The median attempt's WARNING of a statistic the attempts confirmed: a FAILURE, saying why."""
    judgement = row.judgement
    assert judgement is not None  # only the judge's warnings vote (`regressed`)
    reason = f"{judgement.reason}; a warning here, {why}"
    return replace(row, verdict=Verdict.FAILURE, judgement=replace(judgement, reason=reason))


def _attempts(numbers: Sequence[int]) -> str:
    return f"attempt{'s' if len(numbers) > 1 else ''} {', '.join(str(n) for n in sorted(numbers))}"
