"""Options: the argparse type functions and `resolve` (CLI > environment > ini > default)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_bfd_locust.judge.baseline import BaselineKind
from pytest_bfd_locust.settings import (
    OPTIONS,
    OPTIONS_BY_NAME,
    BfdSettings,
    SettingsError,
    argparse_kwargs,
    boolean,
    compare_mode,
    env_name,
    host_url,
    ini_type,
    non_negative_float,
    positive_float,
    positive_int,
    processes,
    resolve,
    store_uri,
    tag,
    text_value,
    timespan,
)

# --- type functions ---------------------------------------------------------------------------------

GOOD_VALUES: list[tuple[Callable[[str], Any], str, Any]] = [
    (positive_int, "1", 1),
    (positive_int, "250", 250),
    (positive_int, " 7 ", 7),
    (positive_float, "0.5", 0.5),
    (positive_float, "10", 10.0),
    (positive_float, "1e-3", 0.001),
    (non_negative_float, "0", 0.0),
    (non_negative_float, "2.5", 2.5),
    (timespan, "30", 30),
    (timespan, "30s", 30),
    (timespan, "3m", 180),
    (timespan, "1h30m", 5400),
    (timespan, "1h2m3s", 3723),
    (host_url, "http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    (host_url, "https://test.bfd.cms.gov", "https://test.bfd.cms.gov"),
    (host_url, "https://example.test/base/path", "https://example.test/base/path"),
    (tag, "default", "default"),
    (tag, "nightly_2024", "nightly_2024"),
    (processes, "1", 1),
    (processes, "4", 4),
    (processes, "-1", -1),
    (compare_mode, "previous", BaselineKind.PREVIOUS),
    (compare_mode, "average", BaselineKind.AVERAGE),
    (store_uri, "file:///tmp/stats", "file:///tmp/stats"),
    (store_uri, "file://.bfd-stats", "file://.bfd-stats"),
    (
        store_uri,
        "s3://bucket?database=db&table=t&workgroup=wg&region=us-east-1",
        "s3://bucket?database=db&table=t&workgroup=wg&region=us-east-1",
    ),
    (env_name, "local", "local"),
    (env_name, "prod-sbx", "prod-sbx"),
    (env_name, "test_1.2", "test_1.2"),
    (text_value, " anything at all ", " anything at all "),
    (boolean, "1", True),
    (boolean, "true", True),
    (boolean, "TRUE", True),
    (boolean, " yes ", True),
    (boolean, "On", True),
    (boolean, "0", False),
    (boolean, "false", False),
    (boolean, "No", False),
    (boolean, "off", False),
    (boolean, "", False),
]


@pytest.mark.parametrize(
    ("parse", "text", "expected"),
    GOOD_VALUES,
    ids=[f"{parse.__name__}-{text!r}" for parse, text, _ in GOOD_VALUES],
)
def test_type_function_accepts(parse: Callable[[str], Any], text: str, expected: Any) -> None:
    value = parse(text)
    assert value == expected
    assert type(value) is type(expected)


BAD_VALUES: list[tuple[Callable[[str], Any], str]] = [
    (positive_int, "0"),
    (positive_int, "-3"),
    (positive_int, "1.5"),
    (positive_int, "ten"),
    (positive_int, ""),
    (positive_float, "0"),
    (positive_float, "-0.5"),
    (positive_float, "nan"),
    (positive_float, "inf"),
    (positive_float, "fast"),
    (non_negative_float, "-1"),
    (non_negative_float, "nan"),
    (non_negative_float, "inf"),
    (non_negative_float, "soon"),
    (timespan, "3mx"),
    (timespan, "-1"),
    (timespan, "1.5"),
    (timespan, "30 s"),
    (timespan, "abc"),
    (host_url, "127.0.0.1:8080"),
    (host_url, "ftp://example.test"),
    (host_url, "http://"),
    (host_url, "example.test"),
    # A host with a space in it is no URL; the pattern must match the whole value, not a prefix.
    (host_url, "http://exa mple.test"),
    (tag, "Default"),
    (tag, "night-ly"),
    (tag, "a b"),
    (tag, ""),
    (processes, "0"),
    (processes, "-2"),
    (processes, "two"),
    (compare_mode, "Previous"),
    (compare_mode, "median"),
    (compare_mode, ""),
    (store_uri, "/tmp/stats"),
    (store_uri, "file://"),
    (store_uri, "gs://bucket"),
    (store_uri, "s3://"),
    (env_name, ""),
    (env_name, "prod sbx"),
    (env_name, "prod/sbx"),
    (boolean, "maybe"),
    (boolean, "2"),
]


@pytest.mark.parametrize(
    ("parse", "text"), BAD_VALUES, ids=[f"{parse.__name__}-{text!r}" for parse, text in BAD_VALUES]
)
def test_type_function_rejects_naming_the_value(parse: Callable[[str], Any], text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError) as info:
        parse(text)
    assert repr(text) in str(info.value)


# --- option specs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "flag", "dest", "env_var", "ini_key", "kind"),
    [
        ("users", "--bfd-users", "bfd_users", "BFD_LOCUST_USERS", "bfd_users", "value"),
        (
            "spawn_rate",
            "--bfd-spawn-rate",
            "bfd_spawn_rate",
            "BFD_LOCUST_SPAWN_RATE",
            "bfd_spawn_rate",
            "value",
        ),
        (
            "only_summary",
            "--bfd-only-summary",
            "bfd_only_summary",
            "BFD_LOCUST_ONLY_SUMMARY",
            "bfd_only_summary",
            "flag",
        ),
        (
            "locust_arg",
            "--bfd-locust-arg",
            "bfd_locust_arg",
            "BFD_LOCUST_LOCUST_ARG",
            "bfd_locust_arg",
            "list",
        ),
        ("store_tag", "--bfd-store-tag", "bfd_store_tag", "BFD_LOCUST_STORE_TAG", "bfd_store_tag", "list"),
        (
            "compare_tag",
            "--compare-tag",
            "bfd_compare_tag",
            "BFD_LOCUST_COMPARE_TAG",
            "bfd_compare_tag",
            "value",
        ),
        ("no_store", "--bfd-no-store", "bfd_no_store", "BFD_LOCUST_NO_STORE", "bfd_no_store", "flag"),
    ],
)
def test_option_spec_names(name: str, flag: str, dest: str, env_var: str, ini_key: str, kind: str) -> None:
    spec = OPTIONS_BY_NAME[name]
    assert (spec.flag, spec.dest, spec.env_var, spec.ini_key, spec.kind) == (
        flag,
        dest,
        env_var,
        ini_key,
        kind,
    )


def test_no_option_takes_locusts_host_flag() -> None:
    # Locust's own pytest plugin defines --host / -H.
    assert not {spec.flag for spec in OPTIONS} & {"--host", "-H"}
    assert len({spec.flag for spec in OPTIONS}) == len(OPTIONS)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("only_summary", {"action": "store_true", "default": None, "dest": "bfd_only_summary"}),
        ("locust_arg", {"action": "append", "default": [], "dest": "bfd_locust_arg", "metavar": "ARG"}),
        ("users", {"default": None, "dest": "bfd_users", "type": positive_int, "metavar": "N"}),
    ],
)
def test_argparse_kwargs(name: str, expected: dict[str, Any]) -> None:
    kwargs = argparse_kwargs(OPTIONS_BY_NAME[name])
    assert {key: kwargs.get(key) for key in expected} == expected
    assert kwargs["help"] == OPTIONS_BY_NAME[name].help


@pytest.mark.parametrize(
    ("name", "expected"), [("only_summary", "bool"), ("suite", "args"), ("host", "string")]
)
def test_ini_type(name: str, expected: str) -> None:
    assert ini_type(OPTIONS_BY_NAME[name]) == expected


# --- resolve ------------------------------------------------------------------------------------------

INVOCATION_DIR = Path("/invoked/from")
ROOT = Path("/project/root")


def _resolve(
    cli: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
    ini: dict[str, Any] | None = None,
    rootdir: Path = ROOT,
) -> BfdSettings:
    return resolve(cli or {}, environ or {}, (ini or {}).get, rootdir=rootdir)


def test_defaults() -> None:
    assert _resolve() == BfdSettings(
        store=f"file://{ROOT}/.bfd-stats",
        artifacts=ROOT / ".bfd-artifacts",
    )
    assert _resolve().store == "file:///project/root/.bfd-stats"
    assert _resolve().store_tags == ("default",)
    assert _resolve().environment == "local"


PRECEDENCE: list[tuple[str, dict[str, Any], dict[str, str], dict[str, Any], str, Any]] = [
    # value option
    ("value-cli", {"bfd_users": 7}, {"BFD_LOCUST_USERS": "8"}, {"bfd_users": "9"}, "users", 7),
    ("value-env", {}, {"BFD_LOCUST_USERS": "8"}, {"bfd_users": "9"}, "users", 8),
    ("value-ini", {}, {}, {"bfd_users": "9"}, "users", 9),
    ("value-default", {}, {}, {}, "users", None),
    ("value-cli-none", {"bfd_users": None}, {}, {"bfd_users": "9"}, "users", 9),
    ("value-env-blank", {}, {"BFD_LOCUST_USERS": "  "}, {"bfd_users": "9"}, "users", 9),
    ("value-ini-blank", {}, {}, {"bfd_users": ""}, "users", None),
    ("value-env-padded", {}, {"BFD_LOCUST_SPAWN_RATE": " 2.5 "}, {}, "spawn_rate", 2.5),
    ("timespan-env", {}, {"BFD_LOCUST_SPAWNED_RUNTIME": "2m"}, {}, "spawned_runtime", 120),
    ("env-name-ini", {}, {}, {"bfd_env": "prod-sbx"}, "environment", "prod-sbx"),
    (
        "store-env",
        {},
        {"BFD_LOCUST_STORE": "file:///data"},
        {"bfd_store": "file:///ini"},
        "store",
        "file:///data",
    ),
    ("compare-ini", {}, {}, {"bfd_compare": "average"}, "compare", BaselineKind.AVERAGE),
    ("load-limit-env", {}, {"BFD_LOCUST_COMPARE_LOAD_LIMIT": "3"}, {}, "compare_load_limit", 3),
    ("progress-env-zero", {}, {"BFD_LOCUST_PROGRESS": "0"}, {}, "progress_interval", 0.0),
    ("grace-ini", {}, {}, {"bfd_timeout_grace": "5"}, "timeout_grace", 5.0),
    # flag
    ("flag-cli", {"bfd_only_summary": True}, {"BFD_LOCUST_ONLY_SUMMARY": "false"}, {}, "only_summary", True),
    (
        "flag-env-true",
        {},
        {"BFD_LOCUST_ONLY_SUMMARY": "yes"},
        {"bfd_only_summary": False},
        "only_summary",
        True,
    ),
    (
        "flag-env-false",
        {},
        {"BFD_LOCUST_ONLY_SUMMARY": "0"},
        {"bfd_only_summary": True},
        "only_summary",
        False,
    ),
    ("flag-ini-bool", {}, {}, {"bfd_only_summary": True}, "only_summary", True),
    ("flag-ini-text", {}, {}, {"bfd_no_store": "true"}, "no_store", True),
    ("flag-default", {}, {}, {}, "only_summary", False),
    # An unset store_true flag is False on the command line: it must not hide the environment.
    ("flag-cli-unset", {"bfd_no_store": None}, {"BFD_LOCUST_NO_STORE": "1"}, {}, "no_store", True),
    # an explicit off switch (--bfd-store-records, --no-bfd-only-summary) beats environment and ini
    ("flag-cli-off", {"bfd_no_store": False}, {"BFD_LOCUST_NO_STORE": "1"}, {}, "no_store", False),
    ("flag-cli-off-ini", {"bfd_only_summary": False}, {}, {"bfd_only_summary": True}, "only_summary", False),
    # 0 on the command line is a value, not "not given" (0 == False)
    (
        "zero-cli-grace",
        {"bfd_timeout_grace": 0.0},
        {"BFD_LOCUST_TIMEOUT_GRACE": "9"},
        {},
        "timeout_grace",
        0.0,
    ),
    ("zero-cli-progress", {"bfd_progress": 0.0}, {}, {"bfd_progress": "5"}, "progress_interval", 0.0),
    # list option (environment split shell-style; pytest gives an "args" ini value as a list)
    (
        "list-cli",
        {"bfd_locust_arg": ["--a"]},
        {"BFD_LOCUST_LOCUST_ARG": "--b"},
        {"bfd_locust_arg": ["--c"]},
        "locust_args",
        ("--a",),
    ),
    (
        "list-env",
        {"bfd_locust_arg": []},
        {"BFD_LOCUST_LOCUST_ARG": "--b '--tags x y' --c=\"1 2\""},
        {"bfd_locust_arg": ["--c"]},
        "locust_args",
        ("--b", "--tags x y", "--c=1 2"),
    ),
    ("list-ini", {}, {}, {"bfd_locust_arg": ["--e", "f g", "it's"]}, "locust_args", ("--e", "f g", "it's")),
    ("list-ini-text", {}, {}, {"bfd_locust_arg": "--e 'f g'"}, "locust_args", ("--e", "f g")),
    ("list-default", {}, {}, {}, "locust_args", ()),
    ("tags-env", {}, {"BFD_LOCUST_STORE_TAG": "nightly release"}, {}, "store_tags", ("nightly", "release")),
    ("tags-dedup-cli", {"bfd_store_tag": ["a", "b", "a"]}, {}, {}, "store_tags", ("a", "b")),
    ("tags-dedup-env", {}, {"BFD_LOCUST_STORE_TAG": "x x y x"}, {}, "store_tags", ("x", "y")),
    ("tags-default", {"bfd_store_tag": []}, {}, {}, "store_tags", ("default",)),
]


@pytest.mark.parametrize(
    ("cli", "environ", "ini", "field", "expected"),
    [case[1:] for case in PRECEDENCE],
    ids=[case[0] for case in PRECEDENCE],
)
def test_precedence(
    cli: dict[str, Any], environ: dict[str, str], ini: dict[str, Any], field: str, expected: Any
) -> None:
    value = getattr(_resolve(cli, environ, ini), field)
    assert value == expected
    assert type(value) is type(expected)


BAD_SOURCES: list[tuple[str, dict[str, str], dict[str, Any], list[str]]] = [
    (
        "env-int",
        {"BFD_LOCUST_USERS": "zero"},
        {},
        ["environment variable BFD_LOCUST_USERS", "--bfd-users", "'zero'"],
    ),
    ("ini-int", {}, {"bfd_users": "0"}, ["ini file key bfd_users", "--bfd-users", "'0'"]),
    (
        "env-timespan",
        {"BFD_LOCUST_SPAWNED_RUNTIME": "3mx"},
        {},
        ["BFD_LOCUST_SPAWNED_RUNTIME", "--bfd-spawned-runtime", "'3mx'"],
    ),
    ("ini-host", {}, {"bfd_host": "localhost:8080"}, ["bfd_host", "--bfd-host", "'localhost:8080'"]),
    ("env-flag", {"BFD_LOCUST_NO_STORE": "maybe"}, {}, ["BFD_LOCUST_NO_STORE", "--bfd-no-store", "'maybe'"]),
    (
        "ini-flag",
        {},
        {"bfd_only_summary": "sometimes"},
        ["bfd_only_summary", "--bfd-only-summary", "'sometimes'"],
    ),
    (
        "env-list-item",
        {"BFD_LOCUST_STORE_TAG": "ok Bad"},
        {},
        ["BFD_LOCUST_STORE_TAG", "--bfd-store-tag", "'Bad'"],
    ),
    (
        "ini-list-item",
        {},
        {"bfd_store_tag": ["ok", "no-dash"]},
        ["bfd_store_tag", "--bfd-store-tag", "'no-dash'"],
    ),
    (
        "env-list-quote",
        {"BFD_LOCUST_LOCUST_ARG": "--tags 'open"},
        {},
        ["BFD_LOCUST_LOCUST_ARG", "--bfd-locust-arg"],
    ),
    ("env-compare", {"BFD_LOCUST_COMPARE": "median"}, {}, ["BFD_LOCUST_COMPARE", "--compare", "'median'"]),
    ("ini-store", {}, {"bfd_store": "/tmp/x"}, ["bfd_store", "--bfd-store", "'/tmp/x'"]),
    ("env-processes", {"BFD_LOCUST_PROCESSES": "0"}, {}, ["BFD_LOCUST_PROCESSES", "--bfd-processes", "'0'"]),
    # A bad environment value is reported even when the ini file has a good one.
    ("env-over-good-ini", {"BFD_LOCUST_USERS": "-1"}, {"bfd_users": "5"}, ["BFD_LOCUST_USERS", "'-1'"]),
]


@pytest.mark.parametrize(
    ("environ", "ini", "fragments"), [case[1:] for case in BAD_SOURCES], ids=[case[0] for case in BAD_SOURCES]
)
def test_bad_environment_or_ini_value_raises_naming_the_source(
    environ: dict[str, str], ini: dict[str, Any], fragments: list[str]
) -> None:
    with pytest.raises(SettingsError) as info:
        _resolve({}, environ, ini)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_bad_ini_value_names_the_given_ini_source() -> None:
    with pytest.raises(SettingsError, match=r"^pytest\.ini key bfd_users \(for --bfd-users\): .*'x'"):
        resolve({}, {}, {"bfd_users": "x"}.get, rootdir=ROOT, ini_source="pytest.ini")


def test_a_good_cli_value_hides_a_bad_environment_value() -> None:
    assert _resolve({"bfd_users": 3}, {"BFD_LOCUST_USERS": "bad"}).users == 3


@pytest.mark.parametrize(
    ("source", "field", "given", "expected"),
    [
        ("ini", "compare_meta", "meta/thresholds.json", ROOT / "meta/thresholds.json"),
        ("env", "compare_meta", "thresholds.json", INVOCATION_DIR / "thresholds.json"),
        ("cli", "compare_meta", "thresholds.json", INVOCATION_DIR / "thresholds.json"),
        ("ini", "compare_meta", "/abs/thresholds.json", Path("/abs/thresholds.json")),
        ("ini", "artifacts", "out/artifacts", ROOT / "out/artifacts"),
        ("env", "artifacts", "/abs/artifacts", Path("/abs/artifacts")),
        ("cli", "junit_detail", "reports/detail.xml", INVOCATION_DIR / "reports/detail.xml"),
        ("env", "junit_detail", "/abs/detail.xml", Path("/abs/detail.xml")),
    ],
)
def test_relative_paths_from_ini_are_taken_from_rootdir_others_from_the_invocation_dir(
    source: str, field: str, given: str, expected: Path
) -> None:
    spec = OPTIONS_BY_NAME[field]
    cli = {spec.dest: given} if source == "cli" else {}
    environ = {spec.env_var: given} if source == "env" else {}
    ini = {spec.ini_key: given} if source == "ini" else {}
    settings = resolve(cli, environ, ini.get, rootdir=ROOT, invocation_dir=INVOCATION_DIR)
    assert getattr(settings, field) == expected


def test_home_relative_path_is_expanded() -> None:
    settings = _resolve({}, {"BFD_LOCUST_COMPARE_META": "~/meta.json"})
    assert settings.compare_meta == Path.home() / "meta.json"


def test_unset_paths() -> None:
    settings = _resolve()
    assert (settings.compare_meta, settings.junit_detail) == (None, None)
    assert settings.artifacts == ROOT / ".bfd-artifacts"


def test_default_store_is_under_the_rootdir(tmp_path: Path) -> None:
    assert _resolve(rootdir=tmp_path).store == f"file://{tmp_path}/.bfd-stats"


def test_suites_from_the_command_line_are_taken_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = _resolve({"bfd_suite": ["suites/a.yaml", "/abs/b.yaml"]})
    assert settings.suites == (tmp_path / "suites/a.yaml", Path("/abs/b.yaml"))


def test_suites_from_the_ini_file_are_taken_from_the_rootdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The ini file lives in the rootdir; a run started from a subdirectory must find the same suites
    # (as pytest's own `testpaths` are taken from the rootdir).
    subdirectory = tmp_path / "sub"
    subdirectory.mkdir()
    monkeypatch.chdir(subdirectory)
    settings = _resolve({}, {}, {"bfd_suite": ["suites/a.yaml"]}, rootdir=tmp_path)
    assert settings.suites == (tmp_path / "suites/a.yaml",)


@pytest.mark.parametrize(
    ("cli", "environ", "ini", "expected"),
    [
        ({"bfd_store": "file://stats"}, {}, {}, "file:///invoked/from/stats"),
        ({}, {"BFD_LOCUST_STORE": "file://stats"}, {}, "file:///invoked/from/stats"),
        ({}, {}, {"bfd_store": "file://stats"}, "file:///project/root/stats"),
        ({"bfd_store": "file:///abs/stats"}, {}, {}, "file:///abs/stats"),
    ],
    ids=["cli", "env", "ini", "absolute"],
)
def test_relative_file_store_follows_the_one_path_rule(
    cli: dict[str, Any], environ: dict[str, str], ini: dict[str, Any], expected: str
) -> None:
    # Like every other path option: the invocation directory for the command line and the
    # environment, the rootdir for the ini file.
    settings = resolve(cli, environ, ini.get, rootdir=ROOT, invocation_dir=INVOCATION_DIR)
    assert settings.store == expected
