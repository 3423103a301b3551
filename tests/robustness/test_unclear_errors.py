"""Unclear errors, round 2 (issue 19): each is one line naming the input and the cause."""

from __future__ import annotations

from pathlib import Path

from pytest_bfd_locust.stores.file import FileStore
from tests.e2e.test_cli import bfd_locust
from tests.report_factory import run_record


def test_history_of_an_unknown_hash_names_it_and_the_suites_hashes(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nbfd_store = file://stats\n")
    store = FileStore(tmp_path / "stats")
    store.save(run_record(0, 10, hash="a" * 64))
    store.save(run_record(1, 10, hash="b" * 64))
    result = bfd_locust(tmp_path, "history", "--suite", "api", "--hash", "deadbeef")
    assert result.returncode == 1
    assert result.stderr == (
        f"bfd-locust history: no stored run of suite 'api' with hash deadbeef in file store "
        f"{tmp_path / 'stats'}; its runs are under hash(es) {'b' * 64}, {'a' * 64}\n"
    )
