"""The suite's secrets: four SSM SecureString parameters -> a DSN and a PEM file (SPEC §10).

They reach the suite only through environment variables (`LOCUST_BFD_DATABASE_CONNECTION_STRING`,
`LOCUST_BFD_CLIENT_CERT_PATH`), which the runner hands to the Locust child; never through argv.
The PEM file is created 0600 and removed after the run, also when the run fails.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape as xml_escape  # bandit B406 (XML): escape only, parses nothing # nosec B406

from botocore.exceptions import BotoCoreError, ClientError

from pytest_bfd_locust.aws_clients import describe_aws_error

DSN_VARIABLE = "LOCUST_BFD_DATABASE_CONNECTION_STRING"
CERT_PATH_VARIABLE = "LOCUST_BFD_CLIENT_CERT_PATH"
PEM_FILE_NAME = "bfd_client_cert.pem"

REDACTED = "***"
_MIN_REDACTED_LENGTH = 4
"""Shorter values would blank out ordinary words in a message; they are not worth hiding."""


class SecretsError(RuntimeError):
    """A parameter is missing or unreadable; the message names the parameter, never a value."""


def parameter_names(environment: str) -> dict[str, str]:
    """The SSM parameter path of each secret, by role."""
    prefix = f"/bfd/{environment}/locust/sensitive"
    return {
        "username": f"{prefix}/db/username",
        "password": f"{prefix}/db/password",
        "cert_key": f"{prefix}/cert/key",
        "cert_pem": f"{prefix}/cert/pem_data",
    }


@dataclass(frozen=True, repr=False)
class LocustSecrets:
    """The decrypted values; `repr` hides them so a log line or traceback cannot show them."""

    database_connection_string: str
    pem: str
    sensitive_values: tuple[str, ...]
    """Every value that must not appear in output: password (also URL-quoted), key, certificate
    (also each line of their bodies, so a PEM printed in parts is caught), DSN. Not the username:
    it is no secret worth blanking a common word like `locust` for (the DSN holding it is)."""

    def __repr__(self) -> str:
        return "LocustSecrets(<redacted>)"

    def with_values(self, *values: str) -> LocustSecrets:
        """These secrets plus `values` (e.g. a password in the payload's host URL)."""
        return LocustSecrets(self.database_connection_string, self.pem, (*self.sensitive_values, *values))

    def redact(self, text: str) -> str:
        """`text` with every secret value replaced, longest first so a DSN goes before its parts.

        XML-escaped forms are replaced too: `junit.xml` writes `&` as `&amp;`.
        """
        variants = {
            form for value in self.sensitive_values for form in (value, xml_escape(value, {'"': "&quot;"}))
        }
        for value in sorted(variants, key=len, reverse=True):
            if len(value) >= _MIN_REDACTED_LENGTH:
                text = text.replace(value, REDACTED)
        return text


def fetch_secrets(ssm: Any, *, environment: str, reader_endpoint: str) -> LocustSecrets:
    """Read the four parameters (WithDecryption) in one call and build the DSN and PEM content."""
    names = parameter_names(environment)
    try:
        with _botocore_debug_off():
            response = ssm.get_parameters(Names=list(names.values()), WithDecryption=True)
    except (BotoCoreError, ClientError) as exc:
        listed = ", ".join(names.values())
        raise SecretsError(f"reading SSM parameters {listed}: {describe_aws_error(exc)}") from None
    found = {parameter["Name"]: parameter["Value"] for parameter in response.get("Parameters", [])}
    missing = [name for name in names.values() if not found.get(name)]
    if missing:
        raise SecretsError(f"missing or empty SSM parameter(s): {', '.join(missing)}")
    values = {role: found[name] for role, name in names.items()}
    password = quote(values["password"], safe="")
    dsn = f"postgres://{values['username']}:{password}@{reader_endpoint}:5432/fhirdb"
    # The seed concatenated key and certificate directly; a key without a final newline would then
    # run into the certificate's BEGIN line and break the PEM.
    pem = values["cert_key"].rstrip("\n") + "\n" + values["cert_pem"]
    return LocustSecrets(
        database_connection_string=dsn,
        pem=pem,
        sensitive_values=(
            values["password"],
            password,
            dsn,
            values["cert_key"],
            values["cert_pem"],
            *pem_body_lines(values["cert_key"]),
            *pem_body_lines(values["cert_pem"]),
        ),
    )


@contextmanager
def _botocore_debug_off() -> Iterator[None]:
    """botocore at DEBUG (a Lambda with its log level set to DEBUG) logs every response body, so
    the decrypted parameters: its loggers say at most INFO while they are read."""
    loggers = [logging.getLogger(name) for name in ("botocore", "boto3", "urllib3")]
    levels = [logger.level for logger in loggers]
    try:
        for logger in loggers:
            if logger.getEffectiveLevel() < logging.INFO:
                logger.setLevel(logging.INFO)
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def pem_body_lines(pem: str) -> tuple[str, ...]:
    """The base64 lines of a PEM text (not its BEGIN/END markers): each one is secret on its own."""
    return tuple(
        line.strip() for line in pem.splitlines() if line.strip() and not line.strip().startswith("-----")
    )


@contextmanager
def secret_environment(
    secrets: LocustSecrets, directory: Path, environ: MutableMapping[str, str]
) -> Iterator[Path]:
    """Write the PEM file (0600) into `directory`, set the two variables in `environ` for the run.

    On exit, also after an exception, the file is removed and the variables get their earlier
    values back (or are removed), so a warm Lambda does not carry one run's secrets into the next.
    """
    pem_path = directory / PEM_FILE_NAME
    previous = {name: environ.get(name) for name in (DSN_VARIABLE, CERT_PATH_VARIABLE)}
    # O_EXCL: never write through a file (or symlink) someone else put there.
    descriptor = os.open(pem_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as pem_file:
            pem_file.write(secrets.pem)
        environ[DSN_VARIABLE] = secrets.database_connection_string
        environ[CERT_PATH_VARIABLE] = str(pem_path)
        yield pem_path
    finally:
        for name, value in previous.items():
            if value is None:
                environ.pop(name, None)
            else:
                environ[name] = value
        pem_path.unlink(missing_ok=True)
