"""`bfd-locust`: look at stored runs without running load. `history`, `report`, `prune`, `accept`.

Settings are resolved as the plugin resolves them (command line > `BFD_LOCUST_*` environment >
the `bfd_*` keys of pytest's ini file > default), so `bfd-locust history` reads the store a plain
`pytest` in the same folder writes to. Every error is one line naming the path or URI; exit code 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError

from pytest_bfd_locust.acceptance import Acceptance, AcceptanceError, accept_run, check_reason
from pytest_bfd_locust.aws_clients import AwsClients, describe_aws_error
from pytest_bfd_locust.figures import iso_utc
from pytest_bfd_locust.ini_file import IniFileError, find_ini_file
from pytest_bfd_locust.judge.compare import compare
from pytest_bfd_locust.judge.thresholds import (
    JudgeSettings,
    ThresholdError,
    default_thresholds_path,
    read_threshold_file,
)
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.record_checks import implausible
from pytest_bfd_locust.reports.history import format_history_table, history_change_points, history_rows
from pytest_bfd_locust.reports.html import render_report
from pytest_bfd_locust.reports.model import HISTORY_RUNS, history_runs, report_from_records
from pytest_bfd_locust.settings import BfdSettings, SettingsError, positive_int, resolve, store_uri, tag
from pytest_bfd_locust.stores import StoreError, StoreUriError, open_store
from pytest_bfd_locust.stores.acceptances import already_accepted_message
from pytest_bfd_locust.stores.listing import parse_stored_record
from pytest_bfd_locust.stores.protocol import AcceptanceStore, HistoryQuery, HistoryStore


class CommandError(Exception):
    """What went wrong, in one line naming the path or URI."""


@dataclass(frozen=True)
class Context:
    """The resolved settings and the rootdir relative `file://` stores are taken from (as in pytest)."""

    settings: BfdSettings
    rootdir: Path

    def open_store(self) -> object:
        try:
            return open_store(self.settings.store, rootdir=str(self.rootdir))
        except StoreUriError as exc:
            raise CommandError(str(exc)) from None
        except BotoCoreError as exc:  # no region, no credentials configuration...
            raise CommandError(f"{self.settings.store}: {describe_aws_error(exc)}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bfd-locust",
        description="Look at the runs pytest-bfd-locust stored, accept a new level; runs no load.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    history = commands.add_parser("history", help="A table of a suite's stored runs, change points marked.")
    history.add_argument("--suite", required=True, help="The suite's name (as in its catalog).")
    history.add_argument("--hash", help="Show this hash instead of the one the suite ran under last.")
    history.add_argument(
        "--store", type=store_uri, help="Store URI (default: as pytest resolves --bfd-store)."
    )
    history.add_argument("--tag", type=tag, help="Only runs stored under this tag.")
    history.add_argument(
        "--last", type=positive_int, default=HISTORY_RUNS, help="How many runs (default 20)."
    )

    report = commands.add_parser("report", help="Render the HTML report of a stored record.")
    report.add_argument("record", help="A stored record: a .stats.json file or an s3://BUCKET/KEY.")
    report.add_argument("--baseline", help="A record of the same hash to compare against.")
    report.add_argument("--compare-meta", help="Threshold file (default: the packaged one).")
    report.add_argument("--store", type=store_uri, help="Store the history charts come from.")
    report.add_argument("-o", "--output", required=True, help="The HTML file to write.")

    prune = commands.add_parser("prune", help="Remove old records from a file store (dry run by default).")
    prune.add_argument("--keep", type=positive_int, required=True, help="Records kept per hash, the newest.")
    prune.add_argument("--store", type=store_uri, help="A file:// store (default: as pytest resolves it).")
    prune.add_argument("--yes", action="store_true", help="Delete; without it, only list what would go.")
    prune.add_argument(
        "--remove-invalid",
        action="store_true",
        help="Also remove files that are no valid record (truncated, dated in the future...); "
        "they never count toward --keep.",
    )

    accept = commands.add_parser(
        "accept",
        help="Accept a stored run as the new level: later runs are compared against it.",
        description="Accept a stored run as the new level of its suite, hash and tag: it becomes the "
        "baseline although its comparison failed, and no earlier run is a baseline any more. Stored "
        "as a small object beside the records; nothing stored is rewritten.",
    )
    accept.add_argument("--suite", required=True, help="The suite's name (as in its catalog).")
    accept.add_argument("--reason", required=True, help="Why this level is the new normal (required).")
    accept.add_argument("--run", help="The run id to accept (default: the newest run of the hash).")
    accept.add_argument("--hash", help="The hash of the run (default: the hash the suite ran under last).")
    accept.add_argument(
        "--store", type=store_uri, help="Store URI (default: as pytest resolves --bfd-store)."
    )
    accept.add_argument(
        "--tag",
        type=tag,
        help="The tag the run is accepted under (default: as pytest resolves --compare-tag).",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        context = _settings(args.store)
        if args.command == "history":
            print(history(context, suite=args.suite, record_hash=args.hash, tag=args.tag, last=args.last))
        elif args.command == "accept":
            print(accept(context, suite=args.suite, reason=args.reason, run_id=args.run,
                         record_hash=args.hash, tag=args.tag))  # fmt: skip
        elif args.command == "report":
            print(report(context, Path(args.output), record=args.record, baseline=args.baseline,
                         compare_meta=args.compare_meta))  # fmt: skip
        else:
            print(prune(context, keep=args.keep, delete=args.yes, remove_invalid=args.remove_invalid))
    except CommandError as exc:
        print(f"bfd-locust {args.command}: {exc}", file=sys.stderr)
        return 1
    return 0


def _settings(store: str | None) -> Context:
    cwd = Path.cwd()
    try:
        ini = find_ini_file(cwd)
        settings = resolve(
            {"bfd_store": store},
            os.environ,
            ini.get,
            rootdir=ini.rootdir,
            ini_source=str(ini.path or "ini file"),
            invocation_dir=cwd,
        )
    except (IniFileError, SettingsError) as exc:
        raise CommandError(str(exc)) from None
    return Context(settings, ini.rootdir)


def _history_store(context: Context) -> HistoryStore:
    store = context.open_store()
    if not isinstance(store, HistoryStore):
        raise CommandError(f"{context.settings.store}: this store cannot list its runs")
    return store


def _judge_min_percent(context: Context) -> float:
    """The judge's `min_percent` of the threshold file the suite runs with (`--compare-meta` or the
    packaged one): the history marks the level shifts the judge would."""
    path = context.settings.compare_meta or default_thresholds_path()
    try:
        judge = read_threshold_file(path).judge
    except ThresholdError as exc:
        raise CommandError(str(exc)) from None
    return JudgeSettings.min_percent if judge is None else judge.min_percent


def history(context: Context, *, suite: str, record_hash: str | None, tag: str | None, last: int) -> str:
    """The history table of the suite's newest hash (or `record_hash`)."""
    store = _history_store(context)
    try:
        loaded = store.load_history(HistoryQuery(suite=suite, hash=record_hash, tag=tag, limit=last))
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    where = f"{store.describe()}" + (f" under tag {tag!r}" if tag else "")
    if not loaded.records:
        if record_hash is not None:
            raise CommandError(_no_run_of_hash(store, suite, record_hash, tag, where))
        raise CommandError(f"no stored run of suite {suite!r} in {where}")
    runs = history_runs(loaded.records, current=None, acceptances=loaded.acceptances)
    lines = [
        f"suite {suite}, hash {loaded.hash}, last {len(runs)} run(s) in {where}:",
        format_history_table(
            history_rows(runs, history_change_points(loaded.records, min_percent=_judge_min_percent(context)))
        ),
    ]
    lines += [f"warning: {warning}" for warning in loaded.warnings]
    if loaded.other_hashes:
        lines.append(
            f"the suite also ran under {len(loaded.other_hashes)} other hash(es) (other users, runtime or "
            f"endpoints): {', '.join(h[:12] for h in loaded.other_hashes)}; see them with --hash"
        )
    return "\n".join(lines)


def _no_run_of_hash(store: HistoryStore, suite: str, record_hash: str, tag: str | None, where: str) -> str:
    """Why `--hash` found nothing, with the hashes the suite did run under (a typo is then plain)."""
    try:
        loaded = store.load_history(HistoryQuery(suite=suite, tag=tag, limit=1))
    except StoreError:
        loaded = None
    hashes = [] if loaded is None or loaded.hash is None else [loaded.hash, *loaded.other_hashes]
    known = (
        f"; its runs are under hash(es) {', '.join(hashes)}"
        if hashes
        else "; the suite has no stored run under any hash"
    )
    return f"no stored run of suite {suite!r} with hash {record_hash} in {where}{known}"


def accept(
    context: Context, *, suite: str, reason: str, run_id: str | None, record_hash: str | None, tag: str | None
) -> str:
    """Accept a stored run (by default the newest of the suite's last hash under the tag) as the
    new level; the line saying what was accepted and where it went. Nothing is written on any error."""
    tag = tag or context.settings.compare_tag
    try:
        reason = check_reason(reason)
    except AcceptanceError as exc:
        raise CommandError(f"--reason: {exc}") from None
    store = context.open_store()
    if not isinstance(store, AcceptanceStore):
        raise CommandError(f"{context.settings.store}: this store cannot keep acceptances")
    try:
        record = _run_to_accept(store, suite=suite, run_id=run_id, record_hash=record_hash, tag=tag)
        for existing in store.load_acceptances(record.metadata.hash, tag).acceptances:
            if existing.run_id == record.run_id:
                raise CommandError(already_accepted_message(existing))
        acceptance = accept_run(
            record, tag=tag, reason=reason, accepted_by=dict(context.settings.accepted_by), now=time.time()
        )
        location = store.save_acceptance(acceptance)
    except (AcceptanceError, StoreError) as exc:
        raise CommandError(str(exc)) from None
    return accepted_message(acceptance, record, location)


def _run_to_accept(
    store: AcceptanceStore, *, suite: str, run_id: str | None, record_hash: str | None, tag: str
) -> Record:
    """The stored record to accept; CommandError naming what does not exist."""
    where = store.describe()
    if run_id is None:
        loaded = store.load_history(HistoryQuery(suite=suite, hash=record_hash, tag=tag, limit=1))
        if not loaded.records:
            if record_hash is not None:
                raise CommandError(
                    f"no stored run of suite {suite!r} with hash {record_hash} under tag {tag!r} in {where}"
                )
            raise CommandError(f"no stored run of suite {suite!r} under tag {tag!r} in {where}")
        return loaded.records[-1]
    hashes: list[str] = []
    if record_hash is not None:
        hashes.append(record_hash)
    else:
        loaded = store.load_history(HistoryQuery(suite=suite, limit=1))
        if loaded.hash is None:
            raise CommandError(f"no stored run of suite {suite!r} in {where}")
        hashes += [loaded.hash, *loaded.other_hashes]
    for candidate in hashes:
        record = store.load_run(candidate, run_id)
        if record is not None:
            if record.suite is not None and record.suite != suite:
                raise CommandError(f"run {run_id} is a run of suite {record.suite!r}, not of {suite!r}")
            return record
    searched = (
        f"hash {record_hash}" if record_hash is not None else f"the {len(hashes)} hash(es) of suite {suite!r}"
    )
    raise CommandError(f"no stored run {run_id!r} under {searched} in {where}")


def accepted_message(acceptance: Acceptance, record: Record, location: str) -> str:
    """What `bfd-locust accept` prints: which run, its comparison, what happens next, where it went."""
    compared = record.metadata.compare_result.value
    return (
        f"accepted run {acceptance.run_id} of suite {acceptance.suite or '?'} "
        f"({iso_utc(record.metadata.timestamp)}, hash {acceptance.hash[:12]}, tag {acceptance.tag}, "
        f"its comparison {compared}): {acceptance.reason}\n"
        f"later runs of this hash under tag {acceptance.tag} are compared against it; stored at {location}"
    )


def report(
    context: Context, output: Path, *, record: str, baseline: str | None, compare_meta: str | None
) -> str:
    """Render a stored record (against a stored baseline) to `output`; the line saying where."""
    current = read_record(record)
    base = read_record(baseline) if baseline else None
    warnings = [
        f"warning: {location}: {problem}; its figures are not to be trusted (history and pytest skip it)"
        for location, loaded in ((record, current), (baseline, base))
        if loaded is not None and (problem := implausible(loaded, now=time.time())) is not None
    ]
    try:
        # Read even without --baseline: a misspelt file is an error, not silently the packaged one.
        thresholds = read_threshold_file(Path(compare_meta) if compare_meta else default_thresholds_path())
    except ThresholdError as exc:
        raise CommandError(str(exc)) from None
    if base is not None:
        if base.metadata.hash != current.metadata.hash:
            raise CommandError(
                f"{baseline}: hash {base.metadata.hash[:12]} (suite {base.suite or '?'}) is not the hash "
                f"{current.metadata.hash[:12]} (suite {current.suite or '?'}) of {record}; "
                "records of different hashes ran different loads and are not compared"
            )
        if base.suite is not None and current.suite is not None and base.suite != current.suite:
            raise CommandError(
                f"{baseline}: suite {base.suite!r} is not the suite {current.suite!r} of {record}"
            )
    comparison = compare(current, base, thresholds) if base is not None else None
    history_records: tuple[Record, ...] = ()
    acceptances: tuple[Acceptance, ...] = ()
    notes: list[str] = []
    try:
        store = _history_store(context)
        loaded = store.load_history(HistoryQuery(hash=current.metadata.hash, limit=HISTORY_RUNS))
        history_records, acceptances = loaded.records, loaded.acceptances
    except (CommandError, StoreError) as exc:
        notes.append(f"no history: {exc}")
    model = report_from_records(current, baseline=base, comparison=comparison, history=history_records,
                                record_location=record, acceptances=acceptances)  # fmt: skip
    if notes:
        model = replace(model, notes=tuple(notes))
    write_text(output, render_report([model], title=f"Load test report: {model.suite}"))
    return "\n".join([*warnings, f"report written to {output}"])


def read_record(location: str) -> Record:
    """A record from a file or an `s3://BUCKET/KEY`; CommandError naming it when it is not one."""
    if location.startswith("s3://"):
        data = _read_s3(location)
    else:
        try:
            data = Path(location).read_bytes()
        except OSError as exc:
            raise CommandError(f"{location}: cannot read it: {exc.strerror or exc}") from None
    try:
        return parse_stored_record(data, location)
    except StoreError as exc:
        raise CommandError(str(exc)) from None


def _read_s3(uri: str) -> bytes:
    bucket, _, key = uri[len("s3://") :].partition("/")
    if not bucket or not key:
        raise CommandError(f"{uri}: expected s3://BUCKET/KEY")
    try:
        return bytes(AwsClients.create().s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except (ClientError, BotoCoreError) as exc:
        raise CommandError(f"{uri}: cannot read it: {describe_aws_error(exc)}") from None


def write_text(path: Path, text: str) -> None:
    if not path.parent.is_dir():
        raise CommandError(f"{path}: cannot write the report: the folder {path.parent} does not exist")
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"{path}: cannot write the report: {exc.strerror or exc}") from None


def prune(context: Context, *, keep: int, delete: bool, remove_invalid: bool = False) -> str:
    """Remove (or list) all but the newest `keep` valid records of every hash of a file store;
    invalid files are listed apart and removed only with `remove_invalid`."""
    from pytest_bfd_locust.stores.file import FileStore

    if not context.settings.store.startswith("file://"):
        raise CommandError(
            f"{context.settings.store}: prune works on file:// stores; an S3 bucket has lifecycle rules"
        )
    store = context.open_store()
    assert isinstance(store, FileStore)  # file:// opens a FileStore
    if not store.root.is_dir():
        # A misspelt folder would otherwise read as "nothing to remove".
        raise CommandError(f"no such folder {store.root} (the file store to prune)")
    try:
        pruning = store.prune(keep, dry_run=not delete, remove_invalid=remove_invalid)
    except StoreError as exc:
        raise CommandError(str(exc)) from None
    verb = "removed" if delete else "would remove"
    lines = [f"{verb} {path}" for path in pruning.removed]
    if pruning.invalid:
        fate = (verb if remove_invalid else "kept") + (
            "" if remove_invalid else "; remove them with --remove-invalid"
        )
        lines.append(f"{len(pruning.invalid)} invalid record file(s), not counted toward --keep, {fate}:")
        lines += [f"  {path}: {problem}" for path, problem in pruning.invalid]
    removed = len(pruning.removed) + (len(pruning.invalid) if remove_invalid else 0)
    lines.append(
        f"{verb} {removed} record file(s) from {store.describe()}, keeping the newest {keep} valid "
        "record(s) of each hash" + ("" if delete or not removed else "; run again with --yes to delete them")
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
