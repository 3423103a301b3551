from __future__ import annotations

import math

import pytest

from pytest_bfd_locust.figures import (
    change_percent,
    format_change,
    format_value_with_unit,
    iso_utc,
    stat_label,
)
from pytest_bfd_locust.histogram import PERCENTILE_KEYS


@pytest.mark.parametrize(
    ("name", "label"),
    [
        ("0.5", "p50"),
        ("0.66", "p66"),
        ("0.9", "p90"),
        ("0.95", "p95"),
        ("0.999", "p99.9"),
        ("0.9999", "p99.99"),
        ("1.0", "p100"),
        ("median_response_time", "median"),
        ("total_reqs_per_second", "req/s"),
        ("num_failures", "failures"),
        ("something_else", "something_else"),
    ],
)
def test_stat_label(name: str, label: str) -> None:
    assert stat_label(name) == label


def test_every_percentile_key_gets_a_distinct_p_label() -> None:
    labels = [stat_label(key) for key in PERCENTILE_KEYS]
    assert all(label.startswith("p") for label in labels)
    assert len(set(labels)) == len(labels)


@pytest.mark.parametrize(
    ("baseline", "current", "text"),
    [
        (100, 125, "+25 %"),
        (100, 78, "-22 %"),
        (100, 102.5, "+2.5 %"),
        (100, 100, "0 %"),
        (0, 0, "0 %"),
        (0, 5, "from 0"),
        (40, 10, "-75 %"),
    ],
)
def test_format_change_is_signed(baseline: float, current: float, text: str) -> None:
    assert format_change(baseline, current) == text


def test_change_percent_from_zero_is_infinite() -> None:
    assert math.isinf(change_percent(0, 1))
    assert change_percent(200, 300) == pytest.approx(50.0)


def test_iso_utc_ignores_the_local_timezone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    assert iso_utc(1_600_000_000) == "2020-09-13T12:26:40Z"


@pytest.mark.parametrize(
    ("name", "value", "text"),
    [("0.95", 120, "120 ms"), ("average_response_time", 12.345, "12.3 ms"), ("num_requests", 42, "42"),
     ("total_reqs_per_second", 35.25, "35.2/s")],
)  # fmt: skip
def test_values_carry_their_unit(name: str, value: float, text: str) -> None:
    assert format_value_with_unit(name, value) == text
