"""Where records are kept and baselines come from: a small protocol, implementations by URI scheme.

`open_store("file://DIR")` or `open_store("s3://BUCKET?database=...")`; implementations are
imported lazily so the file store never imports boto3.
"""

from __future__ import annotations

from typing import Any

from pytest_bfd_locust.stores.protocol import Store, StoreError, StoreUriError

__all__ = ["Store", "StoreError", "StoreUriError", "open_store"]


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
