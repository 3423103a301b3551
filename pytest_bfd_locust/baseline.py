"""Baselines: which stored records a run may be compared against, and the values it is compared with.

Pure: no pytest, boto3, locust or gevent. Stores call `select_eligible` so every store applies the
same eligibility rules (SPEC §7); the plugin builds a `Baseline` from what the store returned.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_bfd_locust.record import Record, ResultStatus
from pytest_bfd_locust.stores import BaselineQuery

TOTAL_RUNTIME_DELTA = 3.0
"""Seconds two runs' total runtimes may differ by and still be compared (the seed's delta)."""

_ELIGIBLE_RESULTS = frozenset({ResultStatus.PASSED, ResultStatus.NOT_APPLICABLE})


def is_eligible(record: Record, query: BaselineQuery) -> bool:
    """Whether a stored record may serve as a baseline for the run described by `query` (SPEC §7).

    Unlike the seed, the runtime check is on the absolute difference: a baseline that ran much
    longer than this run is as incomparable as one that ran much shorter.
    """
    metadata = record.metadata
    return (
        query.tag in metadata.tags
        and metadata.hash == query.hash
        and metadata.compare_result in _ELIGIBLE_RESULTS
        and metadata.validation_result in _ELIGIBLE_RESULTS
        and abs(metadata.total_runtime - query.total_runtime) < TOTAL_RUNTIME_DELTA
    )


def newest_first_key(record: Record) -> tuple[int, str]:
    """Sort key (use with reverse=True) putting the newest record first.

    Two runs stored in the same second are ordered by run id so every store and every call picks
    the same one; records without a run id (the seed's) sort after those with one.
    """
    return (record.metadata.timestamp, record.run_id or "")


def select_eligible(records: Iterable[Record], query: BaselineQuery) -> tuple[Record, ...]:
    """The newest `query.limit` eligible records, newest first."""
    eligible = sorted((r for r in records if is_eligible(r, query)), key=newest_first_key, reverse=True)
    return tuple(eligible[: max(query.limit, 0)])
