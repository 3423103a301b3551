"""Find and read pytest's ini file the way pytest does, for `bfd-locust` (which runs without pytest).

From the current directory upwards, the first of `pytest.ini`, `.pytest.ini`, `pyproject.toml`
with `[tool.pytest.ini_options]`, `tox.ini` with `[pytest]`, `setup.cfg` with `[tool:pytest]`
holds the `bfd_*` keys; its folder is the rootdir, as for a pytest run in the same place.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import iniconfig

_SECTIONS = (
    ("pytest.ini", "pytest"),
    (".pytest.ini", "pytest"),
    ("pyproject.toml", "tool.pytest.ini_options"),
    ("tox.ini", "pytest"),
    ("setup.cfg", "tool:pytest"),
)


class IniFileError(ValueError):
    """The ini file cannot be read; the message names it."""


@dataclass(frozen=True)
class IniFile:
    """The ini file's pytest section (empty without one) and the rootdir it implies."""

    rootdir: Path
    path: Path | None = None
    values: dict[str, str | list[str]] = field(default_factory=dict)

    def get(self, key: str) -> str | list[str] | None:
        return self.values.get(key)


def find_ini_file(start: Path) -> IniFile:
    """The first ini file with a pytest section from `start` upwards; `start` as rootdir without one."""
    for folder in (start, *start.parents):
        for name, section in _SECTIONS:
            path = folder / name
            if not path.is_file():
                continue
            values = _read_section(path, section)
            if values is not None:
                return IniFile(rootdir=folder, path=path, values=values)
    return IniFile(rootdir=start)


def _read_section(path: Path, section: str) -> dict[str, str | list[str]] | None:
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            options = data.get("tool", {}).get("pytest", {}).get("ini_options")
            if not isinstance(options, dict):
                return None
            return {str(k): v if isinstance(v, list) else str(v) for k, v in options.items()}
        ini = iniconfig.IniConfig(str(path))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, iniconfig.ParseError) as exc:
        raise IniFileError(f"{path}: cannot read it: {exc}") from None
    if section not in ini:
        # pytest.ini counts even without the section (pytest's own rule).
        return {} if path.name in ("pytest.ini", ".pytest.ini") else None
    return {key: value for key, value in ini[section].items()}
