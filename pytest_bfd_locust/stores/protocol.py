"""What every store is: the `Store` protocol and the errors stores raise.

Implementations import this module, never the package's `open_store`, so the file store stays
free of boto3 (an import-linter contract checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pytest_bfd_locust.acceptance import Acceptance, AcceptanceError
from pytest_bfd_locust.judge.baseline_query import BaselineQuery, LoadedBaselines
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.stores.acceptances import (
    LoadedAcceptances,
    UnreadableAcceptance,
    second_acceptance_message,
)


class StoreError(Exception):
    """A store could not save or look up; the message says which store, what and why."""


class StoreUriError(ValueError):
    """A `--bfd-store` URI is malformed; the message names the part that is wrong."""


class Store(Protocol):
    """Saves records and finds baselines. `describe()` names it in messages."""

    def save(self, record: Record) -> str:
        """Store the record without overwriting anything; return where it went (path or URI)."""
        ...

    def load_baseline(self, query: BaselineQuery) -> LoadedBaselines:
        """The newest `query.limit` eligible records for the query, newest first."""
        ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class HistoryQuery:
    """Which stored runs to list: those of one hash, or of the newest hash a suite ran under."""

    suite: str | None = None
    hash: str | None = None
    tag: str | None = None
    """Only records carrying this tag; None: every record."""
    limit: int = 20


@dataclass(frozen=True)
class LoadedHistory:
    """The newest `limit` runs of one hash, oldest first, and what the listing found besides."""

    hash: str | None
    records: tuple[Record, ...]
    warnings: tuple[str, ...] = ()
    other_hashes: tuple[str, ...] = ()
    """Other hashes the suite ran under (older runs with other users, runtime, endpoints...)."""
    acceptances: tuple[Acceptance, ...] = ()
    """The acceptances of the hash (of the query's tag, when it names one), oldest accepted run first."""


@runtime_checkable
class HistoryStore(Protocol):
    """A store that can list its runs (`bfd-locust history`, the report's history charts)."""

    def load_history(self, query: HistoryQuery) -> LoadedHistory: ...

    def describe(self) -> str: ...


@dataclass(frozen=True)
class OtherSeries:
    """The newest runs of other hashes than one (`SeriesStore.load_other_series`): what the judge's
    prior noise may be measured on (`judge.noise.measured_scales`)."""

    series: tuple[tuple[Record, ...], ...]
    """Per hash (the newest hashes first), its newest runs that measured cleanly, oldest first."""
    warnings: tuple[str, ...] = ()


@runtime_checkable
class SeriesStore(Protocol):
    """A store that can list the runs of every hash in one listing: both stores."""

    def load_other_series(self, record_hash: str, tag: str | None) -> OtherSeries:
        """The newest runs (`judge.noise.OTHER_SERIES_RUNS`) of the newest other hashes
        (`OTHER_SERIES_HASHES`) than `record_hash`, of those carrying `tag` (None: all); StoreError
        when the store cannot be listed."""
        ...


@runtime_checkable
class AcceptanceStore(HistoryStore, Protocol):
    """A store that lists its runs and keeps acceptances beside its records (`stores.acceptances`):
    both stores."""

    def save_acceptance(self, acceptance: Acceptance) -> str:
        """Store the acceptance once; StoreError when that run is accepted under that tag already
        (`AlreadyAccepted`) or the store cannot be written. Returns where it went."""
        ...

    def load_acceptances(self, record_hash: str, tag: str | None = None) -> LoadedAcceptances:
        """The acceptances of a hash (of one tag, or of all), oldest accepted run first."""
        ...

    def load_run(self, record_hash: str, run_id: str) -> Record | None:
        """The stored record of one run of a hash, found by its name; None when there is none."""
        ...


class AlreadyAccepted(StoreError):
    """The run is accepted under the tag already; `existing` is that acceptance (None when unreadable)."""

    def __init__(self, message: str, existing: Acceptance | None) -> None:
        super().__init__(message)
        self.existing = existing

    @classmethod
    def refusing(
        cls, acceptance: Acceptance, read_existing: Callable[[], bytes], where: str
    ) -> AlreadyAccepted:
        """A store's refusal of `acceptance`, the run's acceptance under its tag lying at `where`
        already: said with that one when `read_existing` can read it, else naming where it lies."""
        try:
            existing: Acceptance | None = Acceptance.from_bytes(read_existing())
        except (UnreadableAcceptance, AcceptanceError):
            existing = None
        return cls(second_acceptance_message(acceptance, existing, where), existing)
