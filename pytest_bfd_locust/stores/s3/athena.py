"""The Athena side of the S3 store: the baseline query's text and parameters, running it, reading rows.

No user value is ever part of the SQL text: hash, tag and runtime travel as `ExecutionParameters`;
the limit is an int this module validated and formats itself, because Athena engine v2 does not
accept a `?` in LIMIT. The query is polled with doubling waits up to a deadline (then cancelled)
and every result page is read.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from pytest_bfd_locust.acceptance import Acceptance
from pytest_bfd_locust.aws_clients import describe_aws_error
from pytest_bfd_locust.judge.baseline import TOTAL_RUNTIME_DELTA, BaselineQuery
from pytest_bfd_locust.record import Record, RecordError, ResultStatus
from pytest_bfd_locust.record_checks import MAX_CLOCK_SKEW_S, implausible
from pytest_bfd_locust.stores.protocol import StoreError
from pytest_bfd_locust.stores.s3.glue import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from pytest_bfd_locust.stores.s3.layout import PARTITION_KEY

if TYPE_CHECKING:
    from mypy_boto3_athena.client import AthenaClient

SOURCE_COLUMN = "$path"
"""Athena's pseudo-column with the S3 object of a row: names the file when a row is skipped."""

MAX_LIMIT = 1000
"""Largest baseline limit accepted: Athena returns at most 1000 rows per page anyway."""

_ELIGIBLE_RESULTS = (ResultStatus.PASSED.value, ResultStatus.NOT_APPLICABLE.value)

Row = dict[str, str | None]
"""One result row: column name -> its text (None for SQL NULL)."""


@dataclass(frozen=True)
class BaselineSql:
    """An Athena query and its execution parameters (every user value is a parameter)."""

    text: str
    parameters: tuple[str, ...]


def baseline_sql(
    database: str,
    table: str,
    query: BaselineQuery,
    *,
    columns: Iterable[str],
    partitioned: bool,
    now: float | None = None,
    accepted: Acceptance | None = None,
) -> BaselineSql:
    """The eligibility query of SPEC §7 for one partition, newest first, at most `query.limit` rows.

    `columns` are the table's columns (our optional additions are selected when present);
    `partitioned` is False for a table without the `hash` partition key, which then filters on
    `metadata.hash` and scans the whole table. Records dated after `now` (default: the clock) plus
    the allowed clock skew are left out in the query itself: LIMIT applies after WHERE, so a
    future-dated record cannot take the place of the newest real one.

    `accepted` (the acceptance the query's level starts at: `baseline.current_acceptance`) is
    honoured in the query too, for the same reason: the accepted run is selected although its
    compare_result is FAILED, and the runs before it are left out, so LIMIT counts only runs of
    the current level. The accepted run is matched by timestamp and run id (by timestamp alone on
    a table without the `run_id` column; `select_eligible` then re-checks the rows).
    """
    limit = checked_limit(query.limit)
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
    compare_filter = f'"metadata"."compare_result" IN ({results})'
    # A saturated generator's run is never a baseline (`baseline.is_eligible` re-checks the rows).
    inconclusive_filter = '  AND "inconclusive" IS NULL\n' if "inconclusive" in available else ""
    level_filter = ""
    accepted_parameters: tuple[str, ...] = ()
    level_parameters: tuple[str, ...] = ()
    if accepted is not None:
        stamp = str(int(accepted.run_timestamp))
        if "run_id" in available:
            compare_filter = f'({compare_filter} OR ("metadata"."timestamp" = ? AND "run_id" = ?))'
            accepted_parameters = (stamp, _sql_string(accepted.run_id))
            level_filter = (
                '  AND ("metadata"."timestamp" > ? OR ("metadata"."timestamp" = ? '
                "AND coalesce(\"run_id\", '') >= ?))\n"
            )
            level_parameters = (stamp, stamp, _sql_string(accepted.run_id))
        else:
            compare_filter = f'({compare_filter} OR "metadata"."timestamp" = ?)'
            accepted_parameters = (stamp,)
            level_filter = '  AND "metadata"."timestamp" >= ?\n'
            level_parameters = (stamp,)
    text = (
        # bandit B608 (SQL built from strings): database and table match NAME_PATTERN (stores/s3/config.py),
        # the columns are ours; every value is a ? parameter.
        f"SELECT\n  {select}\n"  # nosec B608
        f'FROM "{database}"."{table}"\n'
        f"WHERE {hash_filter}\n"
        '  AND contains("metadata"."tags", ?)\n'
        f"  AND {compare_filter}\n"
        f'  AND "metadata"."validation_result" IN ({results})\n'
        '  AND abs("metadata"."total_runtime" - ?) < ?\n'
        f"{inconclusive_filter}"
        '  AND "metadata"."timestamp" <= ?\n'
        f"{level_filter}"
        'ORDER BY "metadata"."timestamp" DESC\n'
        f"LIMIT {limit:d}"
    )
    parameters = (
        _sql_string(query.hash),
        _sql_string(query.tag),
        *accepted_parameters,
        _sql_double(query.total_runtime),
        _sql_double(TOTAL_RUNTIME_DELTA),
        str(int((time.time() if now is None else now) + MAX_CLOCK_SKEW_S)),
        *level_parameters,
    )
    return BaselineSql(text, parameters)


@dataclass(frozen=True)
class AthenaQueryRunner:
    """Runs one query in a workgroup and returns its rows; every failure is a StoreError."""

    athena: AthenaClient
    database: str
    workgroup: str
    where: str
    """Prefix of every error message (the store's description)."""
    timeout: float = 300.0
    """Seconds to wait for the query before cancelling it and failing."""
    poll_interval: float = 0.25
    """First wait between polls of the query state; doubles up to `max_poll_interval`."""
    max_poll_interval: float = 5.0

    def run(self, sql: BaselineSql) -> tuple[str, list[Row]]:
        """(the query execution id, every result row)."""
        execution_id = self._start(sql)
        self._wait(execution_id)
        return execution_id, self._rows(execution_id)

    def _start(self, sql: BaselineSql) -> str:
        try:
            response = self.athena.start_query_execution(
                QueryString=sql.text,
                QueryExecutionContext={"Database": self.database},
                WorkGroup=self.workgroup,
                ExecutionParameters=list(sql.parameters),
            )
        except (ClientError, BotoCoreError) as error:
            raise StoreError(
                f"{self.where}: cannot start the Athena query: {describe_aws_error(error)}"
            ) from error
        return response["QueryExecutionId"]

    def _wait(self, execution_id: str) -> None:
        deadline = time.monotonic() + self.timeout
        delay = self.poll_interval
        while True:
            try:
                execution = self.athena.get_query_execution(QueryExecutionId=execution_id)
            except (ClientError, BotoCoreError) as error:
                raise StoreError(
                    f"{self.where}: Athena query {execution_id}: {describe_aws_error(error)}"
                ) from error
            status = execution["QueryExecution"].get("Status", {})
            state = status.get("State", "UNKNOWN")
            if state == "SUCCEEDED":
                return
            if state in ("FAILED", "CANCELLED"):
                raise StoreError(f"{self.where}: {query_failure_message(execution_id, status)}")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._cancel(execution_id)
                raise StoreError(
                    f"{self.where}: Athena query {execution_id} did not finish within "
                    f"{self.timeout:g} s (last state {state}); it was cancelled"
                )
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, self.max_poll_interval)

    def _cancel(self, execution_id: str) -> None:
        # Best effort: a query left running costs money but the lookup has failed either way.
        try:
            self.athena.stop_query_execution(QueryExecutionId=execution_id)
        except (ClientError, BotoCoreError):
            pass

    def _rows(self, execution_id: str) -> list[Row]:
        rows: list[Row] = []
        columns: list[str] | None = None
        try:
            pages = self.athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id)
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
        except (ClientError, BotoCoreError) as error:
            raise StoreError(
                f"{self.where}: cannot read the results of Athena query {execution_id}: "
                f"{describe_aws_error(error)}"
            ) from error
        return rows


def parse_rows(
    rows: Sequence[Mapping[str, str | None]], *, where: str
) -> tuple[list[Record], tuple[str, ...]]:
    """Records from Athena rows of JSON text columns; one warning per row that is not a record or
    whose record is implausible (`record_checks`: dated in the future, negative counts or times)."""
    records: list[Record] = []
    skipped: list[str] = []
    now = time.time()
    for number, row in enumerate(rows, start=1):
        source = row.get("source") or f"{where}, row {number}"
        try:
            data: dict[str, Any] = {}
            for column in (*REQUIRED_COLUMNS, *OPTIONAL_COLUMNS):
                text = row.get(column)
                if text is not None:
                    data[column] = _json_column(text, column)
            record = Record.from_json(data)
        except RecordError as error:
            skipped.append(f"skipped stored record {source}: {error}")
            continue
        problem = implausible(record, now=now)
        if problem is not None:
            skipped.append(f"skipped stored record {source}: {problem}")
        else:
            records.append(record)
    return records, tuple(skipped)


def query_failure_message(execution_id: str, status: Mapping[str, Any]) -> str:
    """`Athena query <id> FAILED: <Athena's reason>` from a GetQueryExecution `Status`."""
    state = status.get("State", "UNKNOWN")
    reason = status.get("StateChangeReason") or status.get("AthenaError", {}).get("ErrorMessage")
    return f"Athena query {execution_id} {state}: {reason or 'Athena gave no reason'}"


def checked_limit(limit: int) -> int:
    """`limit` when it is a whole number from 0 to MAX_LIMIT; else StoreError."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 0 <= limit <= MAX_LIMIT:
        raise StoreError(f"baseline query: limit {limit!r} must be a whole number from 0 to {MAX_LIMIT}")
    return limit


def _json_column(text: str, column: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RecordError(f"record.{column}: not JSON ({error})") from None


def _sql_string(value: str) -> str:
    # Athena substitutes an execution parameter as a literal, so a string needs its quotes; a
    # quote inside is doubled as in any SQL string literal.
    return "'" + value.replace("'", "''") + "'"


def _sql_double(value: float) -> str:
    return repr(float(value))
