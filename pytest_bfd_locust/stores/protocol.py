"""What every store is: the `Store` protocol and the errors stores raise.

Implementations import this module, never the package's `open_store`, so the file store stays
free of boto3 (an import-linter contract checks it).
"""

from __future__ import annotations

from typing import Protocol

from pytest_bfd_locust.baseline import BaselineQuery, LoadedBaselines
from pytest_bfd_locust.record import Record


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
