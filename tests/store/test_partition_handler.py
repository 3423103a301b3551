from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

import pytest

from lambda_entry.partition_handler import CRAWLER_VARIABLE, PartitionEventError, partition_handler
from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.stores import StoreError
from tests.record_factory import DEFAULT_HASH
from tests.store.conftest import BUCKET, DATABASE, TABLE

PREFIX = f"databases/{DATABASE}/{TABLE}/hash={DEFAULT_HASH}/"
KEY = f"{PREFIX}1700000000-run-1.stats.json"
CRAWLER = "bfd-test-locust-stats-crawler"


def _s3_record(key: str, *, event: str = "ObjectCreated:Put", bucket: str = BUCKET) -> dict[str, Any]:
    """One record as S3 sends it: the key URL-encoded (spaces as '+')."""
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventName": event,
        "s3": {
            "s3SchemaVersion": "1.0",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": {"key": quote_plus(key, safe="/"), "size": 1234},
        },
    }


def _event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def _partitions(aws: AwsClients) -> list[tuple[list[str], str]]:
    partitions = aws.glue.get_partitions(DatabaseName=DATABASE, TableName=TABLE)["Partitions"]
    return [(p["Values"], p["StorageDescriptor"]["Location"]) for p in partitions]


@pytest.fixture(autouse=True)
def no_crawler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CRAWLER_VARIABLE, raising=False)


def test_a_created_record_registers_its_partition(aws: AwsClients, stats_table: str) -> None:
    answer = partition_handler(_event(_s3_record(KEY)), None, clients=aws)

    assert _partitions(aws) == [([DEFAULT_HASH], f"s3://{BUCKET}/{PREFIX}")]
    assert answer["ignored"] == []
    [processed] = answer["processed"]
    assert processed["outcome"] == "registered"
    assert (processed["database"], processed["table"], processed["hash"]) == (DATABASE, TABLE, DEFAULT_HASH)
    assert processed["key"] == KEY


def test_a_second_record_of_the_same_partition_is_fine(aws: AwsClients, stats_table: str) -> None:
    other = f"{PREFIX}1700000100-run-2.stats.json"
    answer = partition_handler(_event(_s3_record(KEY), _s3_record(other)), None, clients=aws)

    assert [p["outcome"] for p in answer["processed"]] == ["registered", "exists"]
    assert len(_partitions(aws)) == 1


def test_keys_arrive_url_encoded(aws: AwsClients, glue_database: str) -> None:
    # S3 sends "run+1" for "run 1": decoded, it is the stats key that was written.
    create_key = f"databases/{DATABASE}/{TABLE}/hash={DEFAULT_HASH}/1700000000-run 1.stats.json"
    answer = partition_handler(_event(_s3_record(create_key)), None, clients=aws)
    [processed] = answer["processed"]
    assert processed["key"] == create_key
    assert processed["outcome"] == "table-missing"


def test_foreign_keys_and_events_are_ignored_and_reported(aws: AwsClients, stats_table: str) -> None:
    event = _event(
        _s3_record("athena-results/abc.csv"),
        _s3_record(f"{PREFIX}notes.txt"),
        _s3_record(f"databases/{DATABASE}/{TABLE}/1700000000.stats.json"),
        _s3_record(KEY, event="ObjectRemoved:Delete"),
    )
    answer = partition_handler(event, None, clients=aws)

    assert answer["processed"] == []
    assert [(i["key"], i["reason"]) for i in answer["ignored"]] == [
        (KEY, "event ObjectRemoved:Delete is not an object creation"),
        ("athena-results/abc.csv", "not a stats record key"),
        (f"{PREFIX}notes.txt", "not a stats record key"),
        (f"databases/{DATABASE}/{TABLE}/1700000000.stats.json", "not a stats record key"),
    ]
    assert _partitions(aws) == []


def test_a_missing_table_starts_the_crawler_once(
    aws: AwsClients, bucket: str, glue_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws.glue.create_crawler(
        Name=CRAWLER,
        Role="arn:aws:iam::123456789012:role/crawler",
        Targets={"S3Targets": [{"Path": f"s3://{BUCKET}/databases/{DATABASE}/{TABLE}/"}]},
    )
    monkeypatch.setenv(CRAWLER_VARIABLE, CRAWLER)
    other = f"{PREFIX}1700000100-run-2.stats.json"

    answer = partition_handler(_event(_s3_record(KEY), _s3_record(other)), None, clients=aws)

    assert [p["outcome"] for p in answer["processed"]] == ["crawler-started", "crawler-started"]
    assert aws.glue.get_crawler(Name=CRAWLER)["Crawler"]["State"] == "RUNNING"
    # The next object while it is still running: fine, not an error.
    again = partition_handler(_event(_s3_record(KEY)), None, clients=aws)
    assert again["processed"][0]["outcome"] == "crawler-running"


def test_a_missing_table_without_a_crawler_is_reported(aws: AwsClients, glue_database: str) -> None:
    answer = partition_handler(_event(_s3_record(KEY)), None, clients=aws)
    [processed] = answer["processed"]
    assert processed["outcome"] == "table-missing"
    assert CRAWLER_VARIABLE in processed["message"]


def test_a_crawler_that_does_not_exist_is_an_error(
    aws: AwsClients, glue_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CRAWLER_VARIABLE, "no-such-crawler")
    with pytest.raises(StoreError, match="Glue crawler no-such-crawler .*cannot start it"):
        partition_handler(_event(_s3_record(KEY)), None, clients=aws)


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ([], "event: expected an S3 notification object, got list"),
        ({}, "event.Records: missing or not a list"),
        ({"Records": "x"}, "event.Records: missing or not a list"),
        ({"Records": ["x"]}, r"event.Records\[0\]: expected an object, got str"),
        (
            {"Records": [{"eventSource": "aws:sqs", "eventName": "x"}]},
            r"event.Records\[0\]: expected eventSource",
        ),
        (
            {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put"}]},
            r"Records\[0\].s3 is missing",
        ),
        (
            {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {}}}]},
            r"event.Records\[0\].s3.bucket.name is missing",
        ),
        (
            {"Records": [{**_s3_record(KEY), "s3": {"bucket": {"name": BUCKET}, "object": {"key": ""}}}]},
            r"event.Records\[0\].s3.object.key: expected a non-empty string, got ''",
        ),
    ],
)
def test_a_malformed_event_names_what_is_missing(aws: AwsClients, event: Any, named: str) -> None:
    with pytest.raises(PartitionEventError, match=named):
        partition_handler(event, None, clients=aws)
