"""Listing stored runs (history), pruning a file store, and a record's report beside it in S3."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_bfd_locust.record import Record
from pytest_bfd_locust.stores.file import FileStore
from pytest_bfd_locust.stores.protocol import HistoryQuery
from pytest_bfd_locust.stores.s3 import S3Store
from tests.record_factory import make_record
from tests.report_factory import run_record
from tests.store.conftest import BUCKET

HASH_A = "a" * 64
HASH_B = "b" * 64


def _runs(store: FileStore | S3Store) -> list[Record]:
    """Five runs of `api` under hash A, two later ones under hash B, one of another suite."""
    records = [run_record(i, 10, hash=HASH_A) for i in range(5)]
    records += [run_record(10 + i, 10, hash=HASH_B) for i in range(2)]
    records.append(run_record(20, 10, suite="other", hash="c" * 64))
    for record in records:
        store.save(record)
    return records


@pytest.fixture(params=["file", "s3"])
def history_store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore | S3Store:
    if request.param == "file":
        return FileStore(tmp_path / "stats")
    request.getfixturevalue("bucket")
    request.getfixturevalue("stats_table")  # partitions registered: no "table missing" warnings
    store: S3Store = request.getfixturevalue("store")
    return store


def test_the_suites_newest_hash_oldest_first(history_store: FileStore | S3Store) -> None:
    _runs(history_store)
    loaded = history_store.load_history(HistoryQuery(suite="api", limit=20))
    assert loaded.hash == HASH_B
    assert [r.run_id for r in loaded.records] == ["run010", "run011"]
    assert loaded.other_hashes == (HASH_A,)


def test_a_hash_keeps_the_newest_n(history_store: FileStore | S3Store) -> None:
    _runs(history_store)
    loaded = history_store.load_history(HistoryQuery(hash=HASH_A, limit=3))
    assert [r.run_id for r in loaded.records] == ["run002", "run003", "run004"]


def test_a_tag_filters_runs(history_store: FileStore | S3Store) -> None:
    history_store.save(make_record(timestamp=100, run_id="nightly1", tags=("nightly",)))
    history_store.save(make_record(timestamp=200, run_id="plain", tags=("default",)))
    loaded = history_store.load_history(HistoryQuery(hash="a" * 64, tag="nightly"))
    assert [r.run_id for r in loaded.records] == ["nightly1"]


def test_an_unknown_suite_has_an_empty_history(history_store: FileStore | S3Store) -> None:
    _runs(history_store)
    loaded = history_store.load_history(HistoryQuery(suite="nope"))
    assert loaded.hash is None and loaded.records == ()


def test_an_empty_store_has_an_empty_history(history_store: FileStore | S3Store) -> None:
    assert history_store.load_history(HistoryQuery(suite="api")).records == ()


def test_a_corrupt_record_is_skipped_with_a_warning_naming_it(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "stats")
    _runs(store)
    bad = store.hash_dir(HASH_B) / "1790099999-broken.stats.json"
    bad.write_text('{"metadata": ')
    loaded = store.load_history(HistoryQuery(suite="api"))
    assert [r.run_id for r in loaded.records] == ["run010", "run011"]
    assert loaded.warnings == (
        f"skipped stored record {bad}: not JSON: Expecting value: line 1 column 14 (char 13)",
    )


def test_the_seeds_flat_files_count_as_history(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    seed = make_record(timestamp=1_600_000_000)
    (tmp_path / f"1600000000-{seed.metadata.hash}.stats.json").write_text(seed.to_text())
    store.save(make_record(timestamp=1_700_000_000, run_id="ours"))
    loaded = store.load_history(HistoryQuery(hash=seed.metadata.hash))
    assert [r.metadata.timestamp for r in loaded.records] == [1_600_000_000, 1_700_000_000]


def test_prune_is_a_dry_run_until_asked_and_never_removes_the_newest(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "stats")
    _runs(store)
    before = sorted(p.name for p in (tmp_path / "stats").rglob("*.stats.json"))
    doomed = store.prune(2).removed
    assert [p.name for p in doomed] == [f"{1_790_000_000 + i * 3600}-run{i:03d}.stats.json" for i in range(3)]
    assert sorted(p.name for p in (tmp_path / "stats").rglob("*.stats.json")) == before
    assert store.prune(2, dry_run=False).removed == doomed
    kept = store.load_history(HistoryQuery(hash=HASH_A)).records
    assert [r.run_id for r in kept] == ["run003", "run004"]
    assert store.load_history(HistoryQuery(hash=HASH_B)).records  # hashes with <= 2 runs untouched
    assert store.prune(2).removed == ()
    with pytest.raises(ValueError, match="at least the newest"):
        store.prune(0)


def test_a_report_is_stored_next_to_its_record(bucket: str, stats_table: str, store: S3Store) -> None:
    record = run_record(1, 10)
    location = store.save(record)
    report = store.save_report(record, "<!DOCTYPE html><p>report</p>")
    assert report == location.removesuffix(".stats.json") + ".report.html"
    key = report.removeprefix(f"s3://{BUCKET}/")
    stored = store.clients.s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["ContentType"] == "text/html; charset=utf-8"
    # a report is not a record: the listing ignores it
    assert [r.run_id for r in store.load_history(HistoryQuery(hash=record.metadata.hash)).records] == [
        "run001"
    ]


def test_a_future_dated_record_is_left_out_of_the_history(history_store: FileStore | S3Store) -> None:
    history_store.save(make_record(timestamp=100, run_id="real"))
    history_store.save(make_record(timestamp=4_000_000_000, run_id="future"))
    loaded = history_store.load_history(HistoryQuery(hash="a" * 64))
    assert [r.run_id for r in loaded.records] == ["real"]
    assert any("future" in warning and "in the future" in warning for warning in loaded.warnings)
