"""The plugin's options: defined once (CLI flag, ini key, environment variable, help), resolved once.

Precedence: command line > environment variable `BFD_LOCUST_<NAME>` > ini key `bfd_<name>` > default.
Every value is checked by an argparse `type=` function; a bad value from the environment or the ini
file gets the same message, naming where it came from. The result is one frozen `BfdSettings`.
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pytest_bfd_locust.acceptance import AcceptanceError, accepted_by, check_reason
from pytest_bfd_locust.hosts import is_http_url
from pytest_bfd_locust.judge.baseline_query import BaselineKind
from pytest_bfd_locust.judge.generator_health import (
    MAX_SATURATED_SHARE,
    SATURATED_CPU_PERCENT,
    InconclusivePolicy,
)
from pytest_bfd_locust.secret_values import secret_forms
from pytest_bfd_locust.tags import TAG_PATTERN
from pytest_bfd_locust.timespan import TimespanError, parse_timespan
from pytest_bfd_locust.workers import DEFAULT_WORKER_WAIT, MasterBind, MasterBindError, parse_master_bind

DEFAULT_MAX_USERS = 10_000
"""Beyond this a single machine's Locust runs out of memory long before it measures anything useful."""
DEFAULT_MAX_SPAWN_RATE = 1_000.0
"""Users started per second; Locust warns above ~100 per process, and 1e9 would start them all at once."""
DEFAULT_KEEP_RUNS = 10
"""Run directories kept per suite: enough to look back at a day's runs without filling the disk."""
DEFAULT_SECRET_ENV = ("LOCUST_BFD_DATABASE_CONNECTION_STRING",)
"""The seed's DSN variable, which the Lambda fills from SSM for every run."""


def load_limit_errors(users: int, spawn_rate: float, *, max_users: int, max_spawn_rate: float) -> list[str]:
    """Why a run of `users` at `spawn_rate` is refused before any load; empty when it is not."""
    errors = []
    if users > max_users:
        errors.append(f"users {users} exceeds the maximum of {max_users} (raise it with --bfd-max-users)")
    if spawn_rate > max_spawn_rate:
        errors.append(
            f"spawn_rate {spawn_rate:g} exceeds the maximum of {max_spawn_rate:g} "
            "(raise it with --bfd-max-spawn-rate)"
        )
    return errors


# --- argparse type functions: each raises ArgumentTypeError naming the bad value ------------------

_T = TypeVar("_T")


def _bounded(text: str, convert: Callable[[str], Any], expected: str, ok: Callable[[Any], bool]) -> Any:
    """`convert(text)` when it parses and `ok` holds (infinity never does), else a message naming both."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
    if not ok(value) or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
    return value


def positive_int(text: str) -> int:
    return int(_bounded(text, int, "a whole number >= 1", lambda value: value >= 1))


def positive_float(text: str) -> float:
    return float(_bounded(text, float, "a number > 0", lambda value: value > 0))


def non_negative_float(text: str) -> float:
    return float(_bounded(text, float, "a number >= 0", lambda value: value >= 0))


def timespan(text: str) -> int:
    try:
        seconds = parse_timespan(text, "timespan")
    except TimespanError as exc:
        raise argparse.ArgumentTypeError(exc.reason) from None
    if seconds < 1:
        # A run of 0 s measures nothing: refused here rather than failing as "0 requests".
        raise argparse.ArgumentTypeError(f"expected at least 1 second, got {text!r}")
    return seconds


def host_url(text: str) -> str:
    if not is_http_url(text):
        raise argparse.ArgumentTypeError(
            f"expected a URL with scheme, such as http://127.0.0.1:8080, got {text!r}"
        )
    return text


def tag(text: str) -> str:
    if not TAG_PATTERN.fullmatch(text):
        raise argparse.ArgumentTypeError(f"tags match [a-z0-9_]+, got {text!r}")
    return text


def non_negative_int(text: str) -> int:
    return int(_bounded(text, int, "a whole number >= 0", lambda value: value >= 0))


def processes(text: str) -> int:
    expected = "a number of processes >= 1 (or -1: one per core)"
    return int(_bounded(text, int, expected, lambda value: value >= 1 or value == -1))


def _parsed(parse: Callable[[str], _T], text: str, error: type[Exception]) -> _T:
    """`parse(text)`, its own `error` raised as argparse's, the message unchanged."""
    try:
        return parse(text)
    except error as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def master_bind(text: str) -> MasterBind:
    return _parsed(parse_master_bind, text, MasterBindError)


def compare_mode(text: str) -> BaselineKind:
    try:
        return BaselineKind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected previous or average, got {text!r}") from None


def inconclusive_policy(text: str) -> InconclusivePolicy:
    try:
        return InconclusivePolicy(text.strip().lower())
    except ValueError:
        allowed = " or ".join(policy.value for policy in InconclusivePolicy)
        raise argparse.ArgumentTypeError(f"expected {allowed}, got {text!r}") from None


def store_uri(text: str) -> str:
    if not re.match(r"^(file|s3)://.+", text):
        raise argparse.ArgumentTypeError(
            f"expected file://DIR or s3://BUCKET?database=DB&table=TABLE&workgroup=WG, got {text!r}"
        )
    return text


def env_var_name(text: str) -> str:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise argparse.ArgumentTypeError(f"expected an environment variable name, got {text!r}")
    return text


def env_name(text: str) -> str:
    if not text or not re.fullmatch(r"[A-Za-z0-9_.-]+", text):
        raise argparse.ArgumentTypeError(f"expected an environment name of [A-Za-z0-9_.-]+, got {text!r}")
    return text


def text_value(text: str) -> str:
    return text


def accept_reason(text: str) -> str:
    return _parsed(check_reason, text, AcceptanceError)


def boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


@dataclass(frozen=True)
class OptionSpec:
    """One option: its flag, how values are checked, and whether it is a flag or repeatable."""

    flag: str
    name: str
    help: str
    type: Callable[[str], Any] = text_value
    kind: str = "value"  # "value", "flag" (store_true) or "list" (repeatable)
    metavar: str | None = None
    off_flag: str | None = None
    """For a flag: the command-line form that switches it off again (set by the environment or ini)."""
    default: Any = None
    """The value when no source gives one: the one place it is declared (`BfdSettings`, the runner,
    the Lambda take it from here). `{default}` in the help text is replaced by it."""

    def __post_init__(self) -> None:
        if "{default}" in self.help:
            object.__setattr__(self, "help", self.help.replace("{default}", _default_text(self.default)))

    @property
    def dest(self) -> str:
        return "bfd_" + self.name

    @property
    def env_var(self) -> str:
        return "BFD_LOCUST_" + self.name.upper()

    @property
    def ini_key(self) -> str:
        return "bfd_" + self.name


def _default_text(value: Any) -> str:
    if isinstance(value, tuple):
        return ", ".join(str(item) for item in value)
    return format(value, "g") if isinstance(value, float) else str(value)


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(
        "--bfd-suite",
        "suite",
        "Suite catalog YAML or locustfile to run (repeatable).",
        kind="list",
        metavar="PATH",
        default=(),
    ),
    OptionSpec("--bfd-host", "host", "Host to load-test, overriding the catalog.", host_url, metavar="URL"),
    OptionSpec("--bfd-users", "users", "Number of users, overriding the catalog.", positive_int, metavar="N"),
    OptionSpec(
        "--bfd-spawn-rate",
        "spawn_rate",
        "Users started per second, overriding the catalog.",
        positive_float,
        metavar="R",
    ),
    OptionSpec(
        "--bfd-spawned-runtime",
        "spawned_runtime",
        "How long to run after all users have spawned (a Locust timespan such as 30s or 2m), "
        "overriding the catalog.",
        timespan,
        metavar="TIMESPAN",
    ),
    OptionSpec(
        "--bfd-only-summary",
        "only_summary",
        "Locust prints only its final summary.",
        boolean,
        kind="flag",
        off_flag="--no-bfd-only-summary",
        default=False,
    ),
    OptionSpec(
        "--bfd-processes",
        "processes",
        "Run Locust with N worker processes on this machine (-1: one per core).",
        processes,
        metavar="N",
    ),
    OptionSpec(
        "--bfd-expect-workers",
        "expect_workers",
        "Run Locust as a master and wait for N workers (locust --worker -f - --master-host H "
        "--master-port P, on this or other machines) before starting the users; overrides the "
        "catalog's workers.expect.",
        positive_int,
        metavar="N",
    ),
    OptionSpec(
        "--bfd-master-bind",
        "master_bind",
        "Where the master listens for workers (default 127.0.0.1:5557, this machine only; "
        "0.0.0.0:PORT accepts other machines: keep that port private, it is unauthenticated).",
        master_bind,
        metavar="HOST:PORT",
    ),
    OptionSpec(
        "--bfd-worker-wait",
        "worker_wait",
        f"Seconds to wait for the expected workers before the suite fails (default {DEFAULT_WORKER_WAIT:g}, "
        "or the catalog's workers.wait); "
        "counted into the run's deadline.",
        positive_float,
        metavar="SECONDS",
    ),
    OptionSpec(
        "--bfd-allow-worker-loss",
        "allow_worker_loss",
        "A worker lost mid-run does not fail the suite (the record still says how many finished).",
        boolean,
        kind="flag",
        default=False,
    ),
    OptionSpec(
        "--bfd-abort-on-breach",
        "abort_on_breach",
        "Stop every suite's run at the first SLA breach (a window, or the whole run so far without "
        "one), after the catalog's abort_after grace; as the catalog's abort_on_breach: true.",
        boolean,
        kind="flag",
        default=False,
    ),
    OptionSpec(
        "--bfd-locust-arg",
        "locust_arg",
        "Extra Locust argument for every suite (repeatable).",
        kind="list",
        metavar="ARG",
        default=(),
    ),
    OptionSpec(
        "--bfd-env",
        "env",
        "Environment name recorded and hashed (default: {default}).",
        env_name,
        metavar="NAME",
        default="local",
    ),
    OptionSpec(
        "--bfd-store",
        "store",
        "Where records go: file://DIR (default {default} under the rootdir) or "
        "s3://BUCKET?database=DB&table=TABLE&workgroup=WG&region=R.",
        store_uri,
        metavar="URI",
        default="file://.bfd-stats",
    ),
    OptionSpec(
        "--bfd-secret-env",
        "secret_env",
        "Environment variable holding a secret (repeatable): its value never reaches a record, a "
        "failure text or a warning (default: {default}).",
        env_var_name,
        kind="list",
        metavar="NAME",
        default=DEFAULT_SECRET_ENV,
    ),
    OptionSpec(
        "--bfd-store-tag",
        "store_tag",
        "Tag the record is stored under (repeatable; default: {default}).",
        tag,
        kind="list",
        metavar="TAG",
        default=("default",),
    ),
    OptionSpec(
        "--bfd-no-store",
        "no_store",
        "Store nothing.",
        boolean,
        kind="flag",
        off_flag="--bfd-store-records",
        default=False,
    ),
    OptionSpec(
        "--bfd-accept",
        "accept",
        "Re-baseline: store this run as accepted, the new level later runs are compared against, "
        "whatever its comparison says (the suite still fails when the run fails validation or "
        "crashes); REASON says why, e.g. a link to the change.",
        accept_reason,
        metavar="REASON",
    ),
    OptionSpec(
        "--compare",
        "compare",
        "Compare against the previous eligible record or the average of the last N.",
        compare_mode,
        metavar="{previous,average}",
    ),
    OptionSpec(
        "--compare-tag",
        "compare_tag",
        "Tag baselines are looked up under (default: {default}).",
        tag,
        metavar="TAG",
        default="default",
    ),
    OptionSpec(
        "--compare-load-limit",
        "compare_load_limit",
        "N for --compare average (default {default}).",
        positive_int,
        metavar="N",
        default=5,
    ),
    OptionSpec(
        "--bfd-confirm",
        "confirm",
        "When the comparison fails a suite (or the judge warns), run it up to N more times and fail only "
        "a statistic that regressed in a majority of the 1 + N attempts and failed in one, or that the "
        "judge warned about in all of three or more (0: decide on the first attempt; overrides the "
        "catalog's confirm; default 2 under the judge, 0 for a threshold file with only the seed's keys).",
        non_negative_int,
        metavar="N",
    ),
    OptionSpec(
        "--bfd-inconclusive",
        "inconclusive",
        f"What a run whose load generator was saturated (above {SATURATED_CPU_PERCENT:g} % CPU for "
        f"more than {MAX_SATURATED_SHARE * 100:g} % of the run) does to its suite when it was compared: "
        "fail (with its own reason) or warn (a run compared with nothing always warns); its comparison "
        "is never judged and it is never a baseline (default {default}).",
        inconclusive_policy,
        metavar="fail|warn",
        default=InconclusivePolicy.FAIL,
    ),
    OptionSpec(
        "--compare-meta",
        "compare_meta",
        "Threshold file (overrides the catalog's compare_meta).",
        metavar="FILE",
    ),
    OptionSpec(
        "--bfd-artifacts",
        "artifacts",
        "Directory for per-suite artifacts (default {default} under the rootdir).",
        metavar="DIR",
        default=".bfd-artifacts",
    ),
    OptionSpec(
        "--bfd-junit-detail",
        "junit_detail",
        "Write a second JUnit XML with one testcase per compared statistic.",
        metavar="FILE",
    ),
    OptionSpec(
        "--bfd-report",
        "report",
        "Write the session's HTML report (charts, current vs baseline, history) to FILE "
        "(default: one file per session under reports/ in the artifacts directory, report.html "
        "linking the newest).",
        metavar="FILE",
    ),
    OptionSpec(
        "--bfd-markdown",
        "markdown",
        "Write the session's Markdown summary to FILE (also appended to $GITHUB_STEP_SUMMARY when set).",
        metavar="FILE",
    ),
    OptionSpec(
        "--bfd-progress",
        "progress",
        "Seconds between progress lines while a suite runs (0: none; default {default}).",
        non_negative_float,
        metavar="SECONDS",
        default=3.0,
    ),
    OptionSpec(
        "--bfd-timeout-grace",
        "timeout_grace",
        "Seconds a run may last beyond spawn time + spawned runtime before it is stopped "
        "(default {default}).",
        non_negative_float,
        metavar="SECONDS",
        default=30.0,
    ),
    OptionSpec(
        "--bfd-max-users",
        "max_users",
        "Most users a suite may ask for; more is refused before any load (default {default}).",
        positive_int,
        metavar="N",
        default=DEFAULT_MAX_USERS,
    ),
    OptionSpec(
        "--bfd-max-spawn-rate",
        "max_spawn_rate",
        "Highest spawn rate a suite may ask for; more is refused before any load (default {default}).",
        positive_float,
        metavar="R",
        default=DEFAULT_MAX_SPAWN_RATE,
    ),
    OptionSpec(
        "--bfd-keep-runs",
        "keep_runs",
        "Run directories kept per suite under --bfd-artifacts; older ones are removed (default {default}).",
        positive_int,
        metavar="N",
        default=DEFAULT_KEEP_RUNS,
    ),
)

OPTIONS_BY_NAME: Mapping[str, OptionSpec] = {spec.name: spec for spec in OPTIONS}


def option_default(name: str) -> Any:
    """The option's default, as declared in `OPTIONS`: what `BfdSettings`, the runner and the Lambda
    use when nothing is given."""
    return OPTIONS_BY_NAME[name].default


class SettingsError(ValueError):
    """A bad option value from the environment or an ini file; the message names where."""


@dataclass(frozen=True)
class BfdSettings:
    """Resolved options; components receive these plain values, never `config`."""

    suites: tuple[Path, ...] = option_default("suite")
    host: str | None = None
    users: int | None = None
    spawn_rate: float | None = None
    spawned_runtime: int | None = None
    only_summary: bool = option_default("only_summary")
    processes: int | None = None
    expect_workers: int | None = None
    master_bind: MasterBind | None = None
    worker_wait: float | None = None
    allow_worker_loss: bool = option_default("allow_worker_loss")
    abort_on_breach: bool = option_default("abort_on_breach")
    locust_args: tuple[str, ...] = option_default("locust_arg")
    environment: str = option_default("env")
    store: str = option_default("store")
    """`resolve` makes the default's relative path absolute, under the rootdir."""
    store_tags: tuple[str, ...] = option_default("store_tag")
    secret_env: tuple[str, ...] = option_default("secret_env")
    secret_values: tuple[str, ...] = field(default=(), repr=False)
    """Every form of the secret variables' values (`secret_values.secret_forms`), to redact."""
    no_store: bool = option_default("no_store")
    accept: str | None = None
    """`--bfd-accept REASON`: store each run as accepted under its store tags."""
    accepted_by: tuple[tuple[str, str], ...] = ()
    """Who accepts, as the environment says (`acceptance.accepted_by`): recorded in an acceptance."""
    compare: BaselineKind | None = None
    compare_tag: str = option_default("compare_tag")
    compare_load_limit: int = option_default("compare_load_limit")
    compare_meta: Path | None = None
    confirm: int | None = None
    """More attempts after a judged failure; None: the catalog's, else the threshold file's default."""
    inconclusive: InconclusivePolicy = option_default("inconclusive")
    """What a run whose load generator was saturated does to its suite (`--bfd-inconclusive`)."""
    artifacts: Path = Path(option_default("artifacts"))
    """`resolve` makes the default absolute, under the rootdir."""
    junit_detail: Path | None = None
    report: Path | None = None
    """None: report.html in the artifacts directory (see `report_path`)."""
    markdown: Path | None = None
    progress_interval: float = option_default("progress")
    timeout_grace: float = option_default("timeout_grace")
    max_users: int = option_default("max_users")
    max_spawn_rate: float = option_default("max_spawn_rate")
    keep_runs: int = option_default("keep_runs")
    notices: tuple[str, ...] = ()
    """Options given that have no effect (e.g. --compare-load-limit with --compare previous)."""


OUTPUT_FILE_OPTIONS: tuple[tuple[str, str], ...] = (
    ("--bfd-report", "report"),
    ("--bfd-markdown", "markdown"),
    ("--bfd-junit-detail", "junit_detail"),
)
"""The options naming a file the session writes (flag, setting): no two may name the same file."""


def report_path(settings: BfdSettings) -> Path:
    """Where the session's HTML report goes: `--bfd-report`, or report.html among the artifacts."""
    return settings.report or settings.artifacts / "report.html"


def _from_text(spec: OptionSpec, text: str, origin: str) -> Any:
    """Parse an environment or ini value with the option's type; lists are split shell-style."""
    try:
        if spec.kind == "list":
            return [spec.type(part) for part in shlex.split(text)]
        if spec.kind == "flag":
            return boolean(text)
        return spec.type(text.strip())
    except (argparse.ArgumentTypeError, ValueError) as exc:
        raise SettingsError(f"{origin} (for {spec.flag}): {exc}") from None


def resolve_environment_value(spec: OptionSpec, environ: Mapping[str, str]) -> Any:
    """The option's value from its `BFD_LOCUST_*` variable, checked; None when unset or blank."""
    text = environ.get(spec.env_var, "")
    if not text.strip():
        return None
    return _from_text(spec, text, f"environment variable {spec.env_var}")


def resolve(
    cli: Mapping[str, Any],
    environ: Mapping[str, str],
    ini: Callable[[str], Any],
    *,
    rootdir: Path,
    ini_source: str = "ini file",
    invocation_dir: Path | None = None,
) -> BfdSettings:
    """CLI > environment > ini > default, for every option.

    Relative paths (a `file://DIR` store included) are taken, as pytest takes its own
    (`--junitxml`, `testpaths`), from the invocation directory when given on the command line or
    in the environment, and from the rootdir (where the ini file lives) when given in the ini file
    or left at their default.
    """
    values: dict[str, Any] = {}
    from_ini: set[str] = set()
    for spec in OPTIONS:
        cli_value = cli.get(spec.dest)
        # Identity, not `in (None, False)`: 0 and 0.0 equal False and are real values.
        if cli_value is not None and not (isinstance(cli_value, list) and not cli_value):
            values[spec.name] = cli_value
            continue
        if spec.env_var in environ and environ[spec.env_var].strip() != "":
            values[spec.name] = _from_text(
                spec, environ[spec.env_var], f"environment variable {spec.env_var}"
            )
            continue
        ini_value = ini(spec.ini_key)
        if isinstance(ini_value, list):
            ini_value = " ".join(shlex.quote(v) for v in ini_value)
        if ini_value not in (None, ""):
            values[spec.name] = _from_text(spec, str(ini_value), f"{ini_source} key {spec.ini_key}")
            from_ini.add(spec.name)

    if values.get("processes") and values.get("expect_workers"):
        raise SettingsError(
            "--bfd-processes and --bfd-expect-workers cannot be combined: --bfd-processes starts "
            "workers on this machine, --bfd-expect-workers waits for workers started elsewhere"
        )
    if values.get("accept") and values.get("no_store"):
        raise SettingsError(
            "--bfd-accept stores the run as accepted and --bfd-no-store stores nothing: use one or the other"
        )
    cwd = invocation_dir or Path.cwd()

    def value(name: str) -> Any:
        return values.get(name, option_default(name))

    def absolute(name: str, text: str) -> Path:
        candidate = Path(text).expanduser()
        if candidate.is_absolute():
            return candidate
        return (rootdir if name in from_ini or name not in values else cwd) / candidate

    def path(name: str) -> Path | None:
        text = value(name)
        return None if text is None else absolute(name, text)

    outputs = [(flag, path(name)) for flag, name in OUTPUT_FILE_OPTIONS]
    for index, (flag, output) in enumerate(outputs):
        for other_flag, other in outputs[index + 1 :]:
            if output is not None and other is not None and output.resolve() == other.resolve():
                raise SettingsError(
                    f"{flag} and {other_flag} both name {output}: the second would overwrite the first; "
                    "give each its own file"
                )
    store = value("store")
    scheme, _, store_path = store.partition("://")
    if scheme == "file" and store_path and not store_path.startswith("/"):
        store = f"file://{absolute('store', store_path)}"
    compare = values.get("compare")
    secret_env = tuple(dict.fromkeys(value("secret_env") or option_default("secret_env")))
    notices = []
    if compare is BaselineKind.PREVIOUS and "compare_load_limit" in values:
        notices.append(
            f"--compare-load-limit {values['compare_load_limit']} has no effect with --compare previous "
            "(it sets N for --compare average)"
        )
    return BfdSettings(
        suites=tuple(absolute("suite", text) for text in value("suite")),
        host=values.get("host"),
        users=values.get("users"),
        spawn_rate=values.get("spawn_rate"),
        spawned_runtime=values.get("spawned_runtime"),
        only_summary=bool(value("only_summary")),
        processes=values.get("processes"),
        expect_workers=values.get("expect_workers"),
        master_bind=values.get("master_bind"),
        worker_wait=values.get("worker_wait"),
        allow_worker_loss=bool(value("allow_worker_loss")),
        abort_on_breach=bool(value("abort_on_breach")),
        locust_args=tuple(value("locust_arg")),
        environment=value("env"),
        store=store,
        store_tags=tuple(dict.fromkeys(value("store_tag") or option_default("store_tag"))),
        secret_env=secret_env,
        secret_values=secret_forms(environ[name] for name in secret_env if environ.get(name)),
        no_store=bool(value("no_store")),
        accept=value("accept"),
        accepted_by=tuple(accepted_by(environ).items()),
        compare=compare,
        compare_tag=value("compare_tag"),
        compare_load_limit=value("compare_load_limit"),
        compare_meta=path("compare_meta"),
        confirm=value("confirm"),
        inconclusive=value("inconclusive"),
        artifacts=absolute("artifacts", value("artifacts")),
        junit_detail=path("junit_detail"),
        report=path("report"),
        markdown=path("markdown"),
        progress_interval=value("progress"),
        timeout_grace=value("timeout_grace"),
        max_users=value("max_users"),
        max_spawn_rate=value("max_spawn_rate"),
        keep_runs=value("keep_runs"),
        notices=tuple(notices),
    )


def off_flag_kwargs(spec: OptionSpec) -> dict[str, Any]:
    """Keyword arguments for a flag's off form (`--no-bfd-only-summary`)."""
    return {
        "action": "store_false",
        "default": None,
        "dest": spec.dest,
        "help": f"Switch {spec.flag} off (overrides the environment and the ini file).",
    }


def ini_type(spec: OptionSpec) -> str:
    return {"list": "args", "flag": "bool"}.get(spec.kind, "string")


def argparse_kwargs(spec: OptionSpec) -> dict[str, Any]:
    """Keyword arguments for `parser.addoption` (pytest's argparse wrapper)."""
    if spec.kind == "flag":
        # Default None, not False: `resolve` must tell "not given" from an explicit off switch.
        return {"action": "store_true", "default": None, "dest": spec.dest, "help": spec.help}
    kwargs: dict[str, Any] = {"dest": spec.dest, "default": None, "help": spec.help, "type": spec.type}
    if spec.metavar:
        kwargs["metavar"] = spec.metavar
    if spec.kind == "list":
        kwargs.update(action="append", default=[])
    return kwargs
