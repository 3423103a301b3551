"""The prior noise measured on a store's other hashes (judge/noise.py `series_ratios`,
`combined_scale`, `measured_scales`): each series's spread / D against numpy, the combination's
rules, and the packaged `PRIOR_SCALES` reproduced (to the hundredth) from the recorded runs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from pytest_bfd_locust.histogram import bucket_width
from pytest_bfd_locust.judge.changepoints import change_points
from pytest_bfd_locust.judge.noise import (
    MIN_SERIES,
    MIN_SERIES_RUNS,
    PACKAGED_PRIOR,
    PRIOR_CEILINGS,
    PRIOR_SCALES,
    PriorScales,
    combined_scale,
    measured_ceilings,
    measured_scales,
    prior_log_sigma,
    series_ratios,
    series_spreads,
)
from pytest_bfd_locust.record import Record
from tests.record_factory import make_record, make_task, make_totals

ROOT = Path(__file__).resolve().parents[2]
RECORDED_RUNS = ROOT / "bench" / "data" / "runs"


def _series(seed: int, runs: int = 16, hash: str = "b" * 64) -> list[Record]:
    """`runs` records of one endpoint (and totals alike) with stationary random figures, oldest first."""
    rng = np.random.default_rng(seed)
    records = []
    for index in range(runs):
        middle = int(rng.integers(40, 46))
        stats = {
            "median_response_time": middle,
            "average_response_time": float(middle + rng.uniform(1, 4)),
            "total_reqs_per_second": float(rng.uniform(95, 105)),
            "percentiles": {
                "0.9": middle + int(rng.integers(8, 12)),
                "0.95": middle + int(rng.integers(14, 20)),
                "0.99": middle + int(rng.integers(30, 45)),
            },
        }
        records.append(
            make_record(
                timestamp=1_700_000_000 + index,
                hash=hash,
                totals=make_totals(**stats),
                tasks=[make_task(**stats)],
            )
        )
    return records


def _numpy_ratio(records: list[Record], statistic: str, upper: str) -> float:
    """spread / D computed apart: the sample standard deviation of ln(values) (one level) over the
    median of ln((upper + w/2) / (median - w/2)), w Locust's bucket width."""
    values = np.array([record.totals.stat(statistic) for record in records], dtype=float)
    logs = np.log(values)
    assert change_points(list(logs)) == []  # one level: the sample standard deviation is the spread
    pairs = [(record.totals.stat(upper), record.totals.stat("median_response_time")) for record in records]
    dispersions = [
        math.log((hi + bucket_width(int(hi)) / 2) / (mid - bucket_width(int(mid)) / 2)) for hi, mid in pairs
    ]
    return float(np.std(logs, ddof=1) / np.median(dispersions))


@pytest.mark.parametrize(
    ("kind", "statistic", "upper"),
    [
        ("median_response_time", "median_response_time", "0.9"),
        ("average_response_time", "average_response_time", "0.9"),
        ("0.9", "0.9", "0.9"),
        ("0.95", "0.95", "0.95"),
        ("0.99", "0.99", "0.99"),
        ("rate", "total_reqs_per_second", "0.9"),
    ],
)
def test_a_series_ratio_matches_numpy(kind: str, statistic: str, upper: str) -> None:
    records = _series(seed=3)
    ratios = series_ratios(records)
    # The totals first, then the endpoint: here both carry the same figures.
    expected = _numpy_ratio(records, statistic, upper)
    assert ratios[kind] == pytest.approx([expected, expected], rel=1e-9)


def test_combined_scale_takes_the_largest_without_a_mode_jumping_outlier() -> None:
    assert combined_scale([0.2, 0.25, 0.3]) == 0.3
    # 10.7 is a statistic jumping between two modes (the packaged measurement's one such series).
    assert combined_scale([0.2, 0.22, 0.24, 0.5, 10.7]) == 0.5
    assert combined_scale([0.2, 0.3]) is None  # fewer than MIN_SERIES: the packaged value stays
    assert combined_scale([0.2, 0.3, math.nan]) is None
    assert MIN_SERIES == 3


def test_short_series_leave_the_packaged_prior() -> None:
    short = [_series(seed, runs=MIN_SERIES_RUNS - 1, hash=f"{seed}" * 64) for seed in range(4)]
    assert measured_scales(short) is PACKAGED_PRIOR
    assert measured_scales([]) is PACKAGED_PRIOR
    assert not PACKAGED_PRIOR.measured_in_store
    assert PACKAGED_PRIOR.describe() == ""


def test_measured_scales_of_other_hashes_replace_the_packaged_ones() -> None:
    series = [_series(seed, hash=f"{seed}" * 64) for seed in range(3)]
    prior = measured_scales(series)
    assert prior.series == 6 and prior.hashes == 3  # totals and one endpoint of three hashes
    assert prior.describe() == "prior measured on 6 series of 3 other hashes in the store"
    pooled = [ratio for records in series for ratio in series_ratios(records)["0.95"]]
    assert prior.by_kind["0.95"] == pytest.approx(max(pooled))
    assert prior.by_kind["0.95"] != PRIOR_SCALES["0.95"]
    # sigma0 of a statistic takes its kind's measured s: the p98 takes the p99's.
    assert prior_log_sigma("0.98", 0.5, 1.0, prior.by_kind) == pytest.approx(prior.by_kind["0.99"] * 0.5)
    assert prior_log_sigma("0.98", 0.5) == pytest.approx(PRIOR_SCALES["0.99"] * 0.5)


def _recorded_runs() -> list[list[Record]]:
    runs: dict[str, list[Record]] = {}
    for path in sorted(RECORDED_RUNS.glob("hash=*/*.stats.json")):
        record = Record.from_json(json.loads(path.read_text(encoding="utf-8")), str(path))
        runs.setdefault(record.metadata.hash, []).append(record)
    return [
        sorted(records, key=lambda r: (r.metadata.timestamp, r.run_id or "")) for records in runs.values()
    ]


def test_the_packaged_scales_are_the_measured_scales_of_the_recorded_runs() -> None:
    """One function measures both: the packaged values (bench/prior_scale.py) and a store's."""
    series = _recorded_runs()
    assert len(series) == 4
    measured = measured_scales(series)
    assert measured.series == 12 and measured.hashes == 4
    # Written down to the hundredth (0.2803 as 0.28, 0.323 as 0.33).
    assert dict(measured.by_kind) == pytest.approx(dict(PRIOR_SCALES), abs=0.01)
    assert dict(measured.by_kind) != pytest.approx(dict(PRIOR_SCALES), abs=0.001)  # measured, not copied


def test_the_packaged_ceilings_are_the_largest_spreads_of_the_recorded_runs() -> None:
    """PRIOR_CEILINGS: per kind the largest spread over the whole of any of the 12 recorded series
    (loaded periods counted; the median's mode-jumping totals left out), rounded up to the hundredth."""
    measured = measured_ceilings(_recorded_runs())
    assert measured.keys() == PRIOR_CEILINGS.keys()
    for kind, ceiling in PRIOR_CEILINGS.items():
        assert measured[kind] <= ceiling < measured[kind] + 0.01, kind
    # The claims totals' median, jumping between its 1 ms and 41 ms endpoints, spreads 1.13: left out.
    spreads = [
        spread
        for runs in _recorded_runs()
        for _, spread in series_spreads(runs, within_levels=False)["median_response_time"]
    ]
    assert max(spreads) > 1.0 > PRIOR_CEILINGS["median_response_time"]


def test_a_series_spread_matches_numpy() -> None:
    records = _series(seed=3)
    values = np.array([record.totals.stat("0.95") for record in records], dtype=float)
    (totals, endpoint) = series_spreads(records)["0.95"]
    assert totals[1] == pytest.approx(float(np.std(np.log(values), ddof=1)), rel=1e-9)
    assert totals[0] == pytest.approx(_numpy_ratio(records, "0.95", "0.95"), rel=1e-9)
    assert endpoint == totals  # the endpoint carries the same figures


@pytest.mark.parametrize("kind", sorted(PRIOR_CEILINGS))
def test_sigma0_follows_the_line_up_to_its_kinds_ceiling(kind: str) -> None:
    statistic = {"rate": "total_reqs_per_second"}.get(kind, kind)
    below = 0.5 * PRIOR_CEILINGS[kind] / PRIOR_SCALES[kind]
    assert prior_log_sigma(statistic, below) == pytest.approx(0.5 * PRIOR_CEILINGS[kind])
    # One noisy run of a 1 ms endpoint: p90 at 12 ms over a median rounded to 1 (D = ln(12.5 / 0.5)).
    assert prior_log_sigma(statistic, math.log(12.5 / 0.5)) == PRIOR_CEILINGS[kind]
    assert prior_log_sigma(statistic, 10.0, 2.0) == 2.0 * PRIOR_CEILINGS[kind]  # prior_scale widens both


def test_prior_scales_default_to_the_packaged_values() -> None:
    assert PriorScales().by_kind == PRIOR_SCALES
