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

Measured by bench/detection.py on the recorded runs: the suite's verdict (does any statistic
fail?) is the same under Bonferroni and Hochberg in every cell, because it rests on the
strongest statistic, which both hold to (1 - confidence) / m; Hochberg only lets more statistics
of a slowed endpoint fail with it. Neither keeps an endpoint's sensitivity as endpoints are
added: in a suite of 8 endpoints a 1.5x slowdown was caught from one earlier run 56 % of the time
against 95 % in the suite of 2. Simes' step-up caught 72 % there and more everywhere, but raised
the A/A false alarms above 1 % (to 1.2-1.8 % with 1-10 earlier runs): a loaded machine moves every
statistic together too. Hochberg is the packaged default (README has the table).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


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
