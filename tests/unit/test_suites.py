from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import pytest

from pytest_bfd_locust.suites import (
    Catalog,
    CatalogError,
    Sla,
    Suite,
    Target,
    load_catalog,
    plain_locustfile_catalog,
)


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A catalog directory with a locustfile, a threshold file and a sub-directory."""
    (tmp_path / "v2").mkdir()
    (tmp_path / "v2" / "regression_suite.py").write_text("from locust import HttpUser\n")
    (tmp_path / "locustfile.py").write_text("from locust import HttpUser\n")
    (tmp_path / "thresholds.json").write_text("{}\n")
    return tmp_path


def write_catalog(directory: Path, text: str, name: str = "suites.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text))
    return path


def test_full_suite_is_parsed(workdir: Path) -> None:
    path = write_catalog(
        workdir,
        """\
        suites:
          - name: v2-regression
            locustfile: v2/regression_suite.py
            host: https://example.test:8443
            users: 50
            spawn_rate: 2.5
            spawned_runtime: 1h2m3s
            compare_meta: thresholds.json
            tags: [v2, regression]
            sla: {p50: 700, p95: 1000, p99: 3000}
            max_fail_ratio: 0.25
            failsafe_avg_ms: 5000
            locust_args: ["--table-sample-percent", 0.25]
            env: {TEXT: value, NUMBER: 3, FLAG: true}
            target:
              command: [python, -m, examples.demo_target, --port, "{port}"]
              ready_url: http://127.0.0.1:{port}/health
              ready_timeout: 5
        """,
    )
    catalog = load_catalog(path)
    assert catalog == Catalog(
        path=path,
        suites=(
            Suite(
                name="v2-regression",
                catalog=path,
                locustfile=workdir / "v2" / "regression_suite.py",
                host="https://example.test:8443",
                users=50,
                spawn_rate=2.5,
                spawned_runtime=3723,
                compare_meta=workdir / "thresholds.json",
                tags=("v2", "regression"),
                sla=Sla(p50=700, p95=1000, p99=3000),
                max_fail_ratio=0.25,
                failsafe_avg_ms=5000.0,
                locust_args=("--table-sample-percent", "0.25"),
                env={"TEXT": "value", "NUMBER": "3", "FLAG": "true"},
                target=Target(
                    command=("python", "-m", "examples.demo_target", "--port", "{port}"),
                    ready_url="http://127.0.0.1:{port}/health",
                    ready_timeout=5.0,
                ),
                line=2,
            ),
        ),
    )
    assert catalog.suites[0].spawn_time == 20.0


def test_minimal_suite_takes_built_in_defaults(workdir: Path) -> None:
    path = write_catalog(
        workdir,
        """\
        suites:
          - name: plain
            locustfile: locustfile.py
        """,
    )
    (suite,) = load_catalog(path).suites
    assert suite == Suite(name="plain", catalog=path, locustfile=workdir / "locustfile.py", host=None, line=2)
    assert (suite.users, suite.spawn_rate, suite.spawned_runtime) == (1, 1.0, 30)
    assert (suite.max_fail_ratio, suite.failsafe_avg_ms) == (0.0, 10000.0)
    assert (suite.sla, suite.target, suite.tags, suite.env) == (None, None, (), {})


def test_each_suite_knows_its_line_in_the_catalog(workdir: Path) -> None:
    path = write_catalog(
        workdir,
        """\
        defaults:
          users: 2
        suites:
          - name: first
            locustfile: locustfile.py

          - name: second
            locustfile: locustfile.py
        """,
    )
    assert [suite.line for suite in load_catalog(path).suites] == [4, 7]
    assert plain_locustfile_catalog(workdir / "locustfile.py").suites[0].line is None


def test_int_spawn_rate_is_kept_as_float(workdir: Path) -> None:
    path = write_catalog(
        workdir,
        """\
        suites:
          - {name: a, locustfile: locustfile.py, spawn_rate: 10, users: 20}
        """,
    )
    (suite,) = load_catalog(path).suites
    assert type(suite.spawn_rate) is float
    assert str(suite.spawn_rate) == "10.0"
    assert suite.spawn_time == 2.0


def test_defaults_are_merged_and_the_suite_wins(workdir: Path) -> None:
    path = write_catalog(
        workdir,
        """\
        defaults:
          host: http://127.0.0.1:8080
          users: 10
          spawn_rate: 10
          spawned_runtime: 3m
          compare_meta: thresholds.json
          tags: [nightly]
          env: {SHARED: from-defaults, OVERRIDDEN: from-defaults}
        suites:
          - name: first
            locustfile: locustfile.py
            users: 50
            env: {OVERRIDDEN: from-suite, OWN: "1"}
          - name: second
            locustfile: locustfile.py
            host: https://other.test
            tags: [smoke]
        """,
    )
    first, second = load_catalog(path).suites
    assert (first.host, first.users, first.spawn_rate, first.spawned_runtime) == (
        "http://127.0.0.1:8080",
        50,
        10.0,
        180,
    )
    assert first.compare_meta == workdir / "thresholds.json"
    assert first.tags == ("nightly",)
    assert first.env == {"SHARED": "from-defaults", "OVERRIDDEN": "from-suite", "OWN": "1"}
    assert (second.host, second.users, second.tags) == ("https://other.test", 10, ("smoke",))
    assert second.env == {"SHARED": "from-defaults", "OVERRIDDEN": "from-defaults"}


def test_relative_paths_resolve_against_the_catalog_directory(
    workdir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    (workdir / "catalogs").mkdir()
    path = write_catalog(
        workdir / "catalogs",
        """\
        suites:
          - name: a
            locustfile: ../v2/regression_suite.py
            compare_meta: ../thresholds.json
        """,
    )
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    (suite,) = load_catalog(path).suites
    assert suite.locustfile == workdir / "v2" / "regression_suite.py"
    assert suite.compare_meta == workdir / "thresholds.json"
    assert suite.locustfile.is_absolute() and suite.catalog.is_absolute()


def test_relative_catalog_path_becomes_absolute(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_catalog(workdir, "suites: [{name: a, locustfile: locustfile.py}]\n", name="c.yml")
    monkeypatch.chdir(workdir)
    catalog = load_catalog(Path("c.yml"))
    assert catalog.path == workdir / "c.yml"
    assert catalog.suites[0].catalog == workdir / "c.yml"
    assert catalog.suites[0].locustfile == workdir / "locustfile.py"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("\"python -m demo --port '{port}'\"", ("python", "-m", "demo", "--port", "{port}")),
        ("[python, -m, demo, --port, 8080]", ("python", "-m", "demo", "--port", "8080")),
    ],
)
def test_target_command_forms(workdir: Path, command: str, expected: tuple[str, ...]) -> None:
    path = write_catalog(
        workdir,
        f"""\
        suites:
          - name: a
            locustfile: locustfile.py
            host: http://127.0.0.1:{{port}}
            target: {{command: {command}}}
        """,
    )
    (suite,) = load_catalog(path).suites
    assert suite.target == Target(command=expected, ready_url=None, ready_timeout=30.0)


def test_plain_locustfile_catalog(workdir: Path) -> None:
    locustfile = workdir / "my suite+v2.py"
    locustfile.write_text("")
    for catalog in (plain_locustfile_catalog(locustfile), load_catalog(locustfile)):
        assert catalog == Catalog(
            path=locustfile,
            suites=(Suite(name="my_suite_v2", catalog=locustfile, locustfile=locustfile, host=None),),
        )


def test_plain_locustfile_must_exist(workdir: Path) -> None:
    missing = workdir / "missing.py"
    with pytest.raises(CatalogError) as info:
        load_catalog(missing)
    assert str(info.value) == f"{missing}: locustfile not found"


SUITE_A = "  - name: a\n    locustfile: locustfile.py\n"
"""A valid first suite, so the failing one is not simply the first."""
CATALOG_A = "suites:\n" + SUITE_A
"""A catalog whose last suite is `a`: cases append keys to it."""

BAD_CATALOGS = [
    # (id, catalog text, suite named in the error, key named in the error, message fragment)
    ("empty file", "", None, None, "empty"),
    ("only a comment", "# nothing\n", None, None, "empty"),
    ("yaml syntax", "suites:\n  - name: a\n    locustfile: [unclosed\n", None, None, "line 4, column 1"),
    ("yaml tab", "suites:\n\t- name: a\n", None, None, "line 2, column 1"),
    ("top level list", "- name: a\n", None, None, "expected a mapping"),
    ("unknown top-level key", "suite:\n" + SUITE_A, None, "suite", "allowed keys: defaults, suites"),
    ("missing suites", "defaults: {users: 2}\n", None, "suites", "missing"),
    ("empty suites", "suites: []\n", None, "suites", "non-empty list"),
    ("suites not a list", "suites: {name: a}\n", None, "suites", "non-empty list"),
    ("suite not a mapping", CATALOG_A + "  - just-a-name\n", "#2", None, "expected a mapping"),
    (
        "unknown suite key",
        CATALOG_A + "  - {name: b, locustfile: locustfile.py, user: 3}\n",
        "b",
        "user",
        "did you mean 'users'? allowed keys: name, locustfile, host",
    ),
    (
        "unknown key without name",
        "suites:\n  - {locustfile: locustfile.py, usrs: 3}\n",
        "#1",
        "usrs",
        "unknown key",
    ),
    ("missing name", CATALOG_A + "  - {locustfile: locustfile.py}\n", "#2", "name", "missing"),
    ("bad name", "suites:\n  - {name: 'a b', locustfile: locustfile.py}\n", "#1", "name", "'a b'"),
    ("name not a string", "suites:\n  - {name: [a], locustfile: locustfile.py}\n", "#1", "name", "['a']"),
    (
        "duplicate name",
        CATALOG_A + "  - {name: b, locustfile: locustfile.py}\n" + SUITE_A,
        "a",
        "name",
        "suite #1 (line 2) and suite #3 (line 5)",
    ),
    ("missing locustfile", "suites:\n  - {name: a}\n", "a", "locustfile", "missing"),
    (
        "locustfile not found",
        "suites:\n  - {name: a, locustfile: nope.py}\n",
        "a",
        "locustfile",
        "file not found: 'nope.py'",
    ),
    (
        "locustfile is a directory",
        "suites:\n  - {name: a, locustfile: v2}\n",
        "a",
        "locustfile",
        "not a file",
    ),
    ("locustfile not a string", "suites:\n  - {name: a, locustfile: 3}\n", "a", "locustfile", "got 3"),
    (
        "host without scheme",
        CATALOG_A + "    host: 127.0.0.1:8080\n",
        "a",
        "host",
        "'127.0.0.1:8080' is not an http(s) URL",
    ),
    ("host name without scheme", CATALOG_A + "    host: localhost:8080\n", "a", "host", "not an http(s) URL"),
    ("host ftp scheme", CATALOG_A + "    host: ftp://x\n", "a", "host", "not an http(s) URL"),
    ("host not a string", CATALOG_A + "    host: 8080\n", "a", "host", "got 8080"),
    (
        "host port without target",
        CATALOG_A + "    host: 'http://127.0.0.1:{port}'\n",
        "a",
        "host",
        "no target",
    ),
    (
        "bad timespan",
        CATALOG_A + "    spawned_runtime: 3 minutes\n",
        "a",
        "spawned_runtime",
        "invalid timespan '3 minutes'",
    ),
    ("timespan bool", CATALOG_A + "    spawned_runtime: yes\n", "a", "spawned_runtime", "True"),
    ("timespan negative", CATALOG_A + "    spawned_runtime: -5\n", "a", "spawned_runtime", "-5"),
    ("users zero", CATALOG_A + "    users: 0\n", "a", "users", "must be >= 1, got 0"),
    ("users float", CATALOG_A + "    users: 2.5\n", "a", "users", "got 2.5"),
    ("users bool", CATALOG_A + "    users: true\n", "a", "users", "got True"),
    ("users string", CATALOG_A + "    users: '10'\n", "a", "users", "got '10'"),
    ("spawn_rate zero", CATALOG_A + "    spawn_rate: 0\n", "a", "spawn_rate", "must be > 0, got 0"),
    ("spawn_rate negative", CATALOG_A + "    spawn_rate: -1.5\n", "a", "spawn_rate", "got -1.5"),
    ("spawn_rate bool", CATALOG_A + "    spawn_rate: true\n", "a", "spawn_rate", "got True"),
    ("spawn_rate infinite", CATALOG_A + "    spawn_rate: .inf\n", "a", "spawn_rate", "got inf"),
    (
        "max_fail_ratio above 1",
        CATALOG_A + "    max_fail_ratio: 1.5\n",
        "a",
        "max_fail_ratio",
        "between 0 and 1, got 1.5",
    ),
    (
        "max_fail_ratio negative",
        CATALOG_A + "    max_fail_ratio: -0.1\n",
        "a",
        "max_fail_ratio",
        "between 0 and 1, got -0.1",
    ),
    ("failsafe zero", CATALOG_A + "    failsafe_avg_ms: 0\n", "a", "failsafe_avg_ms", "> 0"),
    ("failsafe string", CATALOG_A + "    failsafe_avg_ms: 10s\n", "a", "failsafe_avg_ms", "got '10s'"),
    (
        "compare_meta not found",
        CATALOG_A + "    compare_meta: missing.json\n",
        "a",
        "compare_meta",
        "file not found: 'missing.json'",
    ),
    ("bad tag", CATALOG_A + "    tags: [v2, Regression]\n", "a", "tags", "'Regression'"),
    ("tag with dash", CATALOG_A + "    tags: [smoke-test]\n", "a", "tags", "'smoke-test'"),
    ("tags not a list", CATALOG_A + "    tags: v2\n", "a", "tags", "expected a list"),
    ("sla unknown key", CATALOG_A + "    sla: {p90: 100}\n", "a", "sla.p90", "allowed keys: p50, p95, p99"),
    ("sla zero", CATALOG_A + "    sla: {p95: 0}\n", "a", "sla.p95", "got 0"),
    ("sla float", CATALOG_A + "    sla: {p50: 1.5}\n", "a", "sla.p50", "got 1.5"),
    ("sla bool", CATALOG_A + "    sla: {p99: true}\n", "a", "sla.p99", "got True"),
    ("sla not a mapping", CATALOG_A + "    sla: 100\n", "a", "sla", "got 100"),
    (
        "locust_args not a list",
        CATALOG_A + "    locust_args: {a: b}\n",
        "a",
        "locust_args",
        "expected a list of strings",
    ),
    ("locust_args nested", CATALOG_A + "    locust_args: [[a]]\n", "a", "locust_args", "['a']"),
    ("env not a mapping", CATALOG_A + "    env: [A]\n", "a", "env", "expected a mapping"),
    ("env null value", CATALOG_A + "    env: {A: }\n", "a", "env.A", "got None"),
    ("env nested value", CATALOG_A + "    env: {A: [1]}\n", "a", "env.A", "got [1]"),
    ("target not a mapping", CATALOG_A + "    target: python\n", "a", "target", "'python'"),
    (
        "target unknown key",
        CATALOG_A + "    target: {command: x, port: 3}\n",
        "a",
        "target.port",
        "allowed keys: command, ready_url, ready_timeout",
    ),
    (
        "target missing command",
        CATALOG_A + "    target: {ready_url: 'http://x'}\n",
        "a",
        "target.command",
        "missing",
    ),
    (
        "target empty command",
        CATALOG_A + "    target: {command: []}\n",
        "a",
        "target.command",
        "must not be empty",
    ),
    (
        "target blank command",
        CATALOG_A + "    target: {command: ' '}\n",
        "a",
        "target.command",
        "must not be empty",
    ),
    (
        "target unbalanced quote",
        CATALOG_A + '    target: {command: "python \'x"}\n',
        "a",
        "target.command",
        "cannot split",
    ),
    (
        "target ready_url without scheme",
        CATALOG_A + "    target: {command: x, ready_url: 'h:1'}\n",
        "a",
        "target.ready_url",
        "not an http(s) URL",
    ),
    (
        "target ready_timeout zero",
        CATALOG_A + "    target: {command: x, ready_timeout: 0}\n",
        "a",
        "target.ready_timeout",
        "> 0",
    ),
    ("defaults not a mapping", "defaults: [1]\nsuites:\n" + SUITE_A, None, "defaults", "expected a mapping"),
    (
        "defaults unknown key",
        "defaults: {userz: 3}\nsuites:\n" + SUITE_A,
        None,
        "defaults.userz",
        "allowed keys: locustfile, host",
    ),
    ("defaults name", "defaults: {name: x}\nsuites:\n" + SUITE_A, None, "defaults.name", "cannot be set"),
    (
        "defaults bad value",
        "defaults: {users: 0}\nsuites:\n" + SUITE_A,
        "a",
        "users",
        "(value from defaults)",
    ),
    # issue 18: SLAs per endpoint, per window, the throughput floor, abort_on_breach
    (
        "window 0s",
        CATALOG_A + "    sla: {p95: 100, window: 0s}\n",
        "a",
        "sla.window",
        "'0s' must be at least 1 second",
    ),
    ("window not a timespan", CATALOG_A + "    sla: {window: ten}\n", "a", "sla.window", "ten"),
    (
        "window longer than the run",
        CATALOG_A
        + "    users: 4\n    spawn_rate: 2\n    spawned_runtime: 10s\n    sla: {p95: 100, window: 13s}\n",
        "a",
        "sla.window",
        "13 s is longer than the run (12 s: users/spawn_rate 2 s + spawned_runtime 10 s)",
    ),
    ("min_rps negative", CATALOG_A + "    sla: {min_rps: -1}\n", "a", "sla.min_rps", "must be > 0, got -1"),
    ("min_rps zero", CATALOG_A + "    sla: {min_rps: 0}\n", "a", "sla.min_rps", "must be > 0, got 0"),
    (
        "unknown sla key",
        CATALOG_A + "    sla: {p90: 100}\n",
        "a",
        "sla.p90",
        "allowed keys: p50, p95, p99, window",
    ),
    ("endpoints not a mapping", CATALOG_A + "    sla: {endpoints: [a]}\n", "a", "sla.endpoints", "['a']"),
    (
        "endpoint without a method",
        CATALOG_A + '    sla: {endpoints: {"/v2/fhir/Patient": {p95: 100}}}\n',
        "a",
        "sla.endpoints./v2/fhir/Patient",
        "`METHOD name` such as 'GET /v2/fhir/Patient search', got '/v2/fhir/Patient'",
    ),
    (
        "endpoint limit not a mapping",
        CATALOG_A + '    sla: {endpoints: {"GET /a": 400}}\n',
        "a",
        "sla.endpoints.GET /a",
        "expected a mapping of limits such as {p95: 400, p99: 900}, got 400",
    ),
    (
        "endpoint limit unknown",
        CATALOG_A + '    sla: {endpoints: {"GET /a": {p90: 400}}}\n',
        "a",
        "sla.endpoints.GET /a.p90",
        "allowed keys: p50, p95, p99",
    ),
    (
        "endpoint limit not positive",
        CATALOG_A + '    sla: {endpoints: {"GET /a": {p95: -4}}}\n',
        "a",
        "sla.endpoints.GET /a.p95",
        "whole number of milliseconds > 0, got -4",
    ),
    (
        "abort_on_breach not a flag",
        CATALOG_A + "    abort_on_breach: yes please\n",
        "a",
        "abort_on_breach",
        "'yes please'",
    ),
    ("abort_after not a timespan", CATALOG_A + "    abort_after: soon\n", "a", "abort_after", "soon"),
    (
        "abort_after longer than the run",
        CATALOG_A + "    spawned_runtime: 10s\n    abort_after: 1m\n",
        "a",
        "abort_after",
        "60 s is longer than the run (11 s: users/spawn_rate 1 s + spawned_runtime 10 s)",
    ),
    (
        "defaults env not a mapping",
        "defaults: {env: x}\nsuites:\n" + SUITE_A + "    env: {A: b}\n",
        None,
        "defaults.env",
        "expected a mapping",
    ),
]


@pytest.mark.parametrize(
    ("text", "suite", "key", "fragment"),
    [case[1:] for case in BAD_CATALOGS],
    ids=[case[0] for case in BAD_CATALOGS],
)
def test_bad_catalog_names_file_suite_and_key(
    workdir: Path, text: str, suite: str | None, key: str | None, fragment: str
) -> None:
    path = write_catalog(workdir, text)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    error = info.value
    message = str(error)
    assert (error.file, error.suite, error.key) == (path, suite, key)
    expected_prefix = str(path) + ": "
    if suite is not None:
        expected_prefix += f"suite '{suite}': "
    if key is not None:
        expected_prefix += f"key '{key}': "
    assert message.startswith(expected_prefix)
    assert fragment in message
    assert "\n" not in message


def test_unreadable_catalog(workdir: Path) -> None:
    missing = workdir / "missing.yaml"
    with pytest.raises(CatalogError) as info:
        load_catalog(missing)
    assert str(info.value).startswith(f"{missing}: cannot read the catalog: ")


def test_unsupported_suffix(workdir: Path) -> None:
    path = workdir / "suites.txt"
    path.write_text("suites: []\n")
    with pytest.raises(CatalogError, match=r"expected a YAML catalog \(\.yaml, \.yml\) or a locustfile"):
        load_catalog(path)


def test_catalog_error_format_and_pickling(tmp_path: Path) -> None:
    file = tmp_path / "s.yaml"
    assert str(CatalogError(file, "boom")) == f"{file}: boom"
    assert str(CatalogError(file, "boom", key="users")) == f"{file}: key 'users': boom"
    error = CatalogError(file, "boom", suite="a", key="users")
    assert str(error) == f"{file}: suite 'a': key 'users': boom"
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.file, copy.message, copy.suite, copy.key) == (file, "boom", "a", "users")
    assert str(copy) == str(error)
