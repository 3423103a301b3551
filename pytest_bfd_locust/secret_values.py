"""Secrets kept out of what a run leaves behind: the record (its errors), failure texts and warnings.

A suite that puts its database DSN into a request's error message (an exception text, a failed
check) would otherwise carry it into the stored record, the JUnit XML and CI logs. The values come
from the environment variables `--bfd-secret-env` names (the seed's DSN variable by default); each
is replaced in its plain, URL-decoded and URL-quoted forms, and a URL's password on its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import quote, unquote, urlsplit

from pytest_bfd_locust.record import Record

REDACTED = "***"

MIN_SECRET_LENGTH = 4
"""Shorter values are left alone: blanking every "db" or "1" would mangle the text, not protect it."""


def secret_forms(values: Iterable[str]) -> tuple[str, ...]:
    """Every form in which the values may appear in a text, longest first."""
    forms: set[str] = set()
    for value in values:
        candidates = {value, unquote(value), quote(value, safe="")}
        try:
            password = urlsplit(value).password
        except ValueError:
            password = None
        if password:
            candidates |= {password, unquote(password), quote(unquote(password), safe="")}
        forms |= {form for form in candidates if len(form) >= MIN_SECRET_LENGTH}
    return tuple(sorted(forms, key=lambda form: (-len(form), form)))


def redact_text(text: str, secrets: tuple[str, ...]) -> str:
    """`text` with every secret form (from `secret_forms`) replaced by ***."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def redact_record(record: Record, secrets: tuple[str, ...]) -> Record:
    """The record with secrets removed from its error messages, the only free text a run records.

    Entry names and the host stay as they are: they are identifiers (the hash is built from the
    names), and the host is recorded without credentials already.
    """
    if not secrets or not any(redact_text(e.error, secrets) != e.error for e in record.errors):
        return record
    errors = tuple(replace(error, error=redact_text(error.error, secrets)) for error in record.errors)
    return replace(record, errors=errors)
