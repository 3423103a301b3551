"""The `s3://BUCKET?database=DB&table=TABLE&workgroup=WG[&region=R]` URI -> a frozen `S3StoreConfig`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from pytest_bfd_locust.stores.protocol import StoreUriError
from pytest_bfd_locust.stores.s3.layout import NAME_PATTERN, STATS_PREFIX, partition_prefix, table_prefix

_WORKGROUP = re.compile(r"[A-Za-z0-9._-]{1,128}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d{1,2}")
_URI_PARTS = ("database", "table", "workgroup", "region")


@dataclass(frozen=True)
class S3StoreConfig:
    """Where records go and how baselines are queried: the parsed `s3://` URI."""

    bucket: str
    database: str
    table: str
    workgroup: str
    region: str | None = None

    @property
    def table_prefix(self) -> str:
        """The key prefix of the table (ends with "/"): the crawler's include path."""
        return table_prefix(self.database, self.table)

    def partition_prefix(self, record_hash: str) -> str:
        return partition_prefix(self.database, self.table, record_hash)

    @classmethod
    def from_uri(cls, uri: str) -> S3StoreConfig:
        """Parse `s3://BUCKET?database=DB&table=TABLE&workgroup=WG[&region=R]`.

        Raises StoreUriError naming the missing, unknown or malformed part.
        """
        where = f"--bfd-store {uri!r}"
        parts = urlsplit(uri)
        if parts.scheme != "s3":
            raise StoreUriError(f"{where}: expected an s3:// URI")
        bucket = parts.netloc
        if not bucket:
            raise StoreUriError(f"{where}: the bucket is missing (s3://BUCKET?database=...)")
        if not _BUCKET.fullmatch(bucket):
            raise StoreUriError(f"{where}: bucket {bucket!r} is not a valid S3 bucket name")
        if parts.path not in ("", "/"):
            raise StoreUriError(
                f"{where}: a key prefix ({parts.path!r}) is not supported; records always go under "
                f"{STATS_PREFIX}/<database>/<table>/ so the Glue crawler finds them"
            )
        if parts.fragment:
            raise StoreUriError(f"{where}: unexpected fragment #{parts.fragment}")
        values: dict[str, str] = {}
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name not in _URI_PARTS:
                raise StoreUriError(f"{where}: unknown part {name!r}; expected {', '.join(_URI_PARTS)}")
            if name in values:
                raise StoreUriError(f"{where}: {name} is given twice")
            values[name] = value
        for name in ("database", "table", "workgroup"):
            if not values.get(name):
                raise StoreUriError(f"{where}: {name} is missing (add {name}=...)")
        for name in ("database", "table"):
            if not NAME_PATTERN.fullmatch(values[name]):
                raise StoreUriError(
                    f"{where}: {name} {values[name]!r} must be lowercase letters, digits, '_' or '-'"
                )
        if not _WORKGROUP.fullmatch(values["workgroup"]):
            raise StoreUriError(
                f"{where}: workgroup {values['workgroup']!r} must be letters, digits, '.', '_' or '-'"
            )
        region = values.get("region")
        if region is not None and not _REGION.fullmatch(region):
            raise StoreUriError(f"{where}: region {region!r} is not an AWS region name (e.g. us-east-1)")
        return cls(bucket, values["database"], values["table"], values["workgroup"], region)
