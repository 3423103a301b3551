"""Data loss, round 2 (issue 19): `prune` never counts an invalid record toward `--keep`, a user's
file where a link or a report goes is never replaced silently, a report cut short by a full disk
is said. Real files, the real console script, real Locust."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pytest_bfd_locust.stores.file import FileStore
from tests.e2e.test_cli import bfd_locust
from tests.report_factory import run_record

HASH_A = "a" * 64


def _store_with_bad_files(project: Path) -> tuple[Path, list[str], Path, Path]:
    """3 valid runs of one hash, one truncated record and one dated 2100 (both newest by name)."""
    (project / "pytest.ini").write_text("[pytest]\nbfd_store = file://stats\n")
    store = FileStore(project / "stats")
    valid = [Path(store.save(run_record(index, 10 + index))).name for index in range(3)]
    folder = project / "stats" / f"hash={HASH_A}"
    whole = (folder / valid[-1]).read_text()
    truncated = folder / "4000000000-truncated.stats.json"
    truncated.write_text(whole[: len(whole) // 2])
    future = store.save(dataclasses.replace(run_record(9, 10), run_id="future"))
    future_path = Path(future)
    dated_2100 = folder / "4102444800-future.stats.json"
    text = future_path.read_text().replace(str(run_record(9, 10).metadata.timestamp), "4102444800")
    future_path.unlink()
    dated_2100.write_text(text)
    return folder, valid, truncated, dated_2100


def test_prune_never_counts_invalid_records_toward_keep(tmp_path: Path) -> None:
    folder, valid, truncated, dated_2100 = _store_with_bad_files(tmp_path)
    dry = bfd_locust(tmp_path, "prune", "--keep", "2")
    assert dry.returncode == 0, dry.stderr
    assert f"would remove {folder / valid[0]}" in dry.stdout
    assert f"would remove {folder / valid[1]}" not in dry.stdout
    assert "2 invalid record file(s), not counted toward --keep, kept; remove them with --remove-invalid" in (
        dry.stdout
    )
    assert f"  {truncated}: not JSON" in dry.stdout
    assert f"  {dated_2100}: metadata.timestamp 4102444800 is in the future" in dry.stdout

    done = bfd_locust(tmp_path, "prune", "--keep", "2", "--yes")
    assert done.returncode == 0, done.stderr
    left = sorted(path.name for path in folder.glob("*.stats.json"))
    assert left == sorted([*valid[1:], truncated.name, dated_2100.name])

    cleaned = bfd_locust(tmp_path, "prune", "--keep", "2", "--yes", "--remove-invalid")
    assert cleaned.returncode == 0, cleaned.stderr
    assert "2 invalid record file(s), not counted toward --keep, removed:" in cleaned.stdout
    assert sorted(path.name for path in folder.glob("*.stats.json")) == sorted(valid[1:])


def test_prune_of_a_missing_folder_says_so(tmp_path: Path) -> None:
    result = bfd_locust(tmp_path, "prune", "--keep", "2", "--store", "file://stast")
    assert result.returncode == 1
    assert result.stderr == (
        f"bfd-locust prune: no such folder {tmp_path / 'stast'} (the file store to prune)\n"
    )
