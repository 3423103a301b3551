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
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

LATEST = "latest"
RUN_DIR_PATTERN = re.compile(r"\d{8}T\d{6}Z-[0-9a-f]+")
"""What `create_run_dir` names a directory; pruning touches nothing else."""


def run_stamp(run_id: str) -> str:
    """`<UTC time>-<run id>`: the name of a run's directory (or a session's report)."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{run_id}"


def create_run_dir(suite_dir: Path, run_id: str) -> tuple[Path, list[str]]:
    """A new, empty directory for one run, and a note when `latest` could not point at it."""
    run_dir = suite_dir / run_stamp(run_id)
    run_dir.mkdir(parents=True)  # exists already: a run id collision, better raised than shared
    note = point_link(suite_dir / LATEST, run_dir.name)
    return run_dir, [note] if note else []


def point_link(link: Path, target: str) -> str | None:
    """Make `link` a symlink to `target` (relative to the link's folder), replacing an older link;
    None, or a note saying why `link` was left as it is.

    A symlink renamed over the old one: a reader never finds the link missing or half-written.
    Only a link is ever replaced: a file or folder of the user's at its place (a report kept from
    an earlier version, a folder of notes) stays, and the note says so and where the newest is.
    """
    if os.path.lexists(link) and not os.path.islink(link):
        kind = "a folder" if link.is_dir() else "a file"
        return (
            f"{link} is {kind}, not the link to the newest that belongs there: left as it is (never "
            f"replaced); the newest is {link.parent / target} (move {link} away to get the link back)"
        )
    temporary = link.with_name(f".{link.name}-{Path(target).name}")
    try:
        temporary.unlink(missing_ok=True)
        os.symlink(target, temporary)
        os.replace(temporary, link)
    except OSError:
        temporary.unlink(missing_ok=True)  # a convenience only: nothing depends on it
    return None


def prune_run_dirs(suite_dir: Path, *, keep: int, current: Path, suffix: str = "") -> list[str]:
    """Remove the oldest run directories beyond the newest `keep` (the current one always stays);
    with `suffix` (e.g. ".html"), the oldest files named `<UTC time>-<id><suffix>` instead.

    Returns a note per entry that could not be removed; pruning never fails a run.
    """
    try:
        names = sorted(
            (
                entry.name
                for entry in os.scandir(suite_dir)
                if entry.name.endswith(suffix)
                and RUN_DIR_PATTERN.fullmatch(entry.name[: len(entry.name) - len(suffix)])
            ),
            reverse=True,
        )
    except OSError:
        return []
    others = [name for name in names if name != current.name]
    notes = []
    for name in others[max(keep - 1, 0) :]:
        try:
            if suffix:
                (suite_dir / name).unlink()
            else:
                shutil.rmtree(suite_dir / name)
        except FileNotFoundError:
            continue  # another session pruned it first
        except OSError as error:
            notes.append(f"could not remove the old run artifact {suite_dir / name}: {error}")
    return notes


MAX_REDACTED_FILE_BYTES = 50 * 1024 * 1024
"""Larger files (a long run's log) are redacted line by line instead of read whole."""


def redact_files(folder: Path, redact: Callable[[str], str]) -> None:
    """Rewrite every text file under `folder` (Locust's log and report, the result, JUnit XML) with
    `redact` applied; links and files that cannot be read are left as they are.

    A file over `MAX_REDACTED_FILE_BYTES` is streamed a line at a time into a temporary file that
    replaces it, so a 2 GB log costs no memory; skipping it once left the secret it held.
    """
    for directory, _dirs, names in os.walk(folder):
        for name in names:
            path = Path(directory) / name
            try:
                if path.is_symlink():
                    continue
                if path.stat().st_size > MAX_REDACTED_FILE_BYTES:
                    _redact_streaming(path, redact)
                    continue
                text = path.read_bytes().decode("utf-8", errors="surrogateescape")
                redacted = redact(text)
                if redacted != text:
                    path.write_bytes(redacted.encode("utf-8", errors="surrogateescape"))
            except OSError:
                continue


def _redact_streaming(path: Path, redact: Callable[[str], str]) -> None:
    """`redact` applied to each line of `path`; the file is replaced only when a line changed."""
    changed = False
    descriptor, temporary_name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".redacting")
    temporary = Path(temporary_name)
    try:
        with open(path, "rb") as source, os.fdopen(descriptor, "wb") as target:
            for raw in source:
                line = raw.decode("utf-8", errors="surrogateescape")
                redacted = redact(line)
                changed = changed or redacted != line
                target.write(redacted.encode("utf-8", errors="surrogateescape"))
        if changed:
            os.chmod(temporary, path.stat().st_mode & 0o7777)  # as readable as the file it replaces
            os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
