"""`pytest --bfd-suite ... --bfd-store s3://...` end to end against moto: store, then compare.

Real Locust against the local demo target; AWS (S3, Glue, Athena) is moto. Athena runs no SQL under
moto, so the second run's lookup is answered with the row Athena would return: the record the first
run stored, read back from moto's S3.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.figures import iso_utc
from pytest_bfd_locust.record import Record
from tests.store.conftest import BUCKET, DATABASE, STORE_URI, TABLE, queue_results, result_row

QUIET = ["-p", "no:cacheprovider"]


def test_s3_store_stores_registers_partition_and_compares_next_run(
    pytester: pytest.Pytester,
    write_catalog,
    aws: AwsClients,
    bucket: str,
    workgroup: str,
    stats_table: str,
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n")
    args = ["--bfd-suite", "suites.yaml", "--bfd-store", STORE_URI, "--compare", "previous", *QUIET]

    first = pytester.runpytest(*args)
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["*no eligible baseline under tag 'default'*"])
    # the record, and its HTML report beside it
    keys = sorted(o["Key"] for o in aws.s3.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert len(keys) == 2
    assert keys[0].startswith(f"databases/{DATABASE}/{TABLE}/hash=")
    assert keys[0].endswith(".report.html") and keys[1].endswith(".stats.json")
    assert keys[0].removesuffix(".report.html") == keys[1].removesuffix(".stats.json")
    keys = keys[1:]
    stored = Record.from_json(json.loads(aws.s3.get_object(Bucket=BUCKET, Key=keys[0])["Body"].read()))
    partitions = aws.glue.get_partitions(DatabaseName=DATABASE, TableName=TABLE)["Partitions"]
    assert [p["Values"] for p in partitions] == [[stored.metadata.hash]]

    queue_results([result_row(stored, f"s3://{BUCKET}/{keys[0]}")])
    second = pytester.runpytest(*args)
    second.assert_outcomes(passed=1)
    second.stdout.fnmatch_lines(
        [f"*vs previous run of {iso_utc(stored.metadata.timestamp)} (run {stored.run_id})*"]
    )
    # Two records (more when the judge warned and the run was confirmed: each attempt stored), each
    # with its report.
    after = [o["Key"] for o in aws.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    records = [key for key in after if key.endswith(".stats.json")]
    assert len(records) >= 2 and len(after) == 2 * len(records)
    executions = aws.athena.list_query_executions()["QueryExecutionIds"]
    parameters = [
        aws.athena.get_query_execution(QueryExecutionId=e)["QueryExecution"].get("ExecutionParameters", [])
        for e in executions
    ]
    assert any(f"'{stored.metadata.hash}'" in p for p in parameters)
    # One query per comparison serves the baseline and the judge's history: the first run's
    # lookup and the second's, each of one partition, each asking for the judge's 20 runs.
    texts = [
        aws.athena.get_query_execution(QueryExecutionId=e)["QueryExecution"]["Query"] for e in executions
    ]
    assert len(texts) == 2
    assert all('WHERE "hash" = ?' in text and text.rstrip().endswith("LIMIT 20") for text in texts)


def test_missing_bucket_fails_the_item_and_keeps_the_record(
    pytester: pytest.Pytester, write_catalog, aws: AwsClients
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-store", STORE_URI, *QUIET)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*storing the record in * failed: *; the record is kept at *.stats.json*"])
    kept = list((pytester.path / ".bfd-artifacts" / "api" / "latest").glob("*.stats.json"))
    assert len(kept) == 1


def test_failed_athena_lookup_fails_the_comparison_with_the_reason(
    pytester: pytest.Pytester, write_catalog, aws: AwsClients, bucket: str, stats_table: str
) -> None:
    # No workgroup: Athena refuses the query; the suite must fail, never pass without a baseline.
    write_catalog("- name: api\n  locustfile: api.py\n")
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--bfd-store", STORE_URI, "--compare", "previous", *QUIET
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*baseline lookup in * failed: *"])


def test_store_warning_made_an_error_keeps_the_figures_and_one_story(
    pytester: pytest.Pytester, write_catalog, aws: AwsClients, bucket: str, glue_database: str
) -> None:
    # No Glue table yet: the record is stored with a StoreWarning, which -W makes an error.
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    result = pytester.runpytest(
        "--bfd-suite",
        "suites.yaml",
        "--bfd-store",
        STORE_URI,
        "-W",
        "error::pytest_bfd_locust.BfdLocustWarning",
        "--junitxml",
        "out.xml",
        *QUIET,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*warnings turned into errors by -W:*", "*is stored, but Glue table * does not exist yet*"]
    )
    result.stdout.fnmatch_lines(["*suites.yaml::api: FAILED: * reqs*"])
    properties = {
        p.get("name"): p.get("value") for p in ET.parse(pytester.path / "out.xml").getroot().iter("property")
    }
    assert int(properties["bfd_num_requests"] or 0) > 0
    assert str(properties["bfd_record_location"]).startswith(f"s3://{BUCKET}/databases/{DATABASE}/{TABLE}/")
    keys = [o["Key"] for o in aws.s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len([key for key in keys if key.endswith(".stats.json")]) == 1
