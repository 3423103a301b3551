"""Bad inputs a new user (or an attacker) tries: each one a clear one-line error, never a traceback.

Each row: the files written beside the catalog, the command line, and the line pytest must print.
None of these starts any load: a suite without a host is refused at collection, from the
locustfile's text (`locustfile_host`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.locustfiles import PLAIN_LOCUSTFILE

HOSTLESS_LOCUSTFILE = PLAIN_LOCUSTFILE  # its HttpUser sets no host of its own


@dataclass(frozen=True)
class BadInput:
    id: str
    catalog: str | None
    """The suites list of suites.yaml (a host is added by the row when it wants one)."""
    args: tuple[str, ...]
    expected: str
    """fnmatch pattern of the one line that says what is wrong."""
    files: dict[str, str] = field(default_factory=dict)
    item_fails: bool = False
    """True: the suite item fails with the message; False: a usage or collection error."""


ONE_SUITE = "- name: api\n  locustfile: api.py\n  host: http://127.0.0.1:9\n  spawned_runtime: 1s\n"

BAD_INPUTS = [
    BadInput(
        "suite-named-dot-dot",
        "- name: '..'\n  locustfile: api.py\n",
        (),
        "*suites.yaml: suite '#1': key 'name': invalid name '..'; *not only dots*",
    ),
    BadInput(
        "suite-named-dot",
        "- name: .\n  locustfile: api.py\n",
        (),
        "*suites.yaml: suite '#1': key 'name': invalid name '.'*",
    ),
    BadInput(
        "artifacts-is-a-file",
        ONE_SUITE,
        ("--bfd-artifacts", "a_file"),
        "ERROR: --bfd-artifacts */a_file: */a_file is a file, not a directory",
        files={"a_file": "not a directory"},
    ),
    BadInput(
        "artifacts-under-a-file",
        ONE_SUITE,
        ("--bfd-artifacts", "a_file/artifacts"),
        "ERROR: --bfd-artifacts */a_file/artifacts: */a_file is a file, not a directory",
        files={"a_file": "not a directory"},
    ),
    BadInput(
        "suite-is-pytest-ini",
        None,
        ("--bfd-suite", "pytest.ini"),
        "ERROR: --bfd-suite */pytest.ini: not a suite catalog (.yaml, .yml) or a locustfile (.py)",
        files={"pytest.ini": "[pytest]\n"},
    ),
    BadInput(
        "suite-is-a-directory",
        None,
        ("--bfd-suite", "somedir.yaml"),
        "ERROR: --bfd-suite */somedir.yaml: not a suite catalog (.yaml, .yml) or a locustfile (.py)",
        files={"somedir.yaml/keep": ""},
    ),
    BadInput(
        "catalog-spawned-runtime-zero",
        "- name: api\n  locustfile: api.py\n  spawned_runtime: 0s\n",
        (),
        "*suites.yaml: suite 'api': key 'spawned_runtime': '0s' must be at least 1 second",
    ),
    BadInput(
        "cli-spawned-runtime-zero",
        ONE_SUITE,
        ("--bfd-spawned-runtime", "0"),
        "*--bfd-spawned-runtime: expected at least 1 second, got '0'",
    ),
    BadInput(
        "cli-users-beyond-the-maximum",
        ONE_SUITE,
        ("--bfd-users", "1000000000", "--bfd-spawn-rate", "1000000000"),
        "ERROR: --bfd-users/--bfd-spawn-rate: users 1000000000 exceeds the maximum of 10000 "
        "(raise it with --bfd-max-users); spawn_rate 1e+09 exceeds the maximum of 1000 *",
    ),
    BadInput(
        "catalog-users-beyond-the-maximum",
        "- name: api\n  locustfile: api.py\n  host: http://127.0.0.1:9\n  users: 1000000000\n",
        (),
        "refused before any load: users 1000000000 exceeds the maximum of 10000 "
        "(raise it with --bfd-max-users)",
        item_fails=True,
    ),
    BadInput(
        "catalog-users-beyond-a-lowered-maximum",
        "- name: api\n  locustfile: api.py\n  host: http://127.0.0.1:9\n  users: 5\n",
        ("--bfd-max-users", "4"),
        "refused before any load: users 5 exceeds the maximum of 4 (raise it with --bfd-max-users)",
        item_fails=True,
    ),
    BadInput(
        "plain-locustfile-without-host",
        None,
        ("--bfd-suite", "api.py"),
        "*/api.py: no host: user class(es) Api in api.py set none; set `host = "
        '"http://..."` on the class, `host:` in a catalog, or `--bfd-host URL`',
    ),
    BadInput(
        # Issue 19: refused at collection (it was a failed run after Locust had started).
        "no-host-anywhere",
        "- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n",
        (),
        "*suites.yaml: suite 'api': no host: user class(es) Api in api.py set none; set `host = "
        '"http://..."` on the class, `host:` in a catalog, or `--bfd-host URL`',
    ),
]


def write_inputs(pytester: pytest.Pytester, bad: BadInput) -> None:
    pytester.path.joinpath("api.py").write_text(HOSTLESS_LOCUSTFILE)
    if bad.catalog is not None:
        pytester.path.joinpath("suites.yaml").write_text("suites:\n" + textwrap.indent(bad.catalog, "  "))
    for name, text in bad.files.items():
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=[bad.id for bad in BAD_INPUTS])
def test_bad_input_is_one_clear_line(pytester: pytest.Pytester, bad: BadInput) -> None:
    write_inputs(pytester, bad)
    suite_args = ("--bfd-suite", "suites.yaml") if bad.catalog is not None else ()
    result = pytester.runpytest(*suite_args, *bad.args, "--bfd-no-store", "-p", "no:cacheprovider")
    output = result.stdout.str() + result.stderr.str()
    if bad.item_fails:
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines([f"*{bad.expected}*"])
        assert "measured 0 requests" not in output
    else:
        assert result.ret in (pytest.ExitCode.USAGE_ERROR, pytest.ExitCode.INTERRUPTED), output
        (result.stderr if result.ret == pytest.ExitCode.USAGE_ERROR else result.stdout).fnmatch_lines(
            [bad.expected]
        )
    assert "Traceback" not in output
    assert not (pytester.path / "..").joinpath("locust.log").exists()


def test_names_of_dots_can_not_escape_the_artifacts_folder(pytester: pytest.Pytester) -> None:
    # The seed of this check: a suite named '..' wrote report.html and locust.log into the rootdir.
    (pytester.path / "report.html").write_text("the user's own file")
    write_inputs(pytester, BAD_INPUTS[0])
    pytester.runpytest("--bfd-suite", "suites.yaml", "-p", "no:cacheprovider")
    assert (pytester.path / "report.html").read_text() == "the user's own file"
    assert not (pytester.path / ".bfd-artifacts").exists()


def test_compare_load_limit_with_previous_is_a_warning(pytester: pytest.Pytester) -> None:
    write_inputs(pytester, BAD_INPUTS[0])
    result = pytester.runpytest(
        "--compare", "previous", "--compare-load-limit", "3", "--collect-only", "-p", "no:cacheprovider"
    )
    result.stdout.fnmatch_lines(
        ["*BfdLocustWarning: --compare-load-limit 3 has no effect with --compare previous*"]
    )
    escalated = pytester.runpytest(
        "--compare",
        "previous",
        "--compare-load-limit",
        "3",
        "-W",
        "error::pytest_bfd_locust.BfdLocustWarning",
        "-p",
        "no:cacheprovider",
    )
    assert escalated.ret != pytest.ExitCode.OK


def test_off_switches_exist_for_flags_set_by_the_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BFD_LOCUST_NO_STORE", "1")
    monkeypatch.setenv("BFD_LOCUST_ONLY_SUMMARY", "1")
    pytester.makepyfile(
        test_settings_seen="""
        from pytest_bfd_locust.plugin import SESSION_KEY

        def test_seen(request):
            settings = request.config.stash[SESSION_KEY].settings
            assert (settings.no_store, settings.only_summary) == (False, False)
        """
    )
    result = pytester.runpytest("--bfd-store-records", "--no-bfd-only-summary", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    without = pytester.runpytest("-p", "no:cacheprovider")
    without.assert_outcomes(failed=1)


FIXTURE_CALLS = [
    (
        "bad-keyword",
        'bfd_locust("suites.yaml", name="api", userz=3)',
        "*bfd_locust(...): unknown key; did you mean 'users'?*",
    ),
    (
        "bad-type",
        'bfd_locust("suites.yaml", name="api", users="many")',
        "*key 'users': bfd_locust(...): expected a whole number >= 1, got 'many'*",
    ),
    (
        "bad-runtime",
        'bfd_locust("suites.yaml", name="api", spawned_runtime="0s")',
        "*key 'spawned_runtime': bfd_locust(...): '0s' must be at least 1 second*",
    ),
    (
        "bad-catalog",
        'bfd_locust("broken.yaml")',
        "*bfd_locust: */broken.yaml: invalid YAML: line 2, column 1: *",
    ),
    ("bad-path-type", "bfd_locust(42)", "*bfd_locust: expected the path of a catalog or locustfile, got 42*"),
    (
        "missing-catalog",
        'bfd_locust("nowhere.yaml")',
        "*bfd_locust: */nowhere.yaml: cannot read the catalog: *",
    ),
]


@pytest.mark.parametrize(
    ("call", "expected"), [c[1:] for c in FIXTURE_CALLS], ids=[c[0] for c in FIXTURE_CALLS]
)
def test_fixture_bad_arguments_are_one_clear_line(
    pytester: pytest.Pytester, call: str, expected: str
) -> None:
    write_inputs(pytester, BAD_INPUTS[-1])
    pytester.path.joinpath("broken.yaml").write_text("suites: [\n")
    pytester.makepyfile(test_fixture_call=f"def test_call(bfd_locust):\n    {call}\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([expected])
    output = result.stdout.str()
    assert "TypeError" not in output and "CatalogError" not in output and "Traceback" not in output


def test_relative_file_store_on_the_command_line_is_taken_from_the_invocation_directory(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog("- name: api\n  locustfile: api.py\n  spawned_runtime: 1s\n")
    (pytester.path / "pytest.ini").write_text("[pytest]\n")
    sub = pytester.mkdir("sub")
    result = _run_in(pytester, sub)
    assert result.ret == 0, result.stdout.str()
    assert list((sub / "stats").glob("hash=*/*.stats.json")), "relative to where pytest was invoked"
    assert not (pytester.path / "stats").exists()


def _run_in(pytester: pytest.Pytester, cwd: Path) -> pytest.RunResult:
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        return pytester.runpytest_subprocess(
            "--rootdir",
            str(pytester.path),
            "-c",
            str(pytester.path / "pytest.ini"),
            "--bfd-suite",
            "../suites.yaml",
            "--bfd-store",
            "file://stats",
            "-p",
            "no:cacheprovider",
            timeout=120,
        )


HOST_ON_THE_CLASS = HOSTLESS_LOCUSTFILE.replace(
    "    wait_time =", '    host = "http://127.0.0.1:9"\n    wait_time =', 1
)
assert HOST_ON_THE_CLASS != HOSTLESS_LOCUSTFILE


@pytest.mark.parametrize(
    ("locustfile", "args", "environment", "ini"),
    [
        (HOST_ON_THE_CLASS, (), {}, ""),
        (HOSTLESS_LOCUSTFILE, ("--bfd-host", "http://127.0.0.1:9"), {}, ""),
        (HOSTLESS_LOCUSTFILE, (), {"BFD_LOCUST_HOST": "http://127.0.0.1:9"}, ""),
        (HOSTLESS_LOCUSTFILE, (), {"LOCUST_HOST": "http://127.0.0.1:9"}, ""),
        (HOSTLESS_LOCUSTFILE, (), {}, "bfd_host = http://127.0.0.1:9\n"),
    ],
    ids=["class-attribute", "bfd-host", "BFD_LOCUST_HOST", "LOCUST_HOST", "ini-bfd_host"],
)
def test_a_host_from_any_source_lets_a_plain_locustfile_be_collected(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    locustfile: str,
    args: tuple[str, ...],
    environment: dict[str, str],
    ini: str,
) -> None:
    """The collection-time refusal of a host-less suite (issue 19) refuses only what has no host."""
    pytester.path.joinpath("api.py").write_text(locustfile)
    pytester.makeini("[pytest]\n" + ini)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    collect = ("--collect-only", "-q", "-p", "no:cacheprovider")
    result = pytester.runpytest("--bfd-suite", "api.py", *args, *collect)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.stdout.fnmatch_lines(["api.py::api"])
