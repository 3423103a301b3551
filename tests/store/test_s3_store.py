from __future__ import annotations

import json
import re
import time
from dataclasses import replace
from typing import Any

import pytest

from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.judge.baseline import BaselineQuery
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.record_checks import MAX_CLOCK_SKEW_S
from pytest_bfd_locust.stores import StoreError, StoreUriError, open_store
from pytest_bfd_locust.stores.s3 import (
    S3Store,
    S3StoreConfig,
    StoreWarning,
    parse_stats_key,
    query_failure_message,
)
from tests.record_factory import DEFAULT_HASH, make_record, make_totals
from tests.store.conftest import (
    BUCKET,
    DATABASE,
    REGION,
    STORE_URI,
    TABLE,
    WORKGROUP,
    create_stats_table,
    queue_paged_results,
    queue_results,
    result_row,
    set_execution_state,
)

TAG = "nightly"
PREFIX = f"databases/{DATABASE}/{TABLE}/hash={DEFAULT_HASH}/"


def _query(*, tag: str = TAG, limit: int = 5, total_runtime: float = 30.0) -> BaselineQuery:
    return BaselineQuery(hash=DEFAULT_HASH, tag=tag, total_runtime=total_runtime, limit=limit)


def _record(timestamp: int, run_id: str | None = None, **fields: Any) -> Record:
    fields.setdefault("tags", (TAG,))
    return make_record(timestamp=timestamp, run_id=run_id, **fields)


def _source(record: Record) -> str:
    return f"s3://{BUCKET}/{PREFIX}{record.metadata.timestamp}-{record.run_id}.stats.json"


def _last_execution(aws: AwsClients) -> dict[str, Any]:
    ids = aws.athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    assert len(ids) == 1
    return dict(aws.athena.get_query_execution(QueryExecutionId=ids[0])["QueryExecution"])


# --- the URI -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        (STORE_URI, S3StoreConfig(BUCKET, DATABASE, TABLE, WORKGROUP, REGION)),
        ("s3://b-1.x?database=db&table=t&workgroup=wg", S3StoreConfig("b-1.x", "db", "t", "wg", None)),
        (
            "s3://bkt/?workgroup=W.g_1&table=t_2&database=d-b",
            S3StoreConfig("bkt", "d-b", "t_2", "W.g_1", None),
        ),
    ],
)
def test_uri_parts(uri: str, expected: S3StoreConfig) -> None:
    assert S3StoreConfig.from_uri(uri) == expected


@pytest.mark.parametrize(
    ("uri", "named"),
    [
        ("s3://?database=d&table=t&workgroup=w", "bucket is missing"),
        ("s3://Bad_Bucket?database=d&table=t&workgroup=w", "bucket 'Bad_Bucket'"),
        ("s3://bkt?table=t&workgroup=w", "database is missing"),
        ("s3://bkt?database=&table=t&workgroup=w", "database is missing"),
        ("s3://bkt?database=d&workgroup=w", "table is missing"),
        ("s3://bkt?database=d&table=t", "workgroup is missing"),
        ('s3://bkt?database=d"x&table=t&workgroup=w', "database 'd\"x'"),
        ("s3://bkt?database=d&table=T;drop&workgroup=w", "table 'T;drop'"),
        ("s3://bkt?database=d&table=t&workgroup=w%20g", "workgroup 'w g'"),
        ("s3://bkt?database=d&table=t&workgroup=w&region=mars", "region 'mars'"),
        ("s3://bkt?database=d&table=t&workgroup=w&tabel=x", "unknown part 'tabel'"),
        ("s3://bkt?database=d&database=e&table=t&workgroup=w", "database is given twice"),
        ("s3://bkt/prefix?database=d&table=t&workgroup=w", "key prefix ('/prefix')"),
    ],
)
def test_bad_uri_names_the_part(uri: str, named: str) -> None:
    with pytest.raises(StoreUriError) as raised:
        S3StoreConfig.from_uri(uri)
    assert named in str(raised.value)
    assert uri in str(raised.value)


def test_open_store_builds_an_s3_store(aws: AwsClients) -> None:
    store = open_store(STORE_URI, clients=aws)
    assert isinstance(store, S3Store)
    assert store.config == S3StoreConfig(BUCKET, DATABASE, TABLE, WORKGROUP, REGION)
    assert store.clients is aws


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        (
            f"{PREFIX}1700000000-run1.stats.json",
            (DATABASE, TABLE, DEFAULT_HASH, "1700000000-run1.stats.json"),
        ),
        (f"{PREFIX}1700000000.stats.json", (DATABASE, TABLE, DEFAULT_HASH, "1700000000.stats.json")),
        (f"{PREFIX}1700000000-run1.json", None),
        (f"databases/{DATABASE}/{TABLE}/1700000000.stats.json", None),
        (f"databases/{DATABASE}/{TABLE}/hash={DEFAULT_HASH}/deeper/x.stats.json", None),
        (f"other/{DATABASE}/{TABLE}/hash={DEFAULT_HASH}/x.stats.json", None),
        (f"databases/Upper/{TABLE}/hash={DEFAULT_HASH}/x.stats.json", None),
    ],
)
def test_parse_stats_key(key: str, expected: tuple[str, str, str, str] | None) -> None:
    parsed = parse_stats_key(key)
    assert (None if parsed is None else (parsed.database, parsed.table, parsed.hash, parsed.name)) == expected


# --- save ----------------------------------------------------------------------------------------


def test_save_writes_the_record_under_its_partition(store: S3Store, bucket: str, stats_table: str) -> None:
    record = _record(1_700_000_000, "run-1")
    location = store.save(record)

    key = f"{PREFIX}1700000000-run-1.stats.json"
    assert location == f"s3://{BUCKET}/{key}"
    body = store.clients.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode("utf-8")
    # One line: the crawler's JSON SerDe reads one record per line.
    assert "\n" not in body
    assert Record.from_json(json.loads(body)) == record


def test_save_without_run_id_never_overwrites(store: S3Store, bucket: str, stats_table: str) -> None:
    record = _record(1_700_000_000)
    first, second = store.save(record), store.save(record)

    assert first != second
    for location in (first, second):
        assert re.fullmatch(
            rf"s3://{BUCKET}/{re.escape(PREFIX)}1700000000-[0-9a-f]{{32}}\.stats\.json", location
        )
    listed = store.clients.s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX)["Contents"]
    assert len(listed) == 2


def test_save_refuses_to_overwrite_the_same_run(store: S3Store, bucket: str, stats_table: str) -> None:
    store.save(_record(1_700_000_000, "run-1"))
    with pytest.raises(StoreError, match="already exists; not overwritten"):
        store.save(_record(1_700_000_000, "run-1", total_runtime=99.0))

    body = store.clients.s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}1700000000-run-1.stats.json")[
        "Body"
    ].read()
    assert Record.from_json(json.loads(body)).metadata.total_runtime == 30.0


def test_save_registers_the_partition(store: S3Store, bucket: str, stats_table: str) -> None:
    store.save(_record(1_700_000_000, "run-1"))
    # A second record of the same hash finds the partition registered: no error, no warning.
    saved = store.store_record(_record(1_700_000_100, "run-2"))
    assert saved.warnings == ()

    glue = store.clients.glue
    partitions = glue.get_partitions(DatabaseName=DATABASE, TableName=TABLE)["Partitions"]
    assert [p["Values"] for p in partitions] == [[DEFAULT_HASH]]
    descriptor = partitions[0]["StorageDescriptor"]
    table_descriptor = glue.get_table(DatabaseName=DATABASE, Name=TABLE)["Table"]["StorageDescriptor"]
    assert descriptor["Location"] == f"s3://{BUCKET}/{PREFIX}"
    assert descriptor["Columns"] == table_descriptor["Columns"]
    assert descriptor["SerdeInfo"] == table_descriptor["SerdeInfo"]
    assert descriptor["InputFormat"] == table_descriptor["InputFormat"]
    # The table's own location is untouched.
    assert table_descriptor["Location"] == f"s3://{BUCKET}/databases/{DATABASE}/{TABLE}/"


def test_save_before_the_crawler_made_the_table_warns(
    store: S3Store, bucket: str, glue_database: str
) -> None:
    with pytest.warns(StoreWarning, match=f"{DATABASE}.{TABLE} does not exist yet.*Glue crawler"):
        location = store.save(_record(1_700_000_000, "run-1"))

    assert location == f"s3://{BUCKET}/{PREFIX}1700000000-run-1.stats.json"
    assert store.clients.s3.head_object(Bucket=BUCKET, Key=f"{PREFIX}1700000000-run-1.stats.json")


def test_save_to_a_table_without_hash_partitions_warns(store: S3Store, aws: AwsClients, bucket: str) -> None:
    create_stats_table(aws, partitioned=False)
    saved = store.store_record(_record(1_700_000_000, "run-1"))
    assert len(saved.warnings) == 1
    assert "partitioned by nothing, not ['hash']" in saved.warnings[0]


def test_save_to_a_missing_bucket_fails_naming_it(store: S3Store, stats_table: str) -> None:
    with pytest.raises(StoreError, match=f"bucket '{BUCKET}' does not exist"):
        store.save(_record(1_700_000_000, "run-1"))


@pytest.mark.parametrize(("field", "value"), [("run_id", "../etc"), ("hash", "a/b")])
def test_save_rejects_key_parts_that_are_not_safe(
    store: S3Store, bucket: str, field: str, value: str
) -> None:
    record = _record(
        1_700_000_000, value if field == "run_id" else "run-1", **({field: value} if field == "hash" else {})
    )
    with pytest.raises(StoreError, match=re.escape(repr(value))):
        store.save(record)


# --- load: the query -----------------------------------------------------------------------------


def test_query_takes_user_values_only_as_parameters(store: S3Store, stats_table: str, workgroup: str) -> None:
    tag = "it's nightly"
    store.load_baseline(_query(tag=tag, limit=3, total_runtime=31.5))

    execution = _last_execution(store.clients)
    text = execution["Query"]
    assert execution["WorkGroup"] == WORKGROUP
    assert execution["QueryExecutionContext"] == {"Database": DATABASE}
    parameters = execution["ExecutionParameters"]
    assert parameters[:4] == [f"'{DEFAULT_HASH}'", "'it''s nightly'", "31.5", "3.0"]
    # Nothing dated after now + the allowed clock skew: LIMIT applies after this filter.
    assert abs(int(parameters[4]) - (time.time() + MAX_CLOCK_SKEW_S)) < 60
    for value in (DEFAULT_HASH, "nightly", "31.5"):
        assert value not in text
    assert f'FROM "{DATABASE}"."{TABLE}"' in text
    # The partition column, so Athena reads one partition.
    assert 'WHERE "hash" = ?' in text
    assert 'contains("metadata"."tags", ?)' in text
    assert """"metadata"."compare_result" IN ('PASSED', 'NOT_APPLICABLE')""" in text
    assert """"metadata"."validation_result" IN ('PASSED', 'NOT_APPLICABLE')""" in text
    assert 'abs("metadata"."total_runtime" - ?) < ?' in text
    assert '"metadata"."timestamp" <= ?' in text
    assert 'ORDER BY "metadata"."timestamp" DESC' in text
    assert text.rstrip().endswith("LIMIT 3")
    assert text.count("?") == len(execution["ExecutionParameters"])
    # Only the seed's columns: the table has none of our additions.
    assert "run_id" not in text and "histograms" not in text


def test_query_selects_the_additions_the_table_has(store: S3Store, aws: AwsClients, workgroup: str) -> None:
    create_stats_table(aws, with_additions=True)
    store.load_baseline(_query())
    text = _last_execution(aws)["Query"]
    for column in ("metadata", "totals", "tasks", "run_id", "suite", "host", "histograms"):
        assert f'json_format(CAST("{column}" AS JSON)) AS "{column}"' in text
    assert '"errors"' not in text


def test_an_inconclusive_run_is_no_baseline_in_the_query_nor_the_recheck(
    store: S3Store, aws: AwsClients, workgroup: str
) -> None:
    create_stats_table(aws, with_additions=True, more_columns=[{"Name": "inconclusive", "Type": "string"}])
    conclusive = _record(1_700_000_100, "run-1")
    saturated = replace(_record(1_700_000_200, "run-2"), inconclusive="the load generator used 97 % CPU")
    queue_results([result_row(r, _source(r)) for r in (conclusive, saturated)])
    loaded = store.load_baseline(_query())
    # LIMIT counts only runs that may be baselines: the query itself leaves it out ...
    assert '  AND "inconclusive" IS NULL' in _last_execution(aws)["Query"]
    # ... and a row that came back all the same is left out by the rules every store applies.
    assert loaded.records == (conclusive,)
    assert any("ignored 1 row(s)" in warning for warning in loaded.warnings)


def test_query_on_a_table_without_hash_partitions_filters_on_metadata(
    store: S3Store, aws: AwsClients, workgroup: str
) -> None:
    create_stats_table(aws, partitioned=False)
    loaded = store.load_baseline(_query())
    assert 'WHERE "metadata"."hash" = ?' in _last_execution(aws)["Query"]
    assert any("scans all records" in warning for warning in loaded.warnings)


# --- load: the results ---------------------------------------------------------------------------


def test_rows_become_eligible_records_newest_first(store: S3Store, stats_table: str, workgroup: str) -> None:
    newest = _record(1_700_000_300, "run-3", totals=make_totals(average_response_time=130.0))
    older = _record(1_700_000_100, "run-1")
    wrong_tag = _record(1_700_000_400, "run-4", tags=("other",))
    failed = _record(1_700_000_500, "run-5", compare_result=ResultStatus.FAILED)
    queue_results([result_row(r, _source(r)) for r in (older, wrong_tag, newest, failed)])

    loaded = store.load_baseline(_query())

    assert loaded.records == (newest, older)
    # Athena returned rows the rules exclude: said, not hidden.
    assert len(loaded.warnings) == 1
    assert "ignored 2 row(s)" in loaded.warnings[0]


def test_limit_applies_after_the_recheck(store: S3Store, stats_table: str, workgroup: str) -> None:
    records = [_record(1_700_000_000 + i, f"run-{i}") for i in range(4)]
    queue_results([result_row(r, _source(r)) for r in records])
    loaded = store.load_baseline(_query(limit=2))
    assert [r.run_id for r in loaded.records] == ["run-3", "run-2"]


def test_an_implausible_row_is_skipped_naming_its_object(
    store: S3Store, stats_table: str, workgroup: str
) -> None:
    good = _record(1_700_000_100, "run-1")
    future = _record(4_000_000_000, "run-2")
    negative = _record(1_700_000_200, "run-3", totals=make_totals(average_response_time=-50.0))
    queue_results([result_row(r, _source(r)) for r in (future, negative, good)])

    loaded = store.load_baseline(_query())

    assert loaded.records == (good,)
    assert [w.split(": ", 1)[0] for w in loaded.warnings] == [
        f"skipped stored record {_source(future)}",
        f"skipped stored record {_source(negative)}",
    ]
    assert "metadata.timestamp 4000000000 is in the future" in loaded.warnings[0]
    assert "totals.average_response_time -50.0 is negative" in loaded.warnings[1]


def test_a_row_that_is_not_a_record_is_skipped_naming_its_object(
    store: S3Store, stats_table: str, workgroup: str
) -> None:
    good = _record(1_700_000_100, "run-1")
    broken = result_row(_record(1_700_000_200, "run-2"), "s3://b/broken.stats.json")
    broken["Data"][2] = {"VarCharValue": '{"task_name": "Aggregated"}'}  # totals without numbers
    not_json = result_row(_record(1_700_000_300, "run-3"), "s3://b/cut.stats.json")
    not_json["Data"][3] = {"VarCharValue": "[{"}
    queue_results([result_row(good, _source(good)), broken, not_json])

    loaded = store.load_baseline(_query())

    assert loaded.records == (good,)
    assert len(loaded.warnings) == 2
    assert "s3://b/broken.stats.json" in loaded.warnings[0]
    assert "record.totals.response_time_percentiles: expected an object" in loaded.warnings[0]
    assert "s3://b/cut.stats.json: record.tasks: not JSON" in loaded.warnings[1]


def test_histograms_come_back_from_their_array_column(
    store: S3Store, aws: AwsClients, workgroup: str
) -> None:
    create_stats_table(aws, with_additions=True)
    record = _record(1_700_000_100, "run-1", histograms={("/v2/fhir/Patient", "GET"): {50: 3, 100: 7}})
    row = result_row(record, _source(record))
    # What Athena's json_format(CAST(histograms AS JSON)) gives for array<array<int>> buckets.
    athena_json = [
        {"task_name": "/v2/fhir/Patient", "request_method": "GET", "response_times": [[50, 3], [100, 7]]}
    ]
    row["Data"][7] = {"VarCharValue": json.dumps(athena_json)}
    queue_results([row])

    loaded = store.load_baseline(_query())

    assert loaded.records == (record,)
    assert loaded.records[0].histogram_for(("/v2/fhir/Patient", "GET")) == {50: 3, 100: 7}


def test_every_result_page_is_read(store: S3Store, stats_table: str, workgroup: str) -> None:
    records = [_record(1_700_000_000 + i, f"run-{i}") for i in range(5)]
    rows = [result_row(r, _source(r)) for r in records]
    tokens: list[str | None] = []
    store.clients.athena.meta.events.register(
        "provide-client-params.athena.GetQueryResults",
        lambda params, **_: tokens.append(params.get("NextToken")),
    )
    queue_paged_results([rows[:2], rows[2:4], rows[4:]])

    loaded = store.load_baseline(_query(limit=10))

    assert tokens == [None, "page-2", "page-3"]
    assert [r.run_id for r in loaded.records] == ["run-4", "run-3", "run-2", "run-1", "run-0"]
    assert loaded.warnings == ()


def test_what_save_wrote_is_a_baseline(store: S3Store, bucket: str, stats_table: str, workgroup: str) -> None:
    record = _record(1_700_000_000, "run-1", compare_result=ResultStatus.PASSED)
    location = store.save(record)
    body = json.loads(
        store.clients.s3.get_object(Bucket=BUCKET, Key=location.split("/", 3)[3])["Body"].read()
    )
    # Athena would return the stored object's columns; serve exactly those.
    queue_results([result_row(Record.from_json(body), location)])

    assert store.load_baseline(_query()).records == (record,)


def test_no_table_yet_means_no_baseline_with_a_warning(
    store: S3Store, workgroup: str, glue_database: str
) -> None:
    loaded = store.load_baseline(_query())
    assert loaded.records == ()
    assert "does not exist yet" in loaded.warnings[0]
    assert store.clients.athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"] == []


def test_limit_zero_asks_nothing(store: S3Store, stats_table: str, workgroup: str) -> None:
    assert store.load_baseline(_query(limit=0)).records == ()
    assert store.clients.athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"] == []


@pytest.mark.parametrize("limit", [-1, 1001])
def test_a_limit_out_of_range_is_refused(
    store: S3Store, stats_table: str, workgroup: str, limit: int
) -> None:
    with pytest.raises(StoreError, match=f"limit {limit}"):
        store.load_baseline(_query(limit=limit))


# --- load: failures ------------------------------------------------------------------------------


def test_a_failed_query_fails_the_lookup(store: S3Store, stats_table: str, workgroup: str) -> None:
    # moto never fails a query by itself: fail it as soon as it has been started.
    store.clients.athena.meta.events.register(
        "after-call.athena.StartQueryExecution",
        lambda parsed, **_: set_execution_state(parsed["QueryExecutionId"], "FAILED"),
    )
    with pytest.raises(StoreError, match=r"Athena query \S+ FAILED"):
        store.load_baseline(_query())


def test_a_cancelled_query_fails_the_lookup(store: S3Store, stats_table: str, workgroup: str) -> None:
    # Someone cancels the query (console, another client) right after it started.
    operator = AwsClients.create(REGION).athena

    def cancel(parsed: dict[str, Any], **_: Any) -> None:
        operator.stop_query_execution(QueryExecutionId=parsed["QueryExecutionId"])

    store.clients.athena.meta.events.register("after-call.athena.StartQueryExecution", cancel)
    with pytest.raises(StoreError, match=r"Athena query \S+ CANCELLED"):
        store.load_baseline(_query())


def test_the_query_is_polled_until_it_succeeds(store: S3Store, stats_table: str, workgroup: str) -> None:
    from moto.moto_api import state_manager

    # QUEUED -> RUNNING -> SUCCEEDED, each state seen on two polls.
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 2})
    states: list[str] = []
    store.clients.athena.meta.events.register(
        "after-call.athena.GetQueryExecution",
        lambda parsed, **_: states.append(parsed["QueryExecution"]["Status"]["State"]),
    )
    record = _record(1_700_000_000, "run-1")
    queue_results([result_row(record, _source(record))])

    assert store.load_baseline(_query()).records == (record,)
    assert states[0] == "QUEUED" and "RUNNING" in states and states[-1] == "SUCCEEDED"


def test_a_query_past_its_deadline_is_cancelled(store: S3Store, stats_table: str, workgroup: str) -> None:
    from dataclasses import replace

    from moto.moto_api import state_manager

    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 1_000})
    impatient = replace(store, query_timeout=0.0)
    with pytest.raises(
        StoreError, match=r"did not finish within 0 s \(last state QUEUED\); it was cancelled"
    ):
        impatient.load_baseline(_query())
    assert _last_execution(store.clients)["Status"]["State"] == "CANCELLED"


def test_a_missing_workgroup_fails_the_lookup(store: S3Store, stats_table: str) -> None:
    with pytest.raises(StoreError, match="cannot start the Athena query: .*WorkGroup does not exist"):
        store.load_baseline(_query())


def test_a_table_that_is_not_the_stats_table_fails_the_lookup(
    store: S3Store, aws: AwsClients, workgroup: str
) -> None:
    aws.glue.create_database(DatabaseInput={"Name": DATABASE})
    aws.glue.create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": TABLE,
            "StorageDescriptor": {"Columns": [{"Name": "metadata", "Type": "string"}]},
        },
    )
    with pytest.raises(StoreError, match="no column\\(s\\) totals, tasks"):
        store.load_baseline(_query())


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (
            {
                "State": "FAILED",
                "StateChangeReason": "COLUMN_NOT_FOUND: line 3:9: Column 'x' cannot be resolved",
            },
            "Athena query q1 FAILED: COLUMN_NOT_FOUND: line 3:9: Column 'x' cannot be resolved",
        ),
        (
            {"State": "FAILED", "AthenaError": {"ErrorCategory": 2, "ErrorMessage": "Access denied"}},
            "Athena query q1 FAILED: Access denied",
        ),
        ({"State": "CANCELLED"}, "Athena query q1 CANCELLED: Athena gave no reason"),
    ],
)
def test_query_failure_message_gives_athenas_reason(status: dict[str, Any], expected: str) -> None:
    assert query_failure_message("q1", status) == expected


def test_save_without_the_glue_database_is_an_error_naming_it(store: S3Store, bucket: str) -> None:
    # A crawler creates tables, never databases: "the crawler will create it" would be a false promise.
    with pytest.raises(
        StoreError, match=f"Glue database '{DATABASE}' does not exist and no crawler creates it"
    ):
        store.save(_record(1_700_000_000, "run-1"))


def test_lookup_without_the_glue_database_is_an_error_naming_it(store: S3Store, workgroup: str) -> None:
    with pytest.raises(StoreError, match=f"Glue database '{DATABASE}' does not exist"):
        store.load_baseline(_query())
