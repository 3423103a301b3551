"""The Lambda's secrets through moto SSM: DSN quoting, the PEM file's mode and removal, missing parameters."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from lambda_entry.secrets import (
    CERT_PATH_VARIABLE,
    DSN_VARIABLE,
    LocustSecrets,
    SecretsError,
    fetch_secrets,
    parameter_names,
    secret_environment,
)

ENVIRONMENT = "test"
PASSWORD = "p@ss:w/rd?#%&+ é"
KEY = "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----"
CERT = "-----BEGIN CERTIFICATE-----\ndef\n-----END CERTIFICATE-----\n"


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.client("ssm", region_name="us-east-1")


def put_parameters(ssm: Any, **overrides: str | None) -> None:
    values = {"username": "locust_user", "password": PASSWORD, "cert_key": KEY, "cert_pem": CERT, **overrides}
    for role, name in parameter_names(ENVIRONMENT).items():
        if values[role] is not None:
            ssm.put_parameter(Name=name, Value=values[role], Type="SecureString")


def test_dsn_quotes_the_password_and_pem_joins_key_and_certificate(ssm: Any) -> None:
    put_parameters(ssm)
    secrets = fetch_secrets(ssm, environment=ENVIRONMENT, reader_endpoint="reader.db.example")
    assert secrets.database_connection_string == (
        "postgres://locust_user:p%40ss%3Aw%2Frd%3F%23%25%26%2B%20%C3%A9@reader.db.example:5432/fhirdb"
    )
    assert secrets.pem == KEY + "\n" + CERT
    assert PASSWORD not in repr(secrets) and "locust_user" not in repr(secrets)


def test_key_with_final_newline_is_not_doubled(ssm: Any) -> None:
    put_parameters(ssm, cert_key=KEY + "\n")
    secrets = fetch_secrets(ssm, environment=ENVIRONMENT, reader_endpoint="r")
    assert secrets.pem == KEY + "\n" + CERT


@pytest.mark.parametrize("role", ["username", "password", "cert_key", "cert_pem"])
def test_missing_parameter_is_named(ssm: Any, role: str) -> None:
    put_parameters(ssm, **{role: None})
    with pytest.raises(SecretsError) as raised:
        fetch_secrets(ssm, environment=ENVIRONMENT, reader_endpoint="r")
    message = str(raised.value)
    assert parameter_names(ENVIRONMENT)[role] in message
    others = [name for other, name in parameter_names(ENVIRONMENT).items() if other != role]
    assert not any(name in message for name in others)
    assert PASSWORD not in message and "BEGIN" not in message


def test_all_missing_in_another_environment(ssm: Any) -> None:
    put_parameters(ssm)
    with pytest.raises(SecretsError, match="/bfd/prod/locust/sensitive/db/username, /bfd/prod/locust/"):
        fetch_secrets(ssm, environment="prod", reader_endpoint="r")


def secrets_for_test(ssm: Any) -> LocustSecrets:
    put_parameters(ssm)
    return fetch_secrets(ssm, environment=ENVIRONMENT, reader_endpoint="reader.db.example")


def test_pem_file_is_0600_and_variables_set_then_restored(ssm: Any, tmp_path: Path) -> None:
    secrets = secrets_for_test(ssm)
    environ = {DSN_VARIABLE: "earlier-value"}
    with secret_environment(secrets, tmp_path, environ) as pem_path:
        assert stat.S_IMODE(os.stat(pem_path).st_mode) == 0o600
        assert pem_path.read_text() == secrets.pem
        expected = {DSN_VARIABLE: secrets.database_connection_string, CERT_PATH_VARIABLE: str(pem_path)}
        assert environ == expected
    assert not pem_path.exists()
    assert environ == {DSN_VARIABLE: "earlier-value"}


def test_pem_file_is_0600_even_with_a_permissive_umask(ssm: Any, tmp_path: Path) -> None:
    secrets = secrets_for_test(ssm)
    previous = os.umask(0)
    try:
        with secret_environment(secrets, tmp_path, {}) as pem_path:
            assert stat.S_IMODE(os.stat(pem_path).st_mode) == 0o600
    finally:
        os.umask(previous)


def test_pem_file_removed_and_environment_restored_on_failure(ssm: Any, tmp_path: Path) -> None:
    secrets = secrets_for_test(ssm)
    environ: dict[str, str] = {}
    with pytest.raises(RuntimeError, match="the run blew up"):
        with secret_environment(secrets, tmp_path, environ) as pem_path:
            raise RuntimeError("the run blew up")
    assert not pem_path.exists()
    assert environ == {}


def test_existing_file_is_never_written_through(ssm: Any, tmp_path: Path) -> None:
    secrets = secrets_for_test(ssm)
    target = tmp_path / "elsewhere"
    target.write_text("untouched")
    os.symlink(target, tmp_path / "bfd_client_cert.pem")
    with pytest.raises(FileExistsError):
        with secret_environment(secrets, tmp_path, {}):
            pass
    assert target.read_text() == "untouched"


def test_redact_replaces_every_secret_form(ssm: Any) -> None:
    secrets = secrets_for_test(ssm)
    text = f"dsn={secrets.database_connection_string} pw={PASSWORD} quoted=p%40ss%3Aw%2Frd key={KEY}"
    redacted = secrets.redact(text)
    assert PASSWORD not in redacted and "locust_user" not in redacted and "BEGIN PRIVATE" not in redacted
    assert secrets.database_connection_string not in redacted
    assert redacted.startswith("dsn=*** pw=*** ")
