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
from contextlib import contextmanager, redirect_stderr
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, TextIO

import pytest

from lambda_entry.config import LambdaConfig
from lambda_entry.payload import RunPayload
from lambda_entry.response import (
    FINISHED_MESSAGE,
    Result,
    SuiteOutcome,
    build_response,
    failed_response,
)
from lambda_entry.secrets import (
    LocustSecrets,
    SecretsError,
    fetch_secrets,
    secret_environment,
)

logger = logging.getLogger(__name__)

PLUGIN_ENTRY_POINT = "bfd_locust"
PLUGIN_MODULE = "pytest_bfd_locust.plugin"
RECORD_PROPERTIES: tuple[str, ...] = ("bfd_record_location",)
RECORD_ARTIFACT_PROPERTY = "bfd_record_artifact"
"""`user_properties` name of the record file the plugin keeps beside the run's artifacts."""
"""`user_properties` names under which the plugin reports where it stored a suite's record."""
WARNING_CATEGORY = "BfdLocustWarning"
MAX_FAILURE_CHARS = 8000
"""A failure text longer than this is cut from the front: the table and the stderr tail end it."""
MAX_STDERR_CHARS = 2000

_EXIT_MEANINGS = {
    int(pytest.ExitCode.INTERRUPTED): "pytest was interrupted",
    int(pytest.ExitCode.INTERNAL_ERROR): "pytest hit an internal error",
    int(pytest.ExitCode.USAGE_ERROR): "pytest reported a usage error",
    int(pytest.ExitCode.NO_TESTS_COLLECTED): "pytest collected no tests",
}


@dataclass(eq=False)
class OutcomeCollector:
    """A pytest plugin object passed to `pytest.main(plugins=[...])`: gathers what the response needs.

    Mutable on purpose, but created per run, so nothing survives into the next invocation.
    `eq=False` keeps it hashable by identity: pluggy keeps plugins in sets.
    """

    outcomes: dict[str, SuiteOutcome] = field(default_factory=dict)
    collection_errors: list[str] = field(default_factory=list)
    warnings: dict[str, list[str]] = field(default_factory=dict)

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.collection_errors.append(f"{report.nodeid or 'collection'}: {report.longreprtext.strip()}")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        earlier = self.outcomes.get(report.nodeid)
        properties = {str(name): _json_value(value) for name, value in report.user_properties}
        outcome: str
        failure: str | None
        if report.when == "call":
            outcome, failure = report.outcome, (report.longreprtext if report.failed else None)
        elif report.failed:
            outcome, failure = "error", report.longreprtext
        elif report.skipped:
            outcome, failure = "skipped", report.longreprtext
        elif earlier is not None:
            outcome, failure = earlier.outcome, earlier.failure
        else:
            outcome, failure = "passed", None
        if earlier is not None and earlier.outcome in ("failed", "error") and outcome == "passed":
            outcome, failure = earlier.outcome, earlier.failure
        self.outcomes[report.nodeid] = SuiteOutcome(
            nodeid=report.nodeid,
            outcome=outcome,
            failure=None if failure is None else _tail(failure, MAX_FAILURE_CHARS),
            properties={**(earlier.properties if earlier else {}), **properties},
            warnings=tuple(self.warnings.get(report.nodeid, ())),
        )

    def pytest_warning_recorded(self, warning_message: Any, when: str, nodeid: str, location: Any) -> None:
        if type(warning_message.message).__name__ == WARNING_CATEGORY:
            self.warnings.setdefault(nodeid, []).append(str(warning_message.message))

    def suites(self) -> tuple[SuiteOutcome, ...]:
        return tuple(
            SuiteOutcome(o.nodeid, o.outcome, o.failure, o.properties, tuple(self.warnings.get(o.nodeid, ())))
            for o in self.outcomes.values()
        )

    def records(self) -> tuple[str, ...]:
        return tuple(
            str(value)
            for outcome in self.outcomes.values()
            for name, value in outcome.properties.items()
            if name in RECORD_PROPERTIES
        )


@dataclass(frozen=True)
class PytestRun:
    exit_code: int
    suites: tuple[SuiteOutcome, ...]
    records: tuple[str, ...]
    collection_errors: tuple[str, ...]
    stderr_tail: str


def pytest_args(payload: RunPayload, config: LambdaConfig, run_dir: Path) -> list[str]:
    """The command line for this payload (SPEC §4 options); no secret is ever part of it."""
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
        "--bfd-spawn-rate", format(payload.spawn_rate, "g"),
        "--bfd-spawned-runtime", payload.spawned_runtime,
        "--bfd-env", config.environment,
        "--bfd-artifacts", str(run_dir / "artifacts"),
        "--junitxml", str(run_dir / "junit.xml"),
    ]  # fmt: skip
    if not _plugin_installed():
        args += ["-p", PLUGIN_MODULE]
    if payload.only_summary:
        args.append("--bfd-only-summary")
    if payload.compare is not None:
        args += [
            "--compare", payload.compare.type.value,
            "--compare-tag", payload.compare.tag,
            "--compare-load-limit", str(payload.compare.effective_load_limit),
        ]  # fmt: skip
        if config.compare_meta is not None:
            args += ["--compare-meta", str(config.compare_meta)]
    if payload.store is not None:
        args += ["--bfd-store", config.store_uri]
        for tag in payload.store.tags:
            args += ["--bfd-store-tag", tag]
    elif payload.compare is not None:
        # Baselines come from the S3 store, but this run's record is not to be kept.
        args += ["--bfd-store", config.store_uri, "--bfd-no-store"]
    else:
        args.append("--bfd-no-store")
    return args


def run_pytest(args: Sequence[str]) -> PytestRun:
    """`pytest.main` in this process, with a collector for the outcome and a copy of stderr's tail.

    pytest prints usage errors to stderr before any plugin runs; the copy lets the response say
    what was wrong while the text still reaches the log.
    """
    collector = OutcomeCollector()
    with _stderr_tee() as stderr_copy:
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
        collection_errors=tuple(collector.collection_errors),
        stderr_tail=_tail(stderr_copy.text(), MAX_STDERR_CHARS),
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
) -> dict[str, Any]:
    """Fetch the secrets, run the suite with them in the environment, and build the response."""
    try:
        secrets = fetch_secrets(ssm, environment=config.environment, reader_endpoint=config.reader_endpoint)
    except SecretsError as exc:
        return failed_response(str(exc), context, run_id=payload.run_id)
    config.tmp_root.mkdir(parents=True, exist_ok=True)
    run_dir = Path(tempfile.mkdtemp(prefix="bfd-lambda-", dir=config.tmp_root))
    try:
        (run_dir / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        args = pytest_args(payload, config, run_dir)
        logger.info("running pytest %s", " ".join(args))
        with secret_environment(secrets, run_dir, environ):
            run = run_pytest(args)
        result, message = summarize(run, payload)
        logger.info("pytest exited with %s: %s", run.exit_code, result.value)
        # The run directory goes away with this invocation: a record the store refused must leave
        # with the response (and the log), or it would be lost.
        unsaved = unsaved_records(run.suites) if payload.store is not None else ()
        for record in unsaved:
            logger.error("record not stored, kept in the response: %s", json.dumps(record))
        return _redacted(
            build_response(
                result,
                message,
                context,
                exit_code=run.exit_code,
                suites=run.suites,
                records=run.records,
                unsaved_records=unsaved,
                run_id=payload.run_id,
            ),
            secrets,
        )
    finally:
        if not config.keep_run_dir:
            shutil.rmtree(run_dir, ignore_errors=True)


def unsaved_records(suites: Sequence[SuiteOutcome]) -> tuple[dict[str, Any], ...]:
    """The records of suites that produced one but did not report it stored."""
    unsaved = []
    for suite in suites:
        artifact = suite.properties.get(RECORD_ARTIFACT_PROPERTY)
        if artifact and not any(name in suite.properties for name in RECORD_PROPERTIES):
            try:
                unsaved.append(json.loads(Path(str(artifact)).read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                logger.error("record of %s at %s could not be read: %s", suite.nodeid, artifact, exc)
    return tuple(unsaved)


def _redacted(value: dict[str, Any], secrets: LocustSecrets) -> dict[str, Any]:
    redacted: dict[str, Any] = _redact_value(value, secrets)
    return redacted


def _redact_value(value: Any, secrets: LocustSecrets) -> Any:
    # A suite that prints its DSN would otherwise put it in a failure text and so in the response.
    if isinstance(value, str):
        return secrets.redact(value)
    if isinstance(value, dict):
        return {key: _redact_value(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_value(item, secrets) for item in value]
    return value


def _plugin_installed() -> bool:
    # Installed with pip, pytest loads the plugin through its entry point; `-p` on top of that
    # would register it twice, which pytest refuses.
    return any(ep.name == PLUGIN_ENTRY_POINT for ep in entry_points(group="pytest11"))


def _json_value(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


def _tail(text: str, limit: int) -> str:
    return text if len(text) <= limit else "..." + text[-limit:]


class _StderrCopy:
    """Writes through to the real stderr and keeps the last MAX_STDERR_CHARS characters."""

    def __init__(self, target: TextIO) -> None:
        self._target = target
        self._kept = ""

    def write(self, text: str) -> int:
        self._kept = (self._kept + text)[-MAX_STDERR_CHARS:]
        return self._target.write(text)

    def text(self) -> str:
        return self._kept

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)


@contextmanager
def _stderr_tee() -> Iterator[_StderrCopy]:
    copy = _StderrCopy(sys.stderr)
    with redirect_stderr(copy):
        yield copy
