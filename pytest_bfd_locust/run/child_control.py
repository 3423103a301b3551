"""The contract between the runner and its Locust child, both ways, importable without Locust.

The parent writes a `ChildControl` file and names it in `CONTROL_ENV`; the child answers with a
`ChildResult` file. Both sides import these types, so a key is spelled in one place.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pytest_bfd_locust.atomic_file import write_atomically
from pytest_bfd_locust.record import Record

CONTROL_ENV = "BFD_LOCUST_CONTROL"
"""Environment variable naming the control file in the child's environment."""

PROGRESS_INTERVAL_S = 1.0
"""Seconds between the child's progress reports and timeline samples (not the progress *line*
a user reads, which `--bfd-progress` paces)."""


@dataclass(frozen=True)
class ChildControl:
    """What the parent tells the child, through a JSON file rather than argv."""

    result_path: str
    progress_path: str
    suite: str
    run_id: str
    environment: str
    tags: tuple[str, ...]
    spawned_runtime: int
    failsafe_avg_ms: float
    worker_wait: float
    """Seconds the master waits for `expect_workers` before it gives up."""
    abort_after: float
    """Seconds after the start before `abort_on_breach` may stop the run. Always the caller's (the
    catalog's default is `suites.DEFAULT_ABORT_AFTER`): the child imports no catalog reader or yaml."""
    progress_interval: float = PROGRESS_INTERVAL_S
    expect_workers: int | None = None
    """Set when the child is the master of workers started elsewhere."""
    sla: dict[str, Any] | None = None
    """`judge.sla.SlaRules.to_json()`: with a window, the child keeps each sample's histograms."""
    abort_on_breach: bool = False
    """Stop the run at the first SLA breach found at a sample, once `abort_after` seconds passed."""

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def read(cls, path: str) -> ChildControl:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["tags"] = tuple(data["tags"])
        return cls(**data)


class ChildResultError(ValueError):
    """The child's result file is not of the shape `ChildResult` writes; the message names the field."""


@dataclass(frozen=True)
class ChildResult:
    """What the child answers, written atomically to `ChildControl.result_path` when Locust quits,
    *before* its HTML report: a report that cannot be written (disk full) no longer loses the run."""

    record: Record | None = None
    abort_reason: str | None = None
    """Set when the failsafe or an SLA breach (`abort_on_breach`: `judge.sla.abort_reason`) stopped
    the run."""
    report_error: str | None = None
    """Why Locust's HTML report could not be written (the result was written before it)."""
    html_path: str | None = None
    interrupted_requests: int = 0
    """Requests still waiting for an answer when the run ended (a target that never answers)."""
    setup_error: str | None = None
    """The child refused before any load (no host, workers that did not come); nothing else is set."""

    def to_json(self) -> dict[str, Any]:
        if self.setup_error is not None:
            return {"setup_error": self.setup_error}
        return {
            "record": None if self.record is None else self.record.to_json(),
            "abort_reason": self.abort_reason,
            "report_error": self.report_error,
            "html_path": self.html_path,
            "interrupted_requests": self.interrupted_requests,
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> ChildResult:
        """Parse what `to_json` wrote; `where` (the file) starts every error message."""
        if not isinstance(data, dict):
            raise ChildResultError(f"{where}: expected an object, got {type(data).__name__}")
        setup_error = _optional_str(data, "setup_error", where)
        if setup_error:
            return cls(setup_error=setup_error)
        if data.get("record") is None:
            raise ChildResultError(f"{where}: record: missing")
        interrupted = data.get("interrupted_requests") or 0
        if isinstance(interrupted, bool) or not isinstance(interrupted, int) or interrupted < 0:
            raise ChildResultError(
                f"{where}: interrupted_requests: expected a whole number >= 0, got {interrupted!r}"
            )
        return cls(
            record=Record.from_json(data["record"], f"{where}: record"),
            abort_reason=_optional_str(data, "abort_reason", where),
            report_error=_optional_str(data, "report_error", where),
            html_path=_optional_str(data, "html_path", where),
            interrupted_requests=interrupted,
        )

    def write(self, path: Path) -> None:
        write_atomically(path, json.dumps(self.to_json()))

    @classmethod
    def read(cls, path: Path) -> ChildResult:
        """Raises OSError when the file cannot be read, ValueError (naming the field) when it is bad."""
        text = path.read_text(encoding="utf-8")
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise ChildResultError(f"{path}: not JSON ({exc})") from None
        return cls.from_json(data, str(path))


def _optional_str(data: dict[str, Any], key: str, where: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ChildResultError(f"{where}: {key}: expected a string or null, got {value!r}")
    return value
