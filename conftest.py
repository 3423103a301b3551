"""Fixtures shared by the end-to-end and store tests: a real HTTP target on 127.0.0.1, and suite
catalogs written into pytester's directory. (pytester itself is enabled by `-p pytester` in
setup.cfg, so that this file also loads cleanly when pytest is run from elsewhere.)"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.demo_target import DemoServer, start_server
from pytest_bfd_locust.compare import default_thresholds_path
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


TAIL_STATS_MIN_DELTA_MS = {
    "0.98": 100,
    "0.99": 100,
    "0.999": 1000,
    "0.9999": 1000,
    "1.0": 1000,
    "max_response_time": 1000,
}
"""Tail statistics of a 2-second run rest on a handful of requests; on a shared 2-core CI machine
one scheduling stall moves them by tens of ms. Tests that expect a comparison to pass widen them."""


@pytest.fixture
def steady_thresholds(pytester: pytest.Pytester) -> str:
    """Write `steady_thresholds.json` (the packaged thresholds, tail statistics widened) beside the
    catalog; returns the `defaults` line that makes the catalog use it."""
    thresholds = json.loads(default_thresholds_path().read_text())
    for rule in [*thresholds["totals"], *thresholds["tasks"]]:
        if rule["name"] in TAIL_STATS_MIN_DELTA_MS:
            rule["min_delta"] = TAIL_STATS_MIN_DELTA_MS[rule["name"]]
    pytester.path.joinpath("steady_thresholds.json").write_text(json.dumps(thresholds))
    return "compare_meta: steady_thresholds.json\n"
