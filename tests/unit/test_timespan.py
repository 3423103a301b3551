from __future__ import annotations

import pytest

from pytest_bfd_locust.timespan import TimespanError, parse_timespan


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
