"""The stdlib distributions against scipy.stats (the independent reference, test extra only)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from pytest_bfd_locust.judge.distributions import (
    beta_binomial_sf,
    binomial_cdf,
    binomial_quantile,
    normal_quantile,
    regularized_beta,
    student_t_cdf,
    student_t_quantile,
)

SIZES = [1, 2, 3, 5, 7, 10, 33, 200, 1000, 20_000, 100_000]
LEVELS = [0.01, 0.05, 0.5, 0.66, 0.9, 0.95, 0.99, 0.999, 0.9999]
PROBABILITIES = [1e-5, 0.00025, 0.005, 0.025, 0.1, 0.5, 0.9, 0.975, 0.995, 0.99975]


@pytest.mark.parametrize("a", [0.5, 1.0, 2.5, 10.0, 400.0])
@pytest.mark.parametrize("b", [0.5, 1.0, 3.0, 50.0])
@pytest.mark.parametrize("x", [0.0, 1e-6, 0.1, 0.5, 0.77, 0.999, 1.0])
def test_regularized_beta_matches_scipy(a: float, b: float, x: float) -> None:
    from scipy.special import betainc

    assert regularized_beta(a, b, x) == pytest.approx(float(betainc(a, b, x)), rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("p", LEVELS)
def test_binomial_cdf_matches_scipy(n: int, p: float) -> None:
    for k in sorted({-1, 0, 1, n // 3, int(n * p), n - 1, n}):
        assert binomial_cdf(k, n, p) == pytest.approx(float(stats.binom.cdf(k, n, p)), rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("n", [1, 7, 140, 2000])
@pytest.mark.parametrize(("a", "b"), [(1.0, 1.0), (8.0, 133.0), (71.0, 70.0), (2.0, 299.0)])
def test_beta_binomial_sf_matches_scipy(n: int, a: float, b: float) -> None:
    for k in sorted({-1, 0, 1, n // 20, n // 2, n - 1, n}):
        # The tail as a sum of scipy's pmf: its `sf` is 1 - cdf, ~1e-13 of rounding in far tails.
        expected = float(stats.betabinom.pmf(np.arange(max(k + 1, 0), n + 1), n, a, b).sum())
        assert beta_binomial_sf(k, n, a, b) == pytest.approx(expected, rel=1e-6, abs=1e-15)


@pytest.mark.parametrize(("n", "a", "b"), [(200_000, 100_001.0, 100_000.0), (300_000, 3_000.0, 297_001.0)])
def test_beta_binomial_sf_of_a_large_run_matches_scipy(n: int, a: float, b: float) -> None:
    """A run of 10^5 requests: the sum stops once its terms no longer count, on either side. The
    reference is the sum of scipy's pmf (scipy's own `sf` is 2.2e-10 where the tail is 9.9e-10:
    mpmath at 30 digits agrees with the sum)."""
    mean = n * a / (a + b)
    spread = math.sqrt(n * a * b * (a + b + n) / ((a + b) ** 2 * (a + b + 1)))
    pmf = stats.betabinom.pmf(np.arange(n + 1), n, a, b)
    for k in (
        int(mean - 6 * spread),
        int(mean - spread),
        int(mean),
        int(mean + spread),
        int(mean + 6 * spread),
    ):
        expected = float(pmf[k + 1 :].sum())
        assert beta_binomial_sf(k, n, a, b) == pytest.approx(expected, rel=1e-6, abs=1e-12)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("p", LEVELS)
def test_binomial_quantile_matches_scipy_ppf(n: int, p: float) -> None:
    for probability in PROBABILITIES:
        expected = int(stats.binom.ppf(probability, n, p))
        got = binomial_quantile(probability, n, p)
        if got != expected:
            # Only an exact tie may differ: the CDF at the smaller k equals the probability to
            # within float rounding, and scipy and this module round it differently.
            smaller = min(got, expected)
            assert stats.binom.cdf(smaller, n, p) == pytest.approx(probability, rel=1e-11)


def _bisection_over_all_k(probability: float, n: int, p: float) -> int:
    """binomial_quantile as it was before issue 19's large record: bisection over all of [0, n]."""
    reach = probability * (1.0 - 1e-12)
    low, high = 0, n
    while low < high:
        middle = (low + high) // 2
        if binomial_cdf(middle, n, p) >= reach:
            high = middle
        else:
            low = middle + 1
    return low


@pytest.mark.parametrize("n", [1, 2, 17, 1000, 123_457, 3_000_000, 10**7])
@pytest.mark.parametrize("p", LEVELS)
def test_binomial_quantile_from_its_normal_guess_is_the_full_bisections_answer(n: int, p: float) -> None:
    """The search starts near the answer (bench/large_record.py: the judge's slowest step) and
    lands on exactly the k the bisection over all of [0, n] gave: no verdict can change."""
    for probability in (0.0005, 0.005, 0.025, 0.5, 0.975, 0.995, 0.9995):
        assert binomial_quantile(probability, n, p) == _bisection_over_all_k(probability, n, p)


def test_binomial_quantile_exact_tie_stays_at_the_lower_k() -> None:
    assert binomial_quantile(0.5, 5, 0.5) == 2 == int(stats.binom.ppf(0.5, 5, 0.5))


@pytest.mark.parametrize("df", [1, 2, 3.5, 4, 9, 19, 100, 1000])
@pytest.mark.parametrize("t", [-40.0, -3.0, -0.5, 0.0, 0.7, 2.0, 6.0, 100.0])
def test_student_t_cdf_matches_scipy(df: float, t: float) -> None:
    assert student_t_cdf(t, df) == pytest.approx(float(stats.t.cdf(t, df)), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("df", [1, 2, 3.5, 4, 9, 19, 100, 1000])
@pytest.mark.parametrize("q", [0.0001, 0.01, 0.3, 0.5, 0.9, 0.975, 0.99, 0.99975, 0.99999])
def test_student_t_quantile_matches_scipy(df: float, q: float) -> None:
    assert student_t_quantile(q, df) == pytest.approx(float(stats.t.ppf(q, df)), rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("q", [1e-9, 0.001, 0.025, 0.5, 0.975, 0.99975])
def test_normal_quantile_matches_scipy(q: float) -> None:
    assert normal_quantile(q) == pytest.approx(float(stats.norm.ppf(q)), rel=1e-9, abs=1e-12)


def test_edges_are_infinite_not_errors() -> None:
    assert normal_quantile(0.0) == -math.inf and normal_quantile(1.0) == math.inf
    assert student_t_quantile(1.0, 3) == math.inf and student_t_quantile(0.0, 3) == -math.inf
    assert student_t_cdf(math.inf, 3) == 1.0 and student_t_cdf(-math.inf, 3) == 0.0
    assert binomial_cdf(3, 10, 0.0) == 1.0 and binomial_cdf(3, 10, 1.0) == 0.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: regularized_beta(0, 1, 0.5), "a and b must be > 0"),
        (lambda: regularized_beta(1, 1, 1.5), "x must be in [0, 1]"),
        (lambda: student_t_cdf(1.0, 0), "df must be > 0"),
        (lambda: student_t_quantile(0.9, -1), "df must be > 0"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(call, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        call()
