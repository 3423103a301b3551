"""SLAs per endpoint, per time window, a throughput floor and `abort_on_breach`, end to end (issue 18):
real Locust against a target on 127.0.0.1 whose endpoints stall, stay slow or throttle on cue."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from examples.demo_target import DemoServer

NO_STORE = ["--bfd-no-store", "-p", "no:cacheprovider"]

TWO_ENDPOINTS = """
from locust import HttpUser, constant, task


class Api(HttpUser):
    wait_time = constant(0.01)

    @task(3)
    def fast(self):
        self.client.get("/fast")

    @task(1)
    def slow(self):
        self.client.get("/slow")
"""
"""Users asking for `/fast` three times as often as for `/slow`."""


@dataclass
class Behaviour:
    """When `/slow` stalls, in seconds after the target's first request (`stall_until` may be inf),
    how long a stalled or always-slow answer takes, and how long every answer waits (throttling)."""

    stall_from: float = math.inf
    stall_until: float = math.inf
    slow_ms: int = 0
    """`/slow`'s delay outside a stall."""
    stall_ms: int = 700
    every_ms: int = 0
    first_request: float | None = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # keep-alive answers in ms, not 40 ms (STYLE.md, item 10)
    server: _StallServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        behaviour = self.server.behaviour
        now = time.monotonic()
        if behaviour.first_request is None:
            behaviour.first_request = now
        since = now - behaviour.first_request
        delay_ms = behaviour.every_ms
        if self.path == "/slow":
            stalled = behaviour.stall_from <= since < behaviour.stall_until
            delay_ms += behaviour.stall_ms if stalled else behaviour.slow_ms
        if delay_ms:
            time.sleep(delay_ms / 1000)
        body = b"{}"
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # a user stopped mid-request at the end of the run

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _StallServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(self, behaviour: Behaviour) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour


@pytest.fixture
def stall_target() -> Iterator[tuple[str, Behaviour]]:
    """(URL, behaviour): the test sets the behaviour before its run."""
    behaviour = Behaviour()
    server = _StallServer(behaviour)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", behaviour
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _catalog(pytester: pytest.Pytester, url: str, suite: str) -> None:
    pytester.path.joinpath("api.py").write_text(TWO_ENDPOINTS)
    pytester.path.joinpath("suites.yaml").write_text(
        f"defaults:\n  host: {url}\n  users: 4\n  spawn_rate: 4\nsuites:\n{suite}"
    )


def _record(pytester: pytest.Pytester, suite: str) -> dict[str, object]:
    path = next((pytester.path / ".bfd-artifacts" / suite / "latest").glob("*.stats.json"))
    data: dict[str, object] = json.loads(path.read_text())
    return data


def test_a_stall_fails_the_window_naming_it_and_not_the_whole_run(
    pytester: pytest.Pytester, stall_target: tuple[str, Behaviour]
) -> None:
    url, behaviour = stall_target
    behaviour.stall_from, behaviour.stall_until = 3.0, 6.0
    _catalog(
        pytester,
        url,
        "  - name: stalled\n    locustfile: api.py\n    spawned_runtime: 8s\n"
        "    sla: {p95: 500, window: 2s}\n",
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*SLA p95 per 2 s window: p95 7?0 ms in [0-9][0-9]:[0-9][0-9]-[0-9][0-9]:[0-9][0-9] > 500 ms"
            " (* of * windows)*"
        ]
    )
    # The same limit on the whole run holds: the stall hides among the run's fast requests.
    result.stdout.no_fnmatch_line("*SLA p95: measured*")
    record = _record(pytester, "stalled")
    totals = record["totals"]
    assert isinstance(totals, dict)
    assert totals["response_time_percentiles"]["0.95"] <= 500
    timeline = record["timeline"]
    assert isinstance(timeline, dict)
    assert timeline["histograms"]["entries"][:1] == ["Aggregated"]
    assert set(timeline["histograms"]["entries"][1:]) == {"GET /fast", "GET /slow"}


def test_endpoint_limits_fail_the_slow_endpoint_and_one_without_requests_by_name(
    pytester: pytest.Pytester, stall_target: tuple[str, Behaviour]
) -> None:
    url, behaviour = stall_target
    behaviour.slow_ms = 150
    _catalog(
        pytester,
        url,
        "  - name: endpoints\n    locustfile: api.py\n    spawned_runtime: 3s\n"
        "    sla:\n      endpoints:\n"
        '        "GET /fast": {p95: 100}\n'
        '        "GET /slow": {p95: 100}\n'
        '        "GET /slwo": {p99: 100}\n',
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*SLA GET /slow p95: measured 1?0 ms, limit 100 ms*"])
    result.stdout.fnmatch_lines(
        [
            "*SLA GET /slwo: the run recorded no request to it (the run's endpoints: GET /fast, GET /slow)"
            "; did you mean 'GET /slow'?*"
        ]
    )
    result.stdout.no_fnmatch_line("*SLA GET /fast*")
    # Collection said it first: the misspelt name is no literal of the locustfile; the others are.
    result.stdout.fnmatch_lines(
        ["*suites.yaml: suite 'endpoints': sla.endpoints 'GET /slwo': '/slwo' does not appear in api.py;*"]
    )
    result.stdout.no_fnmatch_line("*sla.endpoints 'GET /slow'*")


def test_min_rps_fails_when_the_target_throttles_and_passes_when_it_does_not(
    pytester: pytest.Pytester, stall_target: tuple[str, Behaviour], demo_server: DemoServer
) -> None:
    url, behaviour = stall_target
    behaviour.every_ms = 250  # 4 users: at most 16 requests/s
    pytester.path.joinpath("api.py").write_text(TWO_ENDPOINTS)
    pytester.path.joinpath("demo.py").write_text(
        TWO_ENDPOINTS.replace('"/fast"', '"/v2/fhir/Patient?_id=1"').replace('"/slow"', '"/health"')
    )
    pytester.path.joinpath("suites.yaml").write_text(
        "defaults:\n  users: 4\n  spawn_rate: 4\n  spawned_runtime: 3s\n  sla: {min_rps: 40}\nsuites:\n"
        f"  - name: throttled\n    locustfile: api.py\n    host: {url}\n"
        f"  - name: unthrottled\n    locustfile: demo.py\n    host: {demo_server.url}\n"
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-v", *NO_STORE)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*::unthrottled PASSED*"])
    result.stdout.fnmatch_lines(["*SLA min_rps: measured *.* requests/s, limit 40 requests/s*"])


def test_abort_on_breach_stops_a_long_run_soon_after_the_breach_and_stores_it(
    pytester: pytest.Pytester, stall_target: tuple[str, Behaviour]
) -> None:
    url, behaviour = stall_target
    behaviour.stall_from = 2.0  # and never ends
    _catalog(
        pytester,
        url,
        "  - name: breaking\n    locustfile: api.py\n    spawned_runtime: 60s\n"
        "    sla: {p95: 300, window: 2s}\n    abort_on_breach: true\n    abort_after: 1s\n",
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*aborted at * s: p95 7?0 ms in *-* > 300 ms*"])
    # That one line is the SLA's verdict: the windows of a cut-short run are not listed again.
    result.stdout.no_fnmatch_line("*SLA p95 per 2 s window*")
    stored = list(pytester.path.glob(".bfd-stats/hash=*/*.stats.json"))
    assert len(stored) == 1
    record = json.loads(stored[0].read_text())
    assert record["metadata"]["validation_result"] == "FAILED"
    assert record["totals"]["num_requests"] > 0
    # Stopped at the breach, long before its 60 s.
    assert record["metadata"]["total_runtime"] < 30


def test_abort_on_breach_from_the_command_line_judges_the_run_so_far_without_a_window(
    pytester: pytest.Pytester, stall_target: tuple[str, Behaviour]
) -> None:
    url, behaviour = stall_target
    behaviour.slow_ms = 300
    _catalog(
        pytester,
        url,
        "  - name: slow-endpoint\n    locustfile: api.py\n    spawned_runtime: 60s\n"
        '    sla: {endpoints: {"GET /slow": {p50: 100}}}\n',
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-abort-on-breach", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*aborted at * s: GET /slow p50 3?0 ms so far > 100 ms*"])
    assert _record(pytester, "slow-endpoint")["metadata"]["total_runtime"] < 30  # type: ignore[index]


def test_bad_sla_is_a_collection_error_naming_the_key(
    pytester: pytest.Pytester, demo_server: DemoServer
) -> None:
    pytester.path.joinpath("api.py").write_text(TWO_ENDPOINTS)
    pytester.path.joinpath("suites.yaml").write_text(
        f"suites:\n  - name: bad\n    locustfile: api.py\n    host: {demo_server.url}\n"
        "    spawned_runtime: 5s\n    sla: {p95: 100, window: 1m}\n"
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", *NO_STORE)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*suites.yaml: suite 'bad': key 'sla.window': 60 s is longer than the run*"])
    assert not Path(pytester.path / ".bfd-artifacts").exists()


def test_abort_on_breach_with_workers_is_decided_by_the_master(
    pytester: pytest.Pytester, stall_target: tuple[str, Behaviour]
) -> None:
    url, behaviour = stall_target
    behaviour.stall_from = 2.0  # and never ends
    _catalog(
        pytester,
        url,
        # Workers report every 3 s: a window of two reports.
        "  - name: breaking\n    locustfile: api.py\n    spawned_runtime: 60s\n"
        "    sla: {p95: 300, window: 6s}\n    abort_on_breach: true\n",
    )
    result = pytester.runpytest("--bfd-suite", "suites.yaml", "--bfd-processes", "2", *NO_STORE)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*aborted at * s: p95 7?0 ms in *-* > 300 ms*"])
    record = _record(pytester, "breaking")
    assert record["totals"]["num_requests"] > 0  # type: ignore[index]
    assert record["metadata"]["total_runtime"] < 40  # type: ignore[index]
