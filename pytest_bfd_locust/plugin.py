"""The pytest plugin: options, collection of suites as items, the `bfd_locust` fixture, reporting.

Thin on purpose: every decision is made in `suite_run` and the pure modules it calls; this module
translates between pytest and them. Session state lives in `config.stash`.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import gc
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from _pytest import junitxml  # a suite's classname (SuiteItem.setup)
from _pytest._code.code import ReprFileLocation, TerminalRepr  # a failure text pytest summarises
from _pytest._io import TerminalWriter

from pytest_bfd_locust import BfdLocustWarning
from pytest_bfd_locust import property_names as prop
from pytest_bfd_locust.figures import stat_label
from pytest_bfd_locust.hosts import host_without_credentials
from pytest_bfd_locust.interrupts import describe_interrupt, termination_signals_interrupt
from pytest_bfd_locust.judge.thresholds import (
    ThresholdError,
    ThresholdSet,
    default_thresholds_path,
    read_threshold_file,
)
from pytest_bfd_locust.locustfile_host import missing_host_message
from pytest_bfd_locust.record import Record
from pytest_bfd_locust.run.master_port import master_bind_problem
from pytest_bfd_locust.run.progress import Progress, format_progress
from pytest_bfd_locust.run_dirs import point_link, prune_run_dirs, run_stamp
from pytest_bfd_locust.secret_values import redact_text
from pytest_bfd_locust.settings import (
    OPTIONS,
    OUTPUT_FILE_OPTIONS,
    BfdSettings,
    SettingsError,
    argparse_kwargs,
    ini_type,
    load_limit_errors,
    off_flag_kwargs,
    report_path,
    resolve,
)
from pytest_bfd_locust.stores import Store, StoreUriError, open_store
from pytest_bfd_locust.suites import (
    CATALOG_SUFFIXES,
    LOCUSTFILE_SUFFIX,
    CatalogError,
    Suite,
    endpoints_not_in_locustfile,
    load_catalog,
    override_suite,
)
from pytest_bfd_locust.workers import worker_command

if TYPE_CHECKING:
    from pytest_bfd_locust.reports.model import SuiteReport
    from pytest_bfd_locust.suite_run import SuiteResult

# The run, the judge and the reports (with pygal) are imported where they are used, not here: a
# session's start and collection need none of them, and the reports are imported on a thread
# while the first suite's Locust child runs (`ReportImports`), when this process only waits.


class ReportImports:
    """The reports' modules imported on a thread, started once the first Locust child is running.

    Importing is CPU work that holds the GIL: on a thread it costs nothing only while the main
    thread is blocked, as it is while the runner waits on the child, and the child's own start
    (Python, Locust, gevent) leaves the other core free for it. `wait` joins the thread before the
    reports are used, so the main thread never imports concurrently with it.
    """

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=_import_reports, name="bfd-report-imports", daemon=True)
            self.thread.start()

    def wait(self) -> None:
        if self.thread is not None:
            self.thread.join()


def _import_reports() -> None:
    # An error here is raised again, where it belongs, by the main thread's own import.
    with contextlib.suppress(Exception):
        import pytest_bfd_locust.reports.session  # noqa: F401 (the judge's, HTML's and pygal's modules)
        import pytest_bfd_locust.reports.terminal  # noqa: F401


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("bfd-locust", "pytest-bfd-locust: Locust suites as tests")
    for spec in OPTIONS:
        group.addoption(spec.flag, **argparse_kwargs(spec))
        if spec.off_flag is not None:
            group.addoption(spec.off_flag, **off_flag_kwargs(spec))
        parser.addini(spec.ini_key, help=f"{spec.help} (ini form of {spec.flag})", type=ini_type(spec))  # type: ignore[arg-type]


class SuiteFailed(Exception):
    """Raised by a suite item whose result failed; `repr_failure` shows the result's text."""

    def __init__(self, result: SuiteResult, secrets: tuple[str, ...] = ()) -> None:
        from pytest_bfd_locust.reports.session import failure_text  # after the load (see ReportImports)

        super().__init__(redact_text(failure_text(result), secrets))
        self.result = result


class SuiteFailureText(TerminalRepr):
    """A failed suite's text: whole in the failure body (and JUnit's text, the Lambda's response);
    `reprcrash.message`, which pytest's short summary and JUnit's `message` read, with the headline
    fitted to the summary line."""

    def __init__(self, text: str, summary: str, path: str, lineno: int) -> None:
        self.text = text
        self.reprcrash = ReprFileLocation(path, lineno, summary)

    def toterminal(self, tw: TerminalWriter) -> None:
        for line in self.text.split("\n"):
            tw.line(line)


class WarningsAsErrors(Exception):
    """A suite passed, but `-W error` turned its warnings into errors; the message lists them all."""

    def __init__(self, warnings: list[str]) -> None:
        super().__init__("warnings turned into errors by -W:\n" + "\n".join(f"  {w}" for w in warnings))


class BfdSession:
    """Per-session state: settings, the store, threshold files read, and each suite's result."""

    def __init__(self, config: pytest.Config, settings: BfdSettings, store: Store | None) -> None:
        self.config = config
        self.settings = settings
        self.store = store
        self.suite_paths = {path.resolve() for path in settings.suites}
        self.thresholds: dict[Path, ThresholdSet] = {}
        self.results: list[tuple[str, SuiteResult]] = []
        self.reports: list[SuiteReport] = []
        self.report_errors: list[str] = []
        self.reports_written: list[str] = []
        self.failed_nodeids: set[str] = set()
        """Items pytest reported failed: the summary tells the same story as the outcome."""
        self.session_id = uuid.uuid4().hex[:12]
        """Names this session's default HTML report."""
        self.announced_worker_commands: set[str] = set()
        self.report_imports = ReportImports()

    def is_suite_path(self, path: Path) -> bool:
        return path.resolve() in self.suite_paths

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """Worker options are refused when no collected suite waits for workers: they were ignored.

        Checked here, not with the other settings: a catalog's `workers:` block (known only once
        collected) makes them apply without --bfd-expect-workers.
        """
        given = [
            flag
            for flag, value in (
                ("--bfd-master-bind", self.settings.master_bind),
                ("--bfd-worker-wait", self.settings.worker_wait),
            )
            if value is not None
        ]
        if not given or self.settings.expect_workers is not None:
            return
        suites = [item.suite for item in items if isinstance(item, SuiteItem)]
        if suites and all(suite.workers is None for suite in suites):
            raise pytest.UsageError(
                f"{' and '.join(given)}: no suite waits for workers, so they would be ignored; add "
                "--bfd-expect-workers N (or a workers: block to the suite in its catalog)"
            )

    def thresholds_for(self, suite: Suite) -> ThresholdSet:
        """The suite's threshold file (CLI > catalog > packaged), each file read once."""
        path = self.settings.compare_meta or suite.compare_meta or default_thresholds_path()
        if path not in self.thresholds:
            self.thresholds[path] = read_threshold_file(path)
        return self.thresholds[path]

    def write_line(self, line: str) -> bool:
        """Write a line to the terminal while a test runs (outside its captured output)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return False
        if capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)
        else:
            reporter.write_line(line)
        return True

    def announce_workers(self, suite: Suite) -> None:
        """Tell the user how to start the workers a suite waits for, once per command."""
        workers = suite.workers
        if workers is None or master_bind_problem(workers.master_bind) is not None:
            return  # no worker could connect: the suite fails saying why, without the invitation
        command = worker_command(workers.master_bind, this_host=socket.gethostname())
        if command in self.announced_worker_commands:
            return
        exposure = (
            ""
            if workers.master_bind.loopback_only
            else " (the master port takes any connection: keep it on a private network)"
        )
        text = (
            f"[bfd] {suite.name}: waiting up to {workers.wait:.0f} s for {workers.expect} workers "
            f"at {workers.master_bind}{exposure}; start each with:\n    {command}"
        )
        if self.write_line(text):
            self.announced_worker_commands.add(command)

    def progress_printer(self, suite: Suite) -> Callable[[Progress], None] | None:
        interval = self.settings.progress_interval
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if not interval or reporter is None or self.config.get_verbosity() < -1:
            return None
        expected = suite.spawn_time + suite.spawned_runtime
        shown_at = [float("-inf")]

        def show(progress: Progress) -> None:
            now = time.monotonic()
            if now - shown_at[0] < interval:
                return
            shown_at[0] = now
            line = format_progress(
                suite.name,
                progress,
                expected_seconds=expected,
                target_users=suite.users,
                expected_workers=suite.workers.expect if suite.workers is not None else None,
            )
            self.write_line(line)

        return show

    def run(self, item: SuiteItem) -> tuple[SuiteResult, SuiteReport, tuple[str, ...]]:
        """Run and judge the suite, then build its report; (result, report, report warnings)."""
        from pytest_bfd_locust.suite_run import effective_suite

        suite = effective_suite(item.suite, self.settings)
        self.announce_workers(suite)
        result = self.execute(
            suite,
            self.settings,
            store=self.store,
            thresholds=self.thresholds_for(item.suite),
            label=item.nodeid,
            on_started=self.report_imports.start,
        )
        self.results.append((item.nodeid, result))
        self.report_imports.wait()
        from pytest_bfd_locust.reports.session import suite_report

        judge = self.thresholds_for(item.suite).judge
        built = suite_report(result, self.store, min_percent=judge.min_percent if judge else None)
        self.reports.append(built.report)
        return result, built.report, built.warnings

    def execute(
        self,
        suite: Suite,
        settings: BfdSettings,
        *,
        store: Store | None,
        thresholds: ThresholdSet,
        label: str,
        on_started: Callable[[], None] | None = None,
    ) -> SuiteResult:
        """`execute_suite`, with SIGTERM/SIGHUP unwinding it like Ctrl-C (children stopped)."""
        from pytest_bfd_locust.suite_run import execute_suite

        try:
            with termination_signals_interrupt():
                return execute_suite(
                    suite,
                    settings,
                    store=store,
                    thresholds=thresholds,
                    on_progress=self.progress_printer(suite),
                    on_started=on_started,
                )
        except KeyboardInterrupt as exc:
            self.report_errors.append(
                f"{label} was interrupted by {describe_interrupt(exc)}: its Locust run and target were "
                "stopped and its run was not stored"
            )
            raise

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.failed:
            self.failed_nodeids.add(report.nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.results and not self.report_errors:
            return
        from pytest_bfd_locust.reports.session import attempt_lines
        from pytest_bfd_locust.reports.terminal import format_level_shifts, format_suite_notes

        verbose = self.config.get_verbosity() > 0
        terminalreporter.section("bfd-locust")
        for nodeid, result in self.results:
            terminalreporter.write_line(
                summary_line(
                    nodeid,
                    result,
                    failed=nodeid in self.failed_nodeids,
                    relative_to=None if verbose else self.config.invocation_params.dir,
                )
            )
            # Confirmation: each attempt's figures and what decided, for passed suites too.
            for line in attempt_lines(result):
                terminalreporter.write_line("    " + line)
            # Failed and warned statistics are in the failure texts and the warnings summary
            # already; every row is listed only on request. Said always: a history too short to
            # measure the noise, and large worsenings that passed for want of requests.
            if result.verdict.inconclusive is not None:
                continue  # its statistics measured the load generator: nothing to say of the API
            if result.comparison is not None:
                for line in format_suite_notes(result.comparison, verbose=verbose):
                    terminalreporter.write_line("    " + line)
            current_run = result.record.run_id if result.record is not None else None
            for line in format_level_shifts(result.change_points, result.comparison, current_run):
                terminalreporter.write_line("    " + line)
        for written in self.reports_written:
            terminalreporter.write_line(f"bfd-locust: {written}")
        for error in self.report_errors:
            terminalreporter.write_line(f"bfd-locust: {error}", red=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        # tryfirst: the files exist before the terminal summary names them.
        if self.reports:
            default_path = report_path(self.settings)
            html_path: Path | None = default_path
            if self.settings.report is None:
                # Each session its own file (parallel sessions in one rootdir never overwrite each
                # other's report), `report.html` a link to the newest. The default folder is ours
                # to create; a folder the user named must exist.
                reports_dir = default_path.parent / SESSION_REPORTS_DIR
                html_path = reports_dir / f"{run_stamp(self.session_id)}.html"
                folder_error = _make_reports_dir(reports_dir)
                if folder_error is not None:
                    html_path = None
                    self.report_errors.append(folder_error)
            from pytest_bfd_locust.reports.session import write_session_reports

            written, errors = write_session_reports(
                self.reports, html_path=html_path, markdown_path=self.settings.markdown, environ=os.environ
            )
            if self.settings.report is None and html_path is not None and html_path.exists():
                link_note = point_link(default_path, f"{SESSION_REPORTS_DIR}/{html_path.name}")
                if link_note:
                    errors.append(link_note)
                errors += prune_run_dirs(
                    html_path.parent, keep=self.settings.keep_runs, current=html_path, suffix=".html"
                )
            self.reports_written.extend(written)
            self.report_errors.extend(errors)
        if self.settings.junit_detail is not None:
            from pytest_bfd_locust.reports.junit_detail import (
                write_junit_detail,  # junit-xml only when asked for
            )

            path = self.settings.junit_detail
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                write_junit_detail(
                    path,
                    [(result.suite.name, result.comparison) for _, result in self.results],
                    inconclusive={
                        result.suite.name: result.record.inconclusive
                        for _, result in self.results
                        if result.record is not None and result.record.inconclusive is not None
                    },
                )
            except OSError as exc:
                # Said plainly in the summary rather than turned into an internal error of the session.
                self.report_errors.append(f"could not write --bfd-junit-detail {path}: {exc}")


SESSION_REPORTS_DIR = "reports"
"""Where, among the artifacts, each session's default HTML report goes (`report.html` links the newest)."""


def _make_reports_dir(reports_dir: Path) -> str | None:
    """Create the default folder of the session reports; None, or why no report can go there.

    The user never named this folder, so the message names it and the option that avoids it.
    """
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        cause = (
            "it is a file, not a folder"
            if os.path.lexists(reports_dir) and not reports_dir.is_dir()
            else exc.strerror or str(exc)
        )
        return (
            f"could not write the HTML report into {reports_dir} (the default folder of the session "
            f"reports): {cause}; move it away or name a file with --bfd-report"
        )
    return None


def summary_line(
    nodeid: str, result: SuiteResult, *, failed: bool = False, relative_to: Path | None = None
) -> str:
    """One line per suite: outcome (`failed`: pytest failed the item, e.g. a warning made an error
    by `-W error`), figures, what it was compared against, where it was stored (relative to
    `relative_to`, the invocation folder, when under it: the absolute path with its 64-hex hash
    made the line ~280 characters; `-v` shows it whole)."""
    from pytest_bfd_locust.reports.session import acceptance_line

    state = "FAILED" if result.failed or failed else "passed"
    inconclusive = result.verdict.inconclusive is not None
    if inconclusive:
        state += " (inconclusive)"
    record = result.record
    if record is None:
        return f"{nodeid}: {state} (no statistics)"
    totals = record.totals
    figures = (
        f"{totals.num_requests} reqs, {totals.num_failures} fails, {totals.total_reqs_per_second:.1f} req/s, "
        f"p50 {totals.response_time_percentiles.get('0.5', 0)} ms, "
        f"p95 {totals.response_time_percentiles.get('0.95', 0)} ms"
    )
    if inconclusive and result.baseline is not None:
        against = f"; vs {result.baseline.describe()}: not judged (the load generator was saturated)"
    elif result.comparison is not None and result.baseline is not None:
        counted = f"{len(result.comparison.failures)} failed, {len(result.comparison.warnings)} warned"
        against = f"; vs {result.baseline.describe()}: {len(result.comparison.stats)} stats, {counted}"
    else:
        against = ""
    location = result.stored_at
    if location and relative_to is not None and Path(location).is_relative_to(relative_to):
        location = str(Path(location).relative_to(relative_to))
    stored = f"; stored at {location}" if location and not result.failed else ""
    accepted = acceptance_line(result)
    return f"{nodeid}: {state}: {figures}{against}{stored}" + (f"; {accepted}" if accepted else "")


SESSION_KEY = pytest.StashKey[BfdSession]()


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    try:
        settings = resolve(
            vars(config.option),
            os.environ,
            config.getini,
            rootdir=config.rootpath,
            ini_source=str(config.inipath or "ini file"),
            invocation_dir=config.invocation_params.dir,
        )
    except SettingsError as exc:
        raise pytest.UsageError(str(exc)) from None
    junitxml = getattr(config.option, "xmlpath", None)
    if junitxml:
        junit_path = Path(os.path.expanduser(junitxml))
        junit_path = (config.invocation_params.dir / junit_path).resolve()
        for flag, name in OUTPUT_FILE_OPTIONS:
            output = getattr(settings, name)
            if output is not None and output.resolve() == junit_path:
                raise pytest.UsageError(
                    f"--junitxml and {flag} both name {output}: the second would overwrite the first; "
                    "give each its own file"
                )
    for notice in settings.notices:
        config.issue_config_time_warning(BfdLocustWarning(notice), stacklevel=2)
    if settings.suites:
        _check_session_inputs(settings)
    store = None
    # Only a session with suites needs a store (the fixture neither stores nor compares): every
    # other pytest run in an environment where the plugin is installed pays nothing for it.
    if settings.suites and (not settings.no_store or settings.compare is not None):
        try:
            store = open_store(settings.store, rootdir=str(config.rootpath))
        except StoreUriError as exc:
            raise pytest.UsageError(str(exc)) from None
    if settings.suites:
        suite_args = [str(path) for path in settings.suites]
        if config.args_source == pytest.Config.ArgsSource.ARGS:
            config.args = [*config.args, *(arg for arg in suite_args if arg not in config.args)]
        else:
            # No test paths given: the session holds exactly the suites (not testpaths, not the cwd).
            config.args = suite_args
    if settings.suites:
        skip_collections_at_exit()
    session = BfdSession(config, settings, store)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "bfd-locust-session")


def skip_collections_at_exit() -> None:
    """At the interpreter's exit, collect the garbage once, then leave the rest to the exit.

    Python's exit runs the cycle collector over every object again and again while it tears the
    modules down: with pytest, this plugin, its reports and pygal loaded, that took 0.15-0.2 s of a
    suite's session (bench/overhead.py). Collected once here (every garbage cycle finalized, as the
    exit would), the objects still alive are frozen (`gc.freeze`): the exit's collections skip them.
    What the exit does not promise anyway is all that changes: finalizers of objects still alive at
    exit. Registered at exit (`atexit`), never at the session's end, so a process that runs
    pytest.main() again (a warm Lambda, pytester) keeps its collector as it was.
    """
    global _EXIT_COLLECTIONS_SKIPPED
    if not _EXIT_COLLECTIONS_SKIPPED:
        _EXIT_COLLECTIONS_SKIPPED = True
        atexit.register(_collect_then_freeze)


_EXIT_COLLECTIONS_SKIPPED = False


def _collect_then_freeze() -> None:
    gc.collect()
    gc.freeze()


def _check_session_inputs(settings: BfdSettings) -> None:
    """Usage errors, before anything runs: suite paths, the artifacts folder, load bounds."""
    missing = [str(path) for path in settings.suites if not path.exists()]
    if missing:
        raise pytest.UsageError(f"--bfd-suite: no such file: {', '.join(missing)}")
    suffixes = (*CATALOG_SUFFIXES, LOCUSTFILE_SUFFIX)
    for path in settings.suites:
        if not path.is_file() or path.suffix.lower() not in suffixes:
            raise pytest.UsageError(
                f"--bfd-suite {path}: not a suite catalog (.yaml, .yml) or a locustfile (.py)"
            )
    artifacts = settings.artifacts
    existing = next(path for path in (artifacts, *artifacts.parents) if path.exists())
    if not existing.is_dir():
        raise pytest.UsageError(f"--bfd-artifacts {artifacts}: {existing} is a file, not a directory")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise pytest.UsageError(f"--bfd-artifacts {artifacts}: {existing} is not writable")
    if settings.users is not None or settings.spawn_rate is not None:
        refused = load_limit_errors(
            settings.users or 1,
            settings.spawn_rate or 1.0,
            max_users=settings.max_users,
            max_spawn_rate=settings.max_spawn_rate,
        )
        if refused:
            raise pytest.UsageError(f"--bfd-users/--bfd-spawn-rate: {'; '.join(refused)}")


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(SESSION_KEY, None)
    if session is not None:
        del config.stash[SESSION_KEY]
        config.pluginmanager.unregister(session)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    session = parent.config.stash.get(SESSION_KEY, None)
    if session is not None and file_path.suffix in (".yaml", ".yml") and session.is_suite_path(file_path):
        return SuiteFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    # A locustfile given to --bfd-suite must not be imported as a test module: Locust would
    # monkey-patch this process with gevent.
    session = parent.config.stash.get(SESSION_KEY, None)
    if session is not None and session.is_suite_path(module_path):
        return SuiteFile.from_parent(parent, path=module_path)
    return None


class SuiteFile(pytest.File):
    """A catalog YAML (or a plain locustfile): one item per suite."""

    def collect(self) -> Iterator[SuiteItem]:
        session = self.config.stash[SESSION_KEY]
        catalog = load_catalog(self.path)
        for suite in catalog.suites:
            session.thresholds_for(suite)  # a bad threshold file is a collection error: nothing runs
            refuse_hostless(suite, session.settings)
            item = SuiteItem.from_parent(self, name=suite.name, suite=suite)
            for endpoint, name in endpoints_not_in_locustfile(suite):
                item.warn(
                    BfdLocustWarning(
                        f"{self.path.name}: suite {suite.name!r}: sla.endpoints {endpoint!r}: {name!r} does "
                        f"not appear in {suite.locustfile.name}; Locust names endpoints only as requests "
                        "complete, so it is checked after the run, and an endpoint that recorded no "
                        "request fails the suite"
                    )
                )
            for tag in suite.tags:
                self.config.addinivalue_line("markers", f"{tag}: suite tag from a bfd-locust catalog")
                item.add_marker(tag)
            yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        if isinstance(excinfo.value, (CatalogError, ThresholdError)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def refuse_hostless(suite: Suite, settings: BfdSettings) -> None:
    """A suite whose HTTP users certainly have no host is a collection error, not a failed run."""
    problem = missing_host_message(
        suite.locustfile,
        host=settings.host or suite.host,
        locust_args=(*suite.locust_args, *settings.locust_args),
        env={**os.environ, **suite.env},  # the child's environment (run/runner.py)
        run_directory=suite.catalog.parent,  # where the child runs, reading Locust's config files
    )
    if problem is not None:
        plain = suite.catalog == suite.locustfile
        raise CatalogError(suite.catalog, problem, suite=None if plain else suite.name)


class SuiteItem(pytest.Item):
    """One suite: runs it through the shared runner and judges it."""

    def __init__(self, *, suite: Suite, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.suite = suite

    def setup(self) -> None:
        xml = self.config.stash.get(junitxml.xml_key, None)
        if xml is not None:
            # Before pytest records the setup report, which keeps attributes already set.
            classname = junit_classname(self.nodeid, xml.prefix)
            xml.node_reporter(self.nodeid).add_attribute("classname", classname)

    def runtest(self) -> None:
        result, report, report_warnings = self.config.stash[SESSION_KEY].run(self)
        from pytest_bfd_locust.reports.session import suite_warnings

        self.user_properties.extend(user_properties(result))
        if report.report_location:
            self.user_properties.append((prop.REPORT_LOCATION, report.report_location))
        escalated: list[str] = []
        secrets = self.config.stash[SESSION_KEY].settings.secret_values
        notes = tuple(redact_text(note, secrets) for note in (*suite_warnings(result), *report_warnings))
        for warning in (*(BfdLocustWarning(note) for note in notes), *result.store_warnings):
            try:
                self.warn(warning)
            except BfdLocustWarning as exc:
                # `-W error::...BfdLocustWarning`: every warning still reaches the failure text,
                # and the summary (which tracks pytest's outcome) says FAILED too.
                escalated.append(str(exc))
        if result.failed:
            raise SuiteFailed(result, secrets)
        if escalated:
            raise WarningsAsErrors(escalated)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str | Any:
        if isinstance(excinfo.value, SuiteFailed):
            # pytest's short summary shows the first line cut to the terminal's width, mid-word;
            # there it is cut after a whole word instead, and only there: the failure body shows
            # the whole headline (cut, it hid the cause: "Connection refused" came after column 80).
            from pytest_bfd_locust.reports.terminal import fit_to_width

            text = str(excinfo.value)
            headline, _, rest = text.partition("\n")
            width = self.config.get_terminal_writer().fullwidth - len(f"FAILED {self.nodeid} - ")
            summary = f"{fit_to_width(headline, max(width, 20))}\n{rest}"
            return SuiteFailureText(text, summary, str(self.path), (self.suite.line or 1) - 1)
        if isinstance(excinfo.value, (BfdLocustWarning, WarningsAsErrors)):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        # 0-based, as pytest expects; warnings then point at the suite's entry in its catalog.
        return self.path, (self.suite.line or 1) - 1, f"bfd-locust suite {self.name}"


def junit_classname(nodeid: str, prefix: str | None = None) -> str:
    """A suite's `classname` in `--junitxml`: its catalog's path as a dotted name without the
    suffix, `load.suites` for `load/suites.yaml::api`, as pytest names a test module
    (`tests/test_api.py` -> `tests.test_api`); pytest's own `load.suites.yaml` read in CI tools as
    class `yaml` of package `load.suites`."""
    path = junitxml.mangle_test_address(nodeid)[0]
    dotted = re.sub(r"\.(ya?ml)$", "", path, flags=re.IGNORECASE)
    return f"{prefix}.{dotted}" if prefix else dotted


def user_properties(result: SuiteResult) -> list[tuple[str, object]]:
    """The key figures of a suite, for `--junitxml` (and the Lambda's response)."""
    properties: list[tuple[str, object]] = [
        (prop.SUITE, result.suite.name),
        (prop.HOST, host_without_credentials(result.suite.host) or ""),
        (prop.USERS, result.suite.users),
        (prop.SPAWN_RATE, result.suite.spawn_rate),
        (prop.SPAWNED_RUNTIME, result.suite.spawned_runtime),
    ]
    record = result.record
    if record is not None:
        totals = record.totals
        properties += [
            (prop.RUN_ID, record.run_id or ""),
            (prop.HASH, record.metadata.hash),
            (prop.NUM_REQUESTS, totals.num_requests),
            (prop.NUM_FAILURES, totals.num_failures),
            (prop.FAIL_RATIO, round(totals.fail_ratio, 6)),
            (prop.AVG_RESPONSE_TIME, round(totals.average_response_time, 3)),
            (prop.P50, totals.response_time_percentiles.get("0.5", 0)),
            (prop.P95, totals.response_time_percentiles.get("0.95", 0)),
            (prop.P99, totals.response_time_percentiles.get("0.99", 0)),
            (prop.REQS_PER_SECOND, round(totals.total_reqs_per_second, 3)),
            (prop.TOTAL_RUNTIME, round(record.metadata.total_runtime, 3)),
            (prop.VALIDATION_RESULT, record.metadata.validation_result.value),
            (prop.COMPARE_RESULT, record.metadata.compare_result.value),
        ]
        if record.inconclusive is not None:
            properties.append((prop.INCONCLUSIVE, record.inconclusive))
        if record.workers is not None:
            properties += [
                (prop.WORKERS_EXPECTED, record.workers.expected),
                (prop.WORKERS_STARTED, record.workers.started),
                (prop.WORKERS_FINISHED, record.workers.finished),
            ]
    if result.baseline is not None:
        properties.append((prop.BASELINE, result.baseline.describe()))
    if result.comparison is not None:
        properties += [
            (
                prop.COMPARE_FAILURES,
                ", ".join(f"{r.scope} {stat_label(r.stat)}" for r in result.comparison.failures),
            ),
            (prop.COMPARE_WARNINGS, ", ".join(f"{r.scope} {r.stat}" for r in result.comparison.warnings)),
        ]
    if result.validation:
        properties.append((prop.VALIDATION_FAILURES, "; ".join(str(f) for f in result.validation)))
    from pytest_bfd_locust.reports.session import attempt_lines

    lines = attempt_lines(result)
    if lines:
        # A line per attempt (figures, its own verdict, where its record is), then what decided.
        count = len(result.attempts)
        properties.append((prop.ATTEMPTS, count))
        properties += [(prop.attempt(number), line) for number, line in enumerate(lines[:count], start=1)]
        if len(lines) > count:
            properties.append((prop.CONFIRMATION, lines[-1]))
    if result.stored_at:
        properties.append((prop.RECORD_LOCATION, result.stored_at))
    if result.record_artifact is not None:
        properties.append((prop.RECORD_ARTIFACT, str(result.record_artifact)))
    if result.acceptances:
        properties.append((prop.ACCEPTED, result.acceptances[0].reason))
    return properties


@pytest.fixture
def bfd_locust(request: pytest.FixtureRequest) -> Callable[..., Record]:
    """Run a suite from a Python test and get its record back.

    `bfd_locust("path/locustfile.py", host=..., users=2, spawn_rate=2, spawned_runtime=3)` or
    `bfd_locust("catalog.yaml", name="suite-name")`; relative paths are taken from the rootdir.
    Keyword arguments override the suite's fields. The suite runs through the shared runner (and
    its catalog's target, if any); nothing is stored or compared. Fails the test when Locust could
    not produce statistics; validation failures are left to the caller's assertions.
    """
    session = request.config.stash[SESSION_KEY]

    def run(path: str | Path, name: str | None = None, **overrides: Any) -> Record:
        if not isinstance(path, (str, Path)) or not str(path):
            pytest.fail(
                f"bfd_locust: expected the path of a catalog or locustfile, got {path!r}", pytrace=False
            )
        if name is not None and not isinstance(name, str):
            pytest.fail(f"bfd_locust: name= expects a suite name (a string), got {name!r}", pytrace=False)
        given = Path(path)
        try:
            catalog = load_catalog(given if given.is_absolute() else request.config.rootpath / given)
            matching = [s for s in catalog.suites if name is None or s.name == name]
            if len(matching) != 1:
                names = ", ".join(s.name for s in catalog.suites)
                pytest.fail(f"bfd_locust: {path} has suites {names}; pass name= to choose one", pytrace=False)
            suite = override_suite(matching[0], overrides, source="bfd_locust(...)")
        except CatalogError as exc:
            pytest.fail(f"bfd_locust: {exc}", pytrace=False)
        from pytest_bfd_locust.reports.session import failure_text
        from pytest_bfd_locust.suite_run import effective_suite

        settings = dataclasses.replace(session.settings, compare=None, no_store=True)
        suite = effective_suite(suite, settings)
        session.announce_workers(suite)
        result = session.execute(
            suite,
            settings,
            store=None,
            thresholds=session.thresholds_for(suite),
            label=request.node.nodeid,
        )
        if result.record is None:
            pytest.fail(failure_text(result), pytrace=False)
        return result.record

    return run
