"""Writing files no reader ever sees half of: a temporary file beside the target, then a rename or link."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_temporary(folder: Path, content: bytes) -> Path:
    """`content` in a new hidden temporary file in `folder`, flushed to disk; the caller renames
    or links it into place and removes it."""
    descriptor, name = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
    try:
        # mkstemp's 0600 would survive the rename: a CI artifact server could not serve the report.
        # The mode `open()` gives a new file instead (0666 less the umask).
        os.fchmod(descriptor, 0o666 & ~current_umask())
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(content)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def write_atomically(path: Path, content: bytes | str) -> None:
    """Replace `path` with `content` (text is written as UTF-8) in one rename."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    temporary = write_temporary(path.parent, data)
    try:
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def current_umask() -> int:
    """The process's umask, read without changing it where Linux shows it (`os.umask` can only be
    read by setting it, which briefly affects files other threads create)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
