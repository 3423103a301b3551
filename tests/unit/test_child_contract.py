"""The runner <-> child contract: `ChildControl` there, `ChildResult` and progress lines back, each
written and read by the one type both sides import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_bfd_locust.judge.sla import SlaRules
from pytest_bfd_locust.record import RecordError
from pytest_bfd_locust.run.child_control import ChildControl, ChildResult, ChildResultError
from pytest_bfd_locust.run.progress import Progress
from tests.record_factory import make_record


def test_a_finished_run_reads_back_as_written(tmp_path: Path) -> None:
    result = ChildResult(
        record=make_record(),
        abort_reason="failsafe: average response time 12000 ms exceeded failsafe_avg_ms 10000 ms",
        report_error="Locust's HTML report /a/report.html could not be written: disk full",
        html_path="/a/report.html",
        interrupted_requests=3,
    )
    result.write(tmp_path / "result.json")
    assert ChildResult.read(tmp_path / "result.json") == result


def test_the_control_carries_the_sla_and_abort_on_breach(tmp_path: Path) -> None:
    rules = SlaRules(
        totals={"p95": 1000}, endpoints={"GET /a b": {"p50": 10, "p99": 90}}, window=10.0, min_rps=2.5
    )
    control = ChildControl(
        result_path="r",
        progress_path="p",
        suite="s",
        run_id="id",
        environment="local",
        tags=("default",),
        spawned_runtime=60,
        failsafe_avg_ms=10000.0,
        worker_wait=0.0,
        sla=rules.to_json(),
        abort_on_breach=True,
        abort_after=30.0,
    )
    control.write(tmp_path / "control.json")
    read = ChildControl.read(str(tmp_path / "control.json"))
    assert read == control
    assert read.sla is not None
    assert SlaRules.from_json(read.sla) == rules


def test_a_refusal_is_the_setup_error_alone(tmp_path: Path) -> None:
    ChildResult(setup_error="no host: set `host:`").write(tmp_path / "result.json")
    assert json.loads((tmp_path / "result.json").read_text()) == {"setup_error": "no host: set `host:`"}
    assert ChildResult.read(tmp_path / "result.json") == ChildResult(setup_error="no host: set `host:`")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"interrupted_requests": "3"},
            "result.json: interrupted_requests: expected a whole number >= 0, got '3'",
        ),
        (
            {"interrupted_requests": -1},
            "result.json: interrupted_requests: expected a whole number >= 0, got -1",
        ),
        ({"abort_reason": 3}, "result.json: abort_reason: expected a string or null, got 3"),
        ({"html_path": ["a"]}, "result.json: html_path: expected a string or null, got ['a']"),
        ({"record": None}, "result.json: record: missing"),
    ],
)
def test_a_bad_field_is_named(tmp_path: Path, change: dict[str, object], message: str) -> None:
    data = {**ChildResult(record=make_record()).to_json(), **change}
    with pytest.raises(ChildResultError) as raised:
        ChildResult.from_json(data, "result.json")
    assert str(raised.value) == message


def test_a_bad_record_is_named_by_its_field_path() -> None:
    data = ChildResult(record=make_record()).to_json()
    del data["record"]["totals"]["num_requests"]
    with pytest.raises(RecordError, match=r"^result.json: record\.totals\.num_requests: "):
        ChildResult.from_json(data, "result.json")


def test_a_file_that_is_not_json_is_named(tmp_path: Path) -> None:
    (tmp_path / "result.json").write_text('{"record": ')
    with pytest.raises(ChildResultError, match=r"result.json: not JSON"):
        ChildResult.read(tmp_path / "result.json")


def test_a_progress_line_reads_back_as_written() -> None:
    progress = Progress(
        elapsed=12.5,
        users=10,
        num_requests=1234,
        num_failures=2,
        current_rps=98.5,
        avg_response_time=4.2,
        spawned_elapsed=11.0,
        workers=2,
    )
    assert Progress.from_line(progress.to_line()) == progress
