"""Stored records are not trusted: one dated in the future, or with negative counts or times, is
skipped with a warning naming its file instead of becoming the baseline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from pytest_bfd_locust.judge.baseline import BaselineQuery
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.record_checks import MAX_CLOCK_SKEW_S, implausible
from pytest_bfd_locust.stores.file import FileStore
from tests.record_factory import make_record, make_task, make_totals

NOW = 1_800_000_000


def record(**changes: Any) -> Record:
    return make_record(timestamp=changes.pop("timestamp", NOW - 60), **changes)


IMPLAUSIBLE = [
    ("future", record(timestamp=NOW + 86_400),
     f"metadata.timestamp {NOW + 86_400} is in the future (now {NOW})"),
    ("zero-time", record(timestamp=0), "metadata.timestamp 0 is not a time"),
    ("negative-runtime", record(total_runtime=-1.0), "metadata.total_runtime -1.0 is negative"),
    ("negative-requests", record(totals=make_totals(num_requests=-5)), "totals.num_requests -5 is negative"),
    ("negative-average", record(totals=make_totals(average_response_time=-30.0)),
     "totals.average_response_time -30.0 is negative"),
    ("negative-percentile", record(totals=make_totals(percentiles={"0.95": -1})),
     "totals.response_time_percentiles['0.95'] -1 is negative"),
    ("negative-task-median", record(tasks=[make_task(median_response_time=-100)]),
     "tasks[0].median_response_time -100 is negative"),
    ("more-failures-than-requests", record(totals=make_totals(num_requests=3, num_failures=4)),
     "totals.num_failures 4 exceeds num_requests 3"),
    ("negative-histogram-count", record(histograms={("/v2/fhir/Patient", "GET"): {40: 10, 41: -3}}),
     "histograms[0].response_times: bucket [41, -3] is negative"),
    ("negative-histogram-bucket", record(histograms={("/v2/fhir/Patient", "GET"): {-5: 2}}),
     "histograms[0].response_times: bucket [-5, 2] is negative"),
]  # fmt: skip


@pytest.mark.parametrize(("bad", "reason"), [c[1:] for c in IMPLAUSIBLE], ids=[c[0] for c in IMPLAUSIBLE])
def test_implausible_records_are_named(bad: Record, reason: str) -> None:
    assert implausible(bad, now=NOW) == reason


def test_a_plausible_record_and_a_clock_a_little_ahead_pass() -> None:
    assert implausible(record(), now=NOW) is None
    assert implausible(record(timestamp=NOW + MAX_CLOCK_SKEW_S), now=NOW) is None


def test_file_store_skips_implausible_records_with_a_warning_naming_the_file(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    now = int(time.time())
    passed = {"validation_result": ResultStatus.PASSED}
    good = store.save(make_record(timestamp=now - 3600, run_id="good", **passed))
    future = store.save(make_record(timestamp=now + 10 * 365 * 86_400, run_id="future", **passed))
    negative = store.save(
        make_record(
            timestamp=now - 60,
            run_id="negative",
            totals=make_totals(average_response_time=-3000.0, median_response_time=-3000),
            **passed,
        )
    )
    query = BaselineQuery(hash=make_record().metadata.hash, tag="default", total_runtime=30.0, limit=1)
    loaded = store.load_baseline(query)
    assert [r.run_id for r in loaded.records] == ["good"], f"{good} is the only plausible baseline"
    assert len(loaded.warnings) == 2
    assert loaded.warnings[0].startswith(f"skipped stored record {future}: metadata.timestamp ")
    assert "is in the future" in loaded.warnings[0]
    assert loaded.warnings[1] == (
        f"skipped stored record {negative}: totals.median_response_time -3000 is negative"
    )
