"""One directory per run under a suite's artifacts folder, a `latest` link, and pruning by count.

    .bfd-artifacts/<suite>/20261125T022549Z-4c68b13b24ac/   locust.log, report.html, result.json,
                                                           control.json, progress.jsonl, target.log,
                                                           <timestamp>-<run_id>.stats.json
    .bfd-artifacts/<suite>/latest -> 20261125T022549Z-4c68b13b24ac

The run id is part of the name, so two sessions starting in the same second (two CI jobs, xdist,
a developer and a hook) or two catalogs declaring the same suite name never share a file. Pruning
keeps the newest `keep` directories and never touches the current one.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

LATEST = "latest"
RUN_DIR_PATTERN = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]+")
"""What `create_run_dir` names a directory; pruning touches nothing else."""


def create_run_dir(suite_dir: Path, run_id: str) -> Path:
    """A new, empty directory for one run; `latest` points at it once it exists."""
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    run_dir = suite_dir / f"{stamp}-{run_id}"
    run_dir.mkdir(parents=True)  # exists already: a run id collision, better raised than shared
    _point_latest(suite_dir, run_dir.name)
    return run_dir


def _point_latest(suite_dir: Path, name: str) -> None:
    # A symlink renamed over the old one: a reader never finds `latest` missing or half-written.
    temporary = suite_dir / f".{LATEST}-{name}"
    try:
        temporary.unlink(missing_ok=True)
        os.symlink(name, temporary)
        os.replace(temporary, suite_dir / LATEST)
    except OSError:
        temporary.unlink(missing_ok=True)  # a convenience only: the run does not depend on it


def prune_run_dirs(suite_dir: Path, *, keep: int, current: Path) -> list[str]:
    """Remove the oldest run directories beyond the newest `keep` (the current one always stays).

    Returns a note per directory that could not be removed; pruning never fails a run.
    """
    try:
        names = sorted(
            (entry.name for entry in os.scandir(suite_dir) if RUN_DIR_PATTERN.fullmatch(entry.name)),
            reverse=True,
        )
    except OSError:
        return []
    others = [name for name in names if name != current.name]
    notes = []
    for name in others[max(keep - 1, 0) :]:
        try:
            shutil.rmtree(suite_dir / name)
        except FileNotFoundError:
            continue  # another session pruned it first
        except OSError as error:
            notes.append(f"could not remove the old run directory {suite_dir / name}: {error}")
    return notes
