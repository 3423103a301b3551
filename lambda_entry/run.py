"""One run: payload + configuration -> pytest arguments -> `pytest.main` in-process -> response.

pytest runs in the Lambda's own process (the plugin's runner puts Locust in a child process, so
gevent never patches this interpreter and a warm Lambda stays clean). Everything per run lives in
a fresh directory under /tmp and in the objects created here; nothing is kept between invocations.
"""

from __future__ import annotations

import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest

from lambda_entry.budget import attempts_that_fit
from lambda_entry.collector import OutcomeCollector, tail
from lambda_entry.config import LambdaConfig
from lambda_entry.payload import RunPayload
from lambda_entry.redaction import redact_response, redacted_output
from lambda_entry.response import (
    FINISHED_MESSAGE,
    Result,
    SuiteOutcome,
    build_response,
    failed_response,
)
from lambda_entry.secrets import (
    SecretsError,
    fetch_secrets,
    secret_environment,
)
from lambda_entry.stderr_tee import stderr_tee
from pytest_bfd_locust import property_names as prop
from pytest_bfd_locust.acceptance import LAMBDA_REQUEST_ID_VARIABLE
from pytest_bfd_locust.hosts import host_without_credentials
from pytest_bfd_locust.judge.baseline import BaselineKind
from pytest_bfd_locust.judge.confirmation import DEFAULT_CONFIRM
from pytest_bfd_locust.run.runner import STOP_GRACE_S, spawn_rate_arg
from pytest_bfd_locust.run_dirs import redact_files
from pytest_bfd_locust.settings import option_default

logger = logging.getLogger(__name__)

PLUGIN_ENTRY_POINT = "bfd_locust"
PLUGIN_MODULE = "pytest_bfd_locust.plugin"
MAX_STDERR_CHARS = 2000
"""How much of pytest's stderr the response quotes when pytest itself failed (usage errors)."""

_EXIT_MEANINGS = {
    int(pytest.ExitCode.INTERRUPTED): "pytest was interrupted",
    int(pytest.ExitCode.INTERNAL_ERROR): "pytest hit an internal error",
    int(pytest.ExitCode.USAGE_ERROR): "pytest reported a usage error",
    int(pytest.ExitCode.NO_TESTS_COLLECTED): "pytest collected no tests",
}


@dataclass(frozen=True)
class PytestRun:
    exit_code: int
    suites: tuple[SuiteOutcome, ...]
    records: tuple[str, ...]
    reports: tuple[str, ...]
    collection_errors: tuple[str, ...]
    stderr_tail: str


def timeout_grace(spare_s: float | None) -> float:
    """The run's `--bfd-timeout-grace`: the plugin's default, cut to what the Lambda has to spare
    (minus the runner's own stop grace), so an overrunning run is stopped, statistics kept, before
    the Lambda's timeout kills everything."""
    default: float = option_default("timeout_grace")
    if spare_s is None:
        return default
    return max(0.0, min(default, spare_s - STOP_GRACE_S))


def confirm_attempts(asked: int | None, fit: int | None) -> int | None:
    """The run's `--bfd-confirm`: what the payload asked, cut to the attempts that fit in the
    Lambda's time; None: the plugin's default (which fits). A default that would not fit turns
    confirmation off rather than on: for a threshold file with only the seed's keys the default is
    already 0, and a positive number would switch it on."""
    if asked is not None:
        return asked if fit is None else min(asked, fit)
    if fit is not None and fit < DEFAULT_CONFIRM:
        return 0
    return None


def pytest_args(
    payload: RunPayload, config: LambdaConfig, run_dir: Path, *, spare_s: float | None = None
) -> list[str]:
    """The command line for this payload (SPEC §4 options); no secret is ever part of it (a host's
    credentials are: `loggable_args` is what may be logged)."""
    args = [
        # The Lambda's code directory is read-only and its configuration is not ours: pytest gets
        # its own empty ini file, no cache and no conftest from wherever the cwd is. The suites
        # root as rootdir gives readable node ids (`v2/suites.yaml::name`). Suites are not Python
        # tests, so assertion rewriting has nothing to do (and warns on warm invocations).
        "-c", str(run_dir / "pytest.ini"),
        "--rootdir", str(config.suites_root.resolve()),
        "-p", "no:cacheprovider",
        "--noconftest",
        "--assert=plain",
        "--bfd-suite", str(payload.suite_path),
        "--bfd-host", payload.host,
        "--bfd-users", str(payload.users),
        # Unrounded, as the runner passes it: the record's hash holds the exact rate.
        "--bfd-spawn-rate", spawn_rate_arg(payload.spawn_rate),
        "--bfd-spawned-runtime", payload.spawned_runtime,
        "--bfd-env", config.environment,
        "--bfd-artifacts", str(run_dir / "artifacts"),
        "--junitxml", str(run_dir / "junit.xml"),
        "--bfd-timeout-grace", format(timeout_grace(spare_s), "g"),
    ]  # fmt: skip
    if not _plugin_installed():
        args += ["-p", PLUGIN_MODULE]
    if payload.only_summary:
        args.append("--bfd-only-summary")
    if payload.abort_on_breach:
        args.append("--bfd-abort-on-breach")
    if payload.inconclusive is not None:
        args += ["--bfd-inconclusive", payload.inconclusive.value]
    if payload.compare is not None:
        args += ["--compare", payload.compare.type.value, "--compare-tag", payload.compare.tag]
        fit = attempts_that_fit(payload, config.timeout_margin_s, spare_s)
        confirm = confirm_attempts(payload.compare.confirm, fit)
        if confirm is not None:
            args += ["--bfd-confirm", str(confirm)]
        if payload.compare.type is BaselineKind.AVERAGE:
            args += ["--compare-load-limit", str(payload.compare.effective_load_limit)]
        if config.compare_meta is not None:
            args += ["--compare-meta", str(config.compare_meta)]
    if payload.store is not None:
        args += ["--bfd-store", config.store_uri]
        for tag in payload.store.tags:
            args += ["--bfd-store-tag", tag]
        if payload.store.accept is not None:
            args += ["--bfd-accept", payload.store.accept]
    elif payload.compare is not None:
        # Baselines come from the S3 store, but this run's record is not to be kept.
        args += ["--bfd-store", config.store_uri, "--bfd-no-store"]
    else:
        args.append("--bfd-no-store")
    return args


def loggable_args(args: Sequence[str]) -> list[str]:
    """`args` with any credentials in a host URL removed."""
    return [host_without_credentials(arg) or arg if "://" in arg else arg for arg in args]


def host_secrets(host: str) -> tuple[str, ...]:
    """The password (and the whole user:password part) of a host URL: never to be shown."""
    authority = host.partition("://")[2].partition("/")[0]
    userinfo, at, _ = authority.rpartition("@")
    if not at:
        return ()
    password = userinfo.partition(":")[2]
    return tuple(value for value in (userinfo, password) if value)


def run_pytest(args: Sequence[str]) -> PytestRun:
    """`pytest.main` in this process, with a collector for the outcome and a copy of stderr's tail.

    pytest prints usage errors to stderr before any plugin runs; the copy lets the response say
    what was wrong while the text still reaches the log.
    """
    collector = OutcomeCollector()
    with stderr_tee(MAX_STDERR_CHARS) as stderr_copy:
        try:
            exit_code = int(pytest.main(list(args), plugins=[collector]))
        except Exception as exc:  # noqa: BLE001 - a hook that raises outside a test escapes pytest.main
            logger.exception("pytest.main raised")
            exit_code = int(pytest.ExitCode.INTERNAL_ERROR)
            print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
    return PytestRun(
        exit_code=exit_code,
        suites=collector.suites(),
        records=collector.records(),
        reports=collector.reports(),
        collection_errors=tuple(collector.collection_errors),
        stderr_tail=tail(stderr_copy.text(), MAX_STDERR_CHARS),
    )


def summarize(run: PytestRun, payload: RunPayload) -> tuple[Result, str]:
    """`success` only for exit code 0; otherwise `failed` with what pytest reported."""
    if run.exit_code == int(pytest.ExitCode.OK):
        return Result.SUCCESS, FINISHED_MESSAGE
    if run.exit_code == int(pytest.ExitCode.TESTS_FAILED):
        failed = [s.nodeid for s in run.suites if s.outcome in ("failed", "error")]
        detail = f"{len(failed)} of {len(run.suites)} suite(s) failed: {', '.join(failed)}" if failed else ""
        errors = "; ".join(run.collection_errors)
        return Result.FAILED, ". ".join(part for part in (detail, errors, FINISHED_MESSAGE) if part)
    meaning = _EXIT_MEANINGS.get(run.exit_code, "pytest exited abnormally")
    detail = "; ".join(run.collection_errors) or run.stderr_tail.strip()
    if run.exit_code == int(pytest.ExitCode.NO_TESTS_COLLECTED):
        detail = detail or f"suite {payload.suite!r} declares no suites to run"
    message = f"{meaning} (exit code {run.exit_code})"
    return Result.FAILED, f"{message}: {detail}" if detail else message


def run_payload(
    payload: RunPayload,
    config: LambdaConfig,
    context: Any,
    *,
    ssm: Any,
    environ: MutableMapping[str, str],
    spare_s: float | None = None,
) -> dict[str, Any]:
    """Fetch the secrets, run the suite with them in the environment, and build the response.

    Everything written while the run lasts (stdout, stderr, log lines), the files of the run
    directory and the response are redacted (`lambda_entry.redaction`).
    """
    try:
        secrets = fetch_secrets(ssm, environment=config.environment, reader_endpoint=config.reader_endpoint)
    except SecretsError as exc:
        return failed_response(str(exc), context, run_id=payload.run_id)
    secrets = secrets.with_values(*host_secrets(payload.host))
    config.tmp_root.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="bfd-lambda-", dir=config.tmp_root))
    try:
        (run_dir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        args = pytest_args(payload, config, run_dir, spare_s=spare_s)
        with redacted_output(secrets.redact):
            logger.info("running pytest %s", " ".join(loggable_args(args)))
            with secret_environment(secrets, run_dir, environ), request_environment(context, environ):
                run = run_pytest(args)
            redact_files(run_dir, secrets.redact)
            result, message = summarize(run, payload)
            logger.info("pytest exited with %s: %s", run.exit_code, result.value)
            # The run directory goes away with this invocation: a record the store refused must
            # leave with the response (and the log), or it would be lost.
            unsaved = unsaved_records(run.suites) if payload.store is not None else ()
            for record in unsaved:
                logger.error("record not stored, kept in the response: %s", json.dumps(record))
        response: dict[str, Any] = redact_response(
            build_response(
                result,
                message,
                context,
                exit_code=run.exit_code,
                suites=run.suites,
                records=run.records,
                reports=run.reports,
                unsaved_records=unsaved,
                run_id=payload.run_id,
            ),
            secrets.redact,
        )
        return response
    finally:
        if not config.keep_run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)


@contextmanager
def request_environment(context: Any, environ: MutableMapping[str, str]) -> Iterator[None]:
    """The invocation's AWS request id in `BFD_LAMBDA_REQUEST_ID` while the run lasts: an acceptance
    (`store.accept`) records it as who accepted. The earlier value (or none) is restored after."""
    request_id = getattr(context, "aws_request_id", None)
    previous = environ.get(LAMBDA_REQUEST_ID_VARIABLE)
    if isinstance(request_id, str) and request_id:
        environ[LAMBDA_REQUEST_ID_VARIABLE] = request_id
    try:
        yield
    finally:
        if previous is None:
            environ.pop(LAMBDA_REQUEST_ID_VARIABLE, None)
        else:
            environ[LAMBDA_REQUEST_ID_VARIABLE] = previous


def unsaved_records(suites: Sequence[SuiteOutcome]) -> tuple[dict[str, Any], ...]:
    """The records of suites that produced one but did not report it stored."""
    unsaved = []
    for suite in suites:
        artifact = suite.properties.get(prop.RECORD_ARTIFACT)
        if artifact and prop.RECORD_LOCATION not in suite.properties:
            try:
                unsaved.append(json.loads(Path(str(artifact)).read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                logger.error("record of %s at %s could not be read: %s", suite.nodeid, artifact, exc)
    return tuple(unsaved)


def _plugin_installed() -> bool:
    # Installed with pip, pytest loads the plugin through its entry point; `-p` on top of that
    # would register it twice, which pytest refuses.
    return any(ep.name == PLUGIN_ENTRY_POINT for ep in entry_points(group="pytest11"))
