"""Where records live in the stats bucket: the seed's key layout, and the names that may appear in it.

`databases/<database>/<table>/hash=<hash>/<timestamp>-<run_id>.stats.json` (SPEC §7): the seed's
prefix and suffix, so its Glue crawler and S3 notification keep working.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

STATS_PREFIX = "databases"
"""First path segment of every stored record (the seed's BFD Insights layout)."""

STATS_SUFFIX = ".stats.json"
"""Suffix of every stored record: the seed's S3 notification filters on it."""

PARTITION_KEY = "hash"
"""The Glue partition column the crawler derives from `hash=<hash>/` in the key."""

# Lowercase because Glue lowercases names and the S3 prefix must match the crawler's; hyphens
# because BFD Insights database names use them. None of these can close a quoted identifier.
NAME_PATTERN = re.compile(r"[a-z0-9_-]{1,255}")
"""What a database or table name may hold."""

KEY_PART_PATTERN = re.compile(r"[A-Za-z0-9._-]{1,128}")
"""What a hash or run id may hold to become part of a key."""

_STATS_KEY = re.compile(
    rf"{STATS_PREFIX}/(?P<database>[^/]+)/(?P<table>[^/]+)/{PARTITION_KEY}=(?P<hash>[^/]+)/"
    rf"(?P<name>[^/]+{re.escape(STATS_SUFFIX)})"
)


def table_prefix(database: str, table: str) -> str:
    """The key prefix of a table (ends with "/"): the crawler's include path."""
    return f"{STATS_PREFIX}/{database}/{table}/"


def partition_prefix(database: str, table: str, record_hash: str) -> str:
    """The key prefix of one `hash` partition (ends with "/")."""
    return f"{table_prefix(database, table)}{PARTITION_KEY}={record_hash}/"


def record_name(timestamp: int, run_id: str) -> str:
    """The object name of a record inside its partition."""
    return f"{timestamp}-{run_id}{STATS_SUFFIX}"


@dataclass(frozen=True)
class StatsKey:
    """The parts of a stored record's S3 key."""

    database: str
    table: str
    hash: str
    name: str


def parse_stats_key(key: str) -> StatsKey | None:
    """The parts of `databases/<db>/<table>/hash=<hash>/<name>.stats.json`; None for other keys."""
    match = _STATS_KEY.fullmatch(key)
    if match is None:
        return None
    parsed = StatsKey(**match.groupdict())
    valid = (
        NAME_PATTERN.fullmatch(parsed.database)
        and NAME_PATTERN.fullmatch(parsed.table)
        and KEY_PART_PATTERN.fullmatch(parsed.hash)
    )
    return parsed if valid else None
