"""A suite without a host is refused from the locustfile's text; whatever the text cannot prove passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_bfd_locust.locustfile_host import hostless_user_classes, missing_host_message

HOSTLESS = (
    "from locust import HttpUser, task\n\nclass Api(HttpUser):\n    @task\n    def a(self):\n        pass\n"
)

CASES: list[tuple[str, str, tuple[str, ...]]] = [
    ("plain HttpUser without host", HOSTLESS, ("Api",)),
    (
        "FastHttpUser from contrib",
        "from locust.contrib.fasthttp import FastHttpUser\nclass F(FastHttpUser): pass\n",
        ("F",),
    ),
    ("aliased import", "from locust import HttpUser as H\nclass A(H): pass\n", ("A",)),
    ("module import", "import locust\nclass A(locust.HttpUser): pass\n", ("A",)),
    ("host on the class", "from locust import HttpUser\nclass A(HttpUser):\n    host = 'http://x'\n", ()),
    ("annotated host", "from locust import HttpUser\nclass A(HttpUser):\n    host: str = 'http://x'\n", ()),
    (
        "host from a base in the file",
        "from locust import HttpUser\nclass B(HttpUser):\n    abstract = True\n    host = 'http://x'\n"
        "class A(B): pass\n",
        (),
    ),
    (
        "a hostless base in the file, abstract, is not run itself",
        "from locust import HttpUser\nclass B(HttpUser):\n    abstract = True\nclass A(B): pass\n",
        ("A",),
    ),
    (
        "a mixin giving the host",
        "from locust import HttpUser\nclass M:\n    host = 'http://x'\nclass A(M, HttpUser): pass\n",
        (),
    ),
    (
        "a user that needs no host",
        "from locust import User, task\nclass A(User):\n    @task\n    def t(self): pass\n",
        (),
    ),
    (
        "two classes, one without",
        "from locust import HttpUser\nclass A(HttpUser):\n    host = 'http://x'\nclass B(HttpUser): pass\n",
        ("B",),
    ),
    ("base from another module", "from common import Base\nclass A(Base): pass\n" + HOSTLESS, ()),
    ("host set from outside", HOSTLESS + "Api.host = 'http://x'\n", ()),
    ("setattr", HOSTLESS + "setattr(Api, 'host', 'http://x')\n", ()),
    ("a host= keyword (a parser default)", HOSTLESS + "f(host='http://x')\n", ()),
    ("star import", "from locust import *\nclass A(HttpUser): pass\n", ()),
    ("metaclass keyword", "from locust import HttpUser\nclass A(HttpUser, metaclass=M): pass\n", ()),
    ("syntax error", "class A(:\n", ()),
    ("no classes at all", "print('hi')\n", ()),
]


@pytest.mark.parametrize(
    ("source", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_hostless_user_classes(source: str, expected: tuple[str, ...]) -> None:
    assert hostless_user_classes(source) == expected


@pytest.fixture
def locustfile(tmp_path: Path) -> Path:
    path = tmp_path / "api.py"
    path.write_text(HOSTLESS)
    return path


def message(locustfile: Path, **overrides: object) -> str | None:
    given: dict[str, object] = {
        "host": None,
        "locust_args": (),
        "env": {},
        "run_directory": locustfile.parent,
    }
    given.update(overrides)
    return missing_host_message(locustfile, **given)  # type: ignore[arg-type]


def test_no_host_anywhere_names_the_classes_and_the_file(locustfile: Path) -> None:
    assert message(locustfile) == (
        'no host: user class(es) Api in api.py set none; set `host = "http://..."` on the class, '
        "`host:` in a catalog, or `--bfd-host URL`"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"host": "http://127.0.0.1:9"},
        {"env": {"LOCUST_HOST": "http://127.0.0.1:9"}},
        {"env": {"LOCUST_CONFIG": "my.conf"}},
        {"locust_args": ("--host", "http://127.0.0.1:9")},
        {"locust_args": ("OtherUser",)},
    ],
    ids=["host", "LOCUST_HOST", "LOCUST_CONFIG", "locust-args-host", "locust-args-class"],
)
def test_any_other_source_of_a_host_lets_it_run(locustfile: Path, overrides: dict[str, object]) -> None:
    assert message(locustfile, **overrides) is None


@pytest.mark.parametrize("config", ["locust.conf", "pyproject.toml"])
def test_a_locust_config_file_where_locust_runs_may_give_the_host(locustfile: Path, config: str) -> None:
    (locustfile.parent / config).write_text("[tool.locust]\nhost = 'http://127.0.0.1:9'\n")
    assert message(locustfile) is None


def test_a_pyproject_without_a_locust_section_gives_no_host(locustfile: Path) -> None:
    (locustfile.parent / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert message(locustfile) is not None
