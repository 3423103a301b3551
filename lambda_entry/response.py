"""The handler's response: the seed's four fields always, plus what the run produced (SPEC §10).

`result`, `message`, `log_stream_name`, `log_group_name` as the seed returned them; added:
`exit_code` (pytest's, null when no run happened), `suites` (one outcome per suite item, with its
failure text and recorded properties), `records` (where the stored records went), `reports` (the
HTML report stored next to each record: `.../hash=<hash>/<timestamp>-<run_id>.report.html`),
`unsaved_records` (records a failing store refused, whole, so nothing is lost) and `run_id`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

FINISHED_MESSAGE = (
    "Locust finished running. See 'log_stream_name' and 'log_group_name' properties "
    "for CloudWatch Log output location"
)
"""The seed's message for a run that happened."""


class Result(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"


@dataclass(frozen=True)
class SuiteOutcome:
    """One suite item as pytest reported it."""

    nodeid: str
    outcome: str
    """passed, failed, skipped or error (setup/teardown failed)."""
    failure: str | None = None
    """The failure text (the plugin's table of failing statistics, or the reason Locust failed)."""
    properties: Mapping[str, Any] = field(default_factory=dict)
    """The item's `user_properties`: the figures the plugin recorded."""
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "nodeid": self.nodeid,
            "outcome": self.outcome,
            "failure": self.failure,
            "properties": dict(self.properties),
            "warnings": list(self.warnings),
        }


def build_response(
    result: Result,
    message: str,
    context: Any,
    *,
    exit_code: int | None = None,
    suites: Sequence[SuiteOutcome] = (),
    records: Sequence[str] = (),
    reports: Sequence[str] = (),
    unsaved_records: Sequence[Mapping[str, Any]] = (),
    run_id: str | None = None,
) -> dict[str, Any]:
    """The JSON-serialisable response; `context` may be None when called outside Lambda."""
    return {
        "result": result.value,
        "message": message,
        "log_stream_name": getattr(context, "log_stream_name", "") or "",
        "log_group_name": getattr(context, "log_group_name", "") or "",
        "exit_code": exit_code,
        "suites": [suite.to_json() for suite in suites],
        "records": list(records),
        "reports": list(reports),
        "unsaved_records": [dict(record) for record in unsaved_records],
        "run_id": run_id,
    }


def failed_response(message: str, context: Any, *, run_id: str | None = None) -> dict[str, Any]:
    """A refusal or error before or instead of a run: no exit code, no suites."""
    return build_response(Result.FAILED, message, context, run_id=run_id)
