from __future__ import annotations

import pytest

from pytest_bfd_locust.timespan import TimespanError, format_timespan, parse_timespan


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30", 30),
        ("0", 0),
        ("30s", 30),
        ("3m", 180),
        ("2h", 7200),
        ("1h30m", 5400),
        ("1h2m3s", 3723),
        ("1m30s", 90),
        ("90s", 90),
        ("  45s\n", 45),
        (" 12 ", 12),
        (30, 30),
        (0, 0),
    ],
)
def test_parse_timespan(text: str | int, seconds: int) -> None:
    assert parse_timespan(text, "where") == seconds


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "s",
        "m",
        "3x",
        "3mx",
        "x3m",
        "1.5m",
        "-3",
        "-3s",
        "3m1h",
        "1 h",
        "30 s",
        "²",
        -1,
        True,
        1.5,
        None,
    ],
)
def test_parse_timespan_rejects(text: object) -> None:
    with pytest.raises(TimespanError) as info:
        parse_timespan(text, "suites.yaml: key 'spawned_runtime'")  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith("suites.yaml: key 'spawned_runtime': ")
    assert repr(text) in message
    assert info.value.value == text
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (5, "5s"),
        (60, "1m"),
        (90, "1m30s"),
        (3600, "1h"),
        (3661, "1h1m1s"),
        (5400, "1h30m"),
        (7205, "2h5s"),
    ],
)
def test_format_timespan(seconds: int, text: str) -> None:
    assert format_timespan(seconds) == text


@pytest.mark.parametrize("seconds", [0, 1, 59, 60, 61, 3599, 3600, 3601, 86399, 90061])
def test_format_then_parse_round_trips(seconds: int) -> None:
    assert parse_timespan(format_timespan(seconds), "round trip") == seconds


def test_format_timespan_rejects_negative() -> None:
    with pytest.raises(ValueError, match="-1"):
        format_timespan(-1)
