"""E-divisive means change points: the energy statistic against a brute-force numpy computation,
the t-test against scipy, and planted shifts."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from scipy import stats

from pytest_bfd_locust.judge.changepoints import (
    ChangePoint,
    HistoryPoint,
    _Energy,
    change_points,
    current_segments,
    find_change_points,
    two_sample_t_test,
)
from pytest_bfd_locust.record import Record


def brute_force_q(series: np.ndarray, start: int, tau: int, kappa: int) -> float:
    x, y = series[start:tau], series[tau:kappa]
    n, m = len(x), len(y)
    cross = np.abs(x[:, None] - y[None, :]).sum()
    within_x = np.abs(x[:, None] - x[None, :]).sum() / 2
    within_y = np.abs(y[:, None] - y[None, :]).sum() / 2
    q = 2 / (m + n) * cross
    if n > 1:
        q -= 2 * m / ((m + n) * (n - 1)) * within_x
    if m > 1:
        q -= 2 * n / ((m + n) * (m - 1)) * within_y
    return float(q)


@pytest.mark.parametrize("seed", range(5))
def test_best_split_maximizes_the_energy_statistic(seed: int) -> None:
    rng = np.random.default_rng(seed)
    series = np.concatenate([rng.normal(10, 1, 12), rng.normal(13, 1, 9)])
    start, end = 2, len(series)
    q, tau, kappa = _Energy(list(series)).best_split(start, end)  # type: ignore[misc]
    expected = max(
        (brute_force_q(series, start, t, k), t, k)
        for t in range(start + 1, end)
        for k in range(t + 1, end + 1)
    )
    assert q == pytest.approx(expected[0])
    assert (tau, kappa) == expected[1:]


@pytest.mark.parametrize(
    ("before", "after"),
    [([1, 2, 3, 4.5], [3, 5, 6, 7, 9]), ([10.0] * 5 + [11.0], [12.0, 13.0]), ([5.0, 6.0], [5.5])],
)
def test_t_test_matches_scipy(before: list[float], after: list[float]) -> None:
    result = two_sample_t_test(before, after)
    assert result.pvalue == pytest.approx(float(stats.ttest_ind(before, after).pvalue), rel=1e-9)
    assert (result.mean_before, result.mean_after) == (np.mean(before), np.mean(after))


def test_t_test_fallbacks_for_constant_and_tiny_samples() -> None:
    assert two_sample_t_test([3.0, 3.0], [3.0, 3.0]).pvalue == 1.0
    assert two_sample_t_test([3.0, 3.0], [4.0, 4.0]).pvalue == 0.0
    assert two_sample_t_test([3.0], [4.0]).pvalue == 1.0
    with pytest.raises(ValueError, match="both samples need values"):
        two_sample_t_test([], [1.0])


def test_a_planted_shift_is_found_where_it_starts() -> None:
    rng = random.Random(3)
    series = [40 + rng.gauss(0, 0.5) for _ in range(15)] + [50 + rng.gauss(0, 0.5) for _ in range(10)]
    [split] = change_points(series)
    assert split.index == 15
    assert split.test.magnitude == pytest.approx(0.25, abs=0.02)
    assert split.test.pvalue < 1e-10


def test_a_level_stepping_up_twice_gives_two_change_points() -> None:
    assert [s.index for s in change_points([10.0] * 10 + [12.0] * 10 + [15.0] * 10)] == [10, 20]


def test_a_single_unusual_run_is_not_a_segment_of_its_own() -> None:
    assert change_points([1.0] * 20 + [2.0] + [1.0] * 20) == []


def test_noise_alone_rarely_gives_a_change_point() -> None:
    rng = random.Random(11)
    found = sum(bool(change_points([rng.gauss(10, 1) for _ in range(30)])) for _ in range(200))
    assert found <= 10  # 0.1 % per test, a few percent per series after choosing the best split


@pytest.mark.parametrize("shift", [1.5, 3.0])
def test_planted_shifts_are_detected(shift: float) -> None:
    rng = random.Random(5)
    detected = 0
    for _ in range(100):
        series = [rng.gauss(10, 1) for _ in range(20)] + [rng.gauss(10 + shift, 1) for _ in range(10)]
        detected += any(abs(split.index - 20) <= 2 for split in change_points(series))
    assert detected >= (45 if shift == 1.5 else 90)


def test_constant_and_short_series_have_none() -> None:
    assert change_points([]) == [] and change_points([4.0]) == []
    assert change_points([7.0] * 30) == []


def test_min_magnitude_merges_small_shifts_away() -> None:
    series = [100.0, 100.2] * 8 + [103.0, 103.2] * 8
    assert [s.index for s in change_points(series)] == [16]
    assert change_points(series, min_magnitude=0.05) == []


def test_not_finite_values_are_refused_by_the_algorithm_and_left_out_by_the_wrapper() -> None:
    with pytest.raises(ValueError, match="NaN or infinite"):
        change_points([1.0, math.nan])
    points = [HistoryPoint(f"r{i}", 1_700_000_000 + i * 3600, 40.0) for i in range(10)]
    points += [HistoryPoint("bad", 1_700_050_000, math.nan)]
    points += [HistoryPoint(f"s{i}", 1_700_100_000 + i * 3600, 50.0) for i in range(6)]
    [point] = find_change_points(points, statistic="median_response_time", scope="GET /Claim")
    assert point == ChangePoint(
        run_id="s0",
        timestamp=1_700_100_000,
        statistic="median_response_time",
        scope="GET /Claim",
        before=40.0,
        after=50.0,
        pvalue=0.0,
    )
    assert point.magnitude == pytest.approx(0.25)
    assert point.when == "2023-11-16T02:00:00Z"


def test_current_segments_say_since_which_run_each_key_statistic_holds() -> None:
    from tests.record_factory import measured_record

    rng = np.random.default_rng(3)

    def one(index: int, claims_ms: float) -> Record:
        return measured_record(
            {
                "/claims": list(rng.lognormal(math.log(claims_ms), 0.03, size=300)),
                "/patient": list(rng.lognormal(math.log(3), 0.3, size=300)),
            },
            timestamp=1_700_000_000 + index * 600,
            run_id=f"run{index}",
        )

    runs = [one(i, 40.0) for i in range(12)] + [one(i, 50.0) for i in range(12, 16)]
    points = current_segments(runs, min_magnitude=0.1)
    by_series = {(p.scope, p.statistic): p for p in points}
    claims = by_series[("GET /claims", "median_response_time")]
    assert (claims.run_id, claims.timestamp) == ("run12", 1_700_000_000 + 12 * 600)
    assert claims.magnitude == pytest.approx(0.25, abs=0.03)
    assert ("GET /claims", "0.95") in by_series
    assert not any(scope == "GET /patient" for scope, _ in by_series)
    assert current_segments([]) == []
    assert current_segments(runs[:12], min_magnitude=0.1) == []
