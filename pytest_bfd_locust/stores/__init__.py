"""Where records are kept and baselines come from: a small protocol, implementations by URI scheme.

`open_store("file://DIR")` or `open_store("s3://BUCKET?database=...")`; implementations are
imported lazily so the file store never imports boto3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pytest_bfd_locust.record import Record


class StoreError(Exception):
    """A store could not save or look up; the message says which store, what and why."""


class StoreUriError(ValueError):
    """A `--bfd-store` URI is malformed; the message names the part that is wrong."""


@dataclass(frozen=True)
class BaselineQuery:
    """What a run asks the store for: the newest `limit` eligible records (SPEC §7)."""

    hash: str
    tag: str
    total_runtime: float
    limit: int


@dataclass(frozen=True)
class LoadedBaselines:
    """Eligible records, newest first, and one warning per stored record that was skipped."""

    records: tuple[Record, ...]
    warnings: tuple[str, ...] = ()


class Store(Protocol):
    """Saves records and finds baselines. `describe()` names it in messages."""

    def save(self, record: Record) -> str:
        """Store the record without overwriting anything; return where it went (path or URI)."""
        ...

    def load_baseline(self, query: BaselineQuery) -> LoadedBaselines:
        """The newest `query.limit` eligible records for the query, newest first."""
        ...

    def describe(self) -> str: ...


def open_store(uri: str, *, rootdir: str = ".", clients: Any = None) -> Store:
    """The store for a `--bfd-store` URI; relative `file://` paths are taken from `rootdir`.

    Raises StoreUriError naming what is wrong with the URI.
    """
    scheme, sep, _rest = uri.partition("://")
    if not sep:
        raise StoreUriError(
            f"--bfd-store {uri!r}: expected file://DIR or s3://BUCKET?database=DB&table=TABLE&workgroup=WG"
        )
    if scheme == "file":
        from pytest_bfd_locust.stores.file import FileStore

        return FileStore.from_uri(uri, rootdir=rootdir)
    if scheme == "s3":
        from pytest_bfd_locust.stores.s3 import S3Store

        return S3Store.from_uri(uri, clients=clients)
    raise StoreUriError(f"--bfd-store {uri!r}: unknown scheme {scheme!r}; use file:// or s3://")
