"""Where acceptances live in a store, and how a store reads them back (shared by the file and S3 stores).

Layout, the same on disk and in S3, under the store's root (the table's prefix in S3):

    _acceptances/hash=<hash>/tag=<tag>/<run_timestamp>-<run_id>.accept.json

Why not inside `hash=<hash>/` beside the records: Athena reads every object of a partition's
folder as a row of the stats table, and a Glue crawler infers the table's schema from what it
finds. A folder whose name starts with `_` is hidden from both (Hive's hidden-path rule), and the
`.accept.json` suffix is not the `.stats.json` the S3 notification and the partition function
react to. One object per run and tag: accepting a run twice finds the object there and is refused
(the write never replaces it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from pytest_bfd_locust.acceptance import (
    ACCEPTANCE_SUFFIX,
    Acceptance,
    AcceptanceError,
    implausible_acceptance,
)

ACCEPTANCES_FOLDER = "_acceptances"
"""The folder (key segment) under the store's root that holds every acceptance."""

Ref = TypeVar("Ref")


class UnreadableAcceptance(Exception):
    """An acceptance object could not be read; the message says why (the caller names the object)."""


@dataclass(frozen=True)
class LoadedAcceptances:
    """Acceptances of one hash (of one tag, or of all), oldest accepted run first, and one warning per
    stored object that was skipped."""

    acceptances: tuple[Acceptance, ...]
    warnings: tuple[str, ...] = ()


def hash_folder(record_hash: str) -> str:
    """`_acceptances/hash=<hash>/`, relative to the store's root."""
    return f"{ACCEPTANCES_FOLDER}/hash={record_hash}/"


def tag_folder(record_hash: str, tag: str) -> str:
    """`_acceptances/hash=<hash>/tag=<tag>/`, relative to the store's root."""
    return f"{hash_folder(record_hash)}tag={tag}/"


def acceptances_folder(record_hash: str, tag: str | None) -> str:
    """The folder of a hash's acceptances under one tag (`tag_folder`), or under all (`hash_folder`)."""
    return tag_folder(record_hash, tag) if tag else hash_folder(record_hash)


def acceptance_path(acceptance: Acceptance) -> str:
    """Where an acceptance is stored, relative to the store's root."""
    name = f"{acceptance.run_timestamp}-{acceptance.run_id}{ACCEPTANCE_SUFFIX}"
    return tag_folder(acceptance.hash, acceptance.tag) + name


def read_acceptances(
    refs: Iterable[Ref],
    read: Callable[[Ref], bytes],
    name: Callable[[Ref], str],
    *,
    record_hash: str,
    now: float | None = None,
) -> LoadedAcceptances:
    """Every acceptance among `refs`; a corrupt one, one of another hash than its folder's, or one
    dated in the future is skipped with a warning naming the object."""
    found: list[Acceptance] = []
    warnings: list[str] = []
    moment = time.time() if now is None else now
    for ref in refs:
        try:
            acceptance = Acceptance.from_bytes(read(ref))
        except (UnreadableAcceptance, AcceptanceError) as error:
            warnings.append(f"skipped stored acceptance {name(ref)}: {error}")
            continue
        problem = implausible_acceptance(acceptance, now=moment)
        if problem is None and acceptance.hash != record_hash:
            problem = f"hash {acceptance.hash[:12]} is not the hash {record_hash[:12]} of its folder"
        if problem is not None:
            warnings.append(f"skipped stored acceptance {name(ref)}: {problem}")
            continue
        found.append(acceptance)
    found.sort(key=lambda acceptance: (acceptance.run_key, acceptance.tag))
    return LoadedAcceptances(tuple(found), tuple(warnings))


def second_acceptance_message(acceptance: Acceptance, existing: Acceptance | None, where: str) -> str:
    """Why a store refused to accept `acceptance`: the run is accepted under its tag already, said
    with the first acceptance when it could be read (`existing`), else naming where it lies."""
    if existing is not None:
        return already_accepted_message(existing)
    return f"run {acceptance.run_id} is already accepted under tag {acceptance.tag!r} ({where})"


def already_accepted_message(acceptance: Acceptance) -> str:
    """`run X is already accepted under tag T (accepted DATE by WHO: REASON)`."""
    return (
        f"run {acceptance.run_id} is already accepted under tag {acceptance.tag!r} ({acceptance.describe()})"
    )
