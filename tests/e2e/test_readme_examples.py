"""The README's examples run as written."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def readme_python_block(heading: str) -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block under '## {heading}'"
    return match.group(1)


def test_fixture_example_from_the_readme(pytester: pytest.Pytester) -> None:
    shutil.copytree(
        ROOT / "examples", pytester.path / "examples", ignore=shutil.ignore_patterns("__pycache__")
    )
    # The README's example as written, with a shorter run for the test suite.
    code = readme_python_block("From a Python test").replace("spawned_runtime=5", "spawned_runtime=2")
    pytester.makepyfile(test_readme=code)
    result = pytester.runpytest("test_readme.py", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
