"""What a run asks a store for (`BaselineQuery`), what it gets (`LoadedBaselines`) and how its
baseline is built (`BaselineKind`): the small types the settings, the stores' protocol and the
Lambda's payload need, apart from `judge/baseline.py` so that a session's start and collection
import none of the judge's statistics (change points, noise, significance) to name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from pytest_bfd_locust.acceptance import Acceptance
from pytest_bfd_locust.record import Record


@dataclass(frozen=True)
class BaselineQuery:
    """What a run asks the store for: the newest `limit` eligible records (SPEC §7)."""

    hash: str
    tag: str
    total_runtime: float
    limit: int
    """How many eligible records, at most: the judge's history or the baseline's, whichever is larger."""
    suite: str | None = None
    """The run's suite: acceptances of other suites (sharing the hash) do not apply; None: any."""


@dataclass(frozen=True)
class LoadedBaselines:
    """Eligible records, newest first, and one warning per stored record that was skipped."""

    records: tuple[Record, ...]
    warnings: tuple[str, ...] = ()
    accepted: Acceptance | None = None
    """The acceptance the records' level starts at (`current_acceptance`); None: no acceptance applies."""


class BaselineKind(StrEnum):
    """How the baseline was built: the `--compare` choices."""

    PREVIOUS = "previous"
    AVERAGE = "average"
