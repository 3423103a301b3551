"""Bounds for this project's own tests (not for users' load suites, which may run for hours)."""

from __future__ import annotations

import pytest

TEST_TIMEOUT_SECONDS = 300
"""A hung run must not hang CI: every test here gets at most five minutes (pytest-timeout)."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(TEST_TIMEOUT_SECONDS))
