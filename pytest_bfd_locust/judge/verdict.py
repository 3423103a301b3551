"""The verdict of one statistic (the seed's StatCompareResult values)."""

from __future__ import annotations

from enum import StrEnum


class Verdict(StrEnum):
    """The outcome of comparing one statistic (the seed's StatCompareResult values)."""

    # bandit B105 (a hard-coded password): "PASS" is a verdict.
    PASS = "PASS"  # nosec B105
    WARNING = "WARNING"
    FAILURE = "FAILURE"

