"""The file store (`file://DIR`), the embedded default: one JSON file per record, one folder per hash.

Layout (SPEC §7): `DIR/hash=<hash>/<timestamp>-<run_id>.stats.json`, the S3 layout on disk. The
seed's flat layout, `DIR/<timestamp>-<hash>.stats.json`, is read too, so its history stays usable.
A lookup reads only the files of the run's hash. Acceptances live in `DIR/_acceptances/`
(`stores.acceptances`), written once like records.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path

from pytest_bfd_locust.acceptance import ACCEPTANCE_SUFFIX, Acceptance
from pytest_bfd_locust.atomic_file import write_temporary
from pytest_bfd_locust.judge.baseline_query import (
    BaselineQuery,
    LoadedBaselines,
    current_acceptance,
    newest_first_key,
    select_eligible,
)
from pytest_bfd_locust.record import Record, RecordError
from pytest_bfd_locust.record_checks import implausible
from pytest_bfd_locust.stores.acceptances import acceptance_path, acceptances_folder
from pytest_bfd_locust.stores.listing import (
    ListedStore,
    SkippedRecord,
    UnreadableRecord,
    parse_stored_record,
    usable_record,
)
from pytest_bfd_locust.stores.protocol import AlreadyAccepted, StoreError, StoreUriError

SUFFIX = ".stats.json"
"""The seed's suffix of a stored record (its S3 notification filters on it)."""

_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+")
"""What a hash or run id may hold to become part of a file name (no separators, no glob syntax)."""

_MAX_NAME_ATTEMPTS = 1000


@dataclass(frozen=True)
class Pruning:
    """What `FileStore.prune` removed (or, in a dry run, would remove)."""

    removed: tuple[Path, ...]
    """Valid records beyond the newest `keep` of their hash."""
    invalid: tuple[tuple[Path, str], ...]
    """Files that are no plausible record (truncated, not a record, dated in the future...) and why;
    never counted toward `keep`."""
    invalid_removed: bool
    """Whether the invalid files were (or would be) removed too."""


@dataclass(frozen=True)
class FileStore(ListedStore[Path]):
    """Records under `root`; see the module docstring for the layout."""

    root: Path

    @classmethod
    def from_uri(cls, uri: str, rootdir: str | os.PathLike[str] = ".") -> FileStore:
        """`file://DIR` (relative to `rootdir`) or `file:///absolute/dir`."""
        scheme, sep, path = uri.partition("://")
        if scheme != "file" or not sep:
            raise StoreUriError(f"--bfd-store {uri!r}: expected file://DIR")
        if not path:
            raise StoreUriError(f"--bfd-store {uri!r}: the directory is missing; use file://DIR")
        if "?" in path or "#" in path:
            raise StoreUriError(f"--bfd-store {uri!r}: a file store takes no query or fragment")
        return cls(Path(rootdir) / path)

    def describe(self) -> str:
        return f"file store {self.root}"

    def hash_dir(self, record_hash: str) -> Path:
        """The folder holding the records of one hash."""
        return self.root / f"hash={_safe(record_hash, 'hash')}"

    def save(self, record: Record) -> str:
        """Write the record atomically under a name no other run holds; return its path.

        The content goes to a temporary file in the target folder first and is then hard-linked
        to its final name: a link fails instead of replacing an existing file, so two runs saved
        in the same second (or a record saved twice) both survive, and a reader never sees half
        a file. A record without a run id gets a fresh one, stored in the file too.
        """
        run_id = record.run_id if record.run_id is not None else uuid.uuid4().hex
        record = replace(record, run_id=run_id)
        folder = self.hash_dir(record.metadata.hash)
        stem = f"{record.metadata.timestamp}-{_safe(run_id, 'run_id')}"
        content = record.to_text().encode("utf-8")
        try:
            folder.mkdir(parents=True, exist_ok=True)
            temporary = write_temporary(folder, content)
        except OSError as error:
            raise StoreError(f"{self.describe()}: cannot write into {folder}: {_reason(error)}") from None
        try:
            return str(self._link_unique(temporary, folder, stem))
        finally:
            temporary.unlink(missing_ok=True)

    def load_baseline(self, query: BaselineQuery) -> LoadedBaselines:
        """The newest `query.limit` eligible records of the query's hash, newest first.

        Files are read newest first by the timestamp their name starts with (both layouts name
        files after the record's timestamp), and reading stops once `limit` eligible records are
        found and every file left is older: a `previous` lookup reads one or two files, not the
        whole history. A file that is not JSON or not a record, or whose record is implausible
        (dated in the future, negative counts or times: `record_checks`), is skipped with a
        warning naming it and the field.
        """
        loaded_acceptances = self.load_acceptances(query.hash, query.tag)
        acceptances = loaded_acceptances.acceptances
        accepted = current_acceptance(acceptances, query)
        records: list[Record] = []
        warnings: list[str] = list(loaded_acceptances.warnings)
        now = time.time()
        names_are_timestamps = True
        for name_timestamp, path in self._candidate_files(query.hash):
            if (
                names_are_timestamps
                and name_timestamp is not None
                and _found_enough(records, query, name_timestamp, acceptances)
            ):
                break
            try:
                record = usable_record(path.read_bytes(), now=now)
            except FileNotFoundError:
                continue  # removed between listing and reading: nothing to compare against
            except OSError as error:
                warnings.append(f"skipped stored record {path}: cannot read it: {_reason(error)}")
                continue
            except SkippedRecord as error:
                warnings.append(f"skipped stored record {path}: {error}")
                continue
            if record.metadata.timestamp != name_timestamp:
                # A renamed or hand-made file: names no longer tell the order, so read them all.
                names_are_timestamps = False
            records.append(record)
        return LoadedBaselines(
            records=select_eligible(records, query, acceptances), warnings=tuple(warnings), accepted=accepted
        )

    # --- acceptances ----------------------------------------------------------------------------

    def save_acceptance(self, acceptance: Acceptance) -> str:
        """Write the acceptance once (a hard link never replaces a file); AlreadyAccepted when the
        run is accepted under that tag already."""
        _safe(acceptance.hash, "hash")
        _safe(acceptance.run_id, "run_id")
        target = self.root / acceptance_path(acceptance)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = write_temporary(target.parent, acceptance.to_text().encode("utf-8"))
        except OSError as error:
            raise StoreError(
                f"{self.describe()}: cannot write into {target.parent}: {_reason(error)}"
            ) from None
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise AlreadyAccepted.refusing(
                acceptance, lambda: self._read_acceptance(target), str(target)
            ) from None
        except OSError as error:
            raise StoreError(f"{self.describe()}: cannot create {target}: {_reason(error)}") from None
        finally:
            temporary.unlink(missing_ok=True)
        return str(target)

    def acceptance_refs(self, record_hash: str, tag: str | None) -> list[Path]:
        _safe(record_hash, "hash")
        folder = self.root / acceptances_folder(record_hash, tag)
        try:
            return sorted(folder.rglob(f"*{ACCEPTANCE_SUFFIX}"))
        except OSError as error:
            raise StoreError(f"{self.describe()}: cannot list {folder}: {_reason(error)}") from None

    def load_run(self, record_hash: str, run_id: str) -> Record | None:
        """The record of one run of a hash, by the run id its file name ends with; None when no file
        has it, StoreError naming the file when it is not a readable record."""
        _safe(run_id, "run_id")
        for _timestamp, path in self._candidate_files(record_hash):
            if path.name.endswith(f"-{run_id}{SUFFIX}"):
                try:
                    data = path.read_bytes()
                except OSError as error:
                    raise StoreError(f"{path}: cannot read it: {_reason(error)}") from None
                return parse_stored_record(data, str(path))
        return None

    def listing(self, record_hash: str | None = None) -> dict[str, list[tuple[int, Path]]]:
        """hash -> (timestamp from the name, path) of every record file, of one hash or of all (of
        all: one directory listing of the store's root)."""
        listing: dict[str, list[tuple[int, Path]]] = {}
        if record_hash is not None:
            files = self._candidate_files(record_hash)
            listing[record_hash] = [(timestamp or 0, path) for timestamp, path in files]
            return listing
        try:
            folders = [
                entry for entry in os.scandir(self.root) if entry.is_dir() and entry.name.startswith("hash=")
            ]
            flat = [
                entry for entry in os.scandir(self.root) if entry.is_file() and entry.name.endswith(SUFFIX)
            ]
        except FileNotFoundError:
            return listing
        except OSError as error:
            raise StoreError(f"{self.describe()}: cannot list {self.root}: {_reason(error)}") from None
        for folder in folders:
            paths = [Path(folder.path) / name for name in os.listdir(folder.path) if name.endswith(SUFFIX)]
            listing[folder.name.partition("=")[2]] = [(_name_timestamp(path) or 0, path) for path in paths]
        for entry in flat:
            # The seed's flat layout: <timestamp>-<hash>.stats.json
            stem = entry.name[: -len(SUFFIX)]
            timestamp, _, flat_hash = stem.partition("-")
            if flat_hash:
                listing.setdefault(flat_hash, []).append(
                    (_name_timestamp(Path(entry.path)) or 0, Path(entry.path))
                )
        return listing

    def _read_object(self, path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError as error:
            raise UnreadableRecord(f"cannot read it: {_reason(error)}") from None

    def _name(self, path: Path) -> str:
        return str(path)

    def prune(self, keep: int, *, dry_run: bool = True, remove_invalid: bool = False) -> Pruning:
        """Remove all but the newest `keep` valid records of every hash; say what was (or would be) removed.

        Every file is read: only a record that parses and passes `record_checks` (not dated in
        the future, no negative figures) counts toward `keep`, ranked newest first as baselines
        are. Ranking by file name alone once deleted three good records and kept a truncated
        file and one dated 2100. Invalid files are listed apart and removed only with
        `remove_invalid`. Only record files are touched; a hash folder left empty stays.
        """
        if keep < 1:
            raise ValueError("prune keeps at least the newest record of each hash")
        doomed: list[Path] = []
        invalid: list[tuple[Path, str]] = []
        now = time.time()
        for files in self.listing().values():
            valid: list[tuple[tuple[int, str], Path]] = []
            for _timestamp, path in files:
                problem, record = _check_file(path, now)
                if record is None:
                    invalid.append((path, problem))
                else:
                    valid.append((newest_first_key(record), path))
            valid.sort(key=lambda item: (item[0], item[1].name), reverse=True)
            doomed.extend(path for _, path in valid[keep:])
        invalid.sort()
        if not dry_run:
            for path in doomed + ([path for path, _ in invalid] if remove_invalid else []):
                try:
                    path.unlink()
                except FileNotFoundError:
                    continue
                except OSError as error:
                    raise StoreError(f"{self.describe()}: cannot remove {path}: {_reason(error)}") from None
        return Pruning(removed=tuple(sorted(doomed)), invalid=tuple(invalid), invalid_removed=remove_invalid)

    def _candidate_files(self, record_hash: str) -> list[tuple[int | None, Path]]:
        """The files that may hold records of this hash (its folder and the seed's flat files), each
        with the timestamp its name starts with; files whose name has none first, then newest first.
        """
        folder = self.hash_dir(record_hash)
        try:
            nested = [folder / name for name in os.listdir(folder) if name.endswith(SUFFIX)]
        except FileNotFoundError:
            nested = []
        except OSError as error:
            raise StoreError(f"{self.describe()}: cannot list {folder}: {_reason(error)}") from None
        # The seed's flat files end in "-<hash>.stats.json"; matching on the name (the hash is
        # checked to hold no glob syntax) keeps every other hash's file unread.
        try:
            flat = [path for path in self.root.glob(f"*-{record_hash}{SUFFIX}") if path.is_file()]
        except OSError as error:
            raise StoreError(f"{self.describe()}: cannot list {self.root}: {_reason(error)}") from None
        candidates = [(_name_timestamp(path), path) for path in nested + flat]
        return sorted(candidates, key=lambda c: (c[0] is None, c[0] or 0, c[1].name), reverse=True)

    def _link_unique(self, temporary: Path, folder: Path, stem: str) -> Path:
        for attempt in range(_MAX_NAME_ATTEMPTS):
            target = folder / (f"{stem}{SUFFIX}" if attempt == 0 else f"{stem}-{attempt}{SUFFIX}")
            try:
                os.link(temporary, target)
            except FileExistsError:
                continue
            except OSError as error:
                raise StoreError(f"{self.describe()}: cannot create {target}: {_reason(error)}") from None
            return target
        taken = f"{folder}/{stem}{SUFFIX} and {_MAX_NAME_ATTEMPTS - 1} variants"
        raise StoreError(f"{self.describe()}: {taken} exist already")


def _check_file(path: Path, now: float) -> tuple[str, Record | None]:
    """The record in `path` when it is a plausible one, else why it is not."""
    try:
        record = Record.from_json(json.loads(path.read_bytes()))
    except OSError as error:
        return f"cannot read it: {_reason(error)}", None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        return f"not JSON: {error}", None
    except RecordError as error:
        return f"not a record: {error}", None
    problem = implausible(record, now=now)
    return (problem, None) if problem is not None else ("", record)


def _found_enough(
    records: list[Record], query: BaselineQuery, next_timestamp: int, acceptances: tuple[Acceptance, ...]
) -> bool:
    """Whether the files from `next_timestamp` on cannot change the answer: `limit` eligible
    records are in hand and the next file is older than the oldest of them (same-second files are
    still read, the tie is broken by run id), or the next file is older than the accepted run."""
    if query.limit <= 0:
        return True
    accepted = current_acceptance(acceptances, query)
    if accepted is not None and next_timestamp < accepted.run_timestamp:
        return True
    eligible = select_eligible(records, query, acceptances)
    return len(eligible) >= query.limit and next_timestamp < eligible[-1].metadata.timestamp


def _name_timestamp(path: Path) -> int | None:
    prefix = path.name.partition("-")[0]
    return int(prefix) if prefix.isdigit() else None


def _safe(value: str, field: str) -> str:
    """`value` when it may be part of a file name; StoreError naming the field otherwise."""
    if not _SAFE_NAME.fullmatch(value) or value in (".", ".."):
        raise StoreError(f"file store: record {field} {value!r} cannot be part of a file name")
    return value


def _reason(error: OSError) -> str:
    return error.strerror or str(error)
