"""Secrets kept out of records and texts: the forms a value takes, and what is left alone."""

from __future__ import annotations

from dataclasses import replace

from pytest_bfd_locust.record import ErrorCount
from pytest_bfd_locust.secret_values import REDACTED, redact_record, redact_text, secret_forms
from tests.record_factory import make_record

DSN = "postgres://locust:p%40ss%2Fw0rd!@reader.example:5432/fhirdb"


def test_a_dsn_yields_itself_and_its_password_in_every_form() -> None:
    forms = secret_forms([DSN])
    assert DSN in forms
    assert "p%40ss%2Fw0rd!" in forms  # as it stands in the URL
    assert "p@ss/w0rd!" in forms  # decoded, as a driver's error message would print it
    assert "p%40ss%2Fw0rd%21" in forms  # fully quoted
    assert "locust" not in forms  # a user name is no secret worth blanking common words for
    assert list(forms) == sorted(forms, key=lambda form: (-len(form), form))  # longest first


def test_short_values_are_not_secrets() -> None:
    assert secret_forms(["db", "1"]) == ()


def test_redact_text_replaces_each_form() -> None:
    secrets = secret_forms([DSN])
    text = f"connect failed: {DSN}; auth: password 'p@ss/w0rd!' rejected"
    redacted = redact_text(text, secrets)
    assert "w0rd" not in redacted
    assert redacted == f"connect failed: {REDACTED}; auth: password '{REDACTED}' rejected"


def test_redact_record_rewrites_error_messages_only() -> None:
    record = make_record()
    record = replace(
        record,
        errors=(
            ErrorCount("/db", "GET", f"OperationalError('{DSN}')", 3),
            ErrorCount("/other", "GET", "HTTPError(500)", 1),
        ),
    )
    redacted = redact_record(record, secret_forms([DSN]))
    assert [e.error for e in redacted.errors] == [f"OperationalError('{REDACTED}')", "HTTPError(500)"]
    assert [e.occurrences for e in redacted.errors] == [3, 1]
    assert redacted.metadata == record.metadata and redacted.tasks == record.tasks


def test_nothing_to_redact_returns_the_record_itself() -> None:
    record = make_record()
    assert redact_record(record, secret_forms([DSN])) is record
    assert redact_record(record, ()) is record
