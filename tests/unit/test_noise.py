"""Run-to-run noise (judge/noise.py): the conjugate posterior against scipy's chi-squared and
Student's t, the residuals within levels against numpy, the prior's scale per kind of statistic."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pytest_bfd_locust.judge.changepoints import change_points
from pytest_bfd_locust.judge.noise import (
    MIN_DISPERSION,
    PRIOR_SCALES,
    UNKNOWN_DISPERSION,
    Spread,
    SpreadMethod,
    dispersion,
    dispersion_level,
    level_residuals,
    noise_posterior,
    prior_log_sigma,
    prior_scale_of,
    rounding_log_sigma,
)
from pytest_bfd_locust.judge.significance import RATE_FLOOR


def newest_first(values: list[float]) -> list[float]:
    return list(reversed(values))


def test_residuals_within_levels_match_numpy_segment_by_segment() -> None:
    rng = np.random.default_rng(1)
    logs = [*rng.normal(math.log(120), 0.03, 8), *rng.normal(math.log(40), 0.03, 7)]
    cuts = [split.index for split in change_points(logs)]
    assert cuts == [8]
    squares, degrees, levels = level_residuals(logs)
    segments = [np.array(logs[:8]), np.array(logs[8:])]
    assert squares == pytest.approx(sum(float(((s - s.mean()) ** 2).sum()) for s in segments))
    assert (degrees, levels) == (15 - 2, 2)
    # One level over the whole series counts the step as noise.
    whole, whole_degrees, _ = level_residuals(logs, within_levels=False)
    assert whole == pytest.approx(float(np.var(logs) * len(logs)))
    assert whole_degrees == 14
    assert math.sqrt(whole / whole_degrees) > 10 * math.sqrt(squares / degrees)


def test_the_posterior_is_the_conjugate_update_checked_with_scipy() -> None:
    """sigma^2 | data ~ Scaled-Inv-chi^2(nu0 + df, (nu0 s0^2 + SS) / (nu0 + df)): the posterior
    scale is sigma_n, and nu * sigma_n^2 / sigma^2 is chi-squared with nu degrees of freedom, so
    the posterior median of sigma^2 is nu sigma_n^2 / chi2.median(nu) (scipy's invgamma agrees)."""
    rng = np.random.default_rng(2)
    values = list(np.exp(rng.normal(math.log(40), 0.04, size=9)))
    prior_sigma, nu0 = 0.1, 6.0
    spread = noise_posterior(newest_first(values), prior_sigma=prior_sigma, prior_degrees_of_freedom=nu0)
    logs = np.log(values)
    squares = float(((logs - logs.mean()) ** 2).sum())
    nu = nu0 + 8
    expected = math.sqrt((nu0 * prior_sigma**2 + squares) / nu)
    assert spread.log_sigma == pytest.approx(expected)
    assert (spread.degrees_of_freedom, spread.measured, spread.levels) == (nu, 8, 1)
    assert spread.method is SpreadMethod.POSTERIOR and spread.runs == 9
    assert spread.center == pytest.approx(float(np.median(values)))
    posterior = stats.invgamma(a=nu / 2, scale=nu * expected**2 / 2)
    assert posterior.median() == pytest.approx(nu * expected**2 / stats.chi2.median(nu))
    # The predictive difference of two new runs: Student's t, nu degrees of freedom, scale sigma_n sqrt(2).
    draws = 400_000
    sigma2 = nu * expected**2 / rng.chisquare(nu, size=draws)
    difference = rng.normal(0, np.sqrt(2 * sigma2))
    band = stats.t.ppf(0.99, nu) * expected * math.sqrt(2)
    assert float(np.mean(difference > band)) == pytest.approx(0.01, abs=0.001)


def test_one_earlier_run_is_the_prior_alone_and_rests_on_it() -> None:
    spread = noise_posterior([41.0], prior_sigma=0.08, prior_degrees_of_freedom=6.0)
    assert (spread.log_sigma, spread.degrees_of_freedom, spread.measured) == (0.08, 6.0, 0)
    assert spread.method is SpreadMethod.PRIOR and spread.rests_on_prior
    many = noise_posterior([40.0, 41.0, 40.5] * 4, prior_sigma=0.08, prior_degrees_of_freedom=6.0)
    assert not many.rests_on_prior and many.log_sigma < 0.08


def test_the_band_narrows_run_by_run() -> None:
    rng = np.random.default_rng(3)
    values = list(np.exp(rng.normal(math.log(40), 0.01, size=20)))
    bands = []
    for runs in (1, 2, 3, 5, 10, 20):
        spread = noise_posterior(values[:runs], prior_sigma=0.08, prior_degrees_of_freedom=6.0)
        bands.append(stats.t.ppf(1 - 0.01 / 18, spread.band_degrees_of_freedom) * spread.log_sigma)
    assert all(earlier > later for earlier, later in zip(bands, bands[1:], strict=False)), bands


def test_a_past_step_does_not_blind_the_noise() -> None:
    slow, fixed = [120.0, 121.0, 119.0, 122.0, 120.0, 118.0], [40.0, 40.5, 39.5, 41.0, 40.0, 40.2]
    within = noise_posterior(newest_first(slow + fixed), prior_sigma=0.05, prior_degrees_of_freedom=6.0)
    whole = noise_posterior(
        newest_first(slow + fixed), prior_sigma=0.05, prior_degrees_of_freedom=6.0, within_levels=False
    )
    assert within.levels == 2 and within.log_sigma < 0.05
    assert whole.levels == 1 and whole.log_sigma > 0.4


def test_rounding_floors_response_times_and_the_floor_of_rates_is_not_half_a_millisecond() -> None:
    rounded = noise_posterior([2.0] * 8, prior_sigma=0.01, prior_degrees_of_freedom=6.0, response_time=True)
    assert rounded.method is SpreadMethod.ROUNDING
    assert rounded.log_sigma == pytest.approx(1 / (2 * math.sqrt(12)))
    rates = noise_posterior(
        [0.45, 0.15, 0.45, 0.15], prior_sigma=0.01, prior_degrees_of_freedom=1.0, floor=RATE_FLOOR
    )
    assert rates.log_sigma > 0.5  # 0.45 and 0.15 differ (both would be 0.5 at the ms floor)


def test_rounding_spread_follows_the_bucket_width() -> None:
    assert rounding_log_sigma(40) == pytest.approx(1 / (40 * math.sqrt(12)))
    assert rounding_log_sigma(400) == pytest.approx(10 / (400 * math.sqrt(12)))
    assert rounding_log_sigma(0) == pytest.approx(1 / (0.5 * math.sqrt(12)))  # 0 ms counts as 0.5


def test_nan_and_infinite_values_are_left_out_and_no_values_is_the_prior() -> None:
    found = noise_posterior([40.0, math.nan, 41.0, math.inf], prior_sigma=0.1, prior_degrees_of_freedom=6)
    assert found.runs == 2
    empty = noise_posterior([math.nan], prior_sigma=0.1, prior_degrees_of_freedom=6.0)
    assert (empty.runs, empty.log_sigma, empty.method) == (0, 0.1, SpreadMethod.PRIOR)
    assert math.isnan(empty.center)


def test_dispersion_is_the_median_log_ratio_of_upper_to_median_with_the_rounding() -> None:
    pairs = [(44.0, 41.0), (45.0, 41.0), (60.0, 40.0), (math.nan, 41.0), (150.0, 120.0)]
    # Half a bucket each way: 1 ms below 100 ms, 10 ms from 100 ms.
    expected = np.median(np.log([44.5 / 40.5, 45.5 / 40.5, 60.5 / 39.5, 155 / 115]))
    assert dispersion(pairs) == pytest.approx(float(expected))
    assert dispersion([(1.0, 1.0)]) == pytest.approx(math.log(1.5 / 0.5))  # spread below 1 ms
    assert dispersion([]) == UNKNOWN_DISPERSION
    assert dispersion([(100.0, 100.0)]) == pytest.approx(math.log(105 / 95))
    assert dispersion([(400.0, 400.0)]) == MIN_DISPERSION  # ln(405 / 395) = 0.025


@pytest.mark.parametrize(
    ("name", "upper"),
    [
        ("median_response_time", "0.9"),
        ("average_response_time", "0.9"),
        ("0.75", "0.9"),
        ("0.9", "0.9"),
        ("0.95", "0.95"),
        ("0.99", "0.99"),
        ("0.999", "0.99"),
        ("max_response_time", "0.99"),
        ("total_reqs_per_second", "0.9"),
    ],
)
def test_dispersion_level_per_statistic(name: str, upper: str) -> None:
    assert dispersion_level(name) == upper


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("median_response_time", "median_response_time"),
        ("0.5", "median_response_time"),
        ("average_response_time", "average_response_time"),
        ("0.66", "0.9"),
        ("0.9", "0.9"),
        ("0.95", "0.95"),
        ("0.98", "0.99"),
        ("0.999", "0.99"),
        ("max_response_time", "0.99"),
        ("total_reqs_per_second", "rate"),
        ("num_requests", "rate"),
        ("total_fails_per_sec", "rate"),
    ],
)
def test_prior_scale_per_kind_of_statistic(name: str, kind: str) -> None:
    assert prior_scale_of(name) == PRIOR_SCALES[kind]
    assert prior_log_sigma(name, 0.5, 2.0) == pytest.approx(2.0 * PRIOR_SCALES[kind] * 0.5)


@pytest.mark.parametrize(("runs", "factor"), [(1, math.sqrt(2)), (4, math.sqrt(1.25)), (0, math.sqrt(2))])
def test_difference_sd_of_current_against_an_average_of_k(runs: int, factor: float) -> None:
    spread = Spread(runs=20, center=40.0, log_sigma=0.03, method=SpreadMethod.MAD)
    assert spread.difference_sd(runs) == pytest.approx(0.03 * factor)


def test_percent_reads_as_a_relative_change() -> None:
    assert Spread(5, 1.0, math.log(1.03), SpreadMethod.MAD).percent == pytest.approx(3.0)
