"""Progress reports of the child: parsing a line of the progress file, and the line a user reads."""

from __future__ import annotations

import json

import pytest

from pytest_bfd_locust.run.progress import Progress, format_progress

REPORT = {
    "elapsed": 12.34,
    "spawned_elapsed": 2.5,
    "users": 10,
    "num_requests": 1234,
    "num_failures": 3,
    "current_rps": 98.5,
    "avg_response_time": 4.2,
}


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (json.dumps(REPORT), Progress(12.34, 10, 1234, 3, 98.5, 4.2, spawned_elapsed=2.5)),
        (json.dumps({**REPORT, "spawned_elapsed": None}), Progress(12.34, 10, 1234, 3, 98.5, 4.2)),
        (
            json.dumps({k: v for k, v in REPORT.items() if k != "spawned_elapsed"}),
            Progress(12.34, 10, 1234, 3, 98.5, 4.2),
        ),
        # Whole numbers where floats are reported, and a trailing newline, still parse.
        (
            json.dumps({**REPORT, "elapsed": 3, "current_rps": 0, "avg_response_time": 0}) + "\n",
            Progress(3.0, 10, 1234, 3, 0.0, 0.0, 2.5),
        ),
        # Keys a newer child may add are ignored.
        (json.dumps({**REPORT, "cpu": 4}), Progress(12.34, 10, 1234, 3, 98.5, 4.2, spawned_elapsed=2.5)),
    ],
    ids=["full", "not-yet-spawned", "no-spawned-key", "whole-numbers", "extra-key"],
)
def test_from_line_parses_a_report(line: str, expected: Progress) -> None:
    progress = Progress.from_line(line)
    assert progress == expected
    assert progress is not None and type(progress.elapsed) is float and type(progress.users) is int


LINE = json.dumps(REPORT)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "\n",
        LINE[: len(LINE) // 2],  # torn: the child had written half of it
        LINE[:-1],
        "[bfd] demo  12s/35s",  # foreign text
        "null",
        "[]",
        "42",
        '"elapsed"',
        json.dumps({k: v for k, v in REPORT.items() if k != "users"}),
        json.dumps({**REPORT, "num_requests": None}),
        json.dumps({**REPORT, "users": "ten"}),
        json.dumps({**REPORT, "current_rps": [1]}),
        json.dumps({**REPORT, "spawned_elapsed": "soon"}),
        # JSON numbers too large for a float become infinity, which is no count of users.
        LINE.replace('"users": 10', '"users": 1e999'),
    ],
    ids=[
        "empty",
        "newline",
        "torn-half",
        "torn-brace",
        "foreign-text",
        "null",
        "list",
        "number",
        "string",
        "missing-key",
        "null-count",
        "text-count",
        "list-rate",
        "text-spawned",
        "infinite-users",
    ],
)
def test_from_line_returns_none_for_torn_or_foreign_lines(line: str) -> None:
    assert Progress.from_line(line) is None


@pytest.mark.parametrize(
    ("suite", "progress", "expected_seconds", "target_users", "text"),
    [
        (
            "demo",
            Progress(12.34, 10, 1234, 0, 98.54, 4.4),
            35.0,
            10,
            "[bfd] demo  12s/35s  users 10/10  reqs 1234  fails 0  98.5 req/s  avg 4 ms",
        ),
        (
            "regression_v2",
            Progress(0.0, 0, 0, 0, 0.0, 0.0),
            181.6,
            100,
            "[bfd] regression_v2  0s/182s  users 0/100  reqs 0  fails 0  0.0 req/s  avg 0 ms",
        ),
        (
            "s",
            Progress(59.6, 7, 10, 10, 1.25, 1234.6, spawned_elapsed=40.0),
            60.0,
            8,
            "[bfd] s  60s/60s  users 7/8  reqs 10  fails 10  1.2 req/s  avg 1235 ms",
        ),
    ],
)
def test_format_progress(
    suite: str, progress: Progress, expected_seconds: float, target_users: int, text: str
) -> None:
    assert (
        format_progress(suite, progress, expected_seconds=expected_seconds, target_users=target_users) == text
    )
