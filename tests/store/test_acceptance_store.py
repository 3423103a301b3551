"""Acceptances in both stores: written once beside the records, read back by the baseline lookup (on S3
the Athena query honours them) and by the history listing; corrupt or future-dated ones skipped."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pytest_bfd_locust import cli
from pytest_bfd_locust.acceptance import Acceptance, accept_run
from pytest_bfd_locust.judge.baseline import BaselineQuery, previous_baseline
from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.comparison import Evidence
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.plugin import summary_line, user_properties
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.reports.model import Outcome
from pytest_bfd_locust.reports.session import suite_report
from pytest_bfd_locust.stores.file import FileStore
from pytest_bfd_locust.stores.protocol import AlreadyAccepted, HistoryQuery, StoreError
from pytest_bfd_locust.stores.s3 import S3Store
from pytest_bfd_locust.suite_run import SuiteResult
from pytest_bfd_locust.suites import Suite
from tests.report_factory import run_record
from tests.store.conftest import (
    BUCKET,
    DATABASE,
    STORE_URI,
    TABLE,
    WORKGROUP,
    create_stats_table,
    queue_results,
    result_row,
)

HASH_A = "a" * 64
ACCEPTANCE_DIR = f"_acceptances/hash={HASH_A}/tag=default"


def _run(index: int, base_ms: float, result: ResultStatus = ResultStatus.PASSED) -> Record:
    record = run_record(index, base_ms, hash=HASH_A)
    return replace(
        record,
        metadata=replace(record.metadata, compare_result=result, validation_result=ResultStatus.PASSED),
    )


def _history() -> list[Record]:
    """Three runs at 10 ms, then three at 15 ms whose comparison failed (the intended change)."""
    return [_run(i, 10) for i in range(3)] + [_run(i, 15, ResultStatus.FAILED) for i in range(3, 6)]


def _accept(record: Record, reason: str = "search also reads the archive") -> Acceptance:
    return accept_run(record, tag="default", reason=reason, accepted_by={"USER": "tester"}, now=time.time())


def _query(limit: int = 5) -> BaselineQuery:
    return BaselineQuery(hash=HASH_A, tag="default", total_runtime=30.0, limit=limit, suite="api")


def _write_raw(store: FileStore | S3Store, name: str, body: bytes) -> str:
    """An acceptance object written by hand (corrupt, from the future...); returns how it is named."""
    if isinstance(store, FileStore):
        path = store.root / ACCEPTANCE_DIR / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return str(path)
    key = f"databases/{DATABASE}/{TABLE}/{ACCEPTANCE_DIR}/{name}"
    store.clients.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key}"


@pytest.fixture(params=["file", "s3"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore | S3Store:
    if request.param == "file":
        return FileStore(tmp_path / "stats")
    request.getfixturevalue("bucket")
    request.getfixturevalue("stats_table")
    request.getfixturevalue("workgroup")
    store: S3Store = request.getfixturevalue("store")
    return store


# --- both stores -------------------------------------------------------------------------------------


def test_an_acceptance_is_its_own_object_and_no_record_is_rewritten(any_store: FileStore | S3Store) -> None:
    history = _history()
    locations = [any_store.save(record) for record in history]
    before = [_read(any_store, location) for location in locations]
    acceptance = _accept(history[3])

    where = any_store.save_acceptance(acceptance)

    assert where.endswith(f"{ACCEPTANCE_DIR}/{history[3].metadata.timestamp}-run003.accept.json")
    assert [_read(any_store, location) for location in locations] == before
    assert any_store.load_acceptances(HASH_A).acceptances == (acceptance,)
    assert any_store.load_acceptances(HASH_A, "default").acceptances == (acceptance,)
    assert any_store.load_acceptances(HASH_A, "nightly").acceptances == ()


def test_accepting_the_same_run_twice_says_when_and_why_and_keeps_the_first(
    any_store: FileStore | S3Store,
) -> None:
    record = _history()[3]
    any_store.save(record)
    first = _accept(record)
    any_store.save_acceptance(first)
    with pytest.raises(AlreadyAccepted) as raised:
        any_store.save_acceptance(replace(first, reason="another reason"))
    assert str(raised.value) == f"run run003 is already accepted under tag 'default' ({first.describe()})"
    assert raised.value.existing == first
    assert any_store.load_acceptances(HASH_A).acceptances == (first,)


def test_the_history_listing_carries_the_acceptances(any_store: FileStore | S3Store) -> None:
    history = _history()
    for record in history:
        any_store.save(record)
    acceptance = _accept(history[3])
    any_store.save_acceptance(acceptance)
    loaded = any_store.load_history(HistoryQuery(suite="api", limit=10))
    assert [r.run_id for r in loaded.records] == [f"run00{i}" for i in range(6)]
    assert loaded.acceptances == (acceptance,)
    assert any_store.load_history(HistoryQuery(suite="api", tag="nightly", limit=10)).acceptances == ()


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "not JSON"),
        (b'{"run_id": "run003"}', "acceptance: missing accepted_at, run_timestamp, hash, suite, tag, reason"),
        (None, "accepted_at 2099-01-01T00:00:00Z is in the future"),
    ],
)
def test_a_corrupt_or_future_acceptance_is_skipped_with_a_warning_naming_it(
    any_store: FileStore | S3Store, body: bytes | None, problem: str
) -> None:
    history = _history()
    for record in history:
        any_store.save(record)
    if body is None:
        future = replace(_accept(history[3]), accepted_at=4_070_908_800)
        body = future.to_text().encode()
    name = _write_raw(any_store, f"{history[3].metadata.timestamp}-run003.accept.json", body)

    loaded = any_store.load_acceptances(HASH_A, "default")

    assert loaded.acceptances == ()
    assert len(loaded.warnings) == 1
    assert loaded.warnings[0].startswith(f"skipped stored acceptance {name}: ")
    assert problem in loaded.warnings[0]
    history_warnings = any_store.load_history(HistoryQuery(suite="api", limit=10)).warnings
    assert len(history_warnings) == 1
    assert history_warnings[0].startswith(f"skipped stored acceptance {name}: ")


def test_an_acceptance_for_another_hash_in_this_folder_is_skipped(any_store: FileStore | S3Store) -> None:
    stray = replace(_accept(_history()[3]), hash="b" * 64)
    name = _write_raw(any_store, "1-x.accept.json", stray.to_text().encode())
    warnings = any_store.load_acceptances(HASH_A).warnings
    assert warnings == (
        f"skipped stored acceptance {name}: hash bbbbbbbbbbbb is not the hash aaaaaaaaaaaa of its folder",
    )


def test_a_run_is_found_by_its_id(any_store: FileStore | S3Store) -> None:
    history = _history()
    for record in history:
        any_store.save(record)
    found = any_store.load_run(HASH_A, "run004")
    assert found is not None and found.run_id == "run004"
    assert any_store.load_run(HASH_A, "run999") is None
    assert any_store.load_run("b" * 64, "run004") is None


# --- the file store's baseline lookup ---------------------------------------------------------------------


def test_file_store_baselines_start_at_the_accepted_run(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    history = _history()
    for record in history:
        store.save(record)
    assert [r.run_id for r in store.load_baseline(_query()).records] == ["run002", "run001", "run000"]

    acceptance = _accept(history[4])
    store.save_acceptance(acceptance)
    loaded = store.load_baseline(_query())
    assert [r.run_id for r in loaded.records] == ["run004"]
    assert loaded.accepted == acceptance
    # A later run at the new level is a baseline beside it; nothing before the accepted run is.
    store.save(_run(6, 15))
    assert [r.run_id for r in store.load_baseline(_query()).records] == ["run006", "run004"]
    # Another tag and another suite keep their own level.
    other_tag = BaselineQuery(hash=HASH_A, tag="nightly", total_runtime=30.0, limit=5)
    assert store.load_baseline(other_tag).accepted is None


def test_file_store_lookup_warns_about_a_corrupt_acceptance_and_ignores_it(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    for record in _history():
        store.save(record)
    name = _write_raw(store, "123-run004.accept.json", b"[]")
    loaded = store.load_baseline(_query())
    assert [r.run_id for r in loaded.records] == ["run002", "run001", "run000"]
    assert loaded.warnings == (
        f"skipped stored acceptance {name}: acceptance: expected a JSON object, got list",
    )


def test_file_store_that_cannot_be_written_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "stats").write_text("a file where the store's folder should be")
    store = FileStore(tmp_path / "stats")
    with pytest.raises(StoreError, match=f"file store {tmp_path / 'stats'}: cannot write into"):
        store.save_acceptance(_accept(_history()[3]))


# --- the S3 store's Athena query ------------------------------------------------------------------------


def _last_query(store: S3Store) -> dict[str, Any]:
    ids = store.clients.athena.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    return dict(store.clients.athena.get_query_execution(QueryExecutionId=ids[0])["QueryExecution"])


def _source(record: Record) -> str:
    return f"s3://{BUCKET}/databases/{DATABASE}/{TABLE}/hash={HASH_A}/{record.metadata.timestamp}-{record.run_id}.stats.json"


def test_the_athena_query_honours_the_acceptance(
    store: S3Store, aws: Any, bucket: str, workgroup: str
) -> None:
    create_stats_table(aws, with_additions=True)
    history = _history()
    accepted = history[4]
    store.save_acceptance(_accept(accepted))
    # What Athena returns for that query: the accepted run and a later one (the SQL already filtered).
    later = _run(6, 15)
    queue_results([result_row(r, _source(r)) for r in (later, accepted)])

    loaded = store.load_baseline(_query())

    assert [r.run_id for r in loaded.records] == ["run006", "run004"]
    assert loaded.warnings == ()
    execution = _last_query(store)
    text, parameters = execution["Query"], execution["ExecutionParameters"]
    stamp = str(accepted.metadata.timestamp)
    assert (
        """AND ("metadata"."compare_result" IN ('PASSED', 'NOT_APPLICABLE') """
        """OR ("metadata"."timestamp" = ? AND "run_id" = ?))"""
    ) in text
    assert (
        """AND ("metadata"."timestamp" > ? OR ("metadata"."timestamp" = ? AND coalesce("run_id", '') >= ?))"""
        in text
    )
    assert text.count("?") == len(parameters)
    assert parameters[2:4] == [stamp, "'run004'"]
    assert parameters[-3:] == [stamp, stamp, "'run004'"]
    assert "run004" not in text


def test_rows_before_the_accepted_level_are_rechecked_away(
    store: S3Store, bucket: str, stats_table: str, workgroup: str
) -> None:
    history = _history()
    store.save_acceptance(_accept(history[4]))
    # A table without the run_id column: the query matches by timestamp only, the re-check by run.
    queue_results([result_row(r, _source(r)) for r in reversed(history)])
    loaded = store.load_baseline(_query())
    assert [r.run_id for r in loaded.records] == ["run004"]
    assert '"metadata"."timestamp" >= ?' in _last_query(store)["Query"]
    assert "ignored 5 row(s)" in loaded.warnings[0]


def test_s3_store_that_cannot_be_written_writes_nothing(store: S3Store) -> None:
    # No bucket: the write fails, one error naming it.
    with pytest.raises(StoreError, match=f"bucket '{BUCKET}' does not exist"):
        store.save_acceptance(_accept(_history()[3]))


def _read(store: FileStore | S3Store, location: str) -> bytes:
    if isinstance(store, FileStore):
        return Path(location).read_bytes()
    key = location.removeprefix(f"s3://{BUCKET}/")
    return bytes(store.clients.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


# --- a failed run accepted by --bfd-accept: the verdict, the report, the summary line -------------------


def test_an_accepted_failed_comparison_passes_and_every_output_says_why(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "stats")
    history = [run_record(i, 10, hash=HASH_A) for i in range(6)]
    for record in history:
        store.save(record)
    current = run_record(6, 60, hash=HASH_A)
    baseline = previous_baseline([history[-1]])
    assert baseline is not None
    thresholds = read_threshold_file(default_thresholds_path())
    comparison = compare(current, baseline, thresholds, Evidence(current, baseline.records, history[::-1]))
    assert comparison.failed
    current = current.with_results(compare=comparison.result, validation=ResultStatus.PASSED)
    stored_at = store.save(current)
    acceptance = _accept(current, "six times slower on purpose")
    store.save_acceptance(acceptance)
    suite = Suite(name="api", catalog=tmp_path / "suites.yaml", locustfile=tmp_path / "api.py", host=None)
    result = SuiteResult(
        suite=suite,
        run=None,
        record=current,
        comparison=comparison,
        baseline=baseline,
        stored_at=stored_at,
        acceptances=(acceptance,),
    )

    assert not result.failed
    line = summary_line("suites.yaml::api", result)
    assert line.startswith("suites.yaml::api: passed: ")
    regressed = len(comparison.failures)
    assert line.endswith(
        f"; accepted as the new level under tag default (six times slower on purpose); its comparison "
        f"failed ({regressed} statistics regressed against the {baseline.describe()}) and is overruled: "
        "later runs are compared against it"
    )
    assert ("bfd_accepted", "six times slower on purpose") in user_properties(result)
    report = suite_report(result, store).report
    assert report.outcome is Outcome.PASSED and report.reasons == ()
    assert report.acceptances == (acceptance,)
    assert report.history[-1].acceptances == (acceptance,)
    # Without the acceptance the same result fails.
    assert replace(result, acceptances=()).failed


# --- bfd-locust accept against moto S3 (in process: moto patches this interpreter) ----------------------


def test_bfd_locust_accept_and_history_against_s3(
    aws: Any, bucket: str, stats_table: str, workgroup: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_ACTOR", "octocat")
    store = S3Store.from_uri(STORE_URI, clients=aws)
    history = _history()
    for record in history:
        store.save(record)

    accept = ["accept", "--suite", "api", "--run", "run003", "--store", STORE_URI]
    assert cli.main([*accept, "--reason", "new level"]) == 0
    out = capsys.readouterr().out
    key = f"databases/{DATABASE}/{TABLE}/{ACCEPTANCE_DIR}/{history[3].metadata.timestamp}-run003.accept.json"
    assert out.splitlines()[1].endswith(f"stored at s3://{BUCKET}/{key}")

    assert cli.main(["history", "--suite", "api", "--store", STORE_URI]) == 0
    [row] = [line for line in capsys.readouterr().out.splitlines() if " run003 " in line]
    assert row.endswith(" by octocat): new level")

    # The baseline lookup honours it: Athena is asked for the accepted level, the rows re-checked.
    queue_results([result_row(r, _source(r)) for r in reversed(history)])
    loaded = store.load_baseline(_query())
    assert [r.run_id for r in loaded.records] == ["run003"]
    assert loaded.accepted is not None and loaded.accepted.reason == "new level"

    assert cli.main([*accept, "--reason", "again"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("bfd-locust accept: run run003 is already accepted under tag 'default' (accepted ")
    assert err.endswith(" by octocat: new level)\n")
    listed = aws.s3.list_objects_v2(Bucket=BUCKET, Prefix=f"databases/{DATABASE}/{TABLE}/_acceptances/")
    assert [item["Key"] for item in listed["Contents"]] == [key]
