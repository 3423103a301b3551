"""Data loss, round 2 (issue 19): `prune` never counts an invalid record toward `--keep`, a user's
file where a link or a report goes is never replaced silently, a report cut short by a full disk
is said. Real files, the real console script, real Locust."""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_bfd_locust.atomic_file import write_atomically
from pytest_bfd_locust.stores.file import FileStore
from tests.e2e.test_cli import bfd_locust
from tests.on_disk import small_tmpfs
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


# pytest's own notice that the plugin, imported before an in-process run, cannot be rewritten
# again: not a warning of this project's, and counted by assert_outcomes(warnings=...) otherwise.
OWN_WARNINGS_ONLY = ("-W", "ignore::pytest.PytestAssertRewriteWarning")


def test_a_file_at_latest_is_kept_and_named(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    suite_dir = pytester.path / ".bfd-artifacts" / "api"
    suite_dir.mkdir(parents=True)
    (suite_dir / "latest").write_text("my notes")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-p", "no:cacheprovider", *OWN_WARNINGS_ONLY)
    result.assert_outcomes(passed=1, warnings=1)
    assert (suite_dir / "latest").read_text() == "my notes"
    result.stdout.fnmatch_lines(
        [f"*{suite_dir / 'latest'} is a file, not the link to the newest*left as it is*"]
    )


def test_a_folder_at_latest_is_kept_and_named(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    latest = pytester.path / ".bfd-artifacts" / "api" / "latest"
    latest.mkdir(parents=True)
    (latest / "mine.txt").write_text("my notes")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-p", "no:cacheprovider", *OWN_WARNINGS_ONLY)
    result.assert_outcomes(passed=1, warnings=1)
    assert [p.name for p in latest.iterdir()] == ["mine.txt"]
    result.stdout.fnmatch_lines([f"*{latest} is a folder, not the link to the newest*left as it is*"])


def test_a_report_file_at_report_html_is_kept_and_named(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    kept = pytester.path / ".bfd-artifacts" / "report.html"
    kept.parent.mkdir()
    kept.write_text("<p>the report of an earlier version</p>")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not kept.is_symlink() and kept.read_text() == "<p>the report of an earlier version</p>"
    result.stdout.fnmatch_lines([f"bfd-locust: {kept} is a file, not the link to the newest*left as it is*"])
    assert len(list((kept.parent / "reports").glob("*.html"))) == 1  # the session's report was written


def test_a_file_where_the_reports_folder_goes_is_named(pytester: pytest.Pytester, write_catalog) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    reports = pytester.path / ".bfd-artifacts" / "reports"
    reports.parent.mkdir()
    reports.write_text("not a folder")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [f"bfd-locust: could not write the HTML report into {reports} (the default folder of the session "
         "reports): it is a file, not a folder; move it away or name a file with --bfd-report"]
    )  # fmt: skip
    assert "does not exist" not in result.stdout.str()
    assert reports.read_text() == "not a folder"


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs: room for a run's log and result, not for Locust's ~1 MB HTML report."""
    with small_tmpfs(tmp_path / "small", "512k") as mount_point:
        yield mount_point


def test_a_report_cut_short_by_a_full_disk_is_said_and_not_left_truncated(
    pytester: pytest.Pytester, write_catalog, small_disk: Path
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--bfd-artifacts", str(small_disk), "-p", "no:cacheprovider"
    )
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*Locust's HTML report *report.html * written*No space left on device*"])
    run_dir = next((small_disk / "api").glob("2*"))
    assert not (run_dir / "report.html").exists(), "a truncated report is not left looking like a report"
    result.stdout.fnmatch_lines(["*suites.yaml::api: passed: *; stored at *.stats.json"])  # the run is kept


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_reports_and_records_are_written_with_the_umask_not_0600(tmp_path: Path, umask: int) -> None:
    """Issue 19: mkstemp's 0600 survived the rename, so a CI artifact server could not serve them."""
    previous = os.umask(umask)
    try:
        report = tmp_path / "report.html"
        write_atomically(report, "<p>report</p>")
        record = Path(FileStore(tmp_path / "stats").save(run_record(0, 10)))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(report.stat().st_mode) == 0o666 & ~umask
    assert stat.S_IMODE(record.stat().st_mode) == 0o666 & ~umask
