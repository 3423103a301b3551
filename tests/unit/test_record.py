"""The record (SPEC §6): its hash, its JSON shape, round trips, bad input and Locust's percentile rule."""

from __future__ import annotations

import copy
import hashlib
import re
from collections.abc import Callable
from typing import Any

import pytest

from pytest_bfd_locust.histogram import PERCENTILE_KEYS, percentiles_from_histogram
from pytest_bfd_locust.hosts import host_without_credentials, is_http_url
from pytest_bfd_locust.record import (
    TOTALS_NAME,
    EntryHistogram,
    ErrorCount,
    Record,
    RecordError,
    ResultStatus,
    record_hash,
)
from tests.record_factory import make_record, make_task, make_totals

# --- record_hash ----------------------------------------------------------------------------------

HASH_INPUTS: dict[str, Any] = {
    "user_classes": ["RegressionUser"],
    "entry_names": ["/v2/fhir/Patient", "/v2/fhir/Coverage"],
    "num_users": 10,
    "requested_runtime": 30,
    "spawn_rate": 10,
    "stats_reset_after_spawn": False,
    "environment": "local",
}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    ("overrides", "literal"),
    [
        ({}, "RegressionUser/v2/fhir/Coverage/v2/fhir/Patient103010.0Falselocalpepper1"),
        # An int spawn rate hashes as the float Locust parsed.
        ({"spawn_rate": 10}, "RegressionUser/v2/fhir/Coverage/v2/fhir/Patient103010.0Falselocalpepper1"),
        ({"spawn_rate": 10.0}, "RegressionUser/v2/fhir/Coverage/v2/fhir/Patient103010.0Falselocalpepper1"),
        ({"spawn_rate": 0.5}, "RegressionUser/v2/fhir/Coverage/v2/fhir/Patient10300.5Falselocalpepper1"),
        (
            {"stats_reset_after_spawn": True},
            "RegressionUser/v2/fhir/Coverage/v2/fhir/Patient103010.0Truelocalpepper1",
        ),
        (
            {"user_classes": ["ZUser", "AUser", "MUser"]},
            "AUserMUserZUser/v2/fhir/Coverage/v2/fhir/Patient103010.0Falselocalpepper1",
        ),
        (
            {"entry_names": ["c", "a", "b"]},
            "RegressionUserabc103010.0Falselocalpepper1",
        ),
        ({"entry_names": []}, "RegressionUser103010.0Falselocalpepper1"),
        (
            {"num_users": 250, "requested_runtime": 180, "environment": "prod-sbx"},
            "RegressionUser/v2/fhir/Coverage/v2/fhir/Patient25018010.0Falseprod-sbxpepper1",
        ),
    ],
)
def test_record_hash_is_sha256_of_the_seed_concatenation(overrides: dict[str, Any], literal: str) -> None:
    assert record_hash(**{**HASH_INPUTS, **overrides}) == _sha256(literal)


def test_record_hash_literal_digest() -> None:
    # Computed once, outside this code base, from the literal string of the first case above: any
    # change of the algorithm (order, separators, pepper, digest) changes it.
    assert record_hash(**HASH_INPUTS) == "9964f76d80947f7a583fde75daaaf733fd0b9f136e0d175c6724ff355256d8a6"


def test_record_hash_does_not_depend_on_input_order() -> None:
    shuffled = {
        **HASH_INPUTS,
        "user_classes": ("B", "A"),
        "entry_names": iter(["/v2/fhir/Coverage", "/v2/fhir/Patient"]),
    }
    ordered = {
        **HASH_INPUTS,
        "user_classes": ["A", "B"],
        "entry_names": ["/v2/fhir/Patient", "/v2/fhir/Coverage"],
    }
    assert record_hash(**shuffled) == record_hash(**ordered)


# --- to_json: the shape of SPEC §6 ----------------------------------------------------------------

METADATA_TYPES: dict[str, type] = {
    "timestamp": int,
    "tags": list,
    "environment": str,
    "stats_reset_after_spawn": bool,
    "num_total_users": int,
    "num_users_per_second": float,
    "requested_runtime": int,
    "total_runtime": float,
    "user_classes": list,
    "hash": str,
    "compare_result": str,
    "validation_result": str,
}

TASK_TYPES: dict[str, type] = {
    "task_name": str,
    "request_method": str,
    "num_requests": int,
    "num_failures": int,
    "median_response_time": int,
    "average_response_time": float,
    "min_response_time": int,
    "max_response_time": int,
    "total_reqs_per_second": float,
    "total_fails_per_sec": float,
    "response_time_percentiles": dict,
}

SPEC_PERCENTILE_KEYS = ["0.5", "0.66", "0.75", "0.8", "0.9", "0.95", "0.98", "0.99", "0.999", "0.9999", "1.0"]


def _assert_types(obj: dict[str, Any], types: dict[str, type], where: str) -> None:
    assert set(obj) == set(types), where
    for key, expected in types.items():
        # bool is an int subclass: an int field holding a bool would be a wrong type.
        assert type(obj[key]) is expected, f"{where}.{key}: {type(obj[key]).__name__}"


def test_seed_record_has_exactly_the_spec_keys_and_types() -> None:
    data = make_record(tasks=[make_task("/a", "GET"), make_task("/b", "POST")]).to_json()
    assert set(data) == {"metadata", "totals", "tasks"}
    _assert_types(data["metadata"], METADATA_TYPES, "metadata")
    assert all(type(t) is str for t in data["metadata"]["tags"])
    assert all(type(c) is str for c in data["metadata"]["user_classes"])
    assert data["metadata"]["compare_result"] == "NOT_APPLICABLE"
    assert data["metadata"]["validation_result"] == "NOT_APPLICABLE"
    assert isinstance(data["tasks"], list) and len(data["tasks"]) == 2
    for where, task in [
        ("totals", data["totals"]),
        ("tasks[0]", data["tasks"][0]),
        ("tasks[1]", data["tasks"][1]),
    ]:
        _assert_types(task, TASK_TYPES, where)
        assert list(task["response_time_percentiles"]) == SPEC_PERCENTILE_KEYS
        assert all(type(v) is int for v in task["response_time_percentiles"].values())
    assert (data["totals"]["task_name"], data["totals"]["request_method"]) == ("Aggregated", "")


def test_percentile_keys_are_locusts_percentiles_stringified() -> None:
    assert list(PERCENTILE_KEYS) == SPEC_PERCENTILE_KEYS


def test_float_fields_loaded_from_whole_numbers_are_written_as_floats() -> None:
    data = make_record().to_json()
    data["metadata"]["num_users_per_second"] = 10
    data["metadata"]["total_runtime"] = 30
    data["totals"]["average_response_time"] = 110
    data["totals"]["total_reqs_per_second"] = 5
    written = Record.from_json(data).to_json()
    assert type(written["metadata"]["num_users_per_second"]) is float
    assert type(written["metadata"]["total_runtime"]) is float
    assert type(written["totals"]["average_response_time"]) is float
    assert type(written["totals"]["total_reqs_per_second"]) is float


def test_results_are_written_as_their_names() -> None:
    record = make_record(compare_result=ResultStatus.FAILED, validation_result=ResultStatus.PASSED)
    metadata = record.to_json()["metadata"]
    assert (metadata["compare_result"], metadata["validation_result"]) == ("FAILED", "PASSED")


# --- round trips -----------------------------------------------------------------------------------


def _full_record() -> Record:
    base = make_record(
        run_id="abc123",
        tasks=[make_task("/a", "GET", num_failures=3), make_task("/b", "POST")],
        histograms={("/a", "GET"): {10: 5, 20: 3, 110: 1}, (TOTALS_NAME, ""): {10: 5}},
        compare_result=ResultStatus.PASSED,
        validation_result=ResultStatus.FAILED,
    )
    return Record(
        metadata=base.metadata,
        totals=base.totals,
        tasks=base.tasks,
        run_id=base.run_id,
        suite="regression",
        host="https://example.test:8443",
        histograms=base.histograms,
        errors=(
            ErrorCount("/a", "GET", "HTTPError('500 Server Error')", 2),
            ErrorCount(TOTALS_NAME, "", "ConnectionError()", 1),
        ),
        extra={"future_key": {"nested": [1, 2]}, "another": "x"},
    )


@pytest.mark.parametrize(
    "record",
    [make_record(), make_record(tasks=[]), _full_record()],
    ids=["seed-shape", "no-tasks", "with-additions"],
)
def test_round_trip(record: Record) -> None:
    assert Record.from_json(record.to_json()) == record


def test_additions_are_written_under_their_top_level_keys() -> None:
    data = _full_record().to_json()
    assert data["run_id"] == "abc123"
    assert data["suite"] == "regression"
    assert data["host"] == "https://example.test:8443"
    assert data["histograms"][0] == {
        "task_name": "/a",
        "request_method": "GET",
        "response_times": [[10, 5], [20, 3], [110, 1]],
    }
    assert data["errors"][0] == {
        "task_name": "/a",
        "request_method": "GET",
        "error": "HTTPError('500 Server Error')",
        "occurrences": 2,
    }
    assert data["future_key"] == {"nested": [1, 2]}
    assert data["another"] == "x"


def test_unknown_top_level_keys_are_kept_in_extra() -> None:
    data = make_record().to_json()
    data["written_by"] = "a newer version"
    record = Record.from_json(data)
    assert record.extra == {"written_by": "a newer version"}
    assert record.to_json()["written_by"] == "a newer version"


def test_seed_record_without_additions_loads() -> None:
    # A record as the seed stored it: no additions, Athena's NULL for the totals' empty method.
    percentiles = dict.fromkeys(SPEC_PERCENTILE_KEYS, 120)
    task = {
        "task_name": "/v2/fhir/Patient",
        "request_method": "GET",
        "num_requests": 100,
        "num_failures": 1,
        "median_response_time": 100,
        "average_response_time": 104.2,
        "min_response_time": 50,
        "max_response_time": 400,
        "total_reqs_per_second": 3.3,
        "total_fails_per_sec": 0.03,
        "response_time_percentiles": percentiles,
    }
    seed = {
        "metadata": {
            "timestamp": 1_650_000_000,
            "tags": ["nightly"],
            "environment": "test",
            "stats_reset_after_spawn": True,
            "num_total_users": 100,
            "num_users_per_second": 10.0,
            "requested_runtime": 180,
            "total_runtime": 181.2,
            "user_classes": ["RegressionUser"],
            "hash": "f" * 64,
            "compare_result": "PASSED",
            "validation_result": "NOT_APPLICABLE",
        },
        "totals": {**task, "task_name": "Aggregated", "request_method": None},
        "tasks": [task],
    }
    record = Record.from_json(seed)
    assert record.totals.key == (TOTALS_NAME, "")
    assert record.metadata.compare_result is ResultStatus.PASSED
    assert record.tasks[0].response_time_percentiles == percentiles
    assert (record.run_id, record.suite, record.host) == (None, None, None)
    assert (record.histograms, record.errors, dict(record.extra)) == ((), (), {})
    assert record.to_json()["totals"]["request_method"] == ""


def test_missing_result_fields_default_to_not_applicable() -> None:
    data = make_record().to_json()
    del data["metadata"]["compare_result"]
    del data["metadata"]["validation_result"]
    metadata = Record.from_json(data).metadata
    assert metadata.compare_result is ResultStatus.NOT_APPLICABLE
    assert metadata.validation_result is ResultStatus.NOT_APPLICABLE


# --- bad records ------------------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    """A mutation setting the value at a "/"-separated path (list indexes as numbers)."""

    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _delete(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        target: Any = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        del target[last]

    return mutate


BAD_RECORDS: list[tuple[str, Mutation, str]] = [
    ("timestamp-string", _set("metadata/timestamp", "1700000000"), "record.metadata.timestamp"),
    ("timestamp-fraction", _set("metadata/timestamp", 1.5), "record.metadata.timestamp"),
    ("timestamp-bool", _set("metadata/timestamp", True), "record.metadata.timestamp"),
    ("timestamp-missing", _delete("metadata/timestamp"), "record.metadata.timestamp"),
    ("tags-string", _set("metadata/tags", "default"), "record.metadata.tags"),
    ("tags-number-item", _set("metadata/tags", ["default", 3]), "record.metadata.tags"),
    ("user-classes-null", _set("metadata/user_classes", None), "record.metadata.user_classes"),
    ("environment-number", _set("metadata/environment", 5), "record.metadata.environment"),
    (
        "reset-string",
        _set("metadata/stats_reset_after_spawn", "true"),
        "record.metadata.stats_reset_after_spawn",
    ),
    ("reset-int", _set("metadata/stats_reset_after_spawn", 1), "record.metadata.stats_reset_after_spawn"),
    ("users-bool", _set("metadata/num_total_users", False), "record.metadata.num_total_users"),
    (
        "spawn-rate-string",
        _set("metadata/num_users_per_second", "10"),
        "record.metadata.num_users_per_second",
    ),
    ("runtime-bool", _set("metadata/total_runtime", True), "record.metadata.total_runtime"),
    ("runtime-nan", _set("metadata/total_runtime", float("nan")), "record.metadata.total_runtime"),
    ("hash-null", _set("metadata/hash", None), "record.metadata.hash"),
    ("compare-maybe", _set("metadata/compare_result", "MAYBE"), "record.metadata.compare_result"),
    ("validation-lower", _set("metadata/validation_result", "passed"), "record.metadata.validation_result"),
    ("metadata-list", _set("metadata", []), "record.metadata"),
    ("totals-missing", _delete("totals"), "record.totals"),
    ("totals-string", _set("totals", "Aggregated"), "record.totals"),
    ("tasks-missing", _delete("tasks"), "record.tasks"),
    ("tasks-object", _set("tasks", {}), "record.tasks"),
    ("task-num-requests-fraction", _set("tasks/1/num_requests", 1.5), "record.tasks[1].num_requests"),
    ("task-num-failures-bool", _set("tasks/0/num_failures", True), "record.tasks[0].num_failures"),
    (
        "task-average-string",
        _set("tasks/1/average_response_time", "1"),
        "record.tasks[1].average_response_time",
    ),
    ("task-infinite", _set("tasks/0/max_response_time", float("inf")), "record.tasks[0].max_response_time"),
    ("task-name-null", _set("tasks/0/task_name", None), "record.tasks[0].task_name"),
    ("task-method-number", _set("tasks/1/request_method", 1), "record.tasks[1].request_method"),
    ("task-not-object", _set("tasks/1", 7), "record.tasks[1]"),
    (
        "task-percentiles-missing",
        _delete("tasks/0/response_time_percentiles"),
        "record.tasks[0].response_time_percentiles",
    ),
    (
        "task-percentile-fraction",
        _set("tasks/0/response_time_percentiles/0.95", 10.5),
        "record.tasks[0].response_time_percentiles.0.95",
    ),
    (
        "totals-percentile-bool",
        _set("totals/response_time_percentiles/0.5", True),
        "record.totals.response_time_percentiles",
    ),
    ("run-id-number", _set("run_id", 5), "record.run_id"),
    ("suite-list", _set("suite", ["a"]), "record.suite"),
    ("host-bool", _set("host", True), "record.host"),
    ("histograms-object", _set("histograms", {}), "record.histograms"),
    ("histogram-not-object", _set("histograms", [3]), "record.histograms[0]"),
    (
        "histogram-count-text",
        _set("histograms", [{"task_name": "/a", "request_method": "GET", "response_times": {"10": "many"}}]),
        "record.histograms[0].response_times",
    ),
    (
        "histogram-key-text",
        _set("histograms", [{"task_name": "/a", "request_method": "GET", "response_times": {"ten": 1}}]),
        "record.histograms[0].response_times",
    ),
    # Counts are whole numbers like every other count of the record: a fraction or a bool is corrupt.
    (
        "histogram-count-fraction",
        _set("histograms", [{"task_name": "/a", "request_method": "GET", "response_times": {"10": 1.5}}]),
        "record.histograms[0].response_times",
    ),
    (
        "histogram-count-bool",
        _set("histograms", [{"task_name": "/a", "request_method": "GET", "response_times": {"10": True}}]),
        "record.histograms[0].response_times",
    ),
    (
        "histogram-times-missing",
        _set("histograms", [{"task_name": "/a", "request_method": "GET"}]),
        "record.histograms[0].response_times",
    ),
    ("errors-string", _set("errors", "boom"), "record.errors"),
    (
        "error-occurrences-fraction",
        _set("errors", [{"task_name": "/a", "request_method": "GET", "error": "x", "occurrences": 0.5}]),
        "record.errors[0].occurrences",
    ),
    (
        "error-text-missing",
        _set("errors", [{"task_name": "/a", "request_method": "GET", "occurrences": 1}]),
        "record.errors[0].error",
    ),
]


@pytest.mark.parametrize(
    ("mutation", "fragment"), [(m, f) for _, m, f in BAD_RECORDS], ids=[i for i, _, _ in BAD_RECORDS]
)
def test_bad_record_raises_naming_the_field(mutation: Mutation, fragment: str) -> None:
    data = copy.deepcopy(make_record(tasks=[make_task("/a", "GET"), make_task("/b", "POST")]).to_json())
    mutation(data)
    with pytest.raises(RecordError) as info:
        Record.from_json(data)
    assert fragment in str(info.value)


@pytest.mark.parametrize("data", [None, [], "record", 3], ids=["null", "list", "string", "number"])
def test_record_that_is_not_an_object_raises(data: Any) -> None:
    with pytest.raises(RecordError, match=r"^record: expected an object"):
        Record.from_json(data)


def test_where_prefixes_the_field_path() -> None:
    data = make_record().to_json()
    data["metadata"]["timestamp"] = "soon"
    with pytest.raises(RecordError, match=r"^s3://b/k\.json\.metadata\.timestamp: .*'soon'"):
        Record.from_json(data, "s3://b/k.json")


# --- percentiles_from_histogram (against Locust itself: tests/process/test_locust_oracle.py) ------


def test_percentiles_from_histogram_spread_pinned() -> None:
    # A hand-checked case, independent of Locust: 100 requests, p50 = the 50th slowest from the top.
    histogram = {1: 5, 2: 5, 3: 5, 10: 20, 50: 30, 100: 20, 500: 10, 1000: 4, 9000: 1}
    result = percentiles_from_histogram(histogram, 100)
    assert result["0.5"] == 50
    assert result["0.66"] == 100
    assert result["0.9"] == 500
    assert result["0.99"] == 9000
    assert result["1.0"] == 9000


@pytest.mark.parametrize("histogram", [{}, {10: 3}], ids=["empty", "stale-buckets"])
def test_percentiles_of_zero_requests_are_zero(histogram: dict[int, int]) -> None:
    assert percentiles_from_histogram(histogram, 0) == dict.fromkeys(SPEC_PERCENTILE_KEYS, 0)


# --- TaskStats and Record helpers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("num_requests", 200.0),
        ("num_failures", 5.0),
        ("median_response_time", 101.0),
        ("average_response_time", 123.5),
        ("min_response_time", 3.0),
        ("max_response_time", 999.0),
        ("total_reqs_per_second", 6.5),
        ("total_fails_per_sec", 0.25),
        ("0.5", 101.0),
        ("0.95", 950.0),
        ("1.0", 999.0),
    ],
)
def test_task_stat_by_name(name: str, expected: float) -> None:
    task = make_task(
        num_requests=200,
        num_failures=5,
        median_response_time=101,
        average_response_time=123.5,
        min_response_time=3,
        max_response_time=999,
        total_reqs_per_second=6.5,
        total_fails_per_sec=0.25,
        percentiles={"0.5": 101, "0.95": 950, "1.0": 999},
    )
    value = task.stat(name)
    assert type(value) is float
    assert value == expected


@pytest.mark.parametrize(
    "name", ["task_name", "request_method", "response_time_percentiles", "p95", "0.97", ""]
)
def test_task_stat_unknown_name_raises_key_error(name: str) -> None:
    with pytest.raises(KeyError):
        make_task().stat(name)


@pytest.mark.parametrize(
    ("num_requests", "num_failures", "ratio"),
    [(100, 0, 0.0), (100, 1, 0.01), (4, 1, 0.25), (3, 3, 1.0), (0, 0, 0.0), (0, 2, 0.0)],
)
def test_fail_ratio(num_requests: int, num_failures: int, ratio: float) -> None:
    assert make_task(num_requests=num_requests, num_failures=num_failures).fail_ratio == pytest.approx(ratio)


@pytest.mark.parametrize(
    ("compare", "validation"),
    [
        (ResultStatus.PASSED, ResultStatus.PASSED),
        (ResultStatus.FAILED, ResultStatus.PASSED),
        (ResultStatus.NOT_APPLICABLE, ResultStatus.FAILED),
    ],
)
def test_with_results_sets_only_the_results(compare: ResultStatus, validation: ResultStatus) -> None:
    original = _full_record()
    updated = original.with_results(compare=compare, validation=validation)
    assert updated.metadata.compare_result is compare
    assert updated.metadata.validation_result is validation
    # Everything else is unchanged, and the original is untouched (frozen copy).
    assert original.metadata.compare_result is ResultStatus.PASSED
    assert original.metadata.validation_result is ResultStatus.FAILED
    restored = updated.with_results(compare=ResultStatus.PASSED, validation=ResultStatus.FAILED)
    assert restored == original


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (("/a", "GET"), {10: 5, 20: 3, 110: 1}),
        ((TOTALS_NAME, ""), {10: 5}),
        (("/a", "POST"), None),
        (("/b", "POST"), None),
        (("/missing", "GET"), None),
    ],
)
def test_histogram_for(key: tuple[str, str], expected: dict[int, int] | None) -> None:
    assert _full_record().histogram_for(key) == expected


def test_histogram_for_a_record_without_histograms_is_none() -> None:
    assert make_record().histogram_for(("/v2/fhir/Patient", "GET")) is None


def test_entry_histogram_keys_are_written_in_numeric_order() -> None:
    entry = EntryHistogram("/a", "GET", {110: 1, 20: 3, 9: 2})
    assert [ms for ms, _ in entry.to_json()["response_times"]] == [9, 20, 110]


def test_entry_histogram_object_form_is_still_read() -> None:
    data = {"task_name": "/a", "request_method": "GET", "response_times": {"110": 1, "20": 3}}
    assert EntryHistogram.from_json(data, "h").response_times == {110: 1, 20: 3}


@pytest.mark.parametrize(
    ("response_times", "fragment"),
    [
        ([[10]], "h.response_times[0]: expected a [ms, count] pair"),
        ([["ten", 1]], "h.response_times[0].ms"),
        ([[10, 1.5]], "h.response_times[0].count"),
        ([7], "h.response_times[0]: expected a [ms, count] pair"),
        ("10:1", "h.response_times: expected an object"),
    ],
)
def test_entry_histogram_list_form_is_checked(response_times: object, fragment: str) -> None:
    data = {"task_name": "/a", "request_method": "GET", "response_times": response_times}
    with pytest.raises(RecordError, match=re.escape(fragment)):
        EntryHistogram.from_json(data, "h")


def test_totals_factory_follows_the_seed_convention() -> None:
    totals = make_totals()
    assert totals.key == ("Aggregated", "")


@pytest.mark.parametrize(
    ("host", "recorded"),
    [
        ("https://reader:s3cret@api.example.test:8443/base", "https://api.example.test:8443/base"),
        ("http://token@127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.0.0.1:8080/path@x", "http://127.0.0.1:8080/path@x"),
        ("https://api.example.test", "https://api.example.test"),
        (None, None),
        ("", ""),
    ],
)
def test_host_is_recorded_without_credentials(host: str | None, recorded: str | None) -> None:
    assert host_without_credentials(host) == recorded


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("http://127.0.0.1:8080", True),
        ("https://api.example.test/base?x=1", True),
        ("127.0.0.1:8080", False),
        ("ftp://example.test", False),
        ("http://", False),
        ("http://exa mple.test", False),
        ("HTTP://example.test", False),
    ],
)
def test_is_http_url_is_the_one_rule_for_hosts(text: str, ok: bool) -> None:
    assert is_http_url(text) is ok
