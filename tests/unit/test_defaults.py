"""Every default is declared once: an option's in the option table (`OptionSpec.default`), a suite's
in the catalog (`suites.DEFAULT_*`). These tests fail when a consumer states its own value again."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from lambda_entry.config import load_config
from lambda_entry.payload import ComparePayload
from lambda_entry.run import timeout_grace
from pytest_bfd_locust.judge.baseline import BaselineKind
from pytest_bfd_locust.judge.validation import ValidationRules
from pytest_bfd_locust.run.child_control import PROGRESS_INTERVAL_S, ChildControl
from pytest_bfd_locust.run.runner import RunRequest
from pytest_bfd_locust.settings import OPTIONS, BfdSettings, option_default, resolve
from pytest_bfd_locust.suite_run import validation_rules
from pytest_bfd_locust.suites import Suite

SETTINGS_FIELD = {
    "suite": "suites",
    "env": "environment",
    "store_tag": "store_tags",
    "locust_arg": "locust_args",
    "progress": "progress_interval",
}
"""Option name -> `BfdSettings` field, where the two differ."""

ROOT = Path("/project/root")


def _settings_value(spec_name: str, settings: BfdSettings) -> Any:
    return getattr(settings, SETTINGS_FIELD.get(spec_name, spec_name))


@pytest.mark.parametrize("spec", [spec for spec in OPTIONS if spec.default is not None], ids=lambda s: s.name)
def test_bfd_settings_take_each_default_from_the_option_table(spec: Any) -> None:
    value = _settings_value(spec.name, BfdSettings())
    assert value == (Path(spec.default) if isinstance(value, Path) else spec.default)


@pytest.mark.parametrize("spec", [spec for spec in OPTIONS if spec.default is not None], ids=lambda s: s.name)
def test_nothing_given_resolves_to_the_option_table(spec: Any) -> None:
    resolved = _settings_value(spec.name, resolve({}, {}, lambda key: None, rootdir=ROOT))
    if spec.name == "store":
        assert resolved == f"file://{ROOT / spec.default.removeprefix('file://')}"
    elif spec.name == "artifacts":
        assert resolved == ROOT / spec.default
    else:
        assert resolved == spec.default


def test_every_option_with_a_field_declares_its_default_or_none_on_purpose() -> None:
    # Options without a default leave their field None: "not given", and the catalog decides.
    settings_fields = {field.name: field.default for field in fields(BfdSettings)}
    for spec in OPTIONS:
        name = SETTINGS_FIELD.get(spec.name, spec.name)
        if spec.default is None:
            assert settings_fields[name] is None, spec.name


def test_a_run_request_takes_the_options_and_the_catalogs_defaults(tmp_path: Path) -> None:
    suite = Suite(name="s", catalog=tmp_path / "s.py", locustfile=tmp_path / "s.py", host=None)
    request = RunRequest(
        suite="s",
        locustfile=tmp_path / "s.py",
        host=None,
        users=1,
        spawn_rate=1.0,
        spawned_runtime=1,
        artifacts_dir=tmp_path,
    )
    assert request.environment == option_default("env")
    assert request.tags == option_default("store_tag")
    assert request.grace_seconds == option_default("timeout_grace")
    assert request.failsafe_avg_ms == suite.failsafe_avg_ms
    assert request.progress_interval == PROGRESS_INTERVAL_S
    control = ChildControl("r", "p", "s", "x", "local", ("default",), 1, 1.0, worker_wait=0.0, abort_after=0)
    assert control.progress_interval == PROGRESS_INTERVAL_S


def test_validation_rules_default_to_a_catalog_suites_limits(tmp_path: Path) -> None:
    suite = Suite(name="s", catalog=tmp_path / "s.py", locustfile=tmp_path / "s.py", host=None)
    assert ValidationRules() == validation_rules(suite)


def test_the_lambda_takes_the_plugins_defaults() -> None:
    assert timeout_grace(None) == option_default("timeout_grace")
    unlimited = ComparePayload(type=BaselineKind.AVERAGE, tag="default", load_limit=None)
    assert unlimited.effective_load_limit == option_default("compare_load_limit")
    config = load_config({})
    assert (config.max_users, config.max_spawn_rate) == (
        option_default("max_users"),
        option_default("max_spawn_rate"),
    )


def test_help_texts_show_the_declared_default() -> None:
    for spec in OPTIONS:
        assert "{default}" not in spec.help, spec.name
    by_name = {spec.name: spec for spec in OPTIONS}
    assert "(default 30)" in by_name["timeout_grace"].help
    assert "(default: local)" in by_name["env"].help
    assert "(default 5)" in by_name["compare_load_limit"].help
