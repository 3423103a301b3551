from __future__ import annotations

import json
from dataclasses import replace

import pytest

from pytest_bfd_locust.record import Record, RecordError
from pytest_bfd_locust.timeline import COLUMNS, Timeline, TimelineError, TimelineSample, sample_interval
from tests.record_factory import make_record

TIMELINE = Timeline(
    interval=1.0,
    samples=(
        TimelineSample(1.0, 2, 50, 0, 50.0, 3.2, 3, 6),
        TimelineSample(2.0, 4, 150, 2, 100.0, 4.0, 4, 9),
        TimelineSample(3.01, 4, 260, 7, 110.0, 4.4, 4, 10),
    ),
)


def test_a_record_keeps_its_timeline_through_json() -> None:
    record = replace(make_record(), timeline=TIMELINE)
    text = record.to_text()
    assert json.loads(text)["timeline"]["columns"] == list(COLUMNS)
    assert Record.from_json(json.loads(text)).timeline == TIMELINE


def test_the_seed_shape_without_a_timeline_still_loads() -> None:
    data = make_record().to_json()
    assert "timeline" not in data
    assert Record.from_json(data).timeline is None


def test_interval_failures_are_differences_of_the_running_total() -> None:
    assert TIMELINE.interval_failures() == [0, 2, 5]


def test_columns_are_found_by_name_in_any_order() -> None:
    data = TIMELINE.to_json()
    order = list(reversed(data["columns"]))
    data = {
        "interval": 1.0,
        "columns": order,
        "samples": [list(reversed(row)) for row in data["samples"]],
    }
    assert Timeline.from_json(data, "t") == TIMELINE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"interval": 0, "columns": list(COLUMNS), "samples": []},
            "record.timeline.interval: expected a number > 0",
        ),
        (
            {"interval": 1, "columns": ["elapsed"], "samples": []},
            "record.timeline.columns: 'users' is missing",
        ),
        (
            {"interval": 1, "columns": list(COLUMNS), "samples": [[1, 2]]},
            f"record.timeline.samples[0]: expected {len(COLUMNS)}",
        ),
        (
            {"interval": 1, "columns": list(COLUMNS), "samples": [[None] * len(COLUMNS)]},
            "record.timeline.samples[0]",
        ),
        (
            # Only an added column (cpu_percent) may hold null: a missing reading, not a missing figure.
            {"interval": 1, "columns": list(COLUMNS), "samples": [[1, 2, 3, 0, None, 1, 1, 1, 50]]},
            "record.timeline.samples[0]",
        ),
    ],
)
def test_a_malformed_timeline_names_the_field(data: dict[str, object], message: str) -> None:
    record = make_record().to_json()
    record["timeline"] = data
    with pytest.raises(RecordError) as error:
        Record.from_json(record)
    assert str(error.value).startswith(message)
    with pytest.raises(TimelineError):
        Timeline.from_json(data, "record.timeline")


def test_a_sample_of_an_interval() -> None:
    sample = sample_interval(
        elapsed=4.0,
        users=3,
        num_requests=400,
        num_failures=1,
        seconds=2.0,
        interval_requests=100,
        interval_response_ms=550.0,
        interval_percentiles={"0.5": 5, "0.95": 9},
    )
    assert (sample.rps, sample.avg_ms, sample.p50_ms, sample.p95_ms) == (50.0, 5.5, 5.0, 9.0)
    idle = sample_interval(
        elapsed=1.0, users=0, num_requests=0, num_failures=0, seconds=1.0,
        interval_requests=0, interval_response_ms=0.0, interval_percentiles={},
    )  # fmt: skip
    assert (idle.rps, idle.avg_ms, idle.p95_ms) == (0.0, 0.0, 0.0)


OLD_COLUMNS = ("elapsed", "users", "num_requests", "num_failures", "rps", "avg_ms", "p50_ms", "p95_ms")
"""The columns of timelines stored before the load generator's CPU was recorded."""


def test_a_timeline_stored_without_the_cpu_column_reads_with_no_reading() -> None:
    data = make_record().to_json()
    data["timeline"] = {
        "interval": 1.0,
        "columns": list(OLD_COLUMNS),
        "samples": [[1.0, 2, 50, 0, 50.0, 3.2, 3, 6], [2.0, 4, 150, 2, 100.0, 4.0, 4, 9]],
    }
    timeline = Record.from_json(data).timeline
    assert timeline is not None
    assert [sample.cpu_percent for sample in timeline.samples] == [None, None]
    assert [sample.p95_ms for sample in timeline.samples] == [6, 9]


def test_the_cpu_column_is_the_last_and_keeps_its_readings_and_gaps() -> None:
    assert COLUMNS[: len(OLD_COLUMNS)] == OLD_COLUMNS and COLUMNS[-1] == "cpu_percent"
    timeline = Timeline(
        interval=1.0,
        samples=(
            TimelineSample(1.0, 2, 50, 0, 50.0, 3.2, 3, 6, cpu_percent=None),
            TimelineSample(2.0, 4, 150, 2, 100.0, 4.0, 4, 9, cpu_percent=97.26),
        ),
    )
    data = json.loads(json.dumps(timeline.to_json()))
    assert [row[-1] for row in data["samples"]] == [None, 97.3]
    assert [s.cpu_percent for s in Timeline.from_json(data, "t").samples] == [None, 97.3]
