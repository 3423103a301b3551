"""Acceptances: a person's word that a run's level is the new normal, kept beside the records.

Pure: no pytest, boto3, locust or gevent. A run whose comparison failed is never a baseline, so
after an intended change (a new feature that costs 50 %) every later run would fail against the
old level. An acceptance ends that: a small JSON object saying when, which run, why and who, stored
once and never rewritten (append-only, like the records). From then on the accepted run is an
eligible baseline although its comparison failed, and the runs before it are no baseline of that
suite, hash and tag any more (`judge.baseline.select_eligible`).

    {"accepted_at": "2026-12-02T03:00:00Z", "run_id": "3f2a9c1e0b7d", "run_timestamp": 1764644400,
     "hash": "<the run's hash>", "suite": "api", "tag": "default",
     "reason": "search now also queries the archive (+50 %), agreed in PR 123",
     "accepted_by": {"GITHUB_ACTOR": "octocat", "USER": "runner"}}

`run_timestamp` is the accepted record's own `metadata.timestamp`: where the new level starts,
readable without the record. Acceptances read back from a store are checked like records
(`record_checks`): a corrupt one, or one dated in the future, is skipped with a warning naming it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pytest_bfd_locust.figures import iso_utc
from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.record_checks import MAX_CLOCK_SKEW_S, implausible
from pytest_bfd_locust.tags import TAG_PATTERN

ACCEPTANCE_SUFFIX = ".accept.json"
"""The suffix of a stored acceptance (not `.stats.json`: no S3 notification, no Glue crawl)."""

ACCEPTED_BY_VARIABLES = ("GITHUB_ACTOR", "USER")
"""Environment variables naming who accepted: the GitHub user of a workflow run, the login user."""

LAMBDA_REQUEST_ID_VARIABLE = "BFD_LAMBDA_REQUEST_ID"
"""Set by `lambda_entry.run` while an invocation runs: its AWS request id stands for who accepted."""

MAX_REASON_CHARS = 2000
"""A reason is a sentence or a link, not a document: longer ones are refused, not cut."""

_FIELDS = ("accepted_at", "run_id", "run_timestamp", "hash", "suite", "tag", "reason", "accepted_by")


class AcceptanceError(ValueError):
    """An acceptance cannot be made or read; the message names the field and the bad value."""


@dataclass(frozen=True)
class Acceptance:
    """One run accepted as the new level of its suite, hash and tag (see the module docstring)."""

    accepted_at: int
    """Unix seconds; stored as ISO-8601 UTC."""
    run_id: str
    run_timestamp: int
    """The accepted record's `metadata.timestamp`."""
    hash: str
    suite: str | None
    tag: str
    reason: str
    accepted_by: Mapping[str, str] = field(default_factory=dict)
    """What the environment said about who accepted (`GITHUB_ACTOR`, `USER`, `lambda_request_id`)."""

    @property
    def run_key(self) -> tuple[int, str]:
        """The accepted record's place in time, as `judge.baseline.newest_first_key` orders records."""
        return (self.run_timestamp, self.run_id)

    def who(self) -> str:
        """`octocat` (GitHub), else the user, else the Lambda request; `unknown` when nothing said."""
        for name in (*ACCEPTED_BY_VARIABLES, "lambda_request_id"):
            if self.accepted_by.get(name):
                prefix = "Lambda request " if name == "lambda_request_id" else ""
                return prefix + self.accepted_by[name]
        return "unknown"

    def describe(self) -> str:
        """`accepted 2026-12-02T03:00:00Z by octocat: <reason>` (for history marks and messages)."""
        return f"accepted {iso_utc(self.accepted_at)} by {self.who()}: {self.reason}"

    def to_json(self) -> dict[str, Any]:
        return {
            "accepted_at": iso_utc(self.accepted_at),
            "run_id": self.run_id,
            "run_timestamp": self.run_timestamp,
            "hash": self.hash,
            "suite": self.suite,
            "tag": self.tag,
            "reason": self.reason,
            "accepted_by": dict(self.accepted_by),
        }

    def to_text(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    @classmethod
    def from_json(cls, data: Any) -> Acceptance:
        """An acceptance from parsed JSON; AcceptanceError naming the field otherwise."""
        if not isinstance(data, Mapping):
            raise AcceptanceError(f"acceptance: expected a JSON object, got {type(data).__name__}")
        missing = [name for name in _FIELDS if name not in data]
        if missing:
            raise AcceptanceError(f"acceptance: missing {', '.join(missing)}")
        accepted_by = data["accepted_by"]
        if not isinstance(accepted_by, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in accepted_by.items()
        ):
            raise AcceptanceError(
                f"acceptance.accepted_by: expected an object of strings, got {accepted_by!r}"
            )
        suite = data["suite"]
        if suite is not None and not isinstance(suite, str):
            raise AcceptanceError(f"acceptance.suite: expected a string or null, got {suite!r}")
        tag = _string(data, "tag")
        if not TAG_PATTERN.fullmatch(tag):
            raise AcceptanceError(f"acceptance.tag: {tag!r} must match [a-z0-9_]+")
        raw_reason = _string(data, "reason")
        try:
            reason = check_reason(raw_reason)
        except AcceptanceError as error:
            raise AcceptanceError(f"acceptance.reason: {error}") from None
        return cls(
            accepted_at=_iso_seconds(data["accepted_at"]),
            run_id=_string(data, "run_id"),
            run_timestamp=_whole_number(data, "run_timestamp"),
            hash=_string(data, "hash"),
            suite=suite,
            tag=tag,
            reason=reason,
            accepted_by=dict(accepted_by),
        )

    @classmethod
    def from_bytes(cls, content: bytes) -> Acceptance:
        """An acceptance from a stored object's bytes; AcceptanceError (not JSON, bad field) otherwise."""
        try:
            data = json.loads(content)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise AcceptanceError(f"not JSON: {error}") from None
        return cls.from_json(data)


def check_reason(text: str) -> str:
    """The reason without surrounding blanks; AcceptanceError when it says nothing or is too long."""
    reason = " ".join(text.split())
    if not reason:
        raise AcceptanceError("the reason must not be empty: say why this level is the new normal")
    if len(reason) > MAX_REASON_CHARS:
        raise AcceptanceError(f"the reason has {len(reason)} characters; at most {MAX_REASON_CHARS}")
    return reason


def accepted_by(environ: Mapping[str, str]) -> dict[str, str]:
    """Who accepts, as far as the environment says: `GITHUB_ACTOR`, `USER`, the Lambda request id."""
    found = {name: environ[name].strip() for name in ACCEPTED_BY_VARIABLES if environ.get(name, "").strip()}
    request = environ.get(LAMBDA_REQUEST_ID_VARIABLE, "").strip()
    if request:
        found["lambda_request_id"] = request
    return found


def accept_run(
    record: Record, *, tag: str, reason: str, accepted_by: Mapping[str, str], now: float
) -> Acceptance:
    """The acceptance of `record` under `tag`; AcceptanceError when the record cannot be accepted.

    A run that failed validation (errors, SLA, a crash) is refused: it measured a broken system,
    not a new level. Its comparison may have failed: that is what accepting is for.
    """
    label = f"run {record.run_id}" if record.run_id else "a run without a run id"
    if record.run_id is None:
        raise AcceptanceError(f"{label} (a seed record) cannot be accepted: acceptances name runs by id")
    if tag not in record.metadata.tags:
        tags = ", ".join(record.metadata.tags) or "none"
        raise AcceptanceError(f"{label} is not stored under tag {tag!r} (its tags: {tags})")
    if record.metadata.validation_result is ResultStatus.FAILED:
        raise AcceptanceError(
            f"{label} failed validation (fail ratio, SLA or a crash): it can never be a baseline"
        )
    problem = implausible(record, now=now)
    if problem is not None:
        raise AcceptanceError(f"{label} can never be a baseline: {problem}")
    return Acceptance(
        accepted_at=int(now),
        run_id=record.run_id,
        run_timestamp=record.metadata.timestamp,
        hash=record.metadata.hash,
        suite=record.suite,
        tag=tag,
        reason=check_reason(reason),
        accepted_by=dict(accepted_by),
    )


def implausible_acceptance(
    acceptance: Acceptance, *, now: float, max_skew_s: float = MAX_CLOCK_SKEW_S
) -> str | None:
    """Why a stored acceptance cannot be honoured, or None: one dated in the future would move the
    level of every later run to a time that has not come (as a future-dated record would)."""
    if acceptance.accepted_at > now + max_skew_s:
        return f"accepted_at {iso_utc(acceptance.accepted_at)} is in the future (now {iso_utc(now)})"
    if acceptance.run_timestamp > now + max_skew_s:
        return f"run_timestamp {acceptance.run_timestamp} is in the future (now {int(now)})"
    if acceptance.run_timestamp <= 0:
        return f"run_timestamp {acceptance.run_timestamp} is not a time"
    return None


def _string(data: Mapping[str, Any], name: str) -> str:
    value = data[name]
    if not isinstance(value, str) or not value:
        raise AcceptanceError(f"acceptance.{name}: expected a non-empty string, got {value!r}")
    return value


def _whole_number(data: Mapping[str, Any], name: str) -> int:
    value = data[name]
    if isinstance(value, bool) or not isinstance(value, int):
        raise AcceptanceError(f"acceptance.{name}: expected a whole number, got {value!r}")
    return value


def _iso_seconds(value: Any) -> int:
    if not isinstance(value, str):
        raise AcceptanceError(f"acceptance.accepted_at: expected an ISO-8601 UTC time, got {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise AcceptanceError(f"acceptance.accepted_at: {value!r} is not an ISO-8601 time") from None
    if parsed.tzinfo is None:
        raise AcceptanceError(f"acceptance.accepted_at: {value!r} has no time zone (expected ...Z)")
    seconds = parsed.timestamp()
    if not math.isfinite(seconds):
        raise AcceptanceError(f"acceptance.accepted_at: {value!r} is not a time")
    return int(seconds)
