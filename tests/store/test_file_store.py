from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from pytest_bfd_locust.judge.baseline import BaselineQuery
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.stores import (
    StoreError,
    StoreUriError,
    open_store,
)
from pytest_bfd_locust.stores.file import FileStore
from tests.record_factory import DEFAULT_HASH, make_record, make_totals

OTHER_HASH = "b" * 64


def _query(limit: int = 5, hash: str = DEFAULT_HASH) -> BaselineQuery:
    return BaselineQuery(hash=hash, tag="default", total_runtime=30.0, limit=limit)


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("file://.bfd-stats", "/project/.bfd-stats"),
        ("file://out/stats", "/project/out/stats"),
        ("file:///var/stats", "/var/stats"),
    ],
)
def test_from_uri(uri: str, expected: str) -> None:
    assert FileStore.from_uri(uri, rootdir="/project").root == Path(expected)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("file://", "the directory is missing"),
        ("s3://bucket", "expected file://DIR"),
        ("file://d?x=1", "no query"),
    ],
)
def test_from_uri_rejects(uri: str, message: str) -> None:
    with pytest.raises(StoreUriError, match=message):
        FileStore.from_uri(uri, rootdir="/project")


def test_open_store_gives_a_file_store(tmp_path: Path) -> None:
    store = open_store("file://stats", rootdir=str(tmp_path))
    assert isinstance(store, FileStore)
    assert store.describe() == f"file store {tmp_path / 'stats'}"


def test_save_writes_the_spec_layout_and_round_trips(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    record = make_record(timestamp=1_700_000_123, run_id="run1")
    path = store.save(record)
    assert path == str(tmp_path / f"hash={DEFAULT_HASH}" / "1700000123-run1.stats.json")
    assert Record.from_json(json.loads(Path(path).read_text())) == record
    # No temporary file is left behind.
    assert os.listdir(tmp_path / f"hash={DEFAULT_HASH}") == ["1700000123-run1.stats.json"]


def test_two_runs_in_the_same_second_both_survive(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    first = make_record(timestamp=100, totals=make_totals(num_requests=1))
    second = make_record(timestamp=100, totals=make_totals(num_requests=2))
    paths = {store.save(first), store.save(second)}
    assert len(paths) == 2
    stored = sorted(Record.from_json(json.loads(Path(p).read_text())).totals.num_requests for p in paths)
    assert stored == [1, 2]
    # A record without a run id gets one, and the stored file carries it.
    assert all(Record.from_json(json.loads(Path(p).read_text())).run_id for p in paths)


def test_saving_the_same_run_twice_never_overwrites(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    original = make_record(timestamp=100, run_id="same", totals=make_totals(num_requests=1))
    again = make_record(timestamp=100, run_id="same", totals=make_totals(num_requests=2))
    first, second = store.save(original), store.save(again)
    assert first != second
    assert json.loads(Path(first).read_text())["totals"]["num_requests"] == 1
    assert json.loads(Path(second).read_text())["totals"]["num_requests"] == 2
    assert Path(second).name == "100-same-1.stats.json"


@pytest.mark.parametrize(("field", "value"), [("run_id", "../escape"), ("run_id", "a/b"), ("hash", "*")])
def test_save_refuses_names_that_would_leave_the_store(tmp_path: Path, field: str, value: str) -> None:
    record = make_record(run_id=value) if field == "run_id" else make_record(hash=value, run_id="r")
    with pytest.raises(
        StoreError, match=re.escape(f"record {field} {value!r} cannot be part of a file name")
    ):
        FileStore(tmp_path).save(record)
    assert not any(tmp_path.rglob("*.stats.json"))


def test_save_failure_is_a_store_error_naming_the_folder(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("a file where the store's folder should be")
    with pytest.raises(StoreError, match="cannot write into .*blocker"):
        FileStore(tmp_path / "blocker").save(make_record(run_id="r"))


def test_load_baseline_returns_the_newest_eligible_of_the_hash(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    for ts in (100, 300, 200):
        store.save(make_record(timestamp=ts, run_id=f"r{ts}"))
    store.save(make_record(timestamp=400, run_id="failed", compare_result=ResultStatus.FAILED))
    store.save(make_record(timestamp=500, run_id="other", hash=OTHER_HASH))
    loaded = store.load_baseline(_query(limit=2))
    assert [r.run_id for r in loaded.records] == ["r300", "r200"]
    assert loaded.warnings == ()
    assert [r.run_id for r in store.load_baseline(_query(hash=OTHER_HASH)).records] == ["other"]


def test_load_baseline_of_an_empty_or_missing_store(tmp_path: Path) -> None:
    assert FileStore(tmp_path / "nothing-here").load_baseline(_query()).records == ()


def _write_flat(root: Path, timestamp: int, record: Record) -> Path:
    path = root / f"{timestamp}-{record.metadata.hash}.stats.json"
    # The seed's records have none of our additional keys.
    data = record.to_json()
    assert set(data) == {"metadata", "totals", "tasks"}
    path.write_text(json.dumps(data))
    return path


def test_the_seeds_flat_layout_is_read(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    _write_flat(tmp_path, 100, make_record(timestamp=100, totals=make_totals(num_requests=7)))
    store.save(make_record(timestamp=50, run_id="older"))
    loaded = store.load_baseline(_query())
    assert [(r.metadata.timestamp, r.run_id, r.totals.num_requests) for r in loaded.records] == [
        (100, None, 7),
        (50, "older", 100),
    ]


def test_only_the_matching_hash_is_read(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save(make_record(run_id="mine"))
    # Corrupt files of other hashes, in both layouts: reading either would give a warning.
    (tmp_path / f"hash={OTHER_HASH}").mkdir()
    (tmp_path / f"hash={OTHER_HASH}" / "1-x.stats.json").write_text("{corrupt")
    (tmp_path / f"1-{OTHER_HASH}.stats.json").write_text("{corrupt")
    loaded = store.load_baseline(_query())
    assert [r.run_id for r in loaded.records] == ["mine"]
    assert loaded.warnings == ()


@pytest.mark.parametrize(
    ("content", "warning"),
    [
        ("{corrupt", "not JSON: Expecting property name enclosed in double quotes"),
        (
            json.dumps({"metadata": {}, "totals": {}, "tasks": []}),
            "record.metadata.timestamp: expected a whole number",
        ),
        (json.dumps(["a", "foreign", "file"]), "record: expected an object, got list"),
        (b"\xff\xfe not utf-8", "not JSON"),
    ],
)
def test_a_corrupt_or_foreign_file_is_skipped_with_a_warning(
    tmp_path: Path, content: str | bytes, warning: str
) -> None:
    store = FileStore(tmp_path)
    store.save(make_record(run_id="good"))
    bad = tmp_path / f"hash={DEFAULT_HASH}" / "2-bad.stats.json"
    bad.write_bytes(content if isinstance(content, bytes) else content.encode())
    loaded = store.load_baseline(_query())
    assert [r.run_id for r in loaded.records] == ["good"]
    assert len(loaded.warnings) == 1
    assert loaded.warnings[0].startswith(f"skipped stored record {bad}: ")
    assert warning in loaded.warnings[0]


def test_files_without_the_suffix_are_ignored(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save(make_record(run_id="good"))
    (tmp_path / f"hash={DEFAULT_HASH}" / ".tmpabc.tmp").write_text("{partial")
    (tmp_path / f"hash={DEFAULT_HASH}" / "notes.txt").write_text("hello")
    loaded = store.load_baseline(_query())
    assert [r.run_id for r in loaded.records] == ["good"]
    assert loaded.warnings == ()


def test_a_previous_lookup_stops_before_older_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save(make_record(timestamp=300, run_id="newest"))
    # An older corrupt file is never read once the newest eligible record is in hand...
    (tmp_path / f"hash={DEFAULT_HASH}" / "100-old.stats.json").write_text("{corrupt")
    previous = store.load_baseline(_query(limit=1))
    assert [r.run_id for r in previous.records] == ["newest"]
    assert previous.warnings == ()
    # ...but an average over more records than that reads it, and warns.
    average = store.load_baseline(_query(limit=5))
    assert [r.run_id for r in average.records] == ["newest"]
    assert len(average.warnings) == 1


def test_lookups_skip_newer_ineligible_files_and_read_same_second_ties(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save(make_record(timestamp=400, run_id="failed", compare_result=ResultStatus.FAILED))
    store.save(make_record(timestamp=300, run_id="a"))
    store.save(make_record(timestamp=300, run_id="b"))
    store.save(make_record(timestamp=200, run_id="c"))
    assert [r.run_id for r in store.load_baseline(_query(limit=1)).records] == ["b"]
    assert [r.run_id for r in store.load_baseline(_query(limit=2)).records] == ["b", "a"]
    assert [r.run_id for r in store.load_baseline(_query(limit=3)).records] == ["b", "a", "c"]


def test_a_file_named_with_the_wrong_timestamp_makes_the_lookup_read_everything(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save(make_record(timestamp=200, run_id="named-right"))
    # A hand-copied file whose name says 300 but whose record is from 100, and a truly newer
    # record under an older name: names cannot be trusted, so the order comes from the records.
    folder = tmp_path / f"hash={DEFAULT_HASH}"
    _write(folder / "300-copy.stats.json", make_record(timestamp=100, run_id="copy"))
    _write(folder / "50-late.stats.json", make_record(timestamp=500, run_id="late"))
    assert [r.run_id for r in store.load_baseline(_query(limit=1)).records] == ["late"]


def test_files_without_a_timestamp_name_are_always_read(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save(make_record(timestamp=200, run_id="saved"))
    _write(
        tmp_path / f"hash={DEFAULT_HASH}" / "manual.stats.json", make_record(timestamp=900, run_id="manual")
    )
    assert [r.run_id for r in store.load_baseline(_query(limit=1)).records] == ["manual"]


def _write(path: Path, record: Record) -> None:
    path.write_text(json.dumps(record.to_json()))
