"""Fixtures shared by the end-to-end and store tests: a real HTTP target on 127.0.0.1, and suite
catalogs written into pytester's directory. (pytester itself is enabled by `-p pytester` in
setup.cfg, so that this file also loads cleanly when pytest is run from elsewhere.)"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

# pytester's in-process runs restore sys.modules and sys.meta_path afterwards, but not the stdlib's
# distribution finder, which importlib_metadata (pygal's dependency) disables when imported: after an
# in-process run that imported it, the next finds no entry-point plugin (not this one either). The
# plugin imports pygal late (with its reports, while the first Locust child runs), so this process
# imports it before any in-process run.
import pytest_bfd_locust.reports.session  # noqa: F401
from examples.demo_target import DemoServer, start_server
from tests.locustfiles import PLAIN_LOCUSTFILE


@pytest.fixture
def demo_server() -> Iterator[DemoServer]:
    with start_server() as server:
        yield server


@pytest.fixture
def write_catalog(pytester: pytest.Pytester, demo_server: DemoServer):  # type: ignore[no-untyped-def]
    """Write `suites.yaml` (suites given as YAML text) plus `api.py`; the host is the demo server."""

    def write(suites: str, *, defaults: str = "", locustfiles: dict[str, str] | None = None) -> Path:
        pytester.path.joinpath("api.py").write_text(PLAIN_LOCUSTFILE)
        for name, text in (locustfiles or {}).items():
            pytester.path.joinpath(name).write_text(textwrap.dedent(text))
        catalog = pytester.path / "suites.yaml"
        catalog.write_text(
            "defaults:\n"
            f"  host: {demo_server.url}\n"
            "  users: 2\n"
            "  spawn_rate: 2\n"
            "  spawned_runtime: 2s\n"
            + textwrap.indent(textwrap.dedent(defaults), "  ")
            + "suites:\n"
            + textwrap.indent(textwrap.dedent(suites), "  ")
        )
        return catalog

    return write
