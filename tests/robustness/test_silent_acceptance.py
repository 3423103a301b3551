"""Silent acceptance, round 2 (issue 19): options that would be ignored or would overwrite each
other's file are usage errors naming them; nothing runs. Real pytest runs through pytester."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from pytest_bfd_locust.stores.file import FileStore
from tests.e2e.test_cli import bfd_locust
from tests.report_factory import run_record


@pytest.mark.parametrize(
    ("option", "value"), [("--bfd-master-bind", "127.0.0.1:5557"), ("--bfd-worker-wait", "5")]
)
def test_a_worker_option_without_workers_to_wait_for_is_a_usage_error(
    pytester: pytest.Pytester, write_catalog, option: str, value: str
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n")
    result = pytester.runpytest("--bfd-suite", "suites.yaml", option, value, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*{option}: no suite waits for workers, so they would be ignored; add --bfd-expect-workers N*"]
    )
    assert not (pytester.path / ".bfd-stats").exists()


def test_a_worker_option_with_a_catalog_workers_block_is_accepted(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  workers: {expect: 1, wait: 1}\n")
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--bfd-worker-wait", "1", "--collect-only", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.OK, result.stderr.str()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("--bfd-report", "--bfd-markdown"),
        ("--bfd-markdown", "--bfd-junit-detail"),
        ("--junitxml", "--bfd-junit-detail"),
        ("--junitxml", "--bfd-report"),
    ],
)
def test_two_outputs_naming_one_file_are_a_usage_error(
    pytester: pytest.Pytester, write_catalog, first: str, second: str
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n")
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", first, "out/x", second, "out/x", "-p", "no:cacheprovider"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*{first} and {second} both name *out/x: the second would overwrite the first; give each*"]
    )
    assert not (pytester.path / "out").exists()


def _project(root: Path) -> Path:
    """A project whose store holds 3 runs of suite `api` under hash a...a and one dated 2100."""
    (root / "pytest.ini").write_text("[pytest]\nbfd_store = file://stats\n")
    store = FileStore(root / "stats")
    for index in range(3):
        store.save(run_record(index, 10 + index))
    future = dataclasses.replace(run_record(9, 10), run_id="future")
    future = dataclasses.replace(
        future, metadata=dataclasses.replace(future.metadata, timestamp=4_102_444_800)
    )
    store.save(future)
    return root / "stats" / f"hash={'a' * 64}"


def test_report_warns_of_a_future_dated_record_as_subject_or_baseline(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    dated_2100 = str(next(folder.glob("4102444800-*.stats.json")))
    valid = str(sorted(folder.glob("17*.stats.json"))[0])
    for subject, baseline in ((dated_2100, valid), (valid, dated_2100)):
        result = bfd_locust(tmp_path, "report", subject, "--baseline", baseline, "-o", "out.html")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0] == (
            f"warning: {dated_2100}: metadata.timestamp 4102444800 is in the future (now "
            + result.stdout.split("(now ", 1)[1].split(")")[0]
            + "); its figures are not to be trusted (history and pytest skip it)"
        )


def test_report_with_a_missing_threshold_file_fails_without_a_baseline_too(tmp_path: Path) -> None:
    folder = _project(tmp_path)
    valid = str(sorted(folder.glob("17*.stats.json"))[0])
    result = bfd_locust(tmp_path, "report", valid, "--compare-meta", "/missing.json", "-o", "out.html")
    assert result.returncode == 1
    assert result.stderr.startswith("bfd-locust report: /missing.json: cannot read the threshold file:")
    assert not (tmp_path / "out.html").exists()
