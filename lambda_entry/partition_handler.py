"""The partition Lambda: S3 `ObjectCreated` events -> the `hash` partition registered in Glue.

The role of the seed's crawler-trigger Lambda, without waiting for a crawler: for every created
object under `databases/<db>/<table>/hash=<hash>/` ending in `.stats.json` the partition is
registered in the Glue table `<db>.<table>` (idempotently: an existing partition is fine). While
that table does not exist yet, the Glue crawler named by `STATS_GLUE_CRAWLER` is started instead so
it creates the table; without that variable the object is reported as waiting for the table.
Other keys are ignored and listed in the answer. A malformed event raises `PartitionEventError`
naming the missing field; a Glue failure raises StoreError so Lambda's retry runs it again.

Wire it as the bucket's notification target (`s3:ObjectCreated:*`, suffix `.stats.json`), handler
string `lambda_entry.partition_handler`.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from botocore.exceptions import BotoCoreError, ClientError

from pytest_bfd_locust.aws_clients import AwsClients, aws_error_code, describe_aws_error
from pytest_bfd_locust.stores import StoreError
from pytest_bfd_locust.stores.s3.glue import PartitionStatus, register_partition
from pytest_bfd_locust.stores.s3.layout import parse_stats_key

CRAWLER_VARIABLE = "STATS_GLUE_CRAWLER"
"""Name of the Glue crawler to start when the stats table does not exist yet (optional)."""

REGION_VARIABLE = "AWS_CURRENT_REGION"
"""The seed's region variable; without it boto3's chain (Lambda sets AWS_REGION) decides."""

logger = logging.getLogger(__name__)


class PartitionEventError(ValueError):
    """The event is not an S3 notification; the message names the missing or wrong field."""


@dataclass(frozen=True)
class CreatedObject:
    """One `ObjectCreated` record of an S3 event, key already URL-decoded."""

    bucket: str
    key: str


def created_objects(event: Any) -> tuple[list[CreatedObject], list[dict[str, str]]]:
    """The created objects of an S3 event, and the records that are not object creations.

    Raises PartitionEventError naming the first missing field (`event.Records[0].s3.bucket.name`).
    """
    if not isinstance(event, Mapping):
        raise PartitionEventError(f"event: expected an S3 notification object, got {type(event).__name__}")
    records = event.get("Records")
    if not isinstance(records, list):
        raise PartitionEventError("event.Records: missing or not a list; is this an S3 notification?")
    created: list[CreatedObject] = []
    other: list[dict[str, str]] = []
    for index, record in enumerate(records):
        where = f"event.Records[{index}]"
        if not isinstance(record, Mapping):
            raise PartitionEventError(f"{where}: expected an object, got {type(record).__name__}")
        source = record.get("eventSource")
        name = record.get("eventName")
        if source != "aws:s3" or not isinstance(name, str):
            raise PartitionEventError(
                f"{where}: expected eventSource 'aws:s3' and an eventName, got {source!r} and {name!r}"
            )
        bucket = _text(record, ("s3", "bucket", "name"), where)
        key = unquote_plus(_text(record, ("s3", "object", "key"), where))
        if not name.startswith("ObjectCreated:"):
            other.append({"bucket": bucket, "key": key, "reason": f"event {name} is not an object creation"})
            continue
        created.append(CreatedObject(bucket, key))
    return created, other


def partition_handler(
    event: dict[str, Any], context: object, *, clients: AwsClients | None = None
) -> dict[str, Any]:
    """Register the partition of every stats record the event reports as created.

    Answers `{"processed": [{bucket, key, database, table, hash, outcome, message}], "ignored":
    [{bucket, key, reason}]}` with outcome one of registered, exists, crawler-started,
    crawler-running, table-missing, not-partitioned.
    """
    objects, ignored = created_objects(event)
    crawler = os.environ.get(CRAWLER_VARIABLE) or None
    aws = clients if clients is not None else AwsClients.create(os.environ.get(REGION_VARIABLE) or None)
    processed: list[dict[str, str]] = []
    crawlers_started: dict[str, str] = {}
    for created in objects:
        parsed = parse_stats_key(created.key)
        if parsed is None:
            ignored.append({"bucket": created.bucket, "key": created.key, "reason": "not a stats record key"})
            continue
        registration = register_partition(
            aws.glue,
            bucket=created.bucket,
            database=parsed.database,
            table=parsed.table,
            record_hash=parsed.hash,
        )
        outcome, message = registration.status.value, registration.message
        if registration.status == PartitionStatus.TABLE_MISSING:
            if crawler is None:
                message += f"; set {CRAWLER_VARIABLE} to start the crawler that creates it"
            else:
                if crawler not in crawlers_started:
                    crawlers_started[crawler] = _start_crawler(aws, crawler)
                outcome = crawlers_started[crawler]
                message += f"; Glue crawler {crawler}: {outcome}"
        logger.info("s3://%s/%s: %s", created.bucket, created.key, message)
        processed.append(
            {
                "bucket": created.bucket,
                "key": created.key,
                "database": parsed.database,
                "table": parsed.table,
                "hash": parsed.hash,
                "outcome": outcome,
                "message": message,
            }
        )
    for item in ignored:
        logger.info("ignored s3://%s/%s: %s", item["bucket"], item["key"], item["reason"])
    return {"processed": processed, "ignored": ignored}


def _start_crawler(aws: AwsClients, crawler: str) -> str:
    try:
        aws.glue.start_crawler(Name=crawler)
    except (ClientError, BotoCoreError) as error:
        if aws_error_code(error) == "CrawlerRunningException":
            return "crawler-running"
        raise StoreError(
            f"Glue crawler {crawler} ({CRAWLER_VARIABLE}): cannot start it: {describe_aws_error(error)}"
        ) from error
    return "crawler-started"


def _text(record: Mapping[str, Any], path: tuple[str, ...], where: str) -> str:
    value: Any = record
    for depth, name in enumerate(path):
        if not isinstance(value, Mapping) or name not in value:
            missing = ".".join(path[: depth + 1])
            raise PartitionEventError(f"{where}.{missing} is missing")
        value = value[name]
    if not isinstance(value, str) or not value:
        raise PartitionEventError(f"{where}.{'.'.join(path)}: expected a non-empty string, got {value!r}")
    return value
