"""What a run asks a store for (`BaselineQuery`), what it gets (`LoadedBaselines`) and how its
baseline is built (`BaselineKind`): the small types the settings, the stores' protocol and the
Lambda's payload need; and which stored records a query may use (`select_eligible`,
`current_acceptance`, `is_eligible`, `newest_first_key`, SPEC §7), the rules every store applies.
Apart from `judge/baseline.py` (which re-exports them) so that a session's start, its collection
and the stores import none of the judge's statistics (change points, noise, significance).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pytest_bfd_locust.acceptance import Acceptance
from pytest_bfd_locust.record import Record, ResultStatus


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


TOTAL_RUNTIME_DELTA = 3.0
"""Seconds two runs' total runtimes may differ by and still be compared (the seed's delta)."""

_ELIGIBLE_RESULTS = frozenset({ResultStatus.PASSED, ResultStatus.NOT_APPLICABLE})


def is_eligible(record: Record, query: BaselineQuery, accepted: Acceptance | None = None) -> bool:
    """Whether a stored record may serve as a baseline for the run described by `query` (SPEC §7).

    Unlike the seed, the runtime check is on the absolute difference: a baseline that ran much
    longer than this run is as incomparable as one that ran much shorter. With an acceptance that
    applies to the query (`current_acceptance`), the accepted run passes the compare_result rule
    and every run before it fails the whole test: it belongs to the level the acceptance ended.
    An inconclusive run (its load generator saturated: `Record.inconclusive`) measured the
    generator, not the API, and is never a baseline.
    """
    metadata = record.metadata
    accepted_run = accepted is not None and is_accepted_run(record, accepted)
    return (
        query.tag in metadata.tags
        and metadata.hash == query.hash
        and (metadata.compare_result in _ELIGIBLE_RESULTS or accepted_run)
        and measured_cleanly(record)
        and abs(metadata.total_runtime - query.total_runtime) < TOTAL_RUNTIME_DELTA
        and (accepted is None or newest_first_key(record) >= accepted.run_key)
    )


def measured_cleanly(record: Record) -> bool:
    """Whether a run measured the API as it was: validated (or never validated: the seed's) and
    not inconclusive. What a baseline needs besides matching the query; what a run of another hash
    must be for its spread to inform this one's prior noise (`judge.noise.measured_scales`)."""
    return record.metadata.validation_result in _ELIGIBLE_RESULTS and record.inconclusive is None


def is_accepted_run(record: Record, accepted: Acceptance) -> bool:
    return record.run_id == accepted.run_id and record.metadata.timestamp == accepted.run_timestamp


def applies_to(acceptance: Acceptance, query: BaselineQuery) -> bool:
    """Whether an acceptance moves the level of this query: a run is accepted only into its own
    suite, hash and tag."""
    return (
        acceptance.hash == query.hash
        and acceptance.tag == query.tag
        and (query.suite is None or acceptance.suite is None or acceptance.suite == query.suite)
    )


def current_acceptance(acceptances: Iterable[Acceptance], query: BaselineQuery) -> Acceptance | None:
    """The acceptance the query's current level starts at: of those that apply, the one of the
    newest accepted run (not the newest decision: accepting an older run later does not undo a
    newer level)."""
    applying = [acceptance for acceptance in acceptances if applies_to(acceptance, query)]
    return max(applying, key=lambda acceptance: (acceptance.run_key, acceptance.accepted_at), default=None)


def newest_first_key(record: Record) -> tuple[int, str]:
    """Sort key (use with reverse=True) putting the newest record first.

    Two runs stored in the same second are ordered by run id so every store and every call picks
    the same one; records without a run id (the seed's) sort after those with one.
    """
    return (record.metadata.timestamp, record.run_id or "")


def select_eligible(
    records: Iterable[Record], query: BaselineQuery, acceptances: Iterable[Acceptance] = ()
) -> tuple[Record, ...]:
    """The newest `query.limit` eligible records, newest first, from the accepted level on."""
    accepted = current_acceptance(acceptances, query)
    eligible = sorted(
        (r for r in records if is_eligible(r, query, accepted)), key=newest_first_key, reverse=True
    )
    return tuple(eligible[: max(query.limit, 0)])
