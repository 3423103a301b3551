"""`S3Store`: records written to S3, partitions registered in Glue, baselines read through Athena.

Composes the parts of this package: `config` (the URI), `layout` (keys), `glue` (table and
partitions), `athena` (the query). `save` writes the record once (never overwriting: a conditional
put) and registers its `hash` partition, so the record is a baseline at once; a table that does not
exist yet is not an error (the crawler creates it), the store says so with a `StoreWarning`.
`load_baseline` asks Athena for the newest eligible records of one partition and re-checks the rows
with `baseline.select_eligible`, so the SQL filter is an optimisation and never the only guard.
Acceptances are small objects under the table's prefix (`stores.acceptances`: `_acceptances/...`,
hidden from Athena and the crawler), listed with ListObjectsV2 before the query, which honours the
newest that applies.
"""

from __future__ import annotations

import uuid
import warnings
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

from pytest_bfd_locust import BfdLocustWarning
from pytest_bfd_locust.acceptance import ACCEPTANCE_SUFFIX, Acceptance
from pytest_bfd_locust.aws_clients import AwsClients, aws_error_code, describe_aws_error
from pytest_bfd_locust.judge.baseline import (
    BaselineQuery,
    LoadedBaselines,
    current_acceptance,
    select_eligible,
)
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.stores.acceptances import acceptance_path, acceptances_folder
from pytest_bfd_locust.stores.listing import ListedStore, UnreadableRecord, parse_stored_record
from pytest_bfd_locust.stores.protocol import AlreadyAccepted, StoreError
from pytest_bfd_locust.stores.s3.athena import AthenaQueryRunner, baseline_sql, checked_limit, parse_rows
from pytest_bfd_locust.stores.s3.config import S3StoreConfig
from pytest_bfd_locust.stores.s3.glue import PartitionStatus, read_stats_table, register_partition
from pytest_bfd_locust.stores.s3.layout import (
    KEY_PART_PATTERN,
    PARTITION_KEY,
    STATS_SUFFIX,
    parse_stats_key,
    record_name,
)

REPORT_SUFFIX = ".report.html"
"""Suffix of a record's HTML report, stored beside it (not a `.stats.json`: no notification, no crawl)."""


class ObjectExists(StoreError):
    """A conditional put found an object at the key: nothing was overwritten."""


class StoreWarning(BfdLocustWarning):
    """A record was stored, but something needs the user's attention (e.g. no Glue table yet).

    Issued by `S3Store.save` with `warnings.warn`, so pytest reports it against the item that
    stored the record, and `-W error::pytest_bfd_locust.BfdLocustWarning` turns it into a failure.
    """


@dataclass(frozen=True)
class SavedRecord:
    """Where `S3Store.store_record` put a record, and what the user should know about it."""

    location: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class S3Store(ListedStore[str]):
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
        if not KEY_PART_PATTERN.fullmatch(record_hash):
            raise StoreError(f"{self.describe()}: record hash {record_hash!r} cannot be part of an S3 key")
        run_id = record.run_id if record.run_id is not None else uuid.uuid4().hex
        if not KEY_PART_PATTERN.fullmatch(run_id):
            raise StoreError(f"{self.describe()}: run id {run_id!r} cannot be part of an S3 key")
        return self.config.partition_prefix(record_hash) + record_name(record.metadata.timestamp, run_id)

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
        uri = self._uri(key)
        self._put_new(key, record.to_text().encode("utf-8"))
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
        if registration.status == PartitionStatus.DATABASE_MISSING:
            raise StoreError(f"{uri} was written, but it can never be a baseline: {registration.message}")
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
        checked_limit(query.limit)
        if query.limit == 0:
            return LoadedBaselines(())
        c = self.config
        table = read_stats_table(self.clients.glue, database=c.database, table=c.table, where=self.describe())
        if table is None:
            message = (
                f"{self.describe()}: Glue table {c.database}.{c.table} does not "
                "exist yet, so there is no baseline (the Glue crawler creates it from stored records)"
            )
            return LoadedBaselines((), (message,))
        loaded_acceptances = self.load_acceptances(query.hash, query.tag)
        acceptances = loaded_acceptances.acceptances
        accepted = current_acceptance(acceptances, query)
        notes: list[str] = list(loaded_acceptances.warnings)
        if not table.partitioned:
            notes.append(
                f"{self.describe()}: table is not partitioned by {PARTITION_KEY!r}; "
                "each lookup scans all records"
            )
        sql = baseline_sql(
            c.database,
            c.table,
            query,
            columns=table.columns,
            partitioned=table.partitioned,
            accepted=accepted,
        )
        runner = AthenaQueryRunner(
            self.clients.athena,
            database=c.database,
            workgroup=c.workgroup,
            where=self.describe(),
            timeout=self.query_timeout,
            poll_interval=self.poll_interval,
            max_poll_interval=self.max_poll_interval,
        )
        execution_id, rows = runner.run(sql)
        records, skipped = parse_rows(rows, where=f"Athena query {execution_id}")
        eligible = select_eligible(records, query, acceptances)
        if len(eligible) < len(records):
            # The SQL already applies the rules; a difference means the table and this version disagree.
            notes.append(
                f"{self.describe()}: ignored {len(records) - len(eligible)} row(s) of Athena query "
                f"{execution_id} that are not eligible baselines"
            )
        return LoadedBaselines(eligible, tuple(notes) + skipped, accepted=accepted)

    # --- acceptances ----------------------------------------------------------------------------

    def acceptance_key(self, acceptance: Acceptance) -> str:
        """`databases/<db>/<table>/_acceptances/hash=<hash>/tag=<tag>/<ts>-<run_id>.accept.json`."""
        for value, name in ((acceptance.hash, "hash"), (acceptance.run_id, "run id")):
            if not KEY_PART_PATTERN.fullmatch(value):
                raise StoreError(f"{self.describe()}: {name} {value!r} cannot be part of an S3 key")
        return self.config.table_prefix + acceptance_path(acceptance)

    def save_acceptance(self, acceptance: Acceptance) -> str:
        """Write the acceptance once (a conditional put); AlreadyAccepted when the run is accepted
        under that tag already, StoreError when the bucket cannot be written."""
        key = self.acceptance_key(acceptance)
        uri = self._uri(key)
        try:
            self._put_new(key, acceptance.to_text().encode("utf-8"))
        except ObjectExists as error:
            raise AlreadyAccepted.refusing(acceptance, lambda: self._read_acceptance(key), uri) from error
        return uri

    def _put_new(self, key: str, body: bytes) -> None:
        """Write a JSON object that no object has the key of yet (a conditional put: records and
        acceptances are never overwritten). ObjectExists when one has; StoreError when the bucket
        cannot be written (after botocore's retries)."""
        uri = self._uri(key)
        try:
            self.clients.s3.put_object(
                Bucket=self.config.bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*"
            )
        except (ClientError, BotoCoreError) as error:
            code = aws_error_code(error)
            if code == "PreconditionFailed":
                taken = f"{uri}: an object with this key already exists; not overwritten"
                raise ObjectExists(taken) from error
            if code == "NoSuchBucket":
                raise StoreError(f"{uri}: bucket {self.config.bucket!r} does not exist") from error
            raise StoreError(f"{uri}: cannot write: {describe_aws_error(error)}") from error

    def acceptance_refs(self, record_hash: str, tag: str | None) -> list[str]:
        """From ListObjectsV2 (each then read with one GetObject: a handful per hash)."""
        c = self.config
        prefix = c.table_prefix + acceptances_folder(record_hash, tag)
        keys: list[str] = []
        try:
            pages = self.clients.s3.get_paginator("list_objects_v2").paginate(Bucket=c.bucket, Prefix=prefix)
            for page in pages:
                keys += [
                    item["Key"]
                    for item in page.get("Contents", ())
                    if item["Key"].endswith(ACCEPTANCE_SUFFIX)
                ]
        except (ClientError, BotoCoreError) as error:
            if aws_error_code(error) == "NoSuchBucket":
                # No bucket, no acceptance in it: the lookup says what is missing on its own terms.
                return []
            raise StoreError(f"s3://{c.bucket}/{prefix}: cannot list: {describe_aws_error(error)}") from error
        return sorted(keys)

    def load_run(self, record_hash: str, run_id: str) -> Record | None:
        """The record of one run of a hash, found by its key's name (one listing, one read)."""
        for _timestamp, key in self.listing(record_hash).get(record_hash, ()):
            if key.endswith(f"-{run_id}{STATS_SUFFIX}"):
                try:
                    data = self._read_object(key)
                except UnreadableRecord as error:
                    raise StoreError(f"{self._uri(key)}: cannot read it: {error}") from None
                return parse_stored_record(data, self._uri(key))
        return None

    # --- history and reports --------------------------------------------------------------------

    def listing(self, record_hash: str | None = None) -> dict[str, list[tuple[int, str]]]:
        """hash -> (timestamp from the key, key) of every stored record, of one hash or of all: one
        paged ListObjectsV2, no Athena query, so the history and the other hashes' runs need no
        crawler or partition."""
        c = self.config
        prefix = c.partition_prefix(record_hash) if record_hash is not None else c.table_prefix
        listing: dict[str, list[tuple[int, str]]] = {}
        try:
            pages = self.clients.s3.get_paginator("list_objects_v2").paginate(Bucket=c.bucket, Prefix=prefix)
            for page in pages:
                for item in page.get("Contents", ()):
                    parsed = parse_stats_key(item["Key"])
                    if parsed is None:
                        continue
                    stamp = parsed.name.partition("-")[0]
                    timestamp = int(stamp) if stamp.isdigit() else 0
                    listing.setdefault(parsed.hash, []).append((timestamp, item["Key"]))
        except (ClientError, BotoCoreError) as error:
            raise StoreError(f"s3://{c.bucket}/{prefix}: cannot list: {describe_aws_error(error)}") from error
        return listing

    def report_key(self, record: Record) -> str:
        """The key of a record's HTML report: its record's key with `.report.html` for `.stats.json`."""
        return self.object_key(record)[: -len(STATS_SUFFIX)] + REPORT_SUFFIX

    def save_report(self, record: Record, html: str) -> str:
        """Store the HTML report of a stored record next to it; return its URI."""
        key = self.report_key(record)
        uri = f"s3://{self.config.bucket}/{key}"
        try:
            self.clients.s3.put_object(
                Bucket=self.config.bucket,
                Key=key,
                Body=html.encode("utf-8"),
                ContentType="text/html; charset=utf-8",
            )
        except (ClientError, BotoCoreError) as error:
            raise StoreError(f"{uri}: cannot write the report: {describe_aws_error(error)}") from error
        return uri

    def _read_object(self, key: str) -> bytes:
        try:
            body = self.clients.s3.get_object(Bucket=self.config.bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as error:
            raise UnreadableRecord(describe_aws_error(error)) from None
        return bytes(body)

    def _uri(self, key: str) -> str:
        return f"s3://{self.config.bucket}/{key}"

    _name = _uri
