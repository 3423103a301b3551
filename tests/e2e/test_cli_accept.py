"""`bfd-locust accept` (the real console script) against a file store: what it accepts by default, by
run and hash, what `history` then shows, and every bad input as one line with nothing written."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from pytest_bfd_locust.judge.baseline import BaselineQuery
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.stores.file import FileStore
from tests.e2e.test_cli import bfd_locust
from tests.report_factory import run_record

HASH_A = "a" * 64
HASH_B = "b" * 64


def _run(
    index: int, base_ms: float, *, result: ResultStatus = ResultStatus.PASSED, hash: str = HASH_A
) -> Record:
    record = run_record(index, base_ms, hash=hash)
    return replace(
        record,
        metadata=replace(record.metadata, compare_result=result, validation_result=ResultStatus.PASSED),
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Three runs of `api` at 10 ms, then two at 15 ms that failed their comparison."""
    (tmp_path / "pytest.ini").write_text("[pytest]\nbfd_store = file://stats\n")
    store = FileStore(tmp_path / "stats")
    for index in range(3):
        store.save(_run(index, 10))
    for index in (3, 4):
        store.save(_run(index, 15, result=ResultStatus.FAILED))
    return tmp_path


def _acceptance_files(project: Path) -> list[Path]:
    return sorted((project / "stats").rglob("*.accept.json"))


def _baseline_ids(project: Path) -> list[str | None]:
    query = BaselineQuery(hash=HASH_A, tag="default", total_runtime=30.0, limit=5, suite="api")
    return [record.run_id for record in FileStore(project / "stats").load_baseline(query).records]


def test_accept_defaults_to_the_newest_run_and_makes_it_the_baseline(project: Path) -> None:
    assert _baseline_ids(project) == ["run002", "run001", "run000"]

    result = bfd_locust(
        project, "accept", "--suite", "api", "--reason", "archive search, +50 % agreed", env={"USER": "alice"}
    )

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "accepted run run004 of suite api (2026-09-21T18:13:20Z, hash aaaaaaaaaaaa, tag default, "
        "its comparison FAILED): archive search, +50 % agreed"
    )
    [stored] = _acceptance_files(project)
    assert (
        lines[1] == f"later runs of this hash under tag default are compared against it; stored at {stored}"
    )
    data = json.loads(stored.read_text())
    assert (data["run_id"], data["tag"], data["suite"], data["reason"]) == (
        "run004",
        "default",
        "api",
        "archive search, +50 % agreed",
    )
    assert data["accepted_by"]["USER"] == "alice"
    assert _baseline_ids(project) == ["run004"]
    # The records themselves are untouched: their files still say FAILED.
    stored_results = [
        json.loads(p.read_text())["metadata"]["compare_result"]
        for p in sorted((project / "stats" / f"hash={HASH_A}").glob("*.stats.json"))
    ]
    assert stored_results == ["PASSED"] * 3 + ["FAILED"] * 2


def test_history_marks_the_accepted_run_with_its_reason(project: Path) -> None:
    bfd_locust(
        project,
        "accept",
        "--suite",
        "api",
        "--run",
        "run003",
        "--reason",
        "new level",
        env={"GITHUB_ACTOR": "octocat"},
    )
    result = bfd_locust(project, "history", "--suite", "api")
    assert result.returncode == 0, result.stderr
    [row] = [line for line in result.stdout.splitlines() if " run003 " in line]
    assert row.endswith("new level")
    assert "accepted (tag default, " in row and " by octocat): new level" in row
    assert not any("accepted" in line for line in result.stdout.splitlines() if " run004 " in line)


def test_accept_a_run_of_another_hash_by_id(project: Path) -> None:
    FileStore(project / "stats").save(_run(9, 20, hash=HASH_B))
    result = bfd_locust(project, "accept", "--suite", "api", "--run", "run003", "--reason", "x")
    assert result.returncode == 0, result.stderr
    assert "accepted run run003 " in result.stdout and "hash aaaaaaaaaaaa" in result.stdout


def test_accept_under_a_tag_given_in_the_environment(project: Path) -> None:
    nightly = replace(_run(7, 15), metadata=replace(_run(7, 15).metadata, tags=("nightly",)))
    FileStore(project / "stats").save(nightly)
    result = bfd_locust(
        project, "accept", "--suite", "api", "--reason", "x", env={"BFD_LOCUST_COMPARE_TAG": "nightly"}
    )
    assert result.returncode == 0, result.stderr
    assert "accepted run run007 " in result.stdout and "tag nightly" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--suite", "nope"], "no stored run of suite 'nope' under tag 'default' in file store {stats}"),
        (["--suite", "nope", "--run", "run003"], "no stored run of suite 'nope' in file store {stats}"),
        (
            ["--suite", "api", "--run", "run999"],
            "no stored run 'run999' under the 1 hash(es) of suite 'api' in file store {stats}",
        ),
        (
            ["--suite", "api", "--hash", HASH_B],
            f"no stored run of suite 'api' with hash {HASH_B} under tag 'default' in file store {{stats}}",
        ),
        (
            ["--suite", "api", "--hash", HASH_B, "--run", "run003"],
            f"no stored run 'run003' under hash {HASH_B} in file store {{stats}}",
        ),
        (
            ["--suite", "api", "--tag", "nightly"],
            "no stored run of suite 'api' under tag 'nightly' in file store {stats}",
        ),
        (
            ["--suite", "api", "--reason", "   "],
            "--reason: the reason must not be empty: say why this level is the new normal",
        ),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(project: Path, args: list[str], message: str) -> None:
    if "--reason" not in args:
        args = [*args, "--reason", "a reason"]
    result = bfd_locust(project, "accept", *args)
    assert result.returncode == 1
    assert result.stderr == f"bfd-locust accept: {message.format(stats=project / 'stats')}\n"
    assert _acceptance_files(project) == []


def test_accepting_twice_says_when_and_why_it_was_accepted(project: Path) -> None:
    first = bfd_locust(project, "accept", "--suite", "api", "--reason", "first reason", env={"USER": "alice"})
    assert first.returncode == 0, first.stderr
    before = [path.read_bytes() for path in _acceptance_files(project)]
    second = bfd_locust(project, "accept", "--suite", "api", "--run", "run004", "--reason", "second")
    assert second.returncode == 1
    assert second.stderr.startswith(
        "bfd-locust accept: run run004 is already accepted under tag 'default' (accepted "
    )
    assert second.stderr.endswith(" by alice: first reason)\n")
    assert [path.read_bytes() for path in _acceptance_files(project)] == before


def test_a_run_that_failed_validation_is_refused(project: Path) -> None:
    broken = replace(
        _run(8, 15), metadata=replace(_run(8, 15).metadata, validation_result=ResultStatus.FAILED)
    )
    FileStore(project / "stats").save(broken)
    result = bfd_locust(project, "accept", "--suite", "api", "--reason", "x")
    assert result.returncode == 1
    assert result.stderr == (
        "bfd-locust accept: run run008 failed validation (fail ratio, SLA or a crash): "
        "it can never be a baseline\n"
    )
    assert _acceptance_files(project) == []


def test_a_store_that_cannot_be_written_is_one_line(project: Path) -> None:
    # A file where the acceptances' folder goes: no folder can be made there (as root too).
    blocker = project / "stats" / "_acceptances"
    blocker.write_text("not a folder")
    result = bfd_locust(project, "accept", "--suite", "api", "--reason", "x")
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"bfd-locust accept: file store {project / 'stats'}: cannot write into {blocker}/hash="
    )
    assert result.stderr.count("\n") == 1
    assert blocker.read_text() == "not a folder"
