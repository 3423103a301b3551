"""Run-to-run spread from history, against scipy's median_abs_deviation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pytest_bfd_locust.judge.noise import (
    MEAN_DEVIATION_TO_SIGMA,
    Spread,
    SpreadMethod,
    log_spread,
    rounding_log_sigma,
)


def test_mad_of_log_values_matches_scipy() -> None:
    rng = np.random.default_rng(2)
    values = rng.lognormal(math.log(40), 0.05, size=20)
    spread = log_spread(list(values), heavy_tails=False)
    expected = stats.median_abs_deviation(np.log(values), scale="normal")
    assert spread.method is SpreadMethod.MAD
    assert spread.log_sigma == pytest.approx(float(expected))
    assert spread.center == pytest.approx(float(np.median(values)))
    assert spread.runs == 20


def test_mad_estimates_the_spread_of_normal_log_values() -> None:
    rng = np.random.default_rng(4)
    for heavy_tails in (False, True):
        estimates = [
            log_spread(list(rng.lognormal(0, 0.1, size=20)), heavy_tails=heavy_tails).log_sigma
            for _ in range(2000)
        ]
        # max(MAD, sd) sits a little above sigma for normal data: the price of seeing rare slow runs.
        expected = (0.1, 0.05) if not heavy_tails else (0.107, 0.05)
        assert float(np.median(estimates)) == pytest.approx(expected[0], rel=expected[1])


def test_an_unusual_run_widens_the_spread_to_the_standard_deviation() -> None:
    steady = [40.0, 41.0, 40.5, 39.5, 40.0, 41.5, 40.0, 39.0, 40.5, 40.0]
    values = [*steady, 60.0]
    # The MAD alone barely moves (robust by design) ...
    assert (
        log_spread(values, heavy_tails=False).log_sigma
        < 1.5 * log_spread(steady, heavy_tails=False).log_sigma
    )
    # ... the judge's spread takes the slow run in: the standard deviation of the logs (numpy).
    spread = log_spread(values)
    assert spread.method is SpreadMethod.STANDARD_DEVIATION
    assert spread.log_sigma == pytest.approx(float(np.std(np.log(values), ddof=1)))


def test_mad_stays_when_it_is_the_larger() -> None:
    values = [10.0, 10.5, 11.0, 11.5, 12.0, 12.5, 13.0, 10.0, 13.0]
    mad = float(stats.median_abs_deviation(np.log(values), scale="normal"))
    assert mad > float(np.std(np.log(values), ddof=1))
    assert log_spread(values).method is SpreadMethod.MAD
    assert log_spread(values).log_sigma == pytest.approx(mad)


def test_mostly_identical_values_fall_back_to_the_mean_deviation() -> None:
    values = [10.0] * 7 + [12.0, 8.0, 11.0]
    logs = np.log(values)
    spread = log_spread(values, heavy_tails=False)
    assert spread.method is SpreadMethod.MEAN_DEVIATION
    assert spread.log_sigma == pytest.approx(
        MEAN_DEVIATION_TO_SIGMA * float(np.mean(np.abs(logs - np.median(logs))))
    )


def test_identical_values_have_zero_spread_or_the_rounding_for_response_times() -> None:
    assert log_spread([5.0] * 8) == Spread(8, 5.0, 0.0, SpreadMethod.IDENTICAL)
    rounded = log_spread([2.0] * 8, response_time=True)
    assert rounded.method is SpreadMethod.ROUNDING
    assert rounded.log_sigma == pytest.approx(1 / (2 * math.sqrt(12)))


def test_rounding_spread_follows_the_bucket_width() -> None:
    assert rounding_log_sigma(40) == pytest.approx(1 / (40 * math.sqrt(12)))
    assert rounding_log_sigma(400) == pytest.approx(10 / (400 * math.sqrt(12)))
    assert rounding_log_sigma(0) == pytest.approx(1 / (0.5 * math.sqrt(12)))  # 0 ms counts as 0.5


def test_nan_and_infinite_values_are_left_out_and_no_values_is_stated() -> None:
    assert log_spread([40.0, math.nan, 41.0, math.inf]).runs == 2
    empty = log_spread([math.nan])
    assert (empty.runs, empty.log_sigma, empty.method) == (0, 0.0, SpreadMethod.NONE)
    assert math.isnan(empty.center)


def test_zero_values_count_as_half_a_unit() -> None:
    spread = log_spread([0.0, 0.0, 1.0, 0.0, 1.0])
    assert math.isfinite(spread.log_sigma) and spread.log_sigma > 0


@pytest.mark.parametrize(("runs", "factor"), [(1, math.sqrt(2)), (4, math.sqrt(1.25)), (0, math.sqrt(2))])
def test_difference_sd_of_current_against_an_average_of_k(runs: int, factor: float) -> None:
    spread = Spread(runs=20, center=40.0, log_sigma=0.03, method=SpreadMethod.MAD)
    assert spread.difference_sd(runs) == pytest.approx(0.03 * factor)


def test_difference_sd_matches_a_simulation() -> None:
    """Var(ln x - mean of k ln y) for independent runs, checked with numpy."""
    rng = np.random.default_rng(9)
    sigma, k = 0.05, 5
    current = rng.normal(0, sigma, size=200_000)
    baseline = rng.normal(0, sigma, size=(200_000, k)).mean(axis=1)
    spread = Spread(runs=20, center=1.0, log_sigma=sigma, method=SpreadMethod.MAD)
    assert spread.difference_sd(k) == pytest.approx(float(np.std(current - baseline)), rel=0.01)


def test_percent_reads_as_a_relative_change() -> None:
    assert Spread(5, 1.0, math.log(1.03), SpreadMethod.MAD).percent == pytest.approx(3.0)
