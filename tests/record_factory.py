"""Small builders of records for tests: every value has a plain default, tests override what matters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pytest_bfd_locust.histogram import PERCENTILE_KEYS, Histogram
from pytest_bfd_locust.record import (
    TOTALS_NAME,
    EntryHistogram,
    Record,
    RecordMetadata,
    ResultStatus,
    TaskStats,
)

DEFAULT_HASH = "a" * 64


def make_task(
    name: str = "/v2/fhir/Patient",
    method: str = "GET",
    *,
    percentiles: Mapping[str, int] | None = None,
    **fields: Any,
) -> TaskStats:
    """A TaskStats with round numbers; `fields` override any TaskStats field by name."""
    values: dict[str, Any] = {
        "num_requests": 100,
        "num_failures": 0,
        "median_response_time": 100,
        "average_response_time": 110.0,
        "min_response_time": 50,
        "max_response_time": 400,
        "total_reqs_per_second": 10.0,
        "total_fails_per_sec": 0.0,
    }
    values.update(fields)
    rt_percentiles = {key: 100 for key in PERCENTILE_KEYS}
    rt_percentiles.update(percentiles or {})
    return TaskStats(
        task_name=name, request_method=method, response_time_percentiles=rt_percentiles, **values
    )


def make_totals(**fields: Any) -> TaskStats:
    return make_task(TOTALS_NAME, "", **fields)


def make_record(
    *,
    timestamp: int = 1_700_000_000,
    tags: Sequence[str] = ("default",),
    hash: str = DEFAULT_HASH,
    total_runtime: float = 30.0,
    compare_result: ResultStatus = ResultStatus.NOT_APPLICABLE,
    validation_result: ResultStatus = ResultStatus.NOT_APPLICABLE,
    totals: TaskStats | None = None,
    tasks: Sequence[TaskStats] | None = None,
    run_id: str | None = None,
    histograms: Mapping[tuple[str, str], Histogram] | None = None,
) -> Record:
    """A record of one GET task by default; `histograms` maps (name, method) to a histogram."""
    metadata = RecordMetadata(
        timestamp=timestamp,
        tags=tuple(tags),
        environment="test",
        stats_reset_after_spawn=True,
        num_total_users=10,
        num_users_per_second=10.0,
        requested_runtime=30,
        total_runtime=total_runtime,
        user_classes=("RegressionUser",),
        hash=hash,
        compare_result=compare_result,
        validation_result=validation_result,
    )
    return Record(
        metadata=metadata,
        totals=totals if totals is not None else make_totals(),
        tasks=tuple(tasks) if tasks is not None else (make_task(),),
        run_id=run_id,
        histograms=tuple(
            EntryHistogram(task_name=name, request_method=method, response_times=dict(histogram))
            for (name, method), histogram in (histograms or {}).items()
        ),
    )


def locust_bucket(ms: float) -> int:
    """Locust's `bucket_response_time`, written out as the tests' reference."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


def measured_record(
    endpoints: Mapping[str, Sequence[float]],
    *,
    runtime: float = 30.0,
    timestamp: int = 1_700_000_000,
    run_id: str | None = None,
    hash: str = DEFAULT_HASH,
) -> Record:
    """A record as Locust would have made it from these response times (ms) per GET endpoint:
    histograms in Locust's buckets, percentiles, median, average, min, max and rates from them,
    and the totals from all requests together."""
    from pytest_bfd_locust.histogram import (
        median_from_histogram,
        merge_histograms,
        percentiles_from_histogram,
    )

    def entry(name: str, method: str, times: Sequence[float]) -> tuple[TaskStats, dict[int, int]]:
        histogram: dict[int, int] = {}
        for ms in times:
            bucket = locust_bucket(ms)
            histogram[bucket] = histogram.get(bucket, 0) + 1
        count = len(times)
        lowest, highest = (round(min(times)), round(max(times))) if count else (0, 0)
        task = TaskStats(
            task_name=name,
            request_method=method,
            num_requests=count,
            num_failures=0,
            median_response_time=median_from_histogram(histogram, count, lowest, highest),
            average_response_time=sum(times) / count if count else 0.0,
            min_response_time=lowest,
            max_response_time=highest,
            total_reqs_per_second=count / runtime,
            total_fails_per_sec=0.0,
            response_time_percentiles=percentiles_from_histogram(histogram, count),
        )
        return task, histogram

    tasks = [entry(name, "GET", times) for name, times in sorted(endpoints.items())]
    every = [ms for _, times in sorted(endpoints.items()) for ms in times]
    totals, totals_histogram = entry(TOTALS_NAME, "", every)
    assert dict(merge_histograms(h for _, h in tasks)) == totals_histogram
    record = make_record(
        timestamp=timestamp,
        hash=hash,
        run_id=run_id,
        total_runtime=runtime,
        totals=totals,
        tasks=[task for task, _ in tasks],
        histograms={(TOTALS_NAME, ""): totals_histogram, **{task.key: h for task, h in tasks}},
    )
    return record
