"""The verdict of one statistic (the seed's StatCompareResult values)."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """The outcome of comparing one statistic (the seed's StatCompareResult values)."""

    PASS = "PASS"
    WARNING = "WARNING"
    FAILURE = "FAILURE"

