"""The Lambda's environment variables (the seed's names, SPEC §10) -> a frozen `LambdaConfig`.

Read once per invocation from the mapping the handler passes in; nothing else reads the
environment. Which variables are required depends on the payload (`require_for`): a run without
compare, store or run_id needs no stats bucket or Athena names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_entry.payload import RunPayload
from pytest_bfd_locust.settings import (
    OPTIONS_BY_NAME,
    SettingsError,
    option_default,
    resolve_environment_value,
)

SUITES_ROOT_VARIABLE = "BFD_SUITES_ROOT"
"""Overrides where suites are looked up (default `$LAMBDA_TASK_ROOT/app`, the seed's layout)."""

TMP_ROOT_VARIABLE = "BFD_LAMBDA_TMP"
"""Overrides where per-run directories go (default /tmp, the only writable path in Lambda)."""

TIMEOUT_MARGIN_VARIABLE = "BFD_LAMBDA_TIMEOUT_MARGIN"
"""Seconds kept free besides spawn time and spawned runtime: pytest and Locust start-up, Athena
baseline queries, storing the record."""

KEEP_RUN_DIR_VARIABLE = "BFD_LAMBDA_KEEP_RUN_DIR"
"""Set to 1 to keep each run's directory (JUnit XML, artifacts) for inspection instead of removing it."""

COMPARE_META_RELATIVE = Path("config/regression_suites_compare_meta.json")
"""Where the seed's image keeps its threshold file, relative to the suites root."""

ENVIRONMENT_PATTERN = re.compile(r"[a-z0-9_.-]+")
"""An environment name is part of SSM paths and of the record hash; the plugin's `--bfd-env` rule."""

DEFAULT_TASK_ROOT = "/var/task"
DEFAULT_REGION = "us-east-1"
DEFAULT_TIMEOUT_MARGIN_S = 60.0


class ConfigError(ValueError):
    """A required environment variable is missing or invalid; the message names it."""


@dataclass(frozen=True)
class LambdaConfig:
    environment: str
    """BFD_ENVIRONMENT, lower-cased as the seed does: SSM paths and the record's environment."""
    region: str
    stats_bucket: str
    athena_workgroup: str
    athena_database: str
    athena_table: str
    reader_endpoint: str
    task_root: Path
    suites_root: Path
    compare_meta: Path | None
    """The threshold file shipped with the suites, or None for the plugin's packaged default."""
    tmp_root: Path
    timeout_margin_s: float
    keep_run_dir: bool = False
    max_users: int = option_default("max_users")
    """BFD_LOCUST_MAX_USERS: the plugin's own variable, so the payload check and the run agree."""
    max_spawn_rate: float = option_default("max_spawn_rate")

    @property
    def store_uri(self) -> str:
        """The plugin's S3 store URI (SPEC §4) for the stats bucket and Athena table."""
        return (
            f"s3://{self.stats_bucket}?database={self.athena_database}&table={self.athena_table}"
            f"&workgroup={self.athena_workgroup}&region={self.region}"
        )

    def require_for(self, payload: RunPayload) -> None:
        """Raise ConfigError naming every variable this payload needs and the environment lacks."""
        needed = {"BFD_ENVIRONMENT": self.environment, "READER_ENDPOINT": self.reader_endpoint}
        if payload.compare is not None or payload.store is not None:
            needed |= {
                "STATS_BUCKET_ID": self.stats_bucket,
                "STATS_ATHENA_WORKGROUP": self.athena_workgroup,
                "STATS_ATHENA_DATABASE": self.athena_database,
                "STATS_ATHENA_TABLE": self.athena_table,
            }
        if payload.run_id is not None:
            # The run_id marker lives in the stats bucket.
            needed["STATS_BUCKET_ID"] = self.stats_bucket
        missing = sorted(name for name, value in needed.items() if not value)
        if missing:
            names = ", ".join(missing)
            raise ConfigError(f"missing environment variable(s) required by this payload: {names}")


def load_config(environ: Mapping[str, str]) -> LambdaConfig:
    """The configuration in `environ`; missing optional variables take the seed's defaults."""
    task_root = Path(environ.get("LAMBDA_TASK_ROOT") or DEFAULT_TASK_ROOT)
    suites_root = Path(environ.get(SUITES_ROOT_VARIABLE) or task_root / "app")
    compare_meta = suites_root / COMPARE_META_RELATIVE
    environment = environ.get("BFD_ENVIRONMENT", "").strip().lower()
    if environment and not ENVIRONMENT_PATTERN.fullmatch(environment):
        raise ConfigError(f"BFD_ENVIRONMENT: {environment!r} must match [a-z0-9_.-]+")
    return LambdaConfig(
        environment=environment,
        region=environ.get("AWS_CURRENT_REGION") or DEFAULT_REGION,
        stats_bucket=environ.get("STATS_BUCKET_ID", ""),
        athena_workgroup=environ.get("STATS_ATHENA_WORKGROUP", ""),
        athena_database=environ.get("STATS_ATHENA_DATABASE", ""),
        athena_table=environ.get("STATS_ATHENA_TABLE", ""),
        reader_endpoint=environ.get("READER_ENDPOINT", ""),
        task_root=task_root,
        suites_root=suites_root,
        compare_meta=compare_meta if compare_meta.is_file() else None,
        # bandit B108 (a /tmp path): Lambda's only writable folder; each run makes its own mkdtemp in it.
        tmp_root=Path(environ.get(TMP_ROOT_VARIABLE) or "/tmp"),  # nosec B108
        timeout_margin_s=_seconds(environ, TIMEOUT_MARGIN_VARIABLE, DEFAULT_TIMEOUT_MARGIN_S),
        keep_run_dir=environ.get(KEEP_RUN_DIR_VARIABLE, "").strip().lower() in ("1", "true", "yes"),
        max_users=_plugin_option(environ, "max_users"),
        max_spawn_rate=_plugin_option(environ, "max_spawn_rate"),
    )


def _plugin_option(environ: Mapping[str, str], name: str) -> Any:
    """The plugin option `name` from its `BFD_LOCUST_*` variable, else its default."""
    try:
        value = resolve_environment_value(OPTIONS_BY_NAME[name], environ)
    except SettingsError as exc:
        raise ConfigError(str(exc)) from None
    return option_default(name) if value is None else value


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name)
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}: {raw!r} is not a number of seconds") from None
    if not value >= 0:
        raise ConfigError(f"{name}: {raw!r} must be >= 0")
    return value
