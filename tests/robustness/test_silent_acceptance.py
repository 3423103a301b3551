"""Silent acceptance, round 2 (issue 19): options that would be ignored or would overwrite each
other's file are usage errors naming them; nothing runs. Real pytest runs through pytester."""

from __future__ import annotations

import pytest


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
