"""Unclear errors, round 2 (issue 19): each is one line naming the input and the cause."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_bfd_locust.stores.file import FileStore
from tests.e2e.test_cli import bfd_locust
from tests.report_factory import run_record


def test_history_of_an_unknown_hash_names_it_and_the_suites_hashes(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\nbfd_store = file://stats\n")
    store = FileStore(tmp_path / "stats")
    store.save(run_record(0, 10, hash="a" * 64))
    store.save(run_record(1, 10, hash="b" * 64))
    result = bfd_locust(tmp_path, "history", "--suite", "api", "--hash", "deadbeef")
    assert result.returncode == 1
    assert result.stderr == (
        f"bfd-locust history: no stored run of suite 'api' with hash deadbeef in file store "
        f"{tmp_path / 'stats'}; its runs are under hash(es) {'b' * 64}, {'a' * 64}\n"
    )


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port something already listens on (this test's own socket)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield int(listener.getsockname()[1])


@pytest.mark.parametrize("case", ["taken", "not-here"])
def test_a_master_that_cannot_listen_is_one_line_before_any_invitation(
    pytester: pytest.Pytester, write_catalog, taken_port: int, case: str
) -> None:
    bind, cause = {
        "taken": (f"127.0.0.1:{taken_port}", f"port {taken_port} is taken (by another master or program)"),
        "not-here": ("192.0.2.7:5557", "192.0.2.7 is not an address of this machine"),
    }[case]
    write_catalog("- name: api\n  locustfile: api.py\n")
    result = pytester.runpytest(
        "--bfd-suite", "suites.yaml", "--bfd-expect-workers", "1", "--bfd-master-bind", bind,
        "--bfd-worker-wait", "2", "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*the master cannot listen at {bind} (--bfd-master-bind or the catalog's workers.*): {cause}"]
    )
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "RPCError" not in output
    assert "start each with" not in output


def test_a_target_that_is_down_is_named_in_the_short_summary(
    pytester: pytest.Pytester, write_catalog
) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # bound, never listening: connections are refused
        write_catalog("- name: down\n  locustfile: api.py\n  spawned_runtime: 1s\n")
        result = pytester.runpytest(
            "--bfd-suite", "suites.yaml", "--bfd-host", f"http://127.0.0.1:{port}", "-p", "no:cacheprovider"
        )
    result.assert_outcomes(failed=1)
    # The body's headline is whole, cause included; the short summary cuts it after a word.
    result.stdout.fnmatch_lines(
        [
            "[[]Errno 111[]] Connection refused (*x, the most frequent error); 1 validation rule failed",
            "FAILED suites.yaml::down - [[]Errno 111[]] Connection refused (*x, the most...",
        ]
    )


RAISING_LOCUSTFILE = """
from locust import HttpUser, constant, task


class Broken(HttpUser):
    wait_time = constant(0.1)

    @task
    def broken(self):
        raise RuntimeError("the locustfile is broken")
"""


def test_a_locustfile_raising_in_user_code_points_at_its_tracebacks(
    pytester: pytest.Pytester, write_catalog
) -> None:
    write_catalog(
        "- name: broken\n  locustfile: broken.py\n  spawned_runtime: 1s\n",
        locustfiles={"broken.py": RAISING_LOCUSTFILE},
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["the locustfile raised * traceback(s), see locust.log; 1 validation rule failed"]
    )
    assert "RuntimeError: the locustfile is broken" in result.stdout.str()  # the log's tail is shown
