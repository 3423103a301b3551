"""Sharing a suite's false-alarm level among its statistics: adjusted p-values.

Pure, standard library only. A suite compares m statistics (every endpoint's median, average,
percentiles and requests/s, and the totals'); the suite should fail wrongly at most 1 - confidence
of the time, so each statistic needs more evidence than it would alone. Three ways, all as
adjusted p-values (a statistic is rejected at level a when its adjusted p <= a):

- Bonferroni: p_adj = min(1, m p). Valid under any dependence; each statistic is held to a / m
  whatever the others show, so every endpoint added makes every other one less sensitive.
- Hochberg's step-up (Hochberg 1988, https://doi.org/10.1093/biomet/75.4.800): with the p-values
  sorted p_(1) <= ... <= p_(m), p_adj_(j) = min over k >= j of min(1, (m - k + 1) p_(k)). It
  controls the family-wise error when the tests are positively dependent (Sarkar 1998,
  https://doi.org/10.1214/aos/1028144846): a run's statistics are (a machine's slow period makes
  every response time worse and every rate lower at once, and the statistics of one endpoint
  share its requests). It rejects everything Bonferroni and Holm reject, and more when several
  statistics move together, which is what a slowed endpoint does: its median, average and
  percentiles, and the totals they feed, all at once.
- the step-up with Simes' critical values (`simes_adjusted`): the suite fails when Simes' test
  rejects, so statistics that move together need less evidence each.

- families per endpoint (`endpoint_families_adjusted`, the packaged default): Simes' test within
  each endpoint's statistics, Holm's step-down across endpoints. The split is among endpoints.

Measured by bench/detection.py on the recorded runs: the suite's verdict (does any statistic
fail?) is the same under Bonferroni and Hochberg in every cell, because it rests on the
strongest statistic, which both hold to (1 - confidence) / m. Families per endpoint caught 1.2x
from 1, 2, 3 earlier runs in 34, 46, 64 % of the draws (Hochberg 26, 34, 61 %), and 1.5x from one
earlier run in a suite of 8 endpoints in 72 % (Hochberg 56 %), with the same A/A false alarms but
one draw in 400. Simes' step-up over all statistics caught as much in the wide suite but raised
the A/A false alarms above 1 % (1.2-1.8 % with 1-10 earlier runs): a loaded machine moves every
statistic together too (README has the tables).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence


def bonferroni_adjusted(pvalues: Sequence[float]) -> list[float]:
    """min(1, m p) for each p, in the given order."""
    m = len(pvalues)
    return [min(1.0, m * p) for p in pvalues]


def simes_adjusted(pvalues: Sequence[float]) -> list[float]:
    """Step-up adjusted p-values with Simes' critical values j a / m, in the given order:
    p_adj_(j) = min over k >= j of min(1, m p_(k) / k) (the step-up of Benjamini and Hochberg 1995,
    https://doi.org/10.1111/j.2517-6161.1995.tb02031.x).

    What it controls, under the positive dependence of a run's statistics (Sarkar 1998): when
    nothing changed, the suite fails (any p_adj <= a) exactly when Simes' test of "no statistic
    is worse" rejects, at most a of the time (Simes 1986, https://doi.org/10.1093/biomet/73.3.751):
    the suite's false alarms are held to 1 - confidence like Bonferroni's. When something did
    change, the statistics flagged with it are wrong at most a fraction a of the time (the false
    discovery rate), not with probability a each. In return, k statistics moving together need
    k times less evidence each: a slowed endpoint's median, average, percentiles and the totals
    they feed make a suite fail together where none alone would.
    """
    m = len(pvalues)
    return _step_up(pvalues, lambda rank, pvalue: m * pvalue / (rank + 1))


def holm_adjusted(pvalues: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the given order (Holm 1979,
    https://www.jstor.org/stable/4615733): p_adj_(j) = max over k <= j of min(1, (m - k + 1) p_(k)).
    Valid under any dependence; its smallest is Bonferroni's m p_(1)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda index: pvalues[index])
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * pvalues[index]))
        adjusted[index] = running
    return adjusted


def hochberg_adjusted(pvalues: Sequence[float]) -> list[float]:
    """Hochberg's step-up adjusted p-values, in the given order (module docstring)."""
    m = len(pvalues)
    return _step_up(pvalues, lambda rank, pvalue: (m - rank) * pvalue)


def _step_up(pvalues: Sequence[float], scaled: Callable[[int, float], float]) -> list[float]:
    """A step-up procedure's adjusted p-values, in the given order: from the largest p-value down,
    p_adj of the statistic at 0-based `rank` (smallest p first) = min(1, the smallest
    scaled(r, p_(r)) over r >= rank). The procedures differ only in how they scale p_(r)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda index: pvalues[index])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m - 1, -1, -1):
        index = order[rank]
        running = min(running, scaled(rank, pvalues[index]))
        adjusted[index] = min(1.0, running)
    return adjusted


def endpoint_families_adjusted(pvalues: Sequence[float], families: Sequence[Hashable]) -> list[float]:
    """Adjusted p-values with each endpoint's statistics as one family, in the given order.

    `families[i]` names the family of `pvalues[i]` (an endpoint, or the totals). Two levels:

    1. within a family, Simes' test: p_F = min over k of n_F p_(k) / k. A family's statistics are
       read off the same requests (an endpoint's median, average, percentiles and requests/s), the
       positive dependence under which Simes' test holds its level (Sarkar 1998): when nothing in
       the endpoint changed, p_F <= a at most a of the time;
    2. across the f families, Holm's step-down on the p_F (`holm_adjusted`), so the suite's verdict
       (does any family reject?) rests on min f p_F: when nothing changed anywhere, the suite fails
       at most f (a / f) = a of the time, by Bonferroni's inequality whatever the dependence
       between endpoints. Not Hochberg's step-up here: it gains only when every family moves at
       once, which is what a loaded machine does, not a slowed endpoint.

    A statistic's adjusted p is the larger of its family's adjusted p (level 2) and its own within
    the family (Simes' step-up, `simes_adjusted`): the strongest statistic of a family carries the
    family's, its companions fail with it when they too stand out.

    What it buys: the split is among endpoints, not statistics. A slowed endpoint whose six
    statistics all moved needs what one statistic among f would, where Bonferroni and Hochberg over
    all m statistics ask it to be m / f times stronger; an endpoint added costs each other one a
    factor (f + 1) / f, not (m + n) / m. A loaded machine that moves every statistic of every
    endpoint gains the same within each family, which is what it costs (README, bench/detection.py).
    """
    members: dict[Hashable, list[int]] = {}
    for index, family in enumerate(families):
        members.setdefault(family, []).append(index)
    if len(families) != len(pvalues):
        raise ValueError(f"{len(pvalues)} p-values but {len(families)} family names")
    within: dict[int, float] = {}
    family_p: dict[Hashable, float] = {}
    for family, indices in members.items():
        adjusted = simes_adjusted([pvalues[index] for index in indices])
        within.update(zip(indices, adjusted, strict=True))
        family_p[family] = min(adjusted)
    names = list(family_p)
    across = dict(zip(names, holm_adjusted([family_p[name] for name in names]), strict=True))
    return [max(across[families[index]], within[index]) for index in range(len(pvalues))]
