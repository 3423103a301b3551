"""The prior noise measured on a store's other hashes (`judge.prior_from_store`): the one listing
both stores answer (`load_other_series`: the file store's directory, S3's ListObjectsV2 under
moto), the fallback when a store cannot list, and a new hash judged with the store's prior."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.judge.baseline import BaselineKind
from pytest_bfd_locust.judge.comparison import Comparison
from pytest_bfd_locust.judge.noise import (
    OTHER_SERIES_HASHES,
    OTHER_SERIES_RUNS,
    PACKAGED_PRIOR,
    PRIOR_SCALES,
    measured_scales,
)
from pytest_bfd_locust.judge.thresholds import default_thresholds_path, read_threshold_file
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.reports.terminal import format_history_caveat, format_judgement
from pytest_bfd_locust.run.runner import RunOutcome
from pytest_bfd_locust.settings import BfdSettings
from pytest_bfd_locust.stores.file import FileStore
from pytest_bfd_locust.stores.listing import measured_prior
from pytest_bfd_locust.stores.s3 import S3Store
from pytest_bfd_locust.stores.s3.config import S3StoreConfig
from pytest_bfd_locust.suite_run import judge_run, look_up_baseline
from pytest_bfd_locust.suites import Suite
from tests.record_factory import make_record, measured_record
from tests.store.conftest import BUCKET, STORE_URI

START = 1_790_000_000
NEW_HASH = "f" * 64


@pytest.fixture(params=["file", "s3"])
def series_store(request: pytest.FixtureRequest, tmp_path: Path) -> FileStore | S3Store:
    if request.param == "file":
        return FileStore(tmp_path / "stats")
    request.getfixturevalue("bucket")
    request.getfixturevalue("stats_table")  # partitions registered: records saved without warnings
    store: S3Store = request.getfixturevalue("store")
    return store


def _hash(n: int) -> str:
    return f"{n:x}" * 64


def test_the_newest_runs_of_the_newest_other_hashes(series_store: FileStore | S3Store) -> None:
    # Ten hashes of 25 runs, hash n's runs newer than hash n-1's; the current hash holds one run.
    for n in range(1, 11):
        for index in range(25):
            series_store.save(
                make_record(timestamp=START + n * 1000 + index, run_id=f"h{n}r{index:02d}", hash=_hash(n))
            )
    series_store.save(make_record(timestamp=START + 99_000, run_id="current", hash=NEW_HASH))
    loaded = series_store.load_other_series(NEW_HASH, "default")
    assert len(loaded.series) == OTHER_SERIES_HASHES == 8
    assert [runs[0].metadata.hash for runs in loaded.series] == [_hash(n) for n in range(10, 2, -1)]
    newest = loaded.series[0]
    assert len(newest) == OTHER_SERIES_RUNS == 20
    assert [r.run_id for r in newest] == [f"h10r{index:02d}" for index in range(5, 25)]  # oldest first
    assert loaded.warnings == ()


def test_other_tags_and_unclean_runs_are_left_out(series_store: FileStore | S3Store) -> None:
    other = _hash(1)
    series_store.save(make_record(timestamp=START + 1, run_id="clean", hash=other))
    series_store.save(make_record(timestamp=START + 2, run_id="nightly", hash=other, tags=("nightly",)))
    series_store.save(
        make_record(timestamp=START + 3, run_id="invalid", hash=other, validation_result=ResultStatus.FAILED)
    )
    series_store.save(
        replace(make_record(timestamp=START + 4, run_id="saturated", hash=other), inconclusive="cpu")
    )
    series_store.save(make_record(timestamp=START + 5, run_id="mine", hash=NEW_HASH))
    loaded = series_store.load_other_series(NEW_HASH, "default")
    assert [[r.run_id for r in runs] for runs in loaded.series] == [["clean"]]


def test_an_s3_store_that_cannot_list_falls_back_to_the_packaged_prior(aws: AwsClients) -> None:
    # No bucket: ListObjectsV2 fails as it does for a role without s3:ListBucket.
    store = S3Store(S3StoreConfig.from_uri(STORE_URI.replace(BUCKET, f"{BUCKET}-missing")), aws)
    prior, notes = measured_prior(store, NEW_HASH, "default")
    assert prior is PACKAGED_PRIOR
    assert len(notes) == 1 and notes[0].startswith(
        "prior noise: the packaged values (other hashes not listed:"
    )


def test_a_store_without_other_hashes_keeps_the_packaged_prior(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "stats")
    store.save(make_record(timestamp=START, hash=NEW_HASH))
    prior, notes = measured_prior(store, NEW_HASH, "default")
    assert prior is PACKAGED_PRIOR
    assert notes == (
        f"prior noise: the packaged values ({store.describe()} holds no other hash with 10 clean runs"
        " in 3 series)",
    )


def _run(rng: np.random.Generator, timestamp: int, hash: str, level_ms: float, run_id: str) -> Record:
    """A record of one endpoint from 300 response times around `level_ms` (a run-to-run wander of
    a few percent on top)."""
    wander = rng.normal(0.0, 0.04)
    times = level_ms * np.exp(wander + rng.normal(0.0, 0.15, 300))
    return measured_record({"/api/orders": list(times)}, timestamp=timestamp, hash=hash, run_id=run_id)


def test_a_new_hash_is_judged_with_the_prior_measured_in_the_store(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    store = FileStore(tmp_path / "stats")
    for n in range(1, 4):  # three other hashes with a long history each
        for index in range(15):
            store.save(_run(rng, START + n * 1000 + index, _hash(n), 40.0 * n, f"h{n}r{index:02d}"))
    store.save(_run(rng, START + 9000, NEW_HASH, 50.0, "first"))  # the new hash's one earlier run
    current = _run(rng, START + 9001, NEW_HASH, 50.0, "second")
    packaged = read_threshold_file(default_thresholds_path())
    assert packaged.judge is not None and not packaged.judge.prior_from_store  # off by default
    from_store = replace(packaged, judge=replace(packaged.judge, prior_from_store=True))
    settings = BfdSettings(compare=BaselineKind.PREVIOUS)

    lookup = look_up_baseline(current, settings, store, from_store)
    expected = measured_scales(store.load_other_series(NEW_HASH, "default").series)
    assert lookup.prior == expected and lookup.prior.series == 6 and lookup.prior.hashes == 3
    suite = Suite(name="s", catalog=tmp_path / "c.yaml", locustfile=tmp_path / "l.py", host=None)
    outcome = RunOutcome(current, 0, None, None, tmp_path / "log", tmp_path / "html", 1.0)
    judged = judge_run(outcome, suite, lookup, from_store, settings)
    assert judged.comparison is not None
    caveat = format_history_caveat(judged.comparison)
    assert caveat is not None
    assert caveat.startswith(
        "history: 1 earlier run, noise mostly prior"
        " (prior measured on 6 series of 3 other hashes in the store);"
    )
    # The packaged setting: the same run judged on the packaged prior, said as before.
    packaged_lookup = look_up_baseline(current, settings, store, packaged)
    assert packaged_lookup.prior is PACKAGED_PRIOR
    plain = judge_run(outcome, suite, packaged_lookup, packaged, settings)
    plain_caveat = format_history_caveat(plain.comparison)
    assert plain_caveat is not None and "(prior measured" not in plain_caveat
    assert plain_caveat.startswith("history: 1 earlier run, noise mostly prior;")

    # Same endpoint, same D: the two priors' sigma0 differ exactly by the ratio of their scales.
    def median_prior(comparison: Comparison | None) -> float:
        assert comparison is not None
        row = next(r for r in comparison.stats if r.task is None and r.stat == "median_response_time")
        assert row.judgement is not None
        return row.judgement.spread.prior_log_sigma

    def median_words(comparison: Comparison | None) -> str:
        assert comparison is not None
        row = next(r for r in comparison.stats if r.task is None and r.stat == "median_response_time")
        assert row.judgement is not None
        return format_judgement(row, row.judgement)

    assert "only 1 earlier run: the noise of one run is mostly the store's prior, ±" in median_words(
        judged.comparison
    )
    assert "only 1 earlier run: the noise of one run is mostly the packaged prior, ±" in median_words(
        plain.comparison
    )

    store_s = lookup.prior.by_kind["median_response_time"]
    assert store_s != PRIOR_SCALES["median_response_time"]
    assert median_prior(judged.comparison) / median_prior(plain.comparison) == pytest.approx(
        store_s / PRIOR_SCALES["median_response_time"]
    )
