"""The Lambda handler: configuration, refusals, run_id deduplication (moto S3), pytest arguments,
what the response says for each pytest exit code, and secrets kept out of argv, logs and outputs.

The end-to-end tests at the bottom run a real small suite through `pytest.main` against a local
HTTP target.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from examples.demo_target import DemoServer, start_server
from lambda_entry import handler
from lambda_entry.config import ConfigError, LambdaConfig, load_config
from lambda_entry.dedup import MARKER_PREFIX, RunMarkers
from lambda_entry.payload import parse_payload
from lambda_entry.response import FINISHED_MESSAGE, SuiteOutcome
from lambda_entry.run import PytestRun, pytest_args, run_pytest, summarize
from lambda_entry.secrets import parameter_names
from pytest_bfd_locust.aws_clients import AwsClients
from pytest_bfd_locust.record import Record
from tests.locustfiles import one_request_locustfile
from tests.store.conftest import (
    BUCKET,
    DATABASE,
    LAMBDA_ENVIRONMENT,
    TABLE,
    queue_results,
    result_row,
)

ENVIRONMENT = LAMBDA_ENVIRONMENT
PASSWORD = "s3cr3t p@ss/word"
USERNAME = "locust_reader"
CERT_KEY = "-----BEGIN PRIVATE KEY-----\nKEYMATERIAL123\n-----END PRIVATE KEY-----\n"
CERT_PEM = "-----BEGIN CERTIFICATE-----\nCERTMATERIAL456\n-----END CERTIFICATE-----\n"
SECRET_FRAGMENTS = (PASSWORD, "s3cr3t%20p%40ss%2Fword", "KEYMATERIAL123", "CERTMATERIAL456", USERNAME)


@dataclass
class FakeContext:
    """The shape of the Lambda context object (not a mock of AWS: Lambda passes exactly this)."""

    remaining_ms: int = 900_000
    log_group_name: str = "/aws/lambda/bfd-test-locust-run-locust"
    log_stream_name: str = "2024/01/01/[$LATEST]abcdef"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def put_secrets(aws: AwsClients) -> None:
    values = {"username": USERNAME, "password": PASSWORD, "cert_key": CERT_KEY, "cert_pem": CERT_PEM}
    for role, name in parameter_names(ENVIRONMENT).items():
        aws.ssm.put_parameter(Name=name, Value=values[role], Type="SecureString")


def payload(**changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "suite": "v2/regression_suite.py",
        "host": "http://127.0.0.1:9",
        "spawn_rate": 5,
        "users": 10,
        "spawned_runtime": "1m",
    }
    event.update(changes)
    return event


def assert_seed_fields(response: dict[str, Any], context: FakeContext) -> None:
    assert response["result"] in ("success", "failed")
    assert isinstance(response["message"], str) and response["message"]
    assert response["log_group_name"] == context.log_group_name
    assert response["log_stream_name"] == context.log_stream_name
    json.dumps(response)  # the Lambda runtime serialises it


# --- configuration --------------------------------------------------------------------------------


def test_missing_environment_is_named(lambda_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("READER_ENDPOINT")
    context = FakeContext()
    response = handler(payload(), context, clients=None)
    assert_seed_fields(response, context)
    assert response["result"] == "failed" and response["exit_code"] is None
    assert response["message"] == "missing environment variable(s) required by this payload: READER_ENDPOINT"


@pytest.mark.parametrize(
    ("event_changes", "unset", "expected"),
    [
        ({}, "BFD_ENVIRONMENT", "BFD_ENVIRONMENT"),
        ({"store": {"tags": ["nightly"]}}, "STATS_ATHENA_TABLE", "STATS_ATHENA_TABLE"),
        ({"compare": {"type": "previous", "tag": "n"}}, "STATS_ATHENA_WORKGROUP", "STATS_ATHENA_WORKGROUP"),
        ({"run_id": "r1"}, "STATS_BUCKET_ID", "STATS_BUCKET_ID"),
    ],
)
def test_variable_needed_by_the_payload(
    lambda_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    event_changes: dict[str, Any],
    unset: str,
    expected: str,
) -> None:
    monkeypatch.delenv(unset)
    response = handler(payload(**event_changes), FakeContext())
    assert response["result"] == "failed" and response["message"].endswith(expected)


def test_stats_variables_not_needed_without_compare_store_or_run_id(suites_root: Path) -> None:
    environ = {"BFD_ENVIRONMENT": "TEST", "READER_ENDPOINT": "r", "LAMBDA_TASK_ROOT": str(suites_root.parent)}
    config = load_config(environ)
    config.require_for(parse_payload(payload(), suites_root=config.suites_root))
    assert config.environment == "test" and config.region == "us-east-1"
    assert config.suites_root == suites_root and config.compare_meta is None
    all_four = "STATS_ATHENA_DATABASE, STATS_ATHENA_TABLE, STATS_ATHENA_WORKGROUP, STATS_BUCKET_ID"
    with pytest.raises(ConfigError, match=all_four):
        config.require_for(parse_payload(payload(store={"tags": ["a"]}), suites_root=config.suites_root))


def test_suites_root_and_threshold_file(tmp_path: Path) -> None:
    root = tmp_path / "suites"
    (root / "config").mkdir(parents=True)
    assert load_config({"BFD_SUITES_ROOT": str(root)}).compare_meta is None
    (root / "config" / "regression_suites_compare_meta.json").write_text("{}")
    config = load_config({"BFD_SUITES_ROOT": str(root), "LAMBDA_TASK_ROOT": "/elsewhere"})
    assert config.suites_root == root
    assert config.compare_meta == root / "config" / "regression_suites_compare_meta.json"
    assert load_config({}).suites_root == Path("/var/task/app")


def test_bad_environment_name_is_named() -> None:
    with pytest.raises(ConfigError, match="BFD_ENVIRONMENT: 'prod sbx' must match"):
        load_config({"BFD_ENVIRONMENT": "PROD SBX"})


@pytest.mark.parametrize("value", ["soon", "-5"])
def test_bad_timeout_margin_is_named(value: str) -> None:
    with pytest.raises(ConfigError, match=f"BFD_LAMBDA_TIMEOUT_MARGIN: '{value}'"):
        load_config({"BFD_LAMBDA_TIMEOUT_MARGIN": value})


def test_invalid_payload_is_a_failed_response_naming_the_field(lambda_env: Path) -> None:
    response = handler(payload(users=0), FakeContext())
    assert response["result"] == "failed" and response["message"] == "users: 0 must be an integer >= 1"


def test_suite_outside_the_root_is_refused(lambda_env: Path) -> None:
    response = handler(payload(suite="../../../etc/passwd.py"), FakeContext())
    assert response["result"] == "failed" and "must not contain '..'" in response["message"]


@pytest.mark.parametrize(
    ("field", "value"), [("suite", "v2/regression\0_suite.py"), ("host", "http://127.0.0.1\0:8080")]
)
def test_a_nul_byte_is_a_failed_response_naming_the_field(lambda_env: Path, field: str, value: str) -> None:
    response = handler(payload(**{field: value}), FakeContext())
    assert response["result"] == "failed" and response["message"] == f"{field}: contains a NUL byte"


# --- timeout guard ----------------------------------------------------------------------------------


def test_timeout_refusal_gives_both_figures_before_touching_aws(lambda_env: Path) -> None:
    # users 10 / spawn_rate 5 = 2 s spawn, 60 s runtime, 30 s margin: 92 s needed, 91 s left.
    context = FakeContext(remaining_ms=91_000)
    response = handler(payload(), context, clients=None)  # no clients: any AWS call would fail
    assert_seed_fields(response, context)
    assert response["result"] == "failed"
    assert "needs about 92 s (spawn 2 s + spawned_runtime 60 s + margin 30 s)" in response["message"]
    assert "has 91 s left" in response["message"]


def test_enough_time_passes_the_guard(lambda_env: Path, clients: AwsClients) -> None:
    # Past the guard the secrets are read; with none in SSM that is the (named) failure.
    response = handler(payload(), FakeContext(remaining_ms=93_000), clients=clients)
    assert response["result"] == "failed"
    expected = "missing or empty SSM parameter(s): /bfd/test/locust/sensitive/db/username"
    assert response["message"].startswith(expected)


# --- run_id deduplication ------------------------------------------------------------------------------


def marker(aws: AwsClients, run_id: str) -> dict[str, Any]:
    body = aws.s3.get_object(Bucket=BUCKET, Key=f"{MARKER_PREFIX}{run_id}.json")["Body"].read()
    return json.loads(body)  # type: ignore[no-any-return]


def test_repeated_run_id_returns_the_finished_response(lambda_env: Path, clients: AwsClients) -> None:
    first = handler(payload(run_id="build-7"), FakeContext(), clients=clients)
    assert first["result"] == "failed" and "missing or empty SSM parameter" in first["message"]
    assert marker(clients, "build-7")["status"] == "finished"
    assert marker(clients, "build-7")["response"] == first
    put_secrets(clients)  # a second run would now get further; it must not start at all
    again = handler(payload(run_id="build-7"), FakeContext(log_stream_name="retry"), clients=clients)
    assert again == first


def test_run_id_already_running_starts_nothing(lambda_env: Path, clients: AwsClients) -> None:
    markers = RunMarkers(clients.s3, BUCKET)
    assert markers.claim("build-8") is None
    response = handler(payload(run_id="build-8"), FakeContext(), clients=clients)
    assert response["result"] == "failed"
    assert "run_id 'build-8' is already running" in response["message"]
    assert marker(clients, "build-8")["status"] == "running"


def test_conditional_put_lets_exactly_one_claim_win(clients: AwsClients) -> None:
    markers = RunMarkers(clients.s3, BUCKET)
    assert markers.claim("race", now=1000.0) is None
    earlier = markers.claim("race", now=1001.0)
    assert earlier is not None and earlier.response is None and earlier.started_at == 1000.0


def test_stale_running_marker_is_reported_not_rerun(lambda_env: Path, clients: AwsClients) -> None:
    RunMarkers(clients.s3, BUCKET).claim("old", now=0.0)
    response = handler(payload(run_id="old"), FakeContext(), clients=clients)
    assert response["result"] == "failed" and "never finished" in response["message"]


def test_unreadable_marker_bucket_is_a_failed_response(
    lambda_env: Path, clients: AwsClients, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATS_BUCKET_ID", "no-such-bucket")
    response = handler(payload(run_id="r9"), FakeContext(), clients=clients)
    assert response["result"] == "failed" and response["exit_code"] is None
    assert response["message"].startswith(
        "not running: creating run marker s3://no-such-bucket/lambda-runs/r9.json"
    )


def test_different_run_ids_are_independent(lambda_env: Path, clients: AwsClients) -> None:
    RunMarkers(clients.s3, BUCKET).claim("a")
    response = handler(payload(run_id="b"), FakeContext(), clients=clients)
    assert "already running" not in response["message"]
    assert marker(clients, "b")["status"] == "finished"


# --- pytest arguments -------------------------------------------------------------------------------------


def config_for(suites_root: Path, tmp_path: Path, *, with_meta: bool = False) -> LambdaConfig:
    if with_meta:
        (suites_root / "config").mkdir(exist_ok=True)
        (suites_root / "config" / "regression_suites_compare_meta.json").write_text("{}")
    return load_config(
        {
            "BFD_ENVIRONMENT": ENVIRONMENT,
            "STATS_BUCKET_ID": BUCKET,
            "STATS_ATHENA_WORKGROUP": "wg",
            "STATS_ATHENA_DATABASE": "db",
            "STATS_ATHENA_TABLE": "tbl",
            "READER_ENDPOINT": "reader.db.example",
            "AWS_CURRENT_REGION": "us-west-2",
            "BFD_SUITES_ROOT": str(suites_root),
        }
    )


STORE_URI = f"s3://{BUCKET}?database=db&table=tbl&workgroup=wg&region=us-west-2"


@pytest.mark.parametrize(
    ("changes", "with_meta", "expected_tail"),
    [
        ({}, False, ["--bfd-no-store"]),
        ({"only_summary": True}, False, ["--bfd-only-summary", "--bfd-no-store"]),
        ({"abort_on_breach": True}, False, ["--bfd-abort-on-breach", "--bfd-no-store"]),
        ({"inconclusive": "warn"}, False, ["--bfd-inconclusive", "warn", "--bfd-no-store"]),
        (
            {"store": {"tags": ["nightly", "release_2"]}},
            False,
            ["--bfd-store", STORE_URI, "--bfd-store-tag", "nightly", "--bfd-store-tag", "release_2"],
        ),
        (
            {"compare": {"type": "previous", "tag": "nightly"}},
            False,
            # no --compare-load-limit: it means nothing to --compare previous
            ["--compare", "previous", "--compare-tag", "nightly",
             "--bfd-store", STORE_URI, "--bfd-no-store"],
        ),
        (
            {"compare": {"type": "average", "tag": "nightly", "load_limit": 3}, "store": {"tags": ["n"]}},
            True,
            ["--compare", "average", "--compare-tag", "nightly", "--compare-load-limit", "3",
             "--compare-meta", "{meta}", "--bfd-store", STORE_URI, "--bfd-store-tag", "n"],
        ),
    ],
)  # fmt: skip
def test_pytest_arguments(
    suites_root: Path, tmp_path: Path, changes: dict[str, Any], with_meta: bool, expected_tail: list[str]
) -> None:
    config = config_for(suites_root, tmp_path, with_meta=with_meta)
    run_payload = parse_payload(payload(spawn_rate=2.5, **changes), suites_root=config.suites_root)
    args = pytest_args(run_payload, config, tmp_path / "run")
    meta = str(suites_root / "config" / "regression_suites_compare_meta.json")
    assert args[-len(expected_tail) :] == [meta if part == "{meta}" else part for part in expected_tail]
    pairs = dict(zip(args, args[1:], strict=False))
    assert pairs["--bfd-suite"] == str((suites_root / "v2" / "regression_suite.py").resolve())
    assert pairs["--bfd-host"] == "http://127.0.0.1:9"
    load = (pairs["--bfd-users"], pairs["--bfd-spawn-rate"], pairs["--bfd-spawned-runtime"])
    assert load == ("10", "2.5", "1m")
    assert pairs["--bfd-env"] == ENVIRONMENT
    assert pairs["--junitxml"] == str(tmp_path / "run" / "junit.xml")
    assert pairs["--bfd-artifacts"] == str(tmp_path / "run" / "artifacts")
    assert pairs["-c"] == str(tmp_path / "run" / "pytest.ini") and "--noconftest" in args


def test_integral_spawn_rate_is_written_without_a_fraction(suites_root: Path, tmp_path: Path) -> None:
    config = config_for(suites_root, tmp_path)
    args = pytest_args(parse_payload(payload(), suites_root=config.suites_root), config, tmp_path)
    assert args[args.index("--bfd-spawn-rate") + 1] == "5"


# --- what the response says for each exit code ----------------------------------------------------------


def pytest_run(
    exit_code: int, *suites: SuiteOutcome, errors: tuple[str, ...] = (), stderr: str = ""
) -> PytestRun:
    return PytestRun(
        exit_code=exit_code,
        suites=suites,
        records=(),
        reports=(),
        collection_errors=errors,
        stderr_tail=stderr,
    )


PASSED = SuiteOutcome("suites.yaml::a", "passed")
FAILED = SuiteOutcome("suites.yaml::b", "failed", failure="totals 0.95 ...")


@pytest.mark.parametrize(
    ("run", "result", "message"),
    [
        (pytest_run(0, PASSED), "success", FINISHED_MESSAGE),
        (pytest_run(1, PASSED, FAILED), "failed",
         f"1 of 2 suite(s) failed: suites.yaml::b. {FINISHED_MESSAGE}"),
        (pytest_run(2, errors=("suites.yaml: users: 0",)), "failed",
         "pytest was interrupted (exit code 2): suites.yaml: users: 0"),
        (pytest_run(3, stderr="INTERNALERROR> boom\n"), "failed",
         "pytest hit an internal error (exit code 3): INTERNALERROR> boom"),
        (pytest_run(4, stderr="ERROR: unrecognized arguments: --x\n"), "failed",
         "pytest reported a usage error (exit code 4): ERROR: unrecognized arguments: --x"),
        (pytest_run(5), "failed",
         "pytest collected no tests (exit code 5): suite 'v2/regression_suite.py' declares no suites to run"),
        (pytest_run(9), "failed", "pytest exited abnormally (exit code 9)"),
    ],
)  # fmt: skip
def test_exit_code_mapping(suites_root: Path, run: PytestRun, result: str, message: str) -> None:
    run_payload = parse_payload(payload(), suites_root=suites_root)
    got_result, got_message = summarize(run, run_payload)
    assert (got_result.value, got_message) == (result, message)


# --- a secret never leaves through argv or logs (the run itself is covered end to end below) ----------------


def test_secrets_stay_out_of_logs_and_response_when_the_run_cannot_start(
    lambda_env: Path, clients: AwsClients, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    put_secrets(clients)
    # INFO everywhere, DEBUG for ours: botocore's own DEBUG logging prints response bodies, which
    # docs/lambda.md warns about.
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="lambda_entry")
    # An unreachable suite: pytest runs, collects nothing usable, and the response comes back failed.
    response = handler(payload(), FakeContext(), clients=clients)
    out, err = capfd.readouterr()
    everything = json.dumps(response) + caplog.text + out + err
    for fragment in SECRET_FRAGMENTS:
        assert fragment not in everything
    assert "running pytest" in caplog.text
    assert response["exit_code"] is not None
    assert "LOCUST_BFD_DATABASE_CONNECTION_STRING" not in os.environ
    assert "LOCUST_BFD_CLIENT_CERT_PATH" not in os.environ
    assert list(lambda_env.iterdir()) == []  # the run directory, PEM file included, is gone


# --- end to end: a real small suite through pytest.main against a local target -----------------------------

SECRET_CHECKING_LOCUSTFILE = """
import os
import stat

from locust import HttpUser, constant, task


def secrets_arrived() -> bool:
    dsn = os.environ.get("LOCUST_BFD_DATABASE_CONNECTION_STRING", "")
    cert_path = os.environ.get("LOCUST_BFD_CLIENT_CERT_PATH", "")
    if not dsn.startswith("postgres://locust_reader:s3cr3t%20p%40ss%2Fword@reader.db.example:5432/fhirdb"):
        return False
    if not cert_path or stat.S_IMODE(os.stat(cert_path).st_mode) != 0o600:
        return False
    with open(cert_path, encoding="utf-8") as cert:
        return "KEYMATERIAL123" in cert.read()


class Api(HttpUser):
    wait_time = constant(0.01)

    def on_start(self):
        self.status = 200 if secrets_arrived() else 599

    @task
    def patient(self):
        self.client.get("/v2/fhir/Patient?_id=1", name="/v2/fhir/Patient")
        self.client.get(f"/status/{self.status}", name="/secrets-check")
"""

FAILING_LOCUSTFILE = one_request_locustfile("/status/500")


@pytest.fixture
def demo_server() -> Iterator[DemoServer]:
    with start_server() as server:
        yield server


def e2e_payload(server: DemoServer, suite: str, **changes: Any) -> dict[str, Any]:
    return payload(suite=suite, host=server.url, users=2, spawn_rate=2, spawned_runtime="2s", **changes)


def test_success_with_a_real_suite_and_secrets_in_its_environment(
    lambda_env: Path,
    suites_root: Path,
    clients: AwsClients,
    demo_server: DemoServer,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    put_secrets(clients)
    (suites_root / "v2" / "api.py").write_text(SECRET_CHECKING_LOCUSTFILE)
    caplog.set_level(logging.INFO)
    context = FakeContext()
    response = handler(e2e_payload(demo_server, "v2/api.py", only_summary=True), context, clients=clients)
    out, err = capfd.readouterr()
    assert_seed_fields(response, context)
    assert (response["result"], response["exit_code"]) == ("success", 0), response["message"]
    assert response["message"] == FINISHED_MESSAGE
    [suite] = response["suites"]
    assert (suite["nodeid"], suite["outcome"], suite["failure"]) == ("v2/api.py::api", "passed", None)
    assert suite["properties"]["bfd_num_requests"] > 0 and suite["properties"]["bfd_num_failures"] == 0
    assert response["records"] == []  # no store in the payload: nothing stored
    everything = json.dumps(response) + caplog.text + out + err
    assert not [fragment for fragment in SECRET_FRAGMENTS if fragment in everything]
    assert "LOCUST_BFD_DATABASE_CONNECTION_STRING" not in os.environ
    assert list(lambda_env.iterdir()) == []


def test_failed_with_a_real_suite_keeps_secrets_out_of_junit(
    lambda_env: Path,
    suites_root: Path,
    clients: AwsClients,
    demo_server: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    put_secrets(clients)
    monkeypatch.setenv("BFD_LAMBDA_KEEP_RUN_DIR", "1")
    (suites_root / "failing.py").write_text(FAILING_LOCUSTFILE)
    response = handler(e2e_payload(demo_server, "failing.py"), FakeContext(), clients=clients)
    assert (response["result"], response["exit_code"]) == ("failed", 1)
    assert response["message"].startswith("1 of 1 suite(s) failed: failing.py::failing.")
    [suite] = response["suites"]
    assert suite["outcome"] == "failed" and suite["failure"]
    assert suite["properties"]["bfd_num_failures"] > 0
    [run_dir] = lambda_env.iterdir()
    junit = (run_dir / "junit.xml").read_text()
    assert 'name="failing"' in junit and 'failures="1"' in junit
    assert not [fragment for fragment in SECRET_FRAGMENTS if fragment in junit]
    assert not (run_dir / "bfd_client_cert.pem").exists()


LEAKY_LOCUSTFILE = """
import os

from locust import HttpUser, constant, task


class Leaky(HttpUser):
    wait_time = constant(0.05)

    @task
    def query(self):
        dsn = os.environ["LOCUST_BFD_DATABASE_CONNECTION_STRING"]
        with self.client.get("/v2/fhir/Patient?_id=1", name="/db", catch_response=True) as response:
            response.failure(f"cannot connect to {dsn}")
        print(f"connecting with {dsn}", flush=True)
"""


def test_a_suite_quoting_its_secrets_leaves_them_in_no_file_response_or_log(
    lambda_env: Path,
    suites_root: Path,
    clients: AwsClients,
    demo_server: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Issue 19: every file the run leaves (its log, into which the locustfile prints the DSN, too),
    the response and the Lambda's logs."""
    put_secrets(clients)
    monkeypatch.setenv("BFD_LAMBDA_KEEP_RUN_DIR", "1")
    caplog.set_level(logging.DEBUG)  # a Lambda whose log level is DEBUG: botocore logs response bodies
    (suites_root / "leaky.py").write_text(LEAKY_LOCUSTFILE)
    response = handler(e2e_payload(demo_server, "leaky.py"), FakeContext(), clients=clients)
    out, err = capfd.readouterr()
    assert (response["result"], response["exit_code"]) == ("failed", 1), response["message"]
    [run_dir] = lambda_env.iterdir()
    files = [path for path in run_dir.rglob("*") if path.is_file() and not path.is_symlink()]
    assert {"locust.log", "junit.xml"} <= {path.name for path in files}
    texts = [(json.dumps(response), "response"), (caplog.text + out + err, "logs")]
    texts += [(path.read_text(errors="replace"), str(path)) for path in files]
    assert "cannot connect to ***" in json.dumps(response) + "".join(text for text, _ in texts)
    leaks = [
        (fragment, where, text[max(text.find(fragment) - 80, 0) : text.find(fragment) + 40])
        for text, where in texts
        for fragment in SECRET_FRAGMENTS
        if fragment in text
    ]
    assert leaks == []


def test_store_then_compare_through_moto(
    lambda_env: Path,
    suites_root: Path,
    clients: AwsClients,
    workgroup: str,
    stats_table: str,
    demo_server: DemoServer,
) -> None:
    put_secrets(clients)
    (suites_root / "api.py").write_text(SECRET_CHECKING_LOCUSTFILE)
    queue_results([])  # Athena finds no baseline yet
    compare = {"type": "previous", "tag": "nightly"}
    store_payload = e2e_payload(demo_server, "api.py", compare=compare, store={"tags": ["nightly"]})
    first = handler(store_payload, FakeContext(), clients=clients)
    assert first["result"] == "success", first["message"]
    [first_suite] = first["suites"]
    assert any("no eligible baseline" in warning for warning in first_suite["warnings"])
    [location] = first["records"]
    prefix = f"s3://{BUCKET}/databases/{DATABASE}/{TABLE}/hash="
    assert location.startswith(prefix) and location.endswith(".stats.json")
    key = location.removeprefix(f"s3://{BUCKET}/")
    stored = Record.from_json(json.loads(clients.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()))
    assert stored.metadata.tags == ("nightly",) and stored.metadata.environment == ENVIRONMENT
    # The HTML report sits next to the record, and the response names it.
    [report_location] = first["reports"]
    assert report_location == location.removesuffix(".stats.json") + ".report.html"
    report_key = report_location.removeprefix(f"s3://{BUCKET}/")
    page = clients.s3.get_object(Bucket=BUCKET, Key=report_key)
    assert page["ContentType"].startswith("text/html")
    html = page["Body"].read().decode("utf-8")
    assert "<svg" in html and stored.run_id in html and "<script" not in html

    queue_results([result_row(stored, location)])  # what Athena answers for the baseline query
    second = handler(
        e2e_payload(demo_server, "api.py", compare=compare),
        FakeContext(),
        clients=clients,
    )
    [suite] = second["suites"]
    assert suite["properties"]["bfd_compare_result"] in ("PASSED", "FAILED")
    assert "bfd_baseline" in suite["properties"]
    assert second["records"] == [] and second["reports"] == []  # compare without store: nothing kept
    keys = clients.s3.list_objects_v2(Bucket=BUCKET, Prefix="databases/")["Contents"]
    assert sorted(entry["Key"] for entry in keys) == sorted([key, report_key])


def test_usage_error_from_a_real_pytest_main_is_quoted(suites_root: Path, tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    run = run_pytest(["-c", str(tmp_path / "pytest.ini"), "-p", "no:cacheprovider", "--bfd-users", "zero"])
    result, message = summarize(run, parse_payload(payload(), suites_root=suites_root))
    assert (run.exit_code, result.value) == (4, "failed")
    assert message.startswith("pytest reported a usage error (exit code 4): ")
    assert "--bfd-users" in message and "'zero'" in message


def test_no_tests_from_a_real_pytest_main(suites_root: Path, tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    suite = str(suites_root / "v2" / "regression_suite.py")
    args = ["-c", str(tmp_path / "pytest.ini"), "--rootdir", str(suites_root), "-p", "no:cacheprovider",
            "--bfd-suite", suite, "-k", "no_such_suite"]  # fmt: skip
    run = run_pytest(args)
    result, message = summarize(run, parse_payload(payload(), suites_root=suites_root))
    assert (run.exit_code, result.value) == (5, "failed")
    assert message.startswith("pytest collected no tests (exit code 5)")


def test_record_the_store_refused_leaves_with_the_response(
    lambda_env: Path,
    suites_root: Path,
    clients: AwsClients,
    demo_server: DemoServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    put_secrets(clients)
    (suites_root / "api.py").write_text(SECRET_CHECKING_LOCUSTFILE)
    monkeypatch.setenv("STATS_BUCKET_ID", "no-such-bucket-for-stats")
    caplog.set_level(logging.ERROR)
    response = handler(
        e2e_payload(demo_server, "api.py", store={"tags": ["nightly"]}), FakeContext(), clients=clients
    )
    assert (response["result"], response["exit_code"]) == ("failed", 1)
    [suite] = response["suites"]
    assert "storing the record in" in suite["failure"]
    [unsaved] = response["unsaved_records"]
    record = Record.from_json(unsaved)
    assert record.metadata.tags == ("nightly",) and record.totals.num_requests > 0
    assert record.run_id is not None and record.run_id in caplog.text  # also in the log
    assert list(lambda_env.iterdir()) == []
    assert not [fragment for fragment in SECRET_FRAGMENTS if fragment in json.dumps(response)]


def test_warm_invocations_answer_right_each_time(
    lambda_env: Path, suites_root: Path, clients: AwsClients, demo_server: DemoServer
) -> None:
    """One process, several invocations, alternating outcomes: nothing of one run leaks into the next."""
    put_secrets(clients)
    (suites_root / "api.py").write_text(SECRET_CHECKING_LOCUSTFILE)
    (suites_root / "failing.py").write_text(FAILING_LOCUSTFILE)
    expected = ["success", "failed", "success", "failed"]
    answers = [
        handler(
            e2e_payload(demo_server, "api.py" if want == "success" else "failing.py"),
            FakeContext(),
            clients=clients,
        )
        for want in expected
    ]
    assert [(a["result"], a["exit_code"]) for a in answers] == [
        (want, 0 if want == "success" else 1) for want in expected
    ]
    assert [len(a["suites"]) for a in answers] == [1, 1, 1, 1]
    assert "LOCUST_BFD_DATABASE_CONNECTION_STRING" not in os.environ
    assert list(lambda_env.iterdir()) == []
