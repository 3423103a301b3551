"""A store's runs listed by hash: the hash a suite ran under last, and the newest runs of it.

Shared by the file and S3 stores (`ListedStore`), which only say which objects exist (hash,
timestamp from the name, a reference) and how to read and name one. Reading starts at the newest
object of each hash, so finding a suite's hash costs one read per hash, and a history of N runs
about N reads more.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Generic, TypeVar

from pytest_bfd_locust.judge.baseline_query import measured_cleanly, newest_first_key
from pytest_bfd_locust.record import Record, RecordError
from pytest_bfd_locust.record_checks import implausible
from pytest_bfd_locust.stores.acceptances import (
    LoadedAcceptances,
    UnreadableAcceptance,
    read_acceptances,
)
from pytest_bfd_locust.stores.protocol import (
    HistoryQuery,
    LoadedHistory,
    OtherSeries,
    SeriesStore,
    Store,
    StoreError,
)

if TYPE_CHECKING:
    from pytest_bfd_locust.judge.noise import PriorScales

Ref = TypeVar("Ref")

Listing = Mapping[str, Sequence[tuple[int, Ref]]]
"""hash -> (timestamp from the object's name, reference) of every stored record of that hash."""


class UnreadableRecord(Exception):
    """An object could not be read; the message says why (its reference is added by the caller)."""


class SkippedRecord(Exception):
    """A stored record no baseline or history may use; the message says why (the caller names it)."""


def usable_record(data: bytes, *, now: float) -> Record:
    """A stored object's record when a baseline or a history may use it: JSON, a record, and
    plausible (`record_checks`: a record dated in the future or with negative figures would stay
    the baseline, or distort every chart it is in). SkippedRecord saying why not."""
    try:
        record = Record.from_json(json.loads(data))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise SkippedRecord(f"not JSON: {error}") from None
    except RecordError as error:
        raise SkippedRecord(str(error)) from None
    problem = implausible(record, now=now)
    if problem is not None:
        raise SkippedRecord(problem)
    return record


def load_history(
    query: HistoryQuery,
    listing: Listing[Ref],
    read: Callable[[Ref], bytes],
    name: Callable[[Ref], str],
) -> LoadedHistory:
    """The newest `query.limit` records of the query's hash (or the suite's newest hash), oldest first."""
    warnings: list[str] = []
    found: dict[str, list[Record]] = {}
    read_count: dict[str, int] = {}

    def records_of(record_hash: str, wanted: int) -> list[Record]:
        """At least `wanted` records of the hash carrying the tag (fewer when it has fewer), newest first."""
        records = found.setdefault(record_hash, [])
        newest_first = sorted(listing.get(record_hash, ()), key=lambda item: item[0], reverse=True)
        while sum(_tagged(r, query.tag) for r in records) < wanted and read_count.get(record_hash, 0) < len(
            newest_first
        ):
            _timestamp, ref = newest_first[read_count.get(record_hash, 0)]
            read_count[record_hash] = read_count.get(record_hash, 0) + 1
            record = _read(ref, read, name, warnings)
            if record is not None:
                records.append(record)
        return records

    if query.hash is not None:
        chosen: str | None = query.hash
        others: list[str] = []
    else:
        newest: list[tuple[tuple[int, str], str]] = []
        for record_hash in listing:
            matching = [r for r in records_of(record_hash, 1) if r.suite == query.suite]
            if matching:
                newest.append((newest_first_key(matching[0]), record_hash))
        newest.sort(reverse=True)
        chosen = newest[0][1] if newest else None
        others = [record_hash for _, record_hash in newest[1:]]
    if chosen is None:
        return LoadedHistory(hash=None, records=(), warnings=tuple(warnings))
    records = [r for r in records_of(chosen, query.limit) if _tagged(r, query.tag)]
    if query.suite is not None:
        records = [r for r in records if r.suite == query.suite]
    records.sort(key=newest_first_key, reverse=True)
    kept = records[: query.limit]
    kept.reverse()
    return LoadedHistory(
        hash=chosen, records=tuple(kept), warnings=tuple(warnings), other_hashes=tuple(others)
    )


def load_other_series(
    record_hash: str,
    tag: str | None,
    listing: Listing[Ref],
    read: Callable[[Ref], bytes],
    name: Callable[[Ref], str],
) -> OtherSeries:
    """The newest `OTHER_SERIES_RUNS` objects of each of the newest `OTHER_SERIES_HASHES` hashes
    but `record_hash` (the newest by the timestamps in their names: no object read to choose),
    those carrying `tag` and measured cleanly (`baseline.measured_cleanly`) kept, oldest first.
    At most hashes x runs objects are read, whatever the store holds."""
    # The judge's noise model only where a prior is measured: a store's import needs none of it.
    from pytest_bfd_locust.judge.noise import OTHER_SERIES_HASHES, OTHER_SERIES_RUNS

    warnings: list[str] = []
    others = sorted(
        (
            (max(timestamp for timestamp, _ in items), other)
            for other, items in listing.items()
            if other != record_hash and items
        ),
        reverse=True,
    )[:OTHER_SERIES_HASHES]
    series = []
    for _newest, other in others:
        newest_first = sorted(listing[other], key=lambda item: item[0], reverse=True)[:OTHER_SERIES_RUNS]
        records = [
            record
            for _timestamp, ref in newest_first
            if (record := _read(ref, read, name, warnings)) is not None
            and _tagged(record, tag)
            and measured_cleanly(record)
        ]
        records.sort(key=newest_first_key)
        if records:
            series.append(tuple(records))
    return OtherSeries(tuple(series), tuple(warnings))


def measured_prior(store: Store, record_hash: str, tag: str | None) -> tuple[PriorScales, tuple[str, ...]]:
    """The prior noise's scales measured on the store's other hashes (`judge.prior_from_store`), and
    notes: a store that cannot list (no `SeriesStore`, or a StoreError such as an S3 role without
    s3:ListBucket) or holds too few runs gives the packaged scales with a note saying why, never an
    error: the judge works without it, as it did before."""
    from pytest_bfd_locust.judge.noise import MIN_SERIES, MIN_SERIES_RUNS, PACKAGED_PRIOR, measured_scales

    if not isinstance(store, SeriesStore):
        note = f"prior noise: the packaged values ({store.describe()} cannot list other hashes)"
        return PACKAGED_PRIOR, (note,)
    try:
        loaded = store.load_other_series(record_hash, tag)
    except StoreError as error:
        return PACKAGED_PRIOR, (f"prior noise: the packaged values (other hashes not listed: {error})",)
    prior = measured_scales(loaded.series)
    notes = loaded.warnings
    if not prior.measured_in_store:
        notes += (
            f"prior noise: the packaged values ({store.describe()} holds no other hash with"
            f" {MIN_SERIES_RUNS} clean runs in {MIN_SERIES} series)",
        )
    return prior, notes


class ListedStore(ABC, Generic[Ref]):
    """A store's history, its other hashes' runs and its acceptances, from what the store lists
    (`listing`, `acceptance_refs`) and how it reads and names one object: what the file and S3
    stores share."""

    @abstractmethod
    def listing(self, record_hash: str | None = None) -> dict[str, list[tuple[int, Ref]]]:
        """hash -> (timestamp from the name, reference) of every stored record, of one hash or of all."""

    @abstractmethod
    def acceptance_refs(self, record_hash: str, tag: str | None) -> list[Ref]:
        """The acceptance objects of a hash, of one tag or of all (`acceptances_folder`), sorted."""

    @abstractmethod
    def _read_object(self, ref: Ref, /) -> bytes:
        """The object's bytes; UnreadableRecord saying why it cannot be read."""

    @abstractmethod
    def _name(self, ref: Ref, /) -> str:
        """What a warning or an error calls the object (its path, its URI)."""

    def load_history(self, query: HistoryQuery) -> LoadedHistory:
        """The newest `query.limit` runs of a hash (or of the suite's newest hash), oldest first,
        read from the stored objects themselves (`listing`), with the hash's acceptances."""
        history = load_history(query, self.listing(query.hash), self._read_object, self._name)
        return with_acceptances(history, query.tag, self.load_acceptances)

    def load_other_series(self, record_hash: str, tag: str | None) -> OtherSeries:
        """The newest runs of the newest other hashes (one listing of the whole store): what
        `judge.prior_from_store` measures the prior noise on."""
        return load_other_series(record_hash, tag, self.listing(), self._read_object, self._name)

    def load_acceptances(self, record_hash: str, tag: str | None = None) -> LoadedAcceptances:
        """The acceptances of a hash (of one tag, or of all), oldest accepted run first; corrupt or
        future-dated ones skipped with a warning naming them."""
        refs = self.acceptance_refs(record_hash, tag)
        return read_acceptances(refs, self._read_acceptance, self._name, record_hash=record_hash)

    def _read_acceptance(self, ref: Ref) -> bytes:
        try:
            return self._read_object(ref)
        except UnreadableRecord as error:
            raise UnreadableAcceptance(str(error)) from None


def with_acceptances(
    history: LoadedHistory, tag: str | None, load_acceptances: Callable[[str, str | None], LoadedAcceptances]
) -> LoadedHistory:
    """The history with its hash's acceptances (of `tag`, or of all), their warnings after its own."""
    if history.hash is None:
        return history
    loaded = load_acceptances(history.hash, tag)
    return replace(history, acceptances=loaded.acceptances, warnings=history.warnings + loaded.warnings)


def parse_stored_record(data: bytes, where: str) -> Record:
    """One stored record read back for a command that asked for it by name (`load_run`): StoreError
    naming `where` when it is not JSON or not a record."""
    try:
        return Record.from_json(json.loads(data))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise StoreError(f"{where}: not a record: not JSON ({error})") from None
    except RecordError as error:
        raise StoreError(f"{where}: not a record: {error}") from None


def _tagged(record: Record, tag: str | None) -> bool:
    return tag is None or tag in record.metadata.tags


def _read(
    ref: Ref, read: Callable[[Ref], bytes], name: Callable[[Ref], str], warnings: list[str]
) -> Record | None:
    try:
        # The history a report draws obeys the same checks as a baseline.
        return usable_record(read(ref), now=time.time())
    except (UnreadableRecord, SkippedRecord) as error:
        warnings.append(f"skipped stored record {name(ref)}: {error}")
    return None
