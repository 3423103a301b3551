"""Change points across a hash's history: where a statistic's level shifted, by E-divisive means.

Pure, standard library only. The algorithm is E-divisive with means (Matteson & James 2014,
https://doi.org/10.48550/arXiv.1306.4933) with the deterministic significance test and the merge
step of Hunter / Apache Otava (Fleming et al. 2023, https://doi.org/10.1145/3578244.3583719):

1. Split: in each segment [start, end), the split tau and end kappa (start < tau < kappa <= end)
   maximizing the energy statistic between X = x[start:tau] (n values) and Y = x[tau:kappa] (m)
       Q(X, Y) = 2/(m+n) S_xy - 2m/((m+n)(n-1)) S_xx - 2n/((m+n)(m-1)) S_yy
   (S: sums of |differences| across the two parts or within one); the best candidate of all
   segments is kept when Student's two-sample t-test between the segment's values before and from
   tau gives p <= 10 * max_pvalue (Otava's relaxed first pass), and splitting repeats.
2. Merge: the weakest point (largest p, recomputed against its neighbouring points) is dropped
   while its p exceeds max_pvalue or its relative change is below `min_magnitude`.

Otava splits long series into windows of 50 first; histories here are shorter, so one window is the
whole series. bench/changepoints_vs_otava.py compares the two on the same series. Neither packaged
implementation is a runtime dependency: MongoDB's `signal-processing-algorithms`
pins numpy < 2, gevent < 25, structlog and scipy and ships a C extension (Python 3.11 only); its
permutation test draws from numpy's global random state. `apache-otava` pins numpy == 2.2.0 and
scipy and pulls google-cloud-bigquery, pg8000, slack-sdk and more. Histories are a few dozen runs,
so an O(n^2) pure-Python version is fast enough (about 10 ms for 100 runs); ARCHITECTURE.md has
the full comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import fmean

from pytest_bfd_locust.figures import iso_utc
from pytest_bfd_locust.judge.distributions import student_t_cdf
from pytest_bfd_locust.record import Record

DEFAULT_MAX_PVALUE = 0.001
"""Otava's default significance of a change point."""

DEFAULT_MIN_MAGNITUDE = 0.0
"""Relative change below which a change point is merged away (0: significance alone decides)."""

KEY_STATISTICS = ("median_response_time", "0.95", "total_reqs_per_second")
"""The statistics whose history is searched for change points, for the totals and every endpoint."""


@dataclass(frozen=True)
class SegmentTest:
    """Student's two-sample t-test between the values before and after a split."""

    mean_before: float
    mean_after: float
    pvalue: float

    @property
    def magnitude(self) -> float:
        """The relative change of the mean, after / before - 1 (inf from a zero mean)."""
        if self.mean_before == 0:
            return 0.0 if self.mean_after == 0 else math.inf
        return self.mean_after / self.mean_before - 1.0


@dataclass(frozen=True)
class Split:
    """A change point in a series: `index` is the first value of the new segment."""

    index: int
    test: SegmentTest


def two_sample_t_test(before: Sequence[float], after: Sequence[float]) -> SegmentTest:
    """Student's t-test (pooled variance, two-sided) between two samples, as scipy's `ttest_ind`.

    Fallbacks: fewer than 3 values in all gives p = 1 (nothing to test); zero variance on both
    sides gives p = 0 when the means differ and p = 1 when they do not.
    """
    n, m = len(before), len(after)
    if n == 0 or m == 0:
        raise ValueError("two_sample_t_test: both samples need values")
    mean_before, mean_after = fmean(before), fmean(after)
    if n + m <= 2:
        return SegmentTest(mean_before, mean_after, 1.0)
    squares = sum((x - mean_before) ** 2 for x in before) + sum((y - mean_after) ** 2 for y in after)
    pooled = squares / (n + m - 2)
    difference = mean_after - mean_before
    if pooled <= 0.0 or not math.isfinite(pooled):
        return SegmentTest(mean_before, mean_after, 0.0 if difference else 1.0)
    t = difference / math.sqrt(pooled * (1.0 / n + 1.0 / m))
    pvalue = 2.0 * student_t_cdf(-abs(t), n + m - 2)
    return SegmentTest(mean_before, mean_after, min(max(pvalue, 0.0), 1.0))


class _Energy:
    """Prefix sums of pairwise |differences| so that any segment's within-sum costs O(1)."""

    def __init__(self, series: Sequence[float]) -> None:
        size = len(series)
        # within[a][b] = sum of |x_i - x_k| over a <= i < k < b
        self.within = [[0.0] * (size + 1) for _ in range(size + 1)]
        for a in range(size - 1, -1, -1):
            row_sum = 0.0
            for b in range(a + 1, size + 1):
                if b - 1 > a:
                    row_sum += abs(series[a] - series[b - 1])
                self.within[a][b] = self.within[a + 1][b] + row_sum if a + 1 <= b else 0.0

    def best_split(self, start: int, end: int) -> tuple[float, int, int] | None:
        """(Q, tau, kappa) maximizing Q over start < tau < kappa <= end; the earliest on ties."""
        best: tuple[float, int, int] | None = None
        for tau in range(start + 1, end):
            n = tau - start
            x_within = self.within[start][tau]
            for kappa in range(tau + 1, end + 1):
                m = kappa - tau
                y_within = self.within[tau][kappa]
                cross = self.within[start][kappa] - x_within - y_within
                q = 2.0 / (m + n) * cross
                if n > 1:
                    q -= 2.0 * m / ((m + n) * (n - 1)) * x_within
                if m > 1:
                    q -= 2.0 * n / ((m + n) * (m - 1)) * y_within
                if best is None or q > best[0]:
                    best = (q, tau, kappa)
        return best


def _segments(size: int, indexes: Sequence[int]) -> list[tuple[int, int]]:
    bounds = [0, *indexes, size]
    return [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1) if bounds[i] < bounds[i + 1]]


def _test_at(series: Sequence[float], indexes: Sequence[int], position: int) -> SegmentTest:
    """The t-test of the change point indexes[position] between its neighbouring change points."""
    start = indexes[position - 1] if position > 0 else 0
    end = indexes[position + 1] if position + 1 < len(indexes) else len(series)
    index = indexes[position]
    return two_sample_t_test(series[start:index], series[index:end])


def split_points(series: Sequence[float], max_pvalue: float = DEFAULT_MAX_PVALUE) -> list[int]:
    """The split step: candidate change point indexes (sorted) at the relaxed first-pass level."""
    first_pass = (
        max_pvalue * 10 if max_pvalue < 0.05 else (max_pvalue * 2 if max_pvalue < 0.5 else max_pvalue)
    )
    energy = _Energy(series)
    indexes: list[int] = []
    while True:
        candidates = []
        for start, end in _segments(len(series), indexes):
            if end - start > 1:
                best = energy.best_split(start, end)
                if best is not None:
                    candidates.append((best[0], -best[1], start, end))
        if not candidates:
            return indexes
        # Highest Q first; on a tie the earliest index, so the result never depends on the order.
        _, negative_tau, start, end = max(candidates)
        tau = -negative_tau
        # Tested up to the segment's end (as Otava does), not just up to kappa: a single unusual
        # run would otherwise become a segment of its own, with a zero-variance p of 0.
        test = two_sample_t_test(series[start:tau], series[tau:end])
        if test.pvalue > first_pass:
            return indexes
        indexes = sorted([*indexes, tau])


def change_points(
    series: Sequence[float],
    max_pvalue: float = DEFAULT_MAX_PVALUE,
    min_magnitude: float = DEFAULT_MIN_MAGNITUDE,
) -> list[Split]:
    """E-divisive means with t-test significance and Otava's merge step; oldest change first.

    Non-finite values make no sense to split on: the caller leaves them out.
    """
    if any(not math.isfinite(value) for value in series):
        raise ValueError("change_points: the series holds a NaN or infinite value")
    indexes = split_points(series, max_pvalue)
    while indexes:
        tests = [_test_at(series, indexes, position) for position in range(len(indexes))]
        weakest = max(range(len(indexes)), key=lambda position: (tests[position].pvalue, -position))
        if tests[weakest].pvalue < max_pvalue:
            weakest = min(
                range(len(indexes)), key=lambda position: (abs(tests[position].magnitude), position)
            )
            if abs(tests[weakest].magnitude) > min_magnitude:
                return [Split(index, test) for index, test in zip(indexes, tests, strict=True)]
        del indexes[weakest]
    return []


@dataclass(frozen=True)
class HistoryPoint:
    """One run's value of one statistic, as the change-point analysis needs it."""

    run_id: str | None
    timestamp: int
    value: float


@dataclass(frozen=True)
class ChangePoint:
    """A shift in one statistic's level across a hash's history, starting with run `run_id`."""

    run_id: str | None
    timestamp: int
    statistic: str
    scope: str
    before: float
    """Mean of the segment before the change."""
    after: float
    """Mean of the segment from this run on."""
    pvalue: float

    @property
    def magnitude(self) -> float:
        """Relative change, after / before - 1."""
        return SegmentTest(self.before, self.after, self.pvalue).magnitude

    @property
    def when(self) -> str:
        """The run's time as ISO-8601 UTC."""
        return iso_utc(self.timestamp)


def find_change_points(
    points: Sequence[HistoryPoint],
    *,
    statistic: str,
    scope: str,
    max_pvalue: float = DEFAULT_MAX_PVALUE,
    min_magnitude: float = DEFAULT_MIN_MAGNITUDE,
) -> list[ChangePoint]:
    """Change points of one statistic over runs given oldest first; non-finite values are left out."""
    kept = [point for point in points if math.isfinite(point.value)]
    return [
        ChangePoint(
            run_id=kept[split.index].run_id,
            timestamp=kept[split.index].timestamp,
            statistic=statistic,
            scope=scope,
            before=split.test.mean_before,
            after=split.test.mean_after,
            pvalue=split.test.pvalue,
        )
        for split in change_points([point.value for point in kept], max_pvalue, min_magnitude)
    ]


def current_segments(
    runs: Sequence[Record],
    *,
    statistics: Sequence[str] = KEY_STATISTICS,
    max_pvalue: float = DEFAULT_MAX_PVALUE,
    min_magnitude: float = DEFAULT_MIN_MAGNITUDE,
    endpoints: bool = True,
) -> list[ChangePoint]:
    """For each key statistic of the totals and of every endpoint of the newest run: the change
    point that started the segment the newest run is in, if its history has one.

    `runs` are oldest first and end with the run being judged (its eligible history before it):
    each result says since which run the statistic's current level holds. `endpoints` False: the
    totals only.
    """
    if not runs:
        return []
    newest = runs[-1]
    scopes: list[tuple[str, tuple[str, str]]] = [("totals", newest.totals.key)]
    if endpoints:
        scopes += [(f"{task.request_method} {task.task_name}".strip(), task.key) for task in newest.tasks]
    found = []
    for scope, key in scopes:
        for statistic in statistics:
            points = [
                HistoryPoint(run.run_id, run.metadata.timestamp, _value(run, key, statistic)) for run in runs
            ]
            changes = find_change_points(
                points, statistic=statistic, scope=scope, max_pvalue=max_pvalue, min_magnitude=min_magnitude
            )
            if changes:
                found.append(changes[-1])
    return found


def shifts_as_judged(
    runs: Sequence[Record], *, min_magnitude: float, max_pvalue: float = DEFAULT_MAX_PVALUE
) -> list[ChangePoint]:
    """The totals' level shifts that start at each run, as the judge saw them when it judged it.

    `runs` oldest first. For each run, `current_segments` over the runs up to it (the judge's own
    call, `suite_run.judge_run`), keeping the shifts that start at that run: its before and after
    are the means the judge's `level shift:` line gave for that run, not means over runs that came
    later (which moved the history's percentages away from the judge's, issue 19).
    """
    found: list[ChangePoint] = []
    for end in range(2, len(runs) + 1):
        newest = runs[end - 1]
        found += [
            point
            for point in current_segments(
                runs[:end], max_pvalue=max_pvalue, min_magnitude=min_magnitude, endpoints=False
            )
            if (point.timestamp, point.run_id) == (newest.metadata.timestamp, newest.run_id)
        ]
    return found


def _value(run: Record, key: tuple[str, str], statistic: str) -> float:
    entry = run.totals if key == run.totals.key else run.task(key)
    if entry is None:
        return math.nan
    try:
        return entry.stat(statistic)
    except KeyError:
        return math.nan
