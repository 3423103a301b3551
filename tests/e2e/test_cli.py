"""`bfd-locust history | report | prune` against a file store (the real console script) and moto S3."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_bfd_locust.stores.file import FileStore
from tests.report_factory import run_record

HASH_A = "a" * 64


def bfd_locust(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, run as a user would."""
    script = shutil.which("bfd-locust", path=str(Path(os.sys.executable).parent)) or "bfd-locust"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("BFD_LOCUST_")}
    return subprocess.run(
        [script, *args], cwd=cwd, capture_output=True, text=True, timeout=60, env={**environ, **(env or {})}
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project whose pytest.ini points the store at `stats/`, with 6 runs of `api` stored."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nbfd_store = file://stats\n")
    store = FileStore(tmp_path / "stats")
    for index in range(6):
        store.save(run_record(index, 10 + index))
    return tmp_path


def test_history_reads_the_store_the_ini_file_names(project: Path) -> None:
    sub = project / "sub"
    sub.mkdir()
    result = bfd_locust(sub, "history", "--suite", "api", "--last", "4")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"suite api, hash {HASH_A}, last 4 run(s) in file store {project / 'stats'}:"
    assert lines[1].split()[:2] == ["date", "(UTC)"]
    rows = lines[3:]
    assert [row.split()[1] for row in rows] == ["run002", "run003", "run004", "run005"]
    assert rows[-1].split()[:6] == ["2026-09-21T19:13:20Z", "run005", "100", "4", "15", "ms"]


def test_the_environment_beats_the_ini_file(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    other = tmp_path_factory.mktemp("other")
    FileStore(other).save(run_record(0, 10, suite="elsewhere"))
    result = bfd_locust(
        project, "history", "--suite", "elsewhere", env={"BFD_LOCUST_STORE": f"file://{other}"}
    )
    assert result.returncode == 0, result.stderr
    assert "run000" in result.stdout


def test_an_empty_history_is_one_line(project: Path) -> None:
    result = bfd_locust(project, "history", "--suite", "nope")
    assert result.returncode == 1
    assert (
        result.stderr
        == f"bfd-locust history: no stored run of suite 'nope' in file store {project / 'stats'}\n"
    )


def test_report_renders_a_stored_record_against_its_baseline(project: Path) -> None:
    current, baseline = sorted((project / "stats" / f"hash={HASH_A}").glob("*.stats.json"))[-1:-3:-1]
    result = bfd_locust(project, "report", str(current), "--baseline", str(baseline), "-o", "out.html")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "report written to out.html\n"
    page = (project / "out.html").read_text()
    assert "run005" in page and "run004" in page
    assert page.count('data-chart="history-') == 2  # the history of the hash comes from the store
    assert "This run against the baseline" in page


@pytest.mark.parametrize(
    ("make_input", "message"),
    [
        (lambda p: p.write_text("{not json"), "{path}: not a record: not JSON"),
        (
            lambda p: p.write_text('{"metadata": {}}'),
            "{path}: not a record: record.tasks: expected a list, got null",
        ),
    ],
)
def test_a_corrupt_record_is_one_line_naming_it(project: Path, make_input, message: str) -> None:
    path = project / "broken.stats.json"
    make_input(path)
    result = bfd_locust(project, "report", str(path), "-o", "out.html")
    assert result.returncode == 1
    assert result.stderr.startswith("bfd-locust report: " + message.format(path=path))
    assert result.stderr.count("\n") == 1
    assert not (project / "out.html").exists()


def test_a_baseline_of_another_hash_is_refused(project: Path) -> None:
    current = next((project / "stats" / f"hash={HASH_A}").glob("*.stats.json"))
    other = project / "other.stats.json"
    other.write_text(run_record(1, 10, suite="other", hash="b" * 64).to_text())
    result = bfd_locust(project, "report", str(current), "--baseline", str(other), "-o", "out.html")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"bfd-locust report: {other}: hash bbbbbbbbbbbb (suite other) is not the hash"
    )
    assert result.stderr.count("\n") == 1


def test_a_report_into_a_missing_folder_is_one_line(project: Path) -> None:
    current = next((project / "stats" / f"hash={HASH_A}").glob("*.stats.json"))
    result = bfd_locust(project, "report", str(current), "-o", "missing/out.html")
    assert result.returncode == 1
    assert result.stderr == (
        "bfd-locust report: missing/out.html: cannot write the report: the folder missing does not exist\n"
    )


def test_prune_lists_then_deletes_keeping_the_newest(project: Path) -> None:
    folder = project / "stats" / f"hash={HASH_A}"
    dry = bfd_locust(project, "prune", "--keep", "2")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.count("would remove ") == 5  # 4 files + the closing line
    assert "run again with --yes" in dry.stdout
    assert len(list(folder.glob("*.stats.json"))) == 6
    done = bfd_locust(project, "prune", "--keep", "2", "--yes")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name.split("-")[1] for p in folder.glob("*.stats.json")) == [
        "run004.stats.json",
        "run005.stats.json",
    ]


def test_prune_refuses_an_s3_store(project: Path) -> None:
    result = bfd_locust(
        project, "prune", "--keep", "1", "--store", "s3://bucket?database=d&table=t&workgroup=w"
    )
    assert result.returncode == 1 and "prune works on file:// stores" in result.stderr
