"""The run-locust payload (the seed's JSON event) -> a frozen, validated `RunPayload`.

Pure apart from resolving the suite path against the suites root: no pytest, boto3, locust or
gevent. Every problem raises `PayloadError` naming the field and the bad value, so the handler can
return it as the response message without a traceback (SPEC §11).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pytest_bfd_locust.acceptance import AcceptanceError, check_reason
from pytest_bfd_locust.hosts import is_http_url
from pytest_bfd_locust.judge.baseline import BaselineKind
from pytest_bfd_locust.judge.generator_health import InconclusivePolicy
from pytest_bfd_locust.settings import (
    load_limit_errors,
    option_default,
)
from pytest_bfd_locust.tags import TAG_PATTERN
from pytest_bfd_locust.timespan import TimespanError, parse_timespan

RUN_ID_PATTERN = re.compile(r"[A-Za-z0-9_.-]{1,128}")
"""A run id becomes part of an S3 key; keep it to characters that need no quoting."""

SUITE_SUFFIXES: tuple[str, ...] = (".py", ".yaml", ".yml")

DEFAULT_LOAD_LIMIT: int = option_default("compare_load_limit")
"""`compare.load_limit` when the payload leaves it null: the plugin's `--compare-load-limit` default
(the seed's built-in 5)."""

_TOP_LEVEL_KEYS = frozenset(
    {
        "suite",
        "host",
        "spawn_rate",
        "users",
        "spawned_runtime",
        "only_summary",
        "compare",
        "store",
        "run_id",
        "abort_on_breach",
        "inconclusive",
    }
)
_COMPARE_KEYS = frozenset({"type", "tag", "load_limit", "confirm"})
_STORE_KEYS = frozenset({"tags", "accept"})


class PayloadError(ValueError):
    """The payload is not valid; the message names the field and says what is wrong."""


@dataclass(frozen=True)
class ComparePayload:
    type: BaselineKind
    """`compare.type`: the newest eligible record, or the average of the newest `load_limit`."""
    tag: str
    load_limit: int | None
    """None means the built-in default (`effective_load_limit`)."""
    confirm: int | None = None
    """`compare.confirm`: more attempts after a judged failure (`--bfd-confirm`); None: the
    plugin's default for the threshold file. Cut to what fits in the Lambda's time (`run.py`)."""

    @property
    def effective_load_limit(self) -> int:
        return DEFAULT_LOAD_LIMIT if self.load_limit is None else self.load_limit


@dataclass(frozen=True)
class StorePayload:
    tags: tuple[str, ...]
    accept: str | None = None
    """`store.accept`: a re-baseline run, stored as accepted with this reason (`--bfd-accept`)."""


@dataclass(frozen=True)
class RunPayload:
    """One validated invocation: what to run, against what, and what to do with the record."""

    suite: str
    """The suite as given, relative to the suites root."""
    suite_path: Path
    """The suite resolved inside the suites root; it exists and is a file."""
    host: str
    users: int
    spawn_rate: float
    spawned_runtime: str
    """The timespan as given, passed on to the plugin unchanged."""
    spawned_runtime_s: int
    only_summary: bool = False
    abort_on_breach: bool = False
    """Stop the run at the first SLA breach (`--bfd-abort-on-breach`): a broken API stops costing
    Lambda time. The SLA itself, and its `abort_after` grace, are the suite's catalog's."""
    compare: ComparePayload | None = None
    store: StorePayload | None = None
    run_id: str | None = None
    inconclusive: InconclusivePolicy | None = None
    """`inconclusive`: fail or warn when the load generator was saturated (`--bfd-inconclusive`);
    None: the plugin's default."""

    @property
    def spawn_time_s(self) -> float:
        """How long Locust takes to start all users."""
        return self.users / self.spawn_rate


def parse_payload(
    event: Any,
    *,
    suites_root: Path,
    max_users: int = option_default("max_users"),
    max_spawn_rate: float = option_default("max_spawn_rate"),
) -> RunPayload:
    """Validate the seed's run-locust payload; the suite must lie inside `suites_root` and exist.

    `users` and `spawn_rate` are bounded (the plugin's `--bfd-max-users`/`--bfd-max-spawn-rate`,
    read by the Lambda from the same `BFD_LOCUST_MAX_*` variables): 1e9 users would otherwise
    pass the time guard (1e9 / 1e9 per second is one second of spawning) and eat the memory."""
    if not isinstance(event, Mapping):
        raise PayloadError(f"payload: expected a JSON object, got {type(event).__name__}")
    _reject_unknown_keys("payload", event, _TOP_LEVEL_KEYS)
    suite = _required_str(event, "suite", "payload")
    users = _int_field(event, "users", minimum=1)
    spawn_rate = _number_field(event, "spawn_rate")
    spawned_runtime = _required_str(event, "spawned_runtime", "payload")
    try:
        spawned_runtime_s = parse_timespan(spawned_runtime, "spawned_runtime")
    except TimespanError as exc:
        raise PayloadError(str(exc)) from None
    if spawned_runtime_s < 1:
        raise PayloadError(f"spawned_runtime: {spawned_runtime!r} must be at least 1 second")
    refused = load_limit_errors(users, spawn_rate, max_users=max_users, max_spawn_rate=max_spawn_rate)
    if refused:
        raise PayloadError(
            "; ".join(refused)
            .replace("--bfd-max-users", "BFD_LOCUST_MAX_USERS")
            .replace("--bfd-max-spawn-rate", "BFD_LOCUST_MAX_SPAWN_RATE")
        )
    only_summary = event.get("only_summary", False)
    if not isinstance(only_summary, bool):
        raise PayloadError(f"only_summary: expected true or false, got {only_summary!r}")
    abort_on_breach = event.get("abort_on_breach", False)
    if not isinstance(abort_on_breach, bool):
        raise PayloadError(f"abort_on_breach: expected true or false, got {abort_on_breach!r}")
    return RunPayload(
        suite=suite,
        suite_path=resolve_suite(suite, suites_root),
        host=_host(_required_str(event, "host", "payload")),
        users=users,
        spawn_rate=spawn_rate,
        spawned_runtime=spawned_runtime,
        spawned_runtime_s=spawned_runtime_s,
        only_summary=only_summary,
        abort_on_breach=abort_on_breach,
        compare=_compare(event.get("compare")),
        store=_store(event.get("store")),
        run_id=_run_id(event.get("run_id")),
        inconclusive=_inconclusive(event.get("inconclusive")),
    )


def resolve_suite(suite: str, suites_root: Path) -> Path:
    """The suite file inside `suites_root`; `..`, absolute paths and symlinks leading out are refused."""
    if not suite:
        raise PayloadError("suite: must not be empty")
    if "\0" in suite:
        raise PayloadError("suite: contains a NUL byte")
    pure = PurePosixPath(suite)
    if pure.is_absolute() or suite.startswith("\\") or re.match(r"[A-Za-z]:", suite):
        raise PayloadError(f"suite: {suite!r} must be a path relative to the suites root, not absolute")
    if ".." in pure.parts:
        raise PayloadError(f"suite: {suite!r} must not contain '..'")
    if pure.suffix not in SUITE_SUFFIXES:
        raise PayloadError(f"suite: {suite!r} must be a locustfile (.py) or a suite catalog (.yaml, .yml)")
    root = suites_root.resolve()
    # resolve() follows symlinks, so a link inside the root pointing elsewhere is caught here.
    resolved = (root / pure).resolve()
    if not resolved.is_relative_to(root):
        raise PayloadError(f"suite: {suite!r} leads outside the suites root {str(root)!r}")
    if not resolved.is_file():
        raise PayloadError(f"suite: {suite!r} does not exist under the suites root {str(root)!r}")
    return resolved


def _host(host: str) -> str:
    if not is_http_url(host):
        raise PayloadError(f"host: {host!r} must be a URL with scheme and host, e.g. https://example.com:443")
    return host


def _compare(value: Any) -> ComparePayload | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise PayloadError(f"compare: expected an object with type and tag, got {value!r}")
    _reject_unknown_keys("compare", value, _COMPARE_KEYS)
    raw_type = _required_str(value, "type", "compare")
    try:
        compare_type = BaselineKind(raw_type)
    except ValueError:
        raise PayloadError(f"compare.type: {raw_type!r} must be 'average' or 'previous'") from None
    tag = _tag(_required_str(value, "tag", "compare"), "compare.tag")
    load_limit = value.get("load_limit")
    if load_limit is not None and (
        isinstance(load_limit, bool) or not isinstance(load_limit, int) or load_limit < 1
    ):
        raise PayloadError(f"compare.load_limit: {load_limit!r} must be null or an integer >= 1")
    confirm = value.get("confirm")
    if confirm is not None and (isinstance(confirm, bool) or not isinstance(confirm, int) or confirm < 0):
        raise PayloadError(f"compare.confirm: {confirm!r} must be null or an integer >= 0")
    return ComparePayload(type=compare_type, tag=tag, load_limit=load_limit, confirm=confirm)


def _store(value: Any) -> StorePayload | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise PayloadError(f"store: expected an object with tags, got {value!r}")
    _reject_unknown_keys("store", value, _STORE_KEYS)
    tags = value.get("tags")
    if not isinstance(tags, list) or not tags:
        raise PayloadError(f"store.tags: expected a non-empty list of tags, got {tags!r}")
    checked = [_tag(tag, f"store.tags[{index}]") for index, tag in enumerate(tags)]
    return StorePayload(tags=tuple(dict.fromkeys(checked)), accept=_accept(value.get("accept")))


def _accept(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise PayloadError(f"store.accept: expected the reason as a string, got {value!r}")
    try:
        return check_reason(value)
    except AcceptanceError as exc:
        raise PayloadError(f"store.accept: {exc}") from None


def _inconclusive(value: Any) -> InconclusivePolicy | None:
    if value is None:
        return None
    allowed = " or ".join(f'"{policy.value}"' for policy in InconclusivePolicy)
    if not isinstance(value, str) or value not in set(InconclusivePolicy):
        raise PayloadError(f"inconclusive: expected {allowed} (or null), got {value!r}")
    return InconclusivePolicy(value)


def _tag(tag: Any, field: str) -> str:
    if not isinstance(tag, str) or TAG_PATTERN.fullmatch(tag) is None:
        raise PayloadError(f"{field}: {tag!r} must match [a-z0-9_]+")
    return tag


def _run_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or RUN_ID_PATTERN.fullmatch(value) is None:
        raise PayloadError(f"run_id: {value!r} must be 1-128 characters of [A-Za-z0-9_.-]")
    return value


def _int_field(event: Mapping[str, Any], field: str, *, minimum: int) -> int:
    value = event.get(field)
    if value is None:
        raise PayloadError(f"{field}: required")
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise PayloadError(f"{field}: {value!r} must be an integer >= {minimum}")
    return value


def _number_field(event: Mapping[str, Any], field: str) -> float:
    value = event.get(field)
    if value is None:
        raise PayloadError(f"{field}: required")
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < float("inf"):
        raise PayloadError(f"{field}: {value!r} must be a number > 0")
    return float(value)


def _required_str(mapping: Mapping[str, Any], field: str, where: str) -> str:
    prefix = "" if where == "payload" else f"{where}."
    if field not in mapping or mapping[field] is None:
        raise PayloadError(f"{prefix}{field}: required")
    value = mapping[field]
    if not isinstance(value, str):
        raise PayloadError(f"{prefix}{field}: expected a string, got {value!r}")
    if "\0" in value:
        # Said here: the file system and the child's argv would raise "embedded null byte" later.
        raise PayloadError(f"{prefix}{field}: contains a NUL byte")
    return value


def _reject_unknown_keys(where: str, mapping: Mapping[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(str(key) for key in mapping if key not in known)
    if unknown:
        accepted = ", ".join(sorted(known))
        raise PayloadError(f"{where}: unknown key(s) {', '.join(unknown)}; accepted: {accepted}")
