"""The parent -> child contract of the shared runner, importable without importing Locust."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

CONTROL_ENV = "BFD_LOCUST_CONTROL"
"""Environment variable naming the control file in the child's environment."""


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
    progress_interval: float = 1.0
    expect_workers: int | None = None
    """Set when the child is the master of workers started elsewhere."""
    worker_wait: float = 60.0
    """Seconds the master waits for `expect_workers` before it gives up."""

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")

    @classmethod
    def read(cls, path: str) -> ChildControl:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        data["tags"] = tuple(data["tags"])
        return cls(**data)
