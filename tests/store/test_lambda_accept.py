"""The Lambda's `store.accept`: a re-baseline invocation passes `--bfd-accept`, its request id stands
for who accepted while it runs (and is gone after)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from lambda_entry.payload import parse_payload
from lambda_entry.run import pytest_args, request_environment
from pytest_bfd_locust.acceptance import LAMBDA_REQUEST_ID_VARIABLE, accepted_by
from tests.store.test_lambda_handler import STORE_URI, config_for, payload


def test_store_accept_becomes_bfd_accept(suites_root: Path, tmp_path: Path) -> None:
    config = config_for(suites_root, tmp_path)
    event = payload(store={"tags": ["nightly"], "accept": "archive search, +50 % agreed"})
    args = pytest_args(parse_payload(event, suites_root=config.suites_root), config, tmp_path)
    reason = "archive search, +50 % agreed"
    assert args[-6:] == ["--bfd-store", STORE_URI, "--bfd-store-tag", "nightly", "--bfd-accept", reason]
    plain_event = parse_payload(payload(store={"tags": ["n"]}), suites_root=suites_root)
    plain = pytest_args(plain_event, config, tmp_path)
    assert "--bfd-accept" not in plain


def test_the_request_id_names_who_accepted_while_the_run_lasts() -> None:
    environ: dict[str, str] = {"USER": "sbx_user1051"}
    with request_environment(SimpleNamespace(aws_request_id="8f5e-req"), environ):
        assert accepted_by(environ) == {"USER": "sbx_user1051", "lambda_request_id": "8f5e-req"}
    assert LAMBDA_REQUEST_ID_VARIABLE not in environ
    environ[LAMBDA_REQUEST_ID_VARIABLE] = "earlier"
    with request_environment(SimpleNamespace(), environ):
        assert environ[LAMBDA_REQUEST_ID_VARIABLE] == "earlier"
    assert environ[LAMBDA_REQUEST_ID_VARIABLE] == "earlier"
