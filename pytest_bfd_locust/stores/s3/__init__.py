"""The S3 + Glue + Athena store (`s3://BUCKET?database=DB&table=TABLE&workgroup=WG&region=R`).

One job per module: `config` (the URI), `layout` (the seed's key layout), `glue` (table and
partitions, shared with `lambda_entry.partition_handler`), `athena` (the baseline query) and
`store` (`S3Store`, which composes them). Imported only when an `s3://` store is opened, so the
file store never imports boto3.
"""

from __future__ import annotations

from pytest_bfd_locust.stores.s3.athena import BaselineSql, baseline_sql, parse_rows, query_failure_message
from pytest_bfd_locust.stores.s3.config import S3StoreConfig
from pytest_bfd_locust.stores.s3.glue import (
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    PartitionRegistration,
    PartitionStatus,
    register_partition,
)
from pytest_bfd_locust.stores.s3.layout import STATS_PREFIX, STATS_SUFFIX, StatsKey, parse_stats_key
from pytest_bfd_locust.stores.s3.store import S3Store, SavedRecord, StoreWarning

__all__ = [
    "OPTIONAL_COLUMNS",
    "REQUIRED_COLUMNS",
    "STATS_PREFIX",
    "STATS_SUFFIX",
    "BaselineSql",
    "PartitionRegistration",
    "PartitionStatus",
    "S3Store",
    "S3StoreConfig",
    "SavedRecord",
    "StatsKey",
    "StoreWarning",
    "baseline_sql",
    "parse_rows",
    "parse_stats_key",
    "query_failure_message",
    "register_partition",
]
