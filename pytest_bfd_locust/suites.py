"""The suite catalog (SPEC §3): a YAML file -> frozen `Catalog` of `Suite`s.

Pure: reads only the file it is given (and checks that the files it names exist). Every problem
raises `CatalogError` naming the file, the suite (its name, or `#N` counting from 1 when the name is
unusable) and the key, so the plugin can turn it into one collection error without a traceback.
"""

from __future__ import annotations

import difflib
import math
import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from pytest_bfd_locust.hosts import is_http_url
from pytest_bfd_locust.tags import TAG_PATTERN
from pytest_bfd_locust.timespan import TimespanError, parse_timespan
from pytest_bfd_locust.workers import (
    DEFAULT_MASTER_BIND,
    DEFAULT_WORKER_WAIT,
    MasterBindError,
    Workers,
    parse_master_bind,
)

NAME_PATTERN = re.compile(r"(?!\.+$)[A-Za-z0-9_.-]+")
"""A suite name: it becomes part of the pytest item id and a directory name under the artifacts
folder, so names made only of dots (`.`, `..`) are refused: they would escape that folder."""

PORT_PLACEHOLDER = "{port}"
"""Replaced by the free port chosen for the suite's `target:` process."""

CATALOG_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")
LOCUSTFILE_SUFFIX = ".py"

TOP_LEVEL_KEYS: tuple[str, ...] = ("defaults", "suites")
SUITE_KEYS: tuple[str, ...] = (
    "name",
    "locustfile",
    "host",
    "users",
    "spawn_rate",
    "spawned_runtime",
    "compare_meta",
    "confirm",
    "tags",
    "sla",
    "max_fail_ratio",
    "failsafe_avg_ms",
    "abort_on_breach",
    "abort_after",
    "locust_args",
    "env",
    "target",
    "workers",
)
DEFAULTS_KEYS: tuple[str, ...] = tuple(key for key in SUITE_KEYS if key != "name")
SLA_PERCENTILE_KEYS: tuple[str, ...] = ("p50", "p95", "p99")
SLA_KEYS: tuple[str, ...] = (*SLA_PERCENTILE_KEYS, "window", "min_rps", "endpoints")
TARGET_KEYS: tuple[str, ...] = ("command", "ready_url", "ready_timeout")
WORKERS_KEYS: tuple[str, ...] = ("expect", "master_bind", "wait", "allow_loss")

DEFAULT_USERS = 1
DEFAULT_SPAWN_RATE = 1.0
DEFAULT_SPAWNED_RUNTIME = 30
DEFAULT_MAX_FAIL_RATIO = 0.0
DEFAULT_FAILSAFE_AVG_MS = 10000.0
DEFAULT_READY_TIMEOUT = 30.0
DEFAULT_ABORT_AFTER = 0
"""Seconds after the run starts before `abort_on_breach` may stop it: none beyond the first full
window (a window needs its samples anyway; a ramp-up worth sparing is the suite's `abort_after`)."""


@dataclass(frozen=True)
class PercentileLimits:
    """Absolute limits on response-time percentiles, in ms; None: no limit."""

    p50: int | None = None
    p95: int | None = None
    p99: int | None = None

    def limits(self) -> dict[str, int]:
        """SLA name -> limit, only the limits set."""
        return {name: getattr(self, name) for name in SLA_PERCENTILE_KEYS if getattr(self, name) is not None}


@dataclass(frozen=True)
class Sla(PercentileLimits):
    """The `sla:` block: limits on the totals' percentiles (ms), and optionally per endpoint, per
    time window and a throughput floor (judged in judge/sla.py)."""

    window: int | None = None
    """Seconds: every window of this length must hold the limits too; None: the whole run only."""
    min_rps: float | None = None
    """Requests per second the run must reach over its whole length (totals)."""
    endpoints: Mapping[str, PercentileLimits] = field(default_factory=dict)
    """`METHOD name` exactly as the record shows an endpoint -> its limits. Whether the locustfile
    makes such requests is known only when it runs: one that recorded none fails the suite by name
    (collection warns about a name that is no literal of the locustfile: `endpoints_not_in_locustfile`)."""


@dataclass(frozen=True)
class Target:
    """A process started before the suite and stopped after it (the system under test)."""

    command: tuple[str, ...]
    """argv; items may contain `{port}`."""
    ready_url: str | None = None
    """Polled until it answers; may contain `{port}`. None: ready as soon as started."""
    ready_timeout: float = DEFAULT_READY_TIMEOUT
    """Seconds to wait for `ready_url`."""


@dataclass(frozen=True)
class Suite:
    """One Locust suite, as declared in a catalog (or a plain locustfile with built-in defaults)."""

    name: str
    """Unique in its catalog, matches NAME_PATTERN."""
    catalog: Path
    """The YAML file it came from (or the locustfile for a plain one), absolute."""
    locustfile: Path
    """Absolute; exists and is a file."""
    host: str | None
    """http(s) URL; may contain `{port}` when `target` is set. None: the locustfile's or CLI's host."""
    users: int = DEFAULT_USERS
    spawn_rate: float = DEFAULT_SPAWN_RATE
    """Users started per second. Always a float: `10` hashes as "10.0", as in the seed."""
    spawned_runtime: int = DEFAULT_SPAWNED_RUNTIME
    """Seconds to run after all users have spawned."""
    compare_meta: Path | None = None
    """Threshold file, absolute; None: the packaged thresholds."""
    confirm: int | None = None
    """More attempts after a judged failure (`--bfd-confirm`); None: the threshold file's default."""
    tags: tuple[str, ...] = ()
    sla: Sla | None = None
    max_fail_ratio: float = DEFAULT_MAX_FAIL_RATIO
    failsafe_avg_ms: float = DEFAULT_FAILSAFE_AVG_MS
    abort_on_breach: bool = False
    """Stop the run at the first window (or, without one, whole-run-so-far limit) the SLA breaks."""
    abort_after: int = DEFAULT_ABORT_AFTER
    """Seconds after the run starts before `abort_on_breach` may stop it."""
    locust_args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    target: Target | None = None
    workers: Workers | None = None
    """Run as Locust's master and spread the users over workers; None: one machine."""
    line: int | None = None
    """1-based line of the suite in its catalog (None for a plain locustfile), for reports."""

    @property
    def spawn_time(self) -> float:
        """Seconds Locust needs to start all users."""
        return self.users / self.spawn_rate

    @property
    def run_seconds(self) -> float:
        """How long the run lasts as the catalog knows it: spawn time plus spawned runtime."""
        return self.spawn_time + self.spawned_runtime


@dataclass(frozen=True)
class Catalog:
    path: Path
    suites: tuple[Suite, ...]


class CatalogError(Exception):
    """A catalog (or plain locustfile) is unusable; names the file, and the suite and key if known."""

    def __init__(self, file: Path, message: str, *, suite: str | None = None, key: str | None = None):
        self.file = file
        self.message = message
        self.suite = suite
        self.key = key
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [str(self.file)]
        if self.suite is not None:
            parts.append(f"suite '{self.suite}'")
        if self.key is not None:
            parts.append(f"key '{self.key}'")
        parts.append(self.message)
        return ": ".join(parts)

    def __reduce__(self) -> tuple[Any, ...]:
        # keyword-only arguments are not in `args`, so default pickling (pytest-xdist) would fail
        return (_rebuild_catalog_error, (self.file, self.message, self.suite, self.key))


def _rebuild_catalog_error(file: Path, message: str, suite: str | None, key: str | None) -> CatalogError:
    return CatalogError(file, message, suite=suite, key=key)


def load_catalog(path: Path) -> Catalog:
    """Load a YAML catalog, or make a one-suite catalog of a plain locustfile (`.py`)."""
    path = Path(path).absolute()
    suffix = path.suffix.lower()
    if suffix == LOCUSTFILE_SUFFIX:
        return plain_locustfile_catalog(path)
    if suffix not in CATALOG_SUFFIXES:
        raise CatalogError(path, "expected a YAML catalog (.yaml, .yml) or a locustfile (.py)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(path, f"cannot read the catalog: {exc}") from None
    return parse_catalog(text, path)


def plain_locustfile_catalog(path: Path) -> Catalog:
    """One suite named after the file's stem, every setting at its built-in default."""
    path = Path(path).absolute()
    if not path.is_file():
        raise CatalogError(path, "locustfile not found" if not path.exists() else "locustfile is not a file")
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", path.stem).strip("_")
    if not NAME_PATTERN.fullmatch(name):
        name = "locustfile"
    return Catalog(path=path, suites=(Suite(name=name, catalog=path, locustfile=path.resolve(), host=None),))


def parse_catalog(text: str, path: Path) -> Catalog:
    """Parse catalog text; `path` is where it came from (errors name it, relative paths resolve from it)."""
    path = Path(path).absolute()
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise CatalogError(path, f"invalid YAML: {_describe_yaml_error(exc)}") from None
    if document is None:
        raise CatalogError(path, "the catalog is empty; expected a mapping with a 'suites' list")
    if not isinstance(document, dict):
        raise CatalogError(
            path, f"expected a mapping with a 'suites' list at the top level, got {_type_name(document)}"
        )
    _reject_unknown_keys(document, TOP_LEVEL_KEYS, path, suite=None, prefix="")

    defaults = document.get("defaults", {})
    if defaults is None:
        defaults = {}
    if not isinstance(defaults, dict):
        raise CatalogError(path, f"expected a mapping, got {_type_name(defaults)}", key="defaults")
    if "name" in defaults:
        raise CatalogError(path, "a suite's name cannot be set in defaults", key="defaults.name")
    _reject_unknown_keys(defaults, DEFAULTS_KEYS, path, suite=None, prefix="defaults.")

    if "suites" not in document:
        raise CatalogError(path, "missing; expected a non-empty list of suites", key="suites")
    raw_suites = document["suites"]
    if not isinstance(raw_suites, list) or not raw_suites:
        got = "an empty list" if isinstance(raw_suites, list) else _type_name(raw_suites)
        raise CatalogError(path, f"expected a non-empty list of suites, got {got}", key="suites")

    suites: list[Suite] = []
    first_index: dict[str, int] = {}
    for index, raw in enumerate(raw_suites, start=1):
        suite = _parse_suite(raw, index, defaults, path)
        if suite.name in first_index:
            earlier = first_index[suite.name]
            lines = _suite_lines(text)
            raise CatalogError(
                path,
                f"duplicate suite name {suite.name!r}: used by suite #{earlier}{_at_line(lines, earlier)} "
                f"and suite #{index}{_at_line(lines, index)}; names must be unique",
                suite=suite.name,
                key="name",
            )
        first_index[suite.name] = index
        suites.append(suite)
    lines = _suite_lines(text)
    if len(lines) == len(suites):
        suites = [replace(suite, line=line) for suite, line in zip(suites, lines, strict=True)]
    return Catalog(path=path, suites=tuple(suites))


class _SuiteContext:
    """Where a suite came from, for error messages and relative paths."""

    def __init__(self, file: Path, label: str, from_defaults: frozenset[str]):
        self.file = file
        self.label = label
        self.from_defaults = from_defaults

    def error(self, key: str, message: str) -> CatalogError:
        top = key.split(".", 1)[0]
        if top in self.from_defaults:
            message += " (value from defaults)"
        return CatalogError(self.file, message, suite=self.label, key=key)


def _parse_suite(raw: object, index: int, defaults: Mapping[Any, Any], file: Path) -> Suite:
    label = f"#{index}"
    if not isinstance(raw, dict):
        raise CatalogError(file, f"expected a mapping of suite keys, got {_type_name(raw)}", suite=label)
    name = raw.get("name")
    if isinstance(name, str) and NAME_PATTERN.fullmatch(name):
        label = name
    _reject_unknown_keys(raw, SUITE_KEYS, file, suite=label, prefix="")
    if "name" not in raw:
        raise CatalogError(file, "missing; every suite needs a name", suite=label, key="name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise CatalogError(
            file,
            f"invalid name {name!r}; expected letters, digits, '_', '.' or '-' ([A-Za-z0-9_.-]+), "
            "not only dots",
            suite=label,
            key="name",
        )

    merged: dict[str, Any] = {**defaults, **raw}
    from_defaults = frozenset(key for key in defaults if key not in raw)
    ctx = _SuiteContext(file, name, from_defaults)
    if "env" in defaults and "env" in raw:
        merged["env"] = _merge_env(defaults["env"], raw["env"], ctx)
    if isinstance(defaults.get("workers"), dict) and isinstance(raw.get("workers"), dict):
        merged["workers"] = {**defaults["workers"], **raw["workers"]}

    if "locustfile" not in merged:
        raise ctx.error("locustfile", "missing; every suite needs a locustfile")
    target = _optional(merged, "target", _parse_target, ctx)
    suite = Suite(
        name=name,
        catalog=file,
        locustfile=_existing_file(merged["locustfile"], "locustfile", ctx),
        host=_host(merged.get("host"), target is not None, ctx),
        users=_users(merged.get("users", DEFAULT_USERS), ctx),
        spawn_rate=_positive(merged.get("spawn_rate", DEFAULT_SPAWN_RATE), "spawn_rate", ctx),
        spawned_runtime=_spawned_runtime(merged.get("spawned_runtime", DEFAULT_SPAWNED_RUNTIME), ctx),
        compare_meta=(
            None
            if merged.get("compare_meta") is None
            else _existing_file(merged["compare_meta"], "compare_meta", ctx)
        ),
        confirm=_optional(merged, "confirm", _confirm, ctx),
        tags=_tags(merged.get("tags", []), ctx),
        sla=_optional(merged, "sla", _parse_sla, ctx),
        max_fail_ratio=_ratio(merged.get("max_fail_ratio", DEFAULT_MAX_FAIL_RATIO), "max_fail_ratio", ctx),
        failsafe_avg_ms=_positive(
            merged.get("failsafe_avg_ms", DEFAULT_FAILSAFE_AVG_MS), "failsafe_avg_ms", ctx
        ),
        abort_on_breach=_flag(merged.get("abort_on_breach", False), "abort_on_breach", ctx),
        abort_after=_abort_after(merged.get("abort_after", DEFAULT_ABORT_AFTER), ctx),
        locust_args=_string_list(merged.get("locust_args", []), "locust_args", ctx, allow_empty=True),
        env=_env(merged.get("env", {}), ctx),
        target=target,
        workers=_optional(merged, "workers", _parse_workers, ctx),
    )
    check_run_length(suite, ctx)
    return suite


def check_run_length(suite: Suite, ctx: _SuiteContext) -> None:
    """A window or an abort grace longer than the run (as the catalog knows it) can never apply."""
    run = suite.run_seconds
    if suite.sla is not None and suite.sla.window is not None and suite.sla.window > run:
        raise ctx.error(
            "sla.window",
            f"{suite.sla.window} s is longer than the run ({run:g} s: users/spawn_rate "
            f"{suite.spawn_time:g} s + spawned_runtime {suite.spawned_runtime} s); no window would be whole",
        )
    if suite.abort_after > run:
        raise ctx.error(
            "abort_after",
            f"{suite.abort_after} s is longer than the run ({run:g} s: users/spawn_rate "
            f"{suite.spawn_time:g} s + spawned_runtime {suite.spawned_runtime} s); nothing could abort it",
        )


def _flag(value: object, key: str, ctx: _SuiteContext) -> bool:
    if not isinstance(value, bool):
        raise ctx.error(key, f"expected true or false, got {value!r}")
    return value


def _abort_after(value: object, ctx: _SuiteContext) -> int:
    seconds = _timespan(value, "abort_after", ctx, example="30s or 2m")
    if seconds < 0:
        raise ctx.error("abort_after", f"must be >= 0, got {value!r}")
    return seconds


def _optional(
    merged: Mapping[str, Any], key: str, parse: Callable[[object, _SuiteContext], Any], ctx: _SuiteContext
) -> Any:
    value = merged.get(key)
    return None if value is None else parse(value, ctx)


def _reject_unknown_keys(
    mapping: Mapping[Any, Any], allowed: Sequence[str], file: Path, *, suite: str | None, prefix: str
) -> None:
    for key in mapping:
        if key not in allowed:
            raise CatalogError(file, _unknown_key_message(key, allowed), suite=suite, key=f"{prefix}{key}")


def _section(
    value: object, name: str, allowed: Sequence[str], ctx: _SuiteContext, *, example: str
) -> dict[Any, Any]:
    """A suite's mapping under the key `name` (`sla`, `target`, `workers`), its keys among
    `allowed`; `example` completes "expected a mapping ..." for a value that is none."""
    if not isinstance(value, dict):
        raise ctx.error(name, f"expected a mapping {example}, got {value!r}")
    for key in value:
        if key not in allowed:
            raise ctx.error(f"{name}.{key}", _unknown_key_message(key, allowed))
    return value


def _unknown_key_message(key: object, allowed: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(key), allowed, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"unknown key; {hint}allowed keys: {', '.join(allowed)}"


def _merge_env(defaults_env: object, suite_env: object, ctx: _SuiteContext) -> object:
    if not isinstance(defaults_env, dict):
        raise CatalogError(
            ctx.file, f"expected a mapping of strings, got {_type_name(defaults_env)}", key="defaults.env"
        )
    if not isinstance(suite_env, dict):
        return suite_env  # reported by _env with the suite's name
    return {**defaults_env, **suite_env}


def _existing_file(value: object, key: str, ctx: _SuiteContext) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ctx.error(key, f"expected a file path (a non-empty string), got {value!r}")
    path = (ctx.file.parent / value).resolve()
    if not path.exists():
        raise ctx.error(key, f"file not found: {value!r} (looked for {path})")
    if not path.is_file():
        raise ctx.error(key, f"not a file: {value!r} ({path})")
    return path


def _url(value: object, key: str, ctx: _SuiteContext, *, placeholder_allowed: bool) -> str:
    if not isinstance(value, str):
        raise ctx.error(key, f"expected a URL such as http://127.0.0.1:8080, got {value!r}")
    if not is_http_url(value.replace(PORT_PLACEHOLDER, "0")):
        raise ctx.error(
            key, f"{value!r} is not an http(s) URL; write it with its scheme, such as http://127.0.0.1:8080"
        )
    if PORT_PLACEHOLDER in value and not placeholder_allowed:
        raise ctx.error(
            key, f"{value!r} uses {PORT_PLACEHOLDER} but the suite has no target to give it a port"
        )
    return value


def _host(value: object, has_target: bool, ctx: _SuiteContext) -> str | None:
    return None if value is None else _url(value, "host", ctx, placeholder_allowed=has_target)


def _users(value: object, ctx: _SuiteContext) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ctx.error("users", f"expected a whole number >= 1, got {value!r}")
    if value < 1:
        raise ctx.error("users", f"must be >= 1, got {value!r}")
    return value


def _confirm(value: object, ctx: _SuiteContext) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ctx.error(
            "confirm", f"expected a whole number >= 0 of attempts after a judged failure, got {value!r}"
        )
    return value


def _number(
    value: object,
    key: str,
    ctx: _SuiteContext,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    exclusive: bool = False,
) -> float:
    """A YAML int or float as a float; `exclusive` makes `minimum` itself invalid."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ctx.error(key, f"expected a number, got {value!r}")
    too_low = minimum is not None and (value < minimum or (exclusive and value == minimum))
    too_high = maximum is not None and value > maximum
    if too_low or too_high:
        if minimum is not None and maximum is not None:
            bound = f"between {minimum:g} and {maximum:g}"
        elif minimum is not None:
            bound = f"> {minimum:g}" if exclusive else f">= {minimum:g}"
        else:
            bound = f"<= {maximum:g}"
        raise ctx.error(key, f"must be {bound}, got {value!r}")
    return float(value)


def _positive(value: object, key: str, ctx: _SuiteContext) -> float:
    """A number > 0 (a rate; seconds or milliseconds)."""
    return _number(value, key, ctx, minimum=0.0, exclusive=True)


def _ratio(value: object, key: str, ctx: _SuiteContext) -> float:
    """A fraction from 0 to 1."""
    return _number(value, key, ctx, minimum=0.0, maximum=1.0)


def _timespan(value: object, key: str, ctx: _SuiteContext, *, example: str) -> int:
    """Whole seconds of a Locust timespan (a string such as 90s or 1h30m, or an int); errors name
    the key and, for a value of another type, show `example`."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ctx.error(key, f"expected a Locust timespan such as {example}, got {value!r}")
    try:
        return parse_timespan(value, f"{ctx.file}: suite '{ctx.label}': key '{key}'")
    except TimespanError as exc:
        raise ctx.error(key, exc.reason) from None


def _spawned_runtime(value: object, ctx: _SuiteContext) -> int:
    seconds = _timespan(value, "spawned_runtime", ctx, example="30s, 3m or 1h30m")
    if seconds < 1:
        raise ctx.error("spawned_runtime", f"{value!r} must be at least 1 second")
    return seconds


FIXED_KEYS: frozenset[str] = frozenset({"name", "locustfile", "compare_meta", "target", "workers"})
"""What makes a suite that suite (its name and file, how it is judged, started and spread): a
caller runs another suite rather than override these."""
OVERRIDE_KEYS: tuple[str, ...] = tuple(key for key in SUITE_KEYS if key not in FIXED_KEYS)
"""Suite fields a caller may override (the `bfd_locust` fixture's keyword arguments)."""


def override_suite(suite: Suite, overrides: Mapping[str, object], *, source: str) -> Suite:
    """`suite` with `overrides` applied, each checked as the catalog checks its key.

    `source` names where the overrides come from (e.g. "bfd_locust(...)"); errors name it with the
    catalog, the suite and the key, like any other CatalogError.
    """
    ctx = _SuiteContext(suite.catalog, suite.name, frozenset())
    checked: dict[str, Any] = {}
    for key, value in overrides.items():
        if key not in OVERRIDE_KEYS:
            raise CatalogError(
                suite.catalog,
                f"{source}: {_unknown_key_message(key, OVERRIDE_KEYS)}",
                suite=suite.name,
                key=key,
            )
        try:
            checked[key] = _check_override(key, value, suite, ctx)
        except CatalogError as exc:
            raise CatalogError(suite.catalog, f"{source}: {exc.message}", suite=suite.name, key=key) from None
    overridden = replace(suite, **checked)
    try:
        check_run_length(overridden, ctx)
    except CatalogError as exc:
        raise CatalogError(suite.catalog, f"{source}: {exc.message}", suite=suite.name, key=exc.key) from None
    return overridden


def _check_override(key: str, value: object, suite: Suite, ctx: _SuiteContext) -> object:
    if key == "host":
        return _host(value, suite.target is not None, ctx)
    if key == "users":
        return _users(value, ctx)
    if key == "spawned_runtime":
        return _spawned_runtime(value, ctx)
    if key == "tags":
        return _tags(value, ctx)
    if key == "sla":
        return None if value is None else _parse_sla(value, ctx)
    if key == "abort_on_breach":
        return _flag(value, key, ctx)
    if key == "abort_after":
        return _abort_after(value, ctx)
    if key == "locust_args":
        return _string_list(value, key, ctx, allow_empty=True)
    if key == "env":
        return _env(value, ctx)
    if key == "max_fail_ratio":
        return _ratio(value, key, ctx)
    return _positive(value, key, ctx)  # spawn_rate, failsafe_avg_ms


def _tags(value: object, ctx: _SuiteContext) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ctx.error("tags", f"expected a list of tags such as [v2, regression], got {value!r}")
    for tag in value:
        if not isinstance(tag, str) or not TAG_PATTERN.fullmatch(tag):
            raise ctx.error(
                "tags",
                f"invalid tag {tag!r}; tags become pytest markers: use lower-case "
                "letters, digits and '_' ([a-z0-9_]+)",
            )
    return tuple(value)


def _scalar_text(value: object) -> str | None:
    """A YAML scalar as the text a command line or environment gets; None for other types."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _string_list(value: object, key: str, ctx: _SuiteContext, *, allow_empty: bool) -> tuple[str, ...]:
    """A list of strings (numbers become strings), or one string split like a shell would."""
    if isinstance(value, str):
        try:
            items = shlex.split(value)
        except ValueError as exc:
            raise ctx.error(key, f"cannot split {value!r} into arguments: {exc}") from None
    elif isinstance(value, list):
        items = []
        for item in value:
            text = None if isinstance(item, bool) else _scalar_text(item)
            if text is None:
                raise ctx.error(key, f"expected a list of strings, but an item is {item!r}")
            items.append(text)
    else:
        raise ctx.error(key, f"expected a list of strings, got {value!r}")
    if not items and not allow_empty:
        raise ctx.error(key, "must not be empty")
    return tuple(items)


def _env(value: object, ctx: _SuiteContext) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ctx.error("env", f"expected a mapping of variable names to strings, got {value!r}")
    env: dict[str, str] = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise ctx.error("env", f"invalid environment variable name {name!r}")
        text = _scalar_text(raw)
        if text is None:
            raise ctx.error(f"env.{name}", f"expected a string, number or boolean, got {raw!r}")
        env[name] = text
    return env


def endpoints_not_in_locustfile(suite: Suite) -> list[tuple[str, str]]:
    """(SLA key, its name without the method) of each SLA endpoint whose name appears nowhere in the
    suite's locustfile, as written.

    Locust names an endpoint when a request completes (the URL path, or the request's `name=`), so
    the names cannot be checked before the run; one whose name is not even a literal of the file is
    likely misspelt (or built at run time), which collection can say. An unreadable locustfile
    hides nothing: the run reports it.
    """
    if suite.sla is None or not suite.sla.endpoints:
        return []
    try:
        source = suite.locustfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    names = ((key, key.split(" ", 1)[-1]) for key in suite.sla.endpoints)
    return [(key, name) for key, name in names if name not in source]


def _parse_sla(raw: object, ctx: _SuiteContext) -> Sla:
    value = _section(raw, "sla", SLA_KEYS, ctx, example="such as {p50: 700, p95: 1000, p99: 3000}")
    limits = _percentile_limits(value, "sla", ctx)
    window = None
    if value.get("window") is not None:
        raw = value["window"]
        window = _timespan(raw, "sla.window", ctx, example="10s or 1m")
        if window < 1:
            raise ctx.error("sla.window", f"{raw!r} must be at least 1 second")
    min_rps = None
    if value.get("min_rps") is not None:
        min_rps = _positive(value["min_rps"], "sla.min_rps", ctx)
    return Sla(
        **{name: limits.get(name) for name in SLA_PERCENTILE_KEYS},
        window=window,
        min_rps=min_rps,
        endpoints=_endpoint_limits(value.get("endpoints"), ctx),
    )


def _percentile_limits(value: Mapping[Any, Any], prefix: str, ctx: _SuiteContext) -> dict[str, int]:
    limits: dict[str, int] = {}
    for key in SLA_PERCENTILE_KEYS:
        limit = value.get(key)
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0):
            raise ctx.error(f"{prefix}.{key}", f"expected a whole number of milliseconds > 0, got {limit!r}")
        if limit is not None:
            limits[key] = limit
    return limits


def _endpoint_limits(value: object, ctx: _SuiteContext) -> dict[str, PercentileLimits]:
    """`endpoints:` -> {`METHOD name`: limits}. The names are checked against the run's endpoints
    only when it has run (a locustfile's request names are known then): see `Sla.endpoints`."""
    if value is None:
        return {}
    example = '{"GET /v2/fhir/Patient search": {p95: 400}}'
    if not isinstance(value, dict) or not value:
        raise ctx.error("sla.endpoints", f"expected a mapping such as {example}, got {value!r}")
    endpoints: dict[str, PercentileLimits] = {}
    for name, raw in value.items():
        key = f"sla.endpoints.{name}"
        method, _, request = str(name).partition(" ")
        if not isinstance(name, str) or not method or not request.strip():
            raise ctx.error(
                key,
                f"expected an endpoint as the record shows it, `METHOD name` such as "
                f"'GET /v2/fhir/Patient search', got {name!r}",
            )
        if not isinstance(raw, dict) or not raw:
            raise ctx.error(key, f"expected a mapping of limits such as {{p95: 400, p99: 900}}, got {raw!r}")
        for limit_key in raw:
            if limit_key not in SLA_PERCENTILE_KEYS:
                raise ctx.error(f"{key}.{limit_key}", _unknown_key_message(limit_key, SLA_PERCENTILE_KEYS))
        endpoints[name] = PercentileLimits(**_percentile_limits(raw, key, ctx))
    return endpoints


def _parse_target(raw: object, ctx: _SuiteContext) -> Target:
    value = _section(raw, "target", TARGET_KEYS, ctx, example="with a 'command'")
    if value.get("command") is None:
        raise ctx.error("target.command", "missing; a target needs the command that starts it")
    raw_ready_url = value.get("ready_url")
    ready_url = (
        None
        if raw_ready_url is None
        else _url(raw_ready_url, "target.ready_url", ctx, placeholder_allowed=True)
    )
    return Target(
        command=_string_list(value["command"], "target.command", ctx, allow_empty=False),
        ready_url=ready_url,
        ready_timeout=_positive(
            value.get("ready_timeout", DEFAULT_READY_TIMEOUT), "target.ready_timeout", ctx
        ),
    )


def _parse_workers(raw: object, ctx: _SuiteContext) -> Workers:
    value = _section(raw, "workers", WORKERS_KEYS, ctx, example="such as {expect: 4}")
    expect = value.get("expect")
    if expect is None:
        raise ctx.error("workers.expect", "missing; how many workers the suite waits for")
    if isinstance(expect, bool) or not isinstance(expect, int) or expect < 1:
        raise ctx.error("workers.expect", f"expected a whole number >= 1, got {expect!r}")
    bind = DEFAULT_MASTER_BIND
    if value.get("master_bind") is not None:
        if not isinstance(value["master_bind"], str):
            raise ctx.error(
                "workers.master_bind", f"expected HOST:PORT as a string, got {value['master_bind']!r}"
            )
        try:
            bind = parse_master_bind(value["master_bind"])
        except MasterBindError as exc:
            raise ctx.error("workers.master_bind", str(exc)) from None
    allow_loss = value.get("allow_loss", False)
    if not isinstance(allow_loss, bool):
        raise ctx.error("workers.allow_loss", f"expected true or false, got {allow_loss!r}")
    return Workers(
        expect=expect,
        master_bind=bind,
        wait=_seconds(value.get("wait", DEFAULT_WORKER_WAIT), "workers.wait", ctx),
        allow_loss=allow_loss,
    )


def _seconds(value: object, key: str, ctx: _SuiteContext) -> float:
    """Seconds as a number (> 0) or a Locust timespan such as 90s or 2m."""
    if isinstance(value, str):
        try:
            seconds = float(parse_timespan(value, key))
        except TimespanError as exc:
            raise ctx.error(key, exc.reason) from None
        if seconds <= 0:
            raise ctx.error(key, f"must be > 0, got {value!r}")
        return seconds
    return _positive(value, key, ctx)


def _describe_yaml_error(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if mark is None or problem is None:
        return str(exc).replace("\n", " ")
    context = getattr(exc, "context", None)
    where = f"line {mark.line + 1}, column {mark.column + 1}"
    return f"{where}: {problem}" + (f" ({context})" if context else "")


def _suite_lines(text: str) -> list[int]:
    """1-based line of each item of the `suites` list, for messages; [] if not found."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return []
    for key_node, value_node in root.value:
        if key_node.value == "suites" and isinstance(value_node, yaml.SequenceNode):
            return [item.start_mark.line + 1 for item in value_node.value]
    return []


def _at_line(lines: Sequence[int], index: int) -> str:
    return f" (line {lines[index - 1]})" if 0 < index <= len(lines) else ""


def _type_name(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"{type(value).__name__} {value!r}"
