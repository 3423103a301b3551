"""The Lambda under hostile inputs: no secret in any stream, file or response line; identifiers
never mangled by redaction; the exact spawn rate; bounded load; a timeout grace that fits; store
warnings in the response. Real pytest.main and Locust against a local target; AWS is moto."""

from __future__ import annotations

import json
import logging
import warnings
from pathlib import Path

import pytest

from lambda_entry import handler
from lambda_entry.collector import OutcomeCollector
from lambda_entry.payload import parse_payload
from lambda_entry.run import pytest_args
from lambda_entry.secrets import parameter_names
from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.record import record_hash
from pytest_bfd_locust.run.runner import spawn_rate_arg
from pytest_bfd_locust.stores.s3 import StoreWarning
from tests.store.test_lambda_handler import (
    CERT_KEY,
    CERT_PEM,
    ENVIRONMENT,
    PASSWORD,
    FakeContext,
    config_for,
    e2e_payload,
    payload,
    put_secrets,
)

LEAKY_LOCUSTFILE = """
import os
import sys

from locust import HttpUser, constant, events, task


@events.quitting.add_listener
def confess(**kwargs):
    # A suite that prints what it should not and then kills Locust at the end of its run, so the
    # failure text quotes the tail of its log: the DSN, and the key one line at a time.
    print("connecting with", os.environ["LOCUST_BFD_DATABASE_CONNECTION_STRING"], flush=True)
    with open(os.environ["LOCUST_BFD_CLIENT_CERT_PATH"]) as pem:
        for line in pem.read().splitlines():
            print("pem line:", line, file=sys.stderr, flush=True)
    os._exit(3)  # before our listener writes the result: Locust "exited before producing statistics"


class Api(HttpUser):
    wait_time = constant(0.01)

    @task
    def slow(self):
        self.client.get("/slow?ms=20", name="/slow")
"""

LEAKY_CATALOG = """
suites:
  - name: leaky
    locustfile: leaky.py
    sla: {p50: 1}
"""

SECRETS = ("s3cr3t p@ss/word", "s3cr3t%20p%40ss%2Fword", "KEYMATERIAL123", "CERTMATERIAL456", "HostPw777")


def every_text(run_dir: Path) -> str:
    return "".join(
        p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file() and not p.is_symlink()
    )


def test_a_leaky_failing_suite_leaks_nowhere(
    lambda_env: Path,
    suites_root: Path,
    clients: AwsClients,
    demo_server,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    put_secrets(clients)
    monkeypatch.setenv("BFD_LAMBDA_KEEP_RUN_DIR", "1")
    (suites_root / "leaky.py").write_text(LEAKY_LOCUSTFILE)
    (suites_root / "leaky.yaml").write_text(LEAKY_CATALOG)
    caplog.set_level(logging.INFO)
    event = e2e_payload(demo_server, "leaky.yaml")
    event["host"] = demo_server.url.replace("http://", "http://bob:HostPw777@")
    response = handler(event, FakeContext(), clients=clients)
    out, err = capfd.readouterr()
    assert (response["result"], response["exit_code"]) == ("failed", 1), response["message"]
    [suite] = response["suites"]
    assert "pem line: ***" in suite["failure"], "the failure text quotes the log, redacted"
    [run_dir] = lambda_env.iterdir()
    files = every_text(run_dir)
    assert "connecting with ***" in files and "pem line: ***" in files
    assert "running pytest" in caplog.text and "--bfd-host http://127.0.0.1:" in caplog.text
    places = {
        "response": json.dumps(response),
        "log": caplog.text,
        "stdout": out,
        "stderr": err,
        "files": files,
    }
    leaks = {(place, secret) for place, text in places.items() for secret in SECRETS if secret in text}
    assert leaks == set()


def test_redaction_leaves_identifiers_alone(
    lambda_env: Path,
    suites_root: Path,
    clients: AwsClients,
    demo_server,  # type: ignore[no-untyped-def]
) -> None:
    # The seed's username is `locust`: blanking it turned the log group into
    # /aws/lambda/bfd-test-***-run-***.
    values = {"username": "locust", "password": PASSWORD, "cert_key": CERT_KEY, "cert_pem": CERT_PEM}
    for role, name in parameter_names(ENVIRONMENT).items():
        clients.ssm.put_parameter(Name=name, Value=values[role], Type="SecureString")
    (suites_root / "locust_suite.py").write_text(LEAKY_LOCUSTFILE)
    context = FakeContext(log_group_name="/aws/lambda/bfd-test-locust-run-locust")
    response = handler(e2e_payload(demo_server, "locust_suite.py"), context, clients=clients)
    assert response["log_group_name"] == "/aws/lambda/bfd-test-locust-run-locust"
    assert response["suites"][0]["nodeid"] == "locust_suite.py::locust_suite"
    assert response["suites"][0]["properties"]["bfd_suite"] == "locust_suite"
    assert PASSWORD not in json.dumps(response)


def test_spawn_rate_reaches_the_run_unrounded(suites_root: Path, tmp_path: Path) -> None:
    config = config_for(suites_root, tmp_path)
    event = payload(spawn_rate=7 / 3)
    args = pytest_args(parse_payload(event, suites_root=config.suites_root), config, tmp_path)
    given = args[args.index("--bfd-spawn-rate") + 1]
    assert given == spawn_rate_arg(7 / 3) and float(given) == 7 / 3

    def hashed(rate: float) -> str:
        return record_hash(
            user_classes=["Api"],
            entry_names=["/"],
            num_users=10,
            requested_runtime=60,
            spawn_rate=rate,
            stats_reset_after_spawn=False,
            environment="test",
        )

    assert hashed(float(given)) == hashed(7 / 3), "the Lambda's records share the CLI's history"


@pytest.mark.parametrize(
    ("spare_s", "grace"), [(None, "30"), (1000.0, "30"), (12.5, "7.5"), (3.0, "0")], ids=str
)
def test_timeout_grace_fits_the_time_the_lambda_has_left(
    suites_root: Path, tmp_path: Path, spare_s: float | None, grace: str
) -> None:
    config = config_for(suites_root, tmp_path)
    run = parse_payload(payload(), suites_root=config.suites_root)
    args = pytest_args(run, config, tmp_path, spare_s=spare_s)
    assert args[args.index("--bfd-timeout-grace") + 1] == grace


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"users": 1_000_000_000, "spawn_rate": 1_000_000_000},
         "users 1000000000 exceeds the maximum of 10000 (raise it with BFD_LOCUST_MAX_USERS); "
         "spawn_rate 1e+09 exceeds the maximum of 1000 (raise it with BFD_LOCUST_MAX_SPAWN_RATE)"),
        ({"users": 20_000, "spawn_rate": 20_000},
         "users 20000 exceeds the maximum of 10000 (raise it with BFD_LOCUST_MAX_USERS); "
         "spawn_rate 20000 exceeds the maximum of 1000 (raise it with BFD_LOCUST_MAX_SPAWN_RATE)"),
    ],
)  # fmt: skip
def test_load_beyond_the_maximum_is_refused_before_anything_runs(
    lambda_env: Path, changes: dict[str, int], expected: str
) -> None:
    response = handler(payload(**changes), FakeContext(), clients=None)
    assert (response["result"], response["message"], response["exit_code"]) == ("failed", expected, None)


def test_the_maximum_is_raised_by_the_plugins_own_variable(
    lambda_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BFD_LOCUST_MAX_USERS", "50000")
    monkeypatch.setenv("BFD_LOCUST_MAX_SPAWN_RATE", "nope")
    response = handler(payload(users=20_000), FakeContext(), clients=None)
    assert response["message"] == (
        "environment variable BFD_LOCUST_MAX_SPAWN_RATE (for --bfd-max-spawn-rate): "
        "expected a number > 0, got 'nope'"
    )


def test_store_warnings_reach_the_response() -> None:
    collector = OutcomeCollector()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn(StoreWarning("s3://b/k is stored, but the Glue table does not exist yet"), stacklevel=1)
    collector.pytest_warning_recorded(caught[0], "runtest", "suites.yaml::api", None)
    assert collector.warnings == {
        "suites.yaml::api": ["s3://b/k is stored, but the Glue table does not exist yet"]
    }
