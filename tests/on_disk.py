"""What a run leaves on disk, and a disk that runs out: helpers the end-to-end and robustness
tests share (each kept a copy of them)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def stored_records(root: Path) -> list[dict[str, object]]:
    """The records the default file store under `root` holds, in file-name order (oldest first)."""
    return [json.loads(p.read_text()) for p in sorted(root.glob(".bfd-stats/hash=*/*.stats.json"))]


@contextmanager
def small_tmpfs(mount_point: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` (`512k`) mounted at `mount_point` (created), unmounted after; the test is
    skipped, with mount's reason, where it cannot be mounted (it needs root, as in CI's image)."""
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a {size} tmpfs: {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
