"""Run-to-run noise: how much one statistic moves between runs of unchanged code, from its stored history.

Pure: no pytest, boto3, locust, gevent, numpy or scipy. Two runs of the same code differ by more
than their requests' sampling error (machine load, warm-up, the target's own variance), so the
judge also asks the history of the run's hash how far each statistic wanders, on the log scale
(a statistic's noise grows with its size):

    sigma = max(1.4826 * median(|ln x_i - median(ln x)|),   (MAD: the spread of the usual runs)
                sd(ln x))                                   (the spread including the unusual ones)

Why not the MAD alone: on a shared machine a run now and then lands in a slow period (another
job's load) and moves a fast endpoint's median from 2 to 7 ms. Those runs are rare but real
run-to-run noise; the MAD ignores them by design, and the A/A false alarms of bench/detection.py
were 8-9 % per suite comparison with the MAD alone against about 1 % with the larger of the two.
(`heavy_tails=False` gives the MAD alone.) Stated fallbacks: when more than half the runs share
one value the MAD is 0 although the values vary, so the mean absolute deviation from the median
is used (`* sqrt(pi / 2)`); when every value is the same, 0. Response times are rounded by
Locust, so their spread is never taken below the rounding's own (a bucket of width w at value v:
`w / (v * sqrt(12))`).

The difference between the current run and a baseline that averages k independent runs has the
variance `sigma^2 * (1 + 1/k)`: a `previous` baseline (k = 1) is as noisy as the run itself.
(judge/rule.py measured that a shared machine's runs are not independent enough to credit k.)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from statistics import fmean, median

from pytest_bfd_locust.histogram import bucket_width
from pytest_bfd_locust.judge.significance import log_value

MAD_TO_SIGMA = 1.482602218505602
"""1 / Phi^-1(3/4): the MAD of a normal sample times this estimates its standard deviation."""

MEAN_DEVIATION_TO_SIGMA = math.sqrt(math.pi / 2.0)
"""The mean absolute deviation of a normal sample times this estimates its standard deviation."""


class SpreadMethod(StrEnum):
    """How a spread was estimated (said in messages when it is a fallback)."""

    MAD = "median absolute deviation"
    STANDARD_DEVIATION = "standard deviation (larger than the MAD's: some runs are unusual)"
    MEAN_DEVIATION = "mean absolute deviation (more than half the runs share one value)"
    IDENTICAL = "every run has the same value"
    ROUNDING = "Locust's rounding of response times"
    NONE = "no runs"


@dataclass(frozen=True)
class Spread:
    """The run-to-run spread of one statistic over its history."""

    runs: int
    """How many finite values it rests on."""
    center: float
    """The median value (in the statistic's unit); NaN without runs."""
    log_sigma: float
    """Robust standard deviation of ln(value) between runs, per run; 0 without runs."""
    method: SpreadMethod

    def difference_sd(self, baseline_runs: int) -> float:
        """The standard deviation of ln(current) - ln(baseline) for a baseline averaging `baseline_runs`."""
        return self.log_sigma * math.sqrt(1.0 + 1.0 / max(baseline_runs, 1))

    @property
    def percent(self) -> float:
        """The spread as a relative change of one run, in percent (exp(sigma) - 1)."""
        return math.expm1(self.log_sigma) * 100.0


def log_spread(values: Sequence[float], *, response_time: bool = False, heavy_tails: bool = True) -> Spread:
    """The run-to-run spread of ln(values) (see the module docstring); NaN and infinite values are left out.

    `response_time`: the values are Locust's rounded milliseconds, so the spread is at least the
    rounding's (relative to the median value). `heavy_tails=False`: the MAD alone.
    """
    finite = [value for value in values if math.isfinite(value)]
    if not finite:
        return Spread(runs=0, center=math.nan, log_sigma=0.0, method=SpreadMethod.NONE)
    logs = [log_value(value) for value in finite]
    center = median(logs)
    deviations = [abs(x - center) for x in logs]
    sigma, method = MAD_TO_SIGMA * median(deviations), SpreadMethod.MAD
    if sigma == 0.0:
        mean_deviation = sum(deviations) / len(deviations)
        sigma = MEAN_DEVIATION_TO_SIGMA * mean_deviation
        method = SpreadMethod.MEAN_DEVIATION if mean_deviation else SpreadMethod.IDENTICAL
    if heavy_tails and len(logs) > 1:
        mean = fmean(logs)
        deviation = math.sqrt(sum((x - mean) ** 2 for x in logs) / (len(logs) - 1))
        if deviation > sigma:
            sigma, method = deviation, SpreadMethod.STANDARD_DEVIATION
    center_value = median(finite)
    if response_time:
        rounding = rounding_log_sigma(center_value)
        if rounding > sigma:
            sigma, method = rounding, SpreadMethod.ROUNDING
    return Spread(runs=len(finite), center=center_value, log_sigma=sigma, method=method)


def rounding_log_sigma(ms: float) -> float:
    """The log-scale standard deviation Locust's bucket rounding alone gives a response time of `ms`."""
    value = max(ms, 0.5)
    return bucket_width(int(round(value))) / (value * math.sqrt(12.0))
