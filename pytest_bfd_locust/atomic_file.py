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
