"""The Glue side of the S3 store: the stats table's columns and partitions.

Shared by the store (a record is a baseline at once: its partition is registered on write) and by
`lambda_entry.partition_handler` (the seed's crawler trigger, for records written by others).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from pytest_bfd_locust.aws_clients import aws_error_code, describe_aws_error
from pytest_bfd_locust.stores.protocol import StoreError
from pytest_bfd_locust.stores.s3.layout import PARTITION_KEY, partition_prefix

if TYPE_CHECKING:
    from mypy_boto3_glue.client import GlueClient
    from mypy_boto3_glue.type_defs import TableTypeDef

REQUIRED_COLUMNS = ("metadata", "totals", "tasks")
"""Table columns every record has (the seed's three keys)."""

OPTIONAL_COLUMNS = ("run_id", "suite", "host", "histograms", "errors", "inconclusive")
"""Our additions: selected only when the crawler has seen them (older tables lack them).
`inconclusive` (a string, set only on a run whose load generator was saturated) is also filtered
on in the baseline query, so that LIMIT counts only runs that may be baselines."""


class PartitionStatus(StrEnum):
    """What registering a partition did."""

    REGISTERED = "registered"
    EXISTS = "exists"
    TABLE_MISSING = "table-missing"
    DATABASE_MISSING = "database-missing"
    NOT_PARTITIONED = "not-partitioned"


@dataclass(frozen=True)
class PartitionRegistration:
    """What registering a partition did, and a sentence saying so."""

    status: PartitionStatus
    message: str


@dataclass(frozen=True)
class StatsTable:
    """What a baseline query needs to know of the stats table."""

    columns: tuple[str, ...]
    partitioned: bool
    """Whether the table is partitioned by `hash` (else a lookup scans every record)."""


def register_partition(
    glue: GlueClient, *, bucket: str, database: str, table: str, record_hash: str
) -> PartitionRegistration:
    """Register the `hash=<record_hash>` partition of a table, idempotently.

    The partition's storage descriptor is the table's with the partition's own location, as the
    crawler would write it. A missing database or table is reported, not raised: the crawler
    creates it. Any other Glue failure raises StoreError with Glue's message.
    """
    name = f"{database}.{table}"
    location = f"s3://{bucket}/{partition_prefix(database, table, record_hash)}"
    try:
        table_info = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except ClientError as error:
        if aws_error_code(error) == "EntityNotFoundException":
            if not database_exists(glue, database):
                return PartitionRegistration(
                    PartitionStatus.DATABASE_MISSING, database_missing_message(database)
                )
            return PartitionRegistration(
                PartitionStatus.TABLE_MISSING, f"Glue table {name} does not exist yet"
            )
        raise StoreError(f"Glue table {name}: cannot read it: {describe_aws_error(error)}") from error
    except BotoCoreError as error:
        raise StoreError(f"Glue table {name}: cannot read it: {describe_aws_error(error)}") from error
    partition_keys = [key["Name"] for key in table_info.get("PartitionKeys", [])]
    if partition_keys != [PARTITION_KEY]:
        return PartitionRegistration(
            PartitionStatus.NOT_PARTITIONED,
            f"Glue table {name} is partitioned by {partition_keys or 'nothing'}, not [{PARTITION_KEY!r}]; "
            "the partition was not registered",
        )
    # A copy: the table's descriptor must stay as Glue returned it.
    descriptor = copy.copy(table_info.get("StorageDescriptor", {}))
    descriptor["Location"] = location
    try:
        glue.create_partition(
            DatabaseName=database,
            TableName=table,
            PartitionInput={"Values": [record_hash], "StorageDescriptor": descriptor},
        )
    except (ClientError, BotoCoreError) as error:
        if aws_error_code(error) == "AlreadyExistsException":
            return PartitionRegistration(PartitionStatus.EXISTS, f"{location} is already registered")
        raise StoreError(
            f"Glue table {name}: cannot register partition {location}: {describe_aws_error(error)}"
        ) from error
    return PartitionRegistration(PartitionStatus.REGISTERED, f"registered {location}")


def database_exists(glue: GlueClient, database: str) -> bool:
    """Whether the Glue database exists; an error other than "not found" raises StoreError."""
    try:
        glue.get_database(Name=database)
    except (ClientError, BotoCoreError) as error:
        if aws_error_code(error) == "EntityNotFoundException":
            return False
        raise StoreError(f"Glue database {database}: cannot read it: {describe_aws_error(error)}") from error
    return True


def database_missing_message(database: str) -> str:
    # A crawler creates tables, never the database it writes them into.
    return (
        f"Glue database {database!r} does not exist and no crawler creates it: create it "
        f"(aws glue create-database --database-input Name={database}) or fix the store URI's database="
    )


def read_stats_table(glue: GlueClient, *, database: str, table: str, where: str) -> StatsTable | None:
    """The stats table's columns and partitioning; None while it does not exist.

    Raises StoreError (prefixed with `where`) when Glue cannot be read, the database does not
    exist (no crawler would ever create it) or the table lacks a column every record has.
    """
    name = f"{database}.{table}"
    try:
        info: TableTypeDef = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except (ClientError, BotoCoreError) as error:
        if aws_error_code(error) == "EntityNotFoundException":
            if not database_exists(glue, database):
                raise StoreError(f"{where}: {database_missing_message(database)}") from error
            return None
        raise StoreError(f"{where}: cannot read Glue table {name}: {describe_aws_error(error)}") from error
    columns = tuple(column["Name"] for column in info.get("StorageDescriptor", {}).get("Columns", []))
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise StoreError(
            f"{where}: Glue table {name} has no column(s) {', '.join(missing)}; is it the stats table?"
        )
    partition_keys = [key["Name"] for key in info.get("PartitionKeys", [])]
    return StatsTable(columns=columns, partitioned=PARTITION_KEY in partition_keys)
