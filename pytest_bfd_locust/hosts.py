"""Host URLs: what a suite's host must be, and the form of it that may be shown or recorded."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_http_url(text: str) -> bool:
    """An http(s) URL with a host and no white space: what a suite's host must be."""
    return (
        text.startswith(("http://", "https://"))
        and bool(urlsplit(text).netloc)
        and not any(char.isspace() for char in text)
    )


def host_without_credentials(host: str | None) -> str | None:
    """The host URL as it may be recorded: any `user:password@` part removed (SPEC §11)."""
    if not host:
        return host
    scheme, sep, rest = host.partition("://")
    if not sep:
        return host
    authority, slash, path = rest.partition("/")
    return f"{scheme}://{authority.rpartition('@')[2]}{slash}{path}"
