"""Moto-backed AWS for the store tests: a bucket, a stats table shaped like the seed crawler's, a workgroup.

Athena does not run queries under moto; results are queued on moto's Athena backend (the same
queue its `/moto-api/static/athena/query-results` endpoint fills) and served to the next query.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest
from moto import mock_aws
from moto.athena.models import QueryResults, athena_backends
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.moto_api import state_manager

from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.stores.s3 import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, S3Store, S3StoreConfig

REGION = "us-east-1"
BUCKET = "bfd-test-locust-stats"
DATABASE = "bfd-insights-test"
TABLE = "locust_stats"
WORKGROUP = "bfd-test-locust"
STORE_URI = f"s3://{BUCKET}?database={DATABASE}&table={TABLE}&workgroup={WORKGROUP}&region={REGION}"

_TASK_STATS = (
    "struct<task_name:string,request_method:string,num_requests:int,num_failures:int,"
    "median_response_time:int,average_response_time:double,min_response_time:int,"
    "max_response_time:int,total_reqs_per_second:double,total_fails_per_sec:double,"
    "response_time_percentiles:struct<0.5:int,0.66:int,0.75:int,0.8:int,0.9:int,0.95:int,"
    "0.98:int,0.99:int,0.999:int,0.9999:int,1.0:int>>"
)
CRAWLER_COLUMNS = (
    {
        "Name": "metadata",
        "Type": (
            "struct<timestamp:int,tags:array<string>,environment:string,stats_reset_after_spawn:boolean,"
            "num_total_users:int,num_users_per_second:double,requested_runtime:int,total_runtime:double,"
            "user_classes:array<string>,hash:string,compare_result:string,validation_result:string>"
        ),
    },
    {"Name": "totals", "Type": _TASK_STATS},
    {"Name": "tasks", "Type": f"array<{_TASK_STATS}>"},
)
"""The columns the seed's crawler infers from its records (the seed's three keys)."""

ADDED_COLUMNS = (
    {"Name": "run_id", "Type": "string"},
    {"Name": "suite", "Type": "string"},
    {"Name": "host", "Type": "string"},
    {
        "Name": "histograms",
        "Type": ("array<struct<task_name:string,request_method:string,response_times:array<array<int>>>>"),
    },
)
"""Columns a crawler adds once it has seen records written by this project."""


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    """Clients talking to a fresh moto account (no real credentials can leak in)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield AwsClients.create(REGION)
        state_manager.unset_transition("athena::execution")


@pytest.fixture
def bucket(aws: AwsClients) -> str:
    aws.s3.create_bucket(Bucket=BUCKET)
    return BUCKET


@pytest.fixture
def workgroup(aws: AwsClients) -> str:
    aws.athena.create_work_group(Name=WORKGROUP)
    return WORKGROUP


@pytest.fixture
def glue_database(aws: AwsClients) -> str:
    """The Glue database alone, as before the crawler's first run made the table in it."""
    aws.glue.create_database(DatabaseInput={"Name": DATABASE})
    return DATABASE


def create_stats_table(
    aws: AwsClients,
    *,
    with_additions: bool = False,
    partitioned: bool = True,
    more_columns: Sequence[dict[str, str]] = (),
) -> None:
    """A Glue database + table as the seed's crawler makes them: JSON SerDe, `hash` partition key."""
    aws.glue.create_database(DatabaseInput={"Name": DATABASE})
    columns = [*CRAWLER_COLUMNS, *(ADDED_COLUMNS if with_additions else ()), *more_columns]
    aws.glue.create_table(
        DatabaseName=DATABASE,
        TableInput={
            "Name": TABLE,
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {"classification": "json"},
            "PartitionKeys": [{"Name": "hash", "Type": "string"}] if partitioned else [],
            "StorageDescriptor": {
                "Columns": columns,
                "Location": f"s3://{BUCKET}/databases/{DATABASE}/{TABLE}/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "SerdeInfo": {
                    "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                    "Parameters": {"paths": "metadata,tasks,totals"},
                },
                "Parameters": {"classification": "json"},
            },
        },
    )


@pytest.fixture
def stats_table(aws: AwsClients) -> str:
    create_stats_table(aws)
    return f"{DATABASE}.{TABLE}"


@pytest.fixture
def store(aws: AwsClients) -> S3Store:
    # Short waits: moto answers at once, and the timeout tests set their own deadline.
    return S3Store(S3StoreConfig.from_uri(STORE_URI), aws, query_timeout=30.0, poll_interval=0.001)


# --- Athena results ------------------------------------------------------------------------------


def column_info(names: Sequence[str]) -> list[dict[str, Any]]:
    return [{"Name": name, "Label": name, "Type": "varchar", "Nullable": "UNKNOWN"} for name in names]


RESULT_COLUMNS = ("source", *REQUIRED_COLUMNS, *OPTIONAL_COLUMNS)


def result_row(record: Record, source: str) -> dict[str, Any]:
    """The row Athena returns for a record: each column's JSON text, `{}` for a NULL."""
    data = record.to_json()
    cells: list[dict[str, str]] = [{"VarCharValue": source}]
    cells.extend({"VarCharValue": json.dumps(data[c])} if c in data else {} for c in RESULT_COLUMNS[1:])
    return {"Data": cells}


def header_row(names: Sequence[str] = RESULT_COLUMNS) -> dict[str, Any]:
    return {"Data": [{"VarCharValue": name} for name in names]}


def queue_results(rows: Sequence[dict[str, Any]], names: Sequence[str] = RESULT_COLUMNS) -> None:
    """Serve `rows` (after Athena's header row) to the next Athena query."""
    backend = athena_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.query_results_queue.append(QueryResults([header_row(names), *rows], column_info(names)))


class PagedQueryResults:
    """Results served in pages with a NextToken between them, as Athena pages a large result.

    moto serves a whole result on every GetQueryResults call; this keeps moto's queue and
    response path and only cuts the result into pages, one per call, in order. (Duck-typed:
    moto's model metaclass cannot subclass QueryResults from a module named `conftest`.)
    """

    def __init__(self, pages: Sequence[Sequence[dict[str, Any]]], names: Sequence[str]) -> None:
        self.pages = [list(page) for page in pages]
        self.rows = self.pages[0]
        self.column_info = column_info(names)
        self.served = 0

    def to_dict(self) -> dict[str, Any]:
        page = self.pages[min(self.served, len(self.pages) - 1)]
        self.served += 1
        result: dict[str, Any] = {
            "ResultSet": {"Rows": page, "ResultSetMetadata": {"ColumnInfo": self.column_info}},
        }
        if self.served < len(self.pages):
            result["NextToken"] = f"page-{self.served + 1}"
        return result


def queue_paged_results(pages: Sequence[Sequence[dict[str, Any]]]) -> PagedQueryResults:
    """Serve `pages` of rows (the first page starting with the header row) to the next query."""
    results = PagedQueryResults([[header_row(), *pages[0]], *pages[1:]], RESULT_COLUMNS)
    athena_backends[DEFAULT_ACCOUNT_ID][REGION].query_results_queue.append(cast(QueryResults, results))
    return results


def set_execution_state(execution_id: str, state: str) -> None:
    """Put a moto query in a state moto never reaches by itself (FAILED)."""
    athena_backends[DEFAULT_ACCOUNT_ID][REGION].executions[execution_id].status = state


# --- the Lambda's environment (tests/store/test_lambda_*.py) ---------------------------------------

LAMBDA_ENVIRONMENT = "test"


@pytest.fixture
def suites_root(tmp_path: Path) -> Path:
    root = tmp_path / "task" / "app"
    (root / "v2").mkdir(parents=True)
    (root / "v2" / "regression_suite.py").write_text("# a locustfile\n")
    return root


@pytest.fixture
def lambda_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, suites_root: Path) -> Path:
    """The seed's environment variables, with the task root and /tmp under tmp_path."""
    for name, value in {
        "BFD_ENVIRONMENT": LAMBDA_ENVIRONMENT,
        "STATS_BUCKET_ID": BUCKET,
        "STATS_ATHENA_WORKGROUP": WORKGROUP,
        "STATS_ATHENA_DATABASE": DATABASE,
        "STATS_ATHENA_TABLE": TABLE,
        "READER_ENDPOINT": "reader.db.example",
        "LAMBDA_TASK_ROOT": str(suites_root.parent),
        "AWS_CURRENT_REGION": REGION,
        "BFD_LAMBDA_TMP": str(tmp_path / "lambda_tmp"),
        "BFD_LAMBDA_TIMEOUT_MARGIN": "30",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("BFD_SUITES_ROOT", raising=False)
    return tmp_path / "lambda_tmp"


@pytest.fixture
def clients(aws: AwsClients, bucket: str) -> AwsClients:
    """moto clients (tests/store/conftest.py) with the stats bucket created."""
    return aws
