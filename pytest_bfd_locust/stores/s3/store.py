"""The S3 + Glue + Athena store (`s3://BUCKET?database=DB&table=TABLE&workgroup=WG&region=R`).

Layout (SPEC §7), the seed's prefix and suffix so its Glue crawler and S3 notification keep working:
`s3://BUCKET/databases/<database>/<table>/hash=<hash>/<timestamp>-<run_id>.stats.json`.

- `save` writes the record once (never overwriting: conditional put) and registers the `hash`
  partition in the Glue table so the record is a baseline at once. A table that does not exist yet
  is not an error: the record is stored and the crawler creates the table later; the store says so
  with a `StoreWarning`.
- `load_baseline` asks Athena, in the configured workgroup, for the newest eligible records of one
  partition. No user value is ever part of the SQL text: hash, tag and runtime travel as
  `ExecutionParameters`; the limit is an int this module validated and formats itself, because
  Athena engine v2 does not accept a `?` in LIMIT. Rows are re-checked with
  `baseline.select_eligible`, so the SQL filter is an optimisation and never the only guard.
"""

from __future__ import annotations

import copy
import json
import math
import re
import time
import uuid
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from pytest_bfd_locust import BfdLocustWarning
from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.baseline import TOTAL_RUNTIME_DELTA, select_eligible
from pytest_bfd_locust.record import Record, RecordError, ResultStatus
from pytest_bfd_locust.stores import (
    BaselineQuery,
    LoadedBaselines,
    StoreError,
    StoreUriError,
)

if TYPE_CHECKING:
    from mypy_boto3_glue.client import GlueClient
    from mypy_boto3_glue.type_defs import TableTypeDef

STATS_PREFIX = "databases"
"""First path segment of every stored record (the seed's BFD Insights layout)."""

STATS_SUFFIX = ".stats.json"
"""Suffix of every stored record: the seed's S3 notification filters on it."""

PARTITION_KEY = "hash"
"""The Glue partition column the crawler derives from `hash=<hash>/` in the key."""

REQUIRED_COLUMNS = ("metadata", "totals", "tasks")
"""Table columns every record has (the seed's three keys)."""

OPTIONAL_COLUMNS = ("run_id", "suite", "host", "histograms", "errors")
"""Our additions: selected only when the crawler has seen them (older tables lack them)."""

SOURCE_COLUMN = "$path"
"""Athena's pseudo-column with the S3 object of a row: names the file when a row is skipped."""

# Lowercase because Glue lowercases names and the S3 prefix must match the crawler's; hyphens
# because BFD Insights database names use them. None of these can close a quoted identifier.
_NAME = re.compile(r"[a-z0-9_-]{1,255}")
_WORKGROUP = re.compile(r"[A-Za-z0-9._-]{1,128}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_KEY_PART = re.compile(r"[A-Za-z0-9._-]{1,128}")
_STATS_KEY = re.compile(
    rf"{STATS_PREFIX}/(?P<database>[^/]+)/(?P<table>[^/]+)/{PARTITION_KEY}=(?P<hash>[^/]+)/"
    rf"(?P<name>[^/]+{re.escape(STATS_SUFFIX)})"
)
_URI_PARTS = ("database", "table", "workgroup", "region")
_ELIGIBLE_RESULTS = (ResultStatus.PASSED.value, ResultStatus.NOT_APPLICABLE.value)
_MAX_LIMIT = 1000
"""Largest baseline limit accepted: Athena returns at most 1000 rows per page anyway."""


class StoreWarning(BfdLocustWarning):
    """A record was stored, but something needs the user's attention (e.g. no Glue table yet).

    Issued by `S3Store.save` with `warnings.warn`, so pytest reports it against the item that
    stored the record, and `-W error::pytest_bfd_locust.BfdLocustWarning` turns it into a failure.
    """


@dataclass(frozen=True)
class S3StoreConfig:
    """Where records go and how baselines are queried: the parsed `s3://` URI."""

    bucket: str
    database: str
    table: str
    workgroup: str
    region: str | None = None

    @property
    def table_prefix(self) -> str:
        """The key prefix of the table (ends with "/"): the crawler's include path."""
        return f"{STATS_PREFIX}/{self.database}/{self.table}/"

    def partition_prefix(self, record_hash: str) -> str:
        return f"{self.table_prefix}{PARTITION_KEY}={record_hash}/"

    @classmethod
    def from_uri(cls, uri: str) -> S3StoreConfig:
        """Parse `s3://BUCKET?database=DB&table=TABLE&workgroup=WG[&region=R]`.

        Raises StoreUriError naming the missing, unknown or malformed part.
        """
        where = f"--bfd-store {uri!r}"
        parts = urlsplit(uri)
        if parts.scheme != "s3":
            raise StoreUriError(f"{where}: expected an s3:// URI")
        bucket = parts.netloc
        if not bucket:
            raise StoreUriError(f"{where}: the bucket is missing (s3://BUCKET?database=...)")
        if not _BUCKET.fullmatch(bucket):
            raise StoreUriError(f"{where}: bucket {bucket!r} is not a valid S3 bucket name")
        if parts.path not in ("", "/"):
            raise StoreUriError(
                f"{where}: a key prefix ({parts.path!r}) is not supported; records always go under "
                f"{STATS_PREFIX}/<database>/<table>/ so the Glue crawler finds them"
            )
        if parts.fragment:
            raise StoreUriError(f"{where}: unexpected fragment #{parts.fragment}")
        values: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name not in _URI_PARTS:
                raise StoreUriError(f"{where}: unknown part {name!r}; expected {', '.join(_URI_PARTS)}")
            if name in values:
                raise StoreUriError(f"{where}: {name} is given twice")
            values[name] = value
        for name in ("database", "table", "workgroup"):
            if not values.get(name):
                raise StoreUriError(f"{where}: {name} is missing (add {name}=...)")
        for name in ("database", "table"):
            if not _NAME.fullmatch(values[name]):
                raise StoreUriError(
                    f"{where}: {name} {values[name]!r} must be lowercase letters, digits, '_' or '-'"
                )
        if not _WORKGROUP.fullmatch(values["workgroup"]):
            raise StoreUriError(
                f"{where}: workgroup {values['workgroup']!r} must be letters, digits, '.', '_' or '-'"
            )
        region = values.get("region")
        if region is not None and not _REGION.fullmatch(region):
            raise StoreUriError(f"{where}: region {region!r} is not an AWS region name (e.g. us-east-1)")
        return cls(bucket, values["database"], values["table"], values["workgroup"], region)


@dataclass(frozen=True)
class SavedRecord:
    """Where `S3Store.store_record` put a record, and what the user should know about it."""

    location: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatsKey:
    """The parts of a stored record's S3 key."""

    database: str
    table: str
    hash: str
    name: str


def parse_stats_key(key: str) -> StatsKey | None:
    """The parts of `databases/<db>/<table>/hash=<hash>/<name>.stats.json`; None for other keys."""
    match = _STATS_KEY.fullmatch(key)
    if match is None:
        return None
    parsed = StatsKey(**match.groupdict())
    valid = (
        _NAME.fullmatch(parsed.database)
        and _NAME.fullmatch(parsed.table)
        and _KEY_PART.fullmatch(parsed.hash)
    )
    return parsed if valid else None


class PartitionStatus(StrEnum):
    """What registering a partition did."""

    REGISTERED = "registered"
    EXISTS = "exists"
    TABLE_MISSING = "table-missing"
    NOT_PARTITIONED = "not-partitioned"


@dataclass(frozen=True)
class PartitionRegistration:
    """What registering a partition did, and a sentence saying so."""

    status: PartitionStatus
    message: str


def register_partition(
    glue: GlueClient, *, bucket: str, database: str, table: str, record_hash: str
) -> PartitionRegistration:
    """Register the `hash=<record_hash>` partition of a table, idempotently.

    The partition's storage descriptor is the table's with the partition's own location, as the
    crawler would write it. A missing database or table is reported, not raised: the crawler
    creates it. Any other Glue failure raises StoreError with Glue's message.
    """
    name = f"{database}.{table}"
    location = f"s3://{bucket}/{STATS_PREFIX}/{database}/{table}/{PARTITION_KEY}={record_hash}/"
    try:
        table_info = glue.get_table(DatabaseName=database, Name=table)["Table"]
    except ClientError as error:
        if _error_code(error) == "EntityNotFoundException":
            return PartitionRegistration(
                PartitionStatus.TABLE_MISSING, f"Glue table {name} does not exist yet"
            )
        raise StoreError(f"Glue table {name}: cannot read it: {_reason(error)}") from error
    except BotoCoreError as error:
        raise StoreError(f"Glue table {name}: cannot read it: {error}") from error
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
    except ClientError as error:
        if _error_code(error) == "AlreadyExistsException":
            return PartitionRegistration(PartitionStatus.EXISTS, f"{location} is already registered")
        raise StoreError(
            f"Glue table {name}: cannot register partition {location}: {_reason(error)}"
        ) from error
    except BotoCoreError as error:
        raise StoreError(f"Glue table {name}: cannot register partition {location}: {error}") from error
    return PartitionRegistration(PartitionStatus.REGISTERED, f"registered {location}")


@dataclass(frozen=True)
class BaselineSql:
    """An Athena query and its execution parameters (every user value is a parameter)."""

    text: str
    parameters: tuple[str, ...]


def baseline_sql(
    config: S3StoreConfig, query: BaselineQuery, *, columns: Iterable[str], partitioned: bool
) -> BaselineSql:
    """The eligibility query of SPEC §7 for one partition, newest first, at most `query.limit` rows.

    `columns` are the table's columns (our optional additions are selected when present);
    `partitioned` is False for a table without the `hash` partition key, which then filters on
    `metadata.hash` and scans the whole table.
    """
    limit = _checked_limit(query.limit)
    if not math.isfinite(query.total_runtime):
        raise StoreError(f"baseline query: total_runtime {query.total_runtime!r} is not a finite number")
    available = set(columns)
    selected = [*REQUIRED_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in available)]
    select = ",\n  ".join(
        [f'"{SOURCE_COLUMN}" AS "source"']
        + [f'json_format(CAST("{column}" AS JSON)) AS "{column}"' for column in selected]
    )
    hash_filter = f'"{PARTITION_KEY}" = ?' if partitioned else '"metadata"."hash" = ?'
    results = ", ".join(f"'{value}'" for value in _ELIGIBLE_RESULTS)
    text = (
        f"SELECT\n  {select}\n"
        f'FROM "{config.database}"."{config.table}"\n'
        f"WHERE {hash_filter}\n"
        '  AND contains("metadata"."tags", ?)\n'
        f'  AND "metadata"."compare_result" IN ({results})\n'
        f'  AND "metadata"."validation_result" IN ({results})\n'
        '  AND abs("metadata"."total_runtime" - ?) < ?\n'
        'ORDER BY "metadata"."timestamp" DESC\n'
        f"LIMIT {limit:d}"
    )
    parameters = (
        _sql_string(query.hash),
        _sql_string(query.tag),
        _sql_double(query.total_runtime),
        _sql_double(TOTAL_RUNTIME_DELTA),
    )
    return BaselineSql(text, parameters)


@dataclass(frozen=True)
class S3Store:
    """Records in S3, partitions in Glue, baselines from Athena (see the module docstring)."""

    config: S3StoreConfig
    clients: AwsClients
    query_timeout: float = 300.0
    """Seconds to wait for the Athena query before cancelling it and failing the lookup."""
    poll_interval: float = 0.25
    """First wait between polls of the query state; doubles up to `max_poll_interval`."""
    max_poll_interval: float = 5.0

    @classmethod
    def from_uri(cls, uri: str, clients: AwsClients | None = None) -> S3Store:
        """The store for an `s3://` URI; without `clients`, boto3's standard chain in the URI's region."""
        config = S3StoreConfig.from_uri(uri)
        return cls(config, clients if clients is not None else AwsClients.create(config.region))

    def describe(self) -> str:
        c = self.config
        return f"s3://{c.bucket} (Athena {c.database}.{c.table}, workgroup {c.workgroup})"

    # --- write --------------------------------------------------------------------------------

    def object_key(self, record: Record) -> str:
        """`databases/<db>/<table>/hash=<hash>/<timestamp>-<run_id>.stats.json` (a new run id if none)."""
        record_hash = record.metadata.hash
        if not _KEY_PART.fullmatch(record_hash):
            raise StoreError(f"{self.describe()}: record hash {record_hash!r} cannot be part of an S3 key")
        run_id = record.run_id if record.run_id is not None else uuid.uuid4().hex
        if not _KEY_PART.fullmatch(run_id):
            raise StoreError(f"{self.describe()}: run id {run_id!r} cannot be part of an S3 key")
        name = f"{record.metadata.timestamp}-{run_id}{STATS_SUFFIX}"
        return self.config.partition_prefix(record_hash) + name

    def save(self, record: Record) -> str:
        """Store the record (see `store_record`); each warning is issued as a `StoreWarning`."""
        saved = self.store_record(record)
        for message in saved.warnings:
            warnings.warn(StoreWarning(message), stacklevel=2)
        return saved.location

    def store_record(self, record: Record) -> SavedRecord:
        """Write the record without overwriting anything, then register its partition.

        Raises StoreError when the object could not be written (after botocore's retries); the
        caller keeps the record elsewhere. Once the object is written nothing raises: a partition
        that could not be registered is a warning, because the crawler will still find the record.
        """
        key = self.object_key(record)
        uri = f"s3://{self.config.bucket}/{key}"
        body = record.to_text()
        try:
            self.clients.s3.put_object(
                Bucket=self.config.bucket,
                Key=key,
                Body=body.encode("utf-8"),
                ContentType="application/json",
                IfNoneMatch="*",
            )
        except ClientError as error:
            code = _error_code(error)
            if code == "NoSuchBucket":
                raise StoreError(f"{uri}: bucket {self.config.bucket!r} does not exist") from error
            if code == "PreconditionFailed":
                raise StoreError(f"{uri}: an object with this key already exists; not overwritten") from error
            raise StoreError(f"{uri}: cannot write: {_reason(error)}") from error
        except BotoCoreError as error:
            raise StoreError(f"{uri}: cannot write: {error}") from error
        try:
            registration = register_partition(
                self.clients.glue,
                bucket=self.config.bucket,
                database=self.config.database,
                table=self.config.table,
                record_hash=record.metadata.hash,
            )
        except StoreError as error:
            return SavedRecord(uri, (f"{uri} is stored, but {error}; the Glue crawler will register it",))
        if registration.status == PartitionStatus.TABLE_MISSING:
            message = (
                f"{uri} is stored, but {registration.message}: it becomes a baseline once "
                "the Glue crawler has created the table"
            )
            return SavedRecord(uri, (message,))
        if registration.status == PartitionStatus.NOT_PARTITIONED:
            return SavedRecord(uri, (f"{uri} is stored, but {registration.message}",))
        return SavedRecord(uri)

    # --- read ---------------------------------------------------------------------------------

    def load_baseline(self, query: BaselineQuery) -> LoadedBaselines:
        """The newest `query.limit` eligible records, newest first, from one Athena query.

        Raises StoreError (with Athena's reason) when the query cannot run, fails, is cancelled
        or does not finish within `query_timeout`. A row that is not a record is skipped with a
        warning naming its S3 object.
        """
        _checked_limit(query.limit)
        if query.limit == 0:
            return LoadedBaselines(())
        table = self._table()
        if table is None:
            message = (
                f"{self.describe()}: Glue table {self.config.database}.{self.config.table} does not "
                "exist yet, so there is no baseline (the Glue crawler creates it from stored records)"
            )
            return LoadedBaselines((), (message,))
        columns = [column["Name"] for column in table.get("StorageDescriptor", {}).get("Columns", [])]
        missing = [column for column in REQUIRED_COLUMNS if column not in columns]
        if missing:
            raise StoreError(
                f"{self.describe()}: Glue table {self.config.database}.{self.config.table} has no "
                f"column(s) {', '.join(missing)}; is it the stats table?"
            )
        partition_keys = [key["Name"] for key in table.get("PartitionKeys", [])]
        notes: list[str] = []
        partitioned = PARTITION_KEY in partition_keys
        if not partitioned:
            notes.append(
                f"{self.describe()}: table is not partitioned by {PARTITION_KEY!r}; "
                "each lookup scans all records"
            )
        sql = baseline_sql(self.config, query, columns=columns, partitioned=partitioned)
        execution_id = self._start(sql)
        self._wait(execution_id)
        rows = self._rows(execution_id)
        records, skipped = parse_rows(rows, where=f"Athena query {execution_id}")
        eligible = select_eligible(records, query)
        if len(eligible) < len(records):
            # The SQL already applies the rules; a difference means the table and this version disagree.
            notes.append(
                f"{self.describe()}: ignored {len(records) - len(eligible)} row(s) of Athena query "
                f"{execution_id} that are not eligible baselines"
            )
        return LoadedBaselines(eligible, tuple(notes) + skipped)

    def _table(self) -> TableTypeDef | None:
        name = f"{self.config.database}.{self.config.table}"
        try:
            return self.clients.glue.get_table(DatabaseName=self.config.database, Name=self.config.table)[
                "Table"
            ]
        except ClientError as error:
            if _error_code(error) == "EntityNotFoundException":
                return None
            raise StoreError(f"{self.describe()}: cannot read Glue table {name}: {_reason(error)}") from error
        except BotoCoreError as error:
            raise StoreError(f"{self.describe()}: cannot read Glue table {name}: {error}") from error

    def _start(self, sql: BaselineSql) -> str:
        try:
            response = self.clients.athena.start_query_execution(
                QueryString=sql.text,
                QueryExecutionContext={"Database": self.config.database},
                WorkGroup=self.config.workgroup,
                ExecutionParameters=list(sql.parameters),
            )
        except ClientError as error:
            raise StoreError(f"{self.describe()}: cannot start the Athena query: {_reason(error)}") from error
        except BotoCoreError as error:
            raise StoreError(f"{self.describe()}: cannot start the Athena query: {error}") from error
        return response["QueryExecutionId"]

    def _wait(self, execution_id: str) -> None:
        """Poll until the query succeeded, with doubling waits, up to `query_timeout` seconds."""
        deadline = time.monotonic() + self.query_timeout
        delay = self.poll_interval
        while True:
            try:
                execution = self.clients.athena.get_query_execution(QueryExecutionId=execution_id)
            except (ClientError, BotoCoreError) as error:
                reason = _reason(error) if isinstance(error, ClientError) else str(error)
                raise StoreError(f"{self.describe()}: Athena query {execution_id}: {reason}") from error
            status = execution["QueryExecution"].get("Status", {})
            state = status.get("State", "UNKNOWN")
            if state == "SUCCEEDED":
                return
            if state in ("FAILED", "CANCELLED"):
                raise StoreError(f"{self.describe()}: {query_failure_message(execution_id, status)}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._cancel(execution_id)
                raise StoreError(
                    f"{self.describe()}: Athena query {execution_id} did not finish within "
                    f"{self.query_timeout:g} s (last state {state}); it was cancelled"
                )
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, self.max_poll_interval)

    def _cancel(self, execution_id: str) -> None:
        # Best effort: a query left running costs money but the lookup has failed either way.
        try:
            self.clients.athena.stop_query_execution(QueryExecutionId=execution_id)
        except (ClientError, BotoCoreError):
            pass

    def _rows(self, execution_id: str) -> list[dict[str, str | None]]:
        """Every result row as {column: text or None}, from every page."""
        rows: list[dict[str, str | None]] = []
        columns: list[str] | None = None
        try:
            pages = self.clients.athena.get_paginator("get_query_results").paginate(
                QueryExecutionId=execution_id
            )
            for page in pages:
                result_set = page["ResultSet"]
                page_rows = [
                    [cell.get("VarCharValue") for cell in row.get("Data", [])] for row in result_set["Rows"]
                ]
                if columns is None:
                    info = result_set.get("ResultSetMetadata", {}).get("ColumnInfo", [])
                    columns = [column["Name"] for column in info]
                    # Athena repeats the column names as the first row of the first page only.
                    if page_rows and page_rows[0] == columns:
                        page_rows = page_rows[1:]
                rows.extend(dict(zip(columns, values, strict=False)) for values in page_rows)
        except ClientError as error:
            raise StoreError(
                f"{self.describe()}: cannot read the results of Athena query {execution_id}: {_reason(error)}"
            ) from error
        except BotoCoreError as error:
            raise StoreError(
                f"{self.describe()}: cannot read the results of Athena query {execution_id}: {error}"
            ) from error
        return rows


def parse_rows(
    rows: Sequence[Mapping[str, str | None]], *, where: str
) -> tuple[list[Record], tuple[str, ...]]:
    """Records from Athena rows of JSON text columns; one warning per row that is not a record."""
    records: list[Record] = []
    skipped: list[str] = []
    for number, row in enumerate(rows, start=1):
        source = row.get("source") or f"{where}, row {number}"
        try:
            data: dict[str, Any] = {}
            for column in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
                text = row.get(column)
                if text is not None:
                    data[column] = _json_column(text, column)
            records.append(Record.from_json(data))
        except RecordError as error:
            skipped.append(f"skipped stored record {source}: {error}")
    return records, tuple(skipped)


def _json_column(text: str, column: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordError(f"record.{column}: not JSON ({error})") from None


def query_failure_message(execution_id: str, status: Mapping[str, Any]) -> str:
    """`Athena query <id> FAILED: <Athena's reason>` from a GetQueryExecution `Status`."""
    state = status.get("State", "UNKNOWN")
    reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage")
    return f"Athena query {execution_id} {state}: {reason or 'Athena gave no reason'}"


def _checked_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= _MAX_LIMIT:
        raise StoreError(f"baseline query: limit {limit!r} must be a whole number from 0 to {_MAX_LIMIT}")
    return limit


def _sql_string(value: str) -> str:
    # Athena substitutes an execution parameter as a literal, so a string needs its quotes; a
    # quote inside is doubled as in any SQL string literal.
    return "'" + value.replace("'", "''") + "'"


def _sql_double(value: float) -> str:
    return repr(float(value))


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _reason(error: ClientError) -> str:
    details = error.response.get("Error", {})
    return f"{details.get('Code', 'error')}: {details.get('Message', str(error))}"
