"""Sharing a suite's false-alarm level among its statistics: adjusted p-values.

Pure, standard library only. A suite compares m statistics (every endpoint's median, average,
percentiles and requests/s, and the totals'); the suite should fail wrongly at most 1 - confidence
of the time, so each statistic needs more evidence than it would alone. Two ways, both as
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

Measured by bench/detection.py on the recorded runs: the suite's verdict (does any statistic
fail?) is the same under both in every cell, because it rests on the strongest statistic, which
both hold to (1 - confidence) / m; Hochberg only lets more statistics of a slowed endpoint fail
with it. Neither keeps an endpoint's sensitivity as endpoints are added: in a suite of 8
endpoints a 1.5x slowdown was caught from one earlier run 55 % of the time against 95 % in the
suite of 2 (README). A correction that would keep it needs the statistics' joint distribution
(an effective number of tests from their correlation over the history), which a history of a
few runs cannot estimate.
"""

from __future__ import annotations

from collections.abc import Sequence


def bonferroni_adjusted(pvalues: Sequence[float]) -> list[float]:
    """min(1, m p) for each p, in the given order."""
    m = len(pvalues)
    return [min(1.0, m * p) for p in pvalues]


def hochberg_adjusted(pvalues: Sequence[float]) -> list[float]:
    """Hochberg's step-up adjusted p-values, in the given order (module docstring)."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda index: pvalues[index])
    adjusted = [1.0] * m
    running = 1.0
    for rank in range(m - 1, -1, -1):
        index = order[rank]
        running = min(running, (m - rank) * pvalues[index])
        adjusted[index] = min(1.0, running)
    return adjusted
