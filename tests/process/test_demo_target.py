"""The demo target (examples/demo_target.py): endpoints, paging, test knobs, control, keep-alive speed."""

from __future__ import annotations

import http.client
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from examples.demo_target import DemoServer, eob_count, start_server

ONE_PATIENT_EOBS = eob_count("-10000000000001")
DEMO_TARGET = Path(__file__).resolve().parents[2] / "examples" / "demo_target.py"


@pytest.fixture
def server() -> Iterator[DemoServer]:
    with start_server() as running:
        yield running


def request(
    server: DemoServer, path: str, method: str = "GET", body: Any = None, timeout: float = 10.0
) -> tuple[int, http.client.HTTPMessage, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        connection.request(method, path, body=payload, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        raw = response.read()
        return response.status, response.headers, json.loads(raw) if raw else None
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("path", "status", "resource_type", "total"),
    [
        ("/health", 200, None, None),
        ("/v2/fhir/Patient?_id=-10000000000001", 200, "Bundle", 1),
        ("/v2/fhir/Patient?_id=-10000000000001&_format=application/fhir%2Bjson", 200, "Bundle", 1),
        ("/v2/fhir/Patient/-10000000000001", 200, "Patient", None),
        ("/v2/fhir/Coverage?beneficiary=-10000000000001", 200, "Bundle", 4),
        ("/v2/fhir/ExplanationOfBenefit?patient=-10000000000001", 200, "Bundle", ONE_PATIENT_EOBS),
        ("/v2/fhir/Patient", 400, "OperationOutcome", None),
        ("/v2/fhir/Coverage?beneficiary=", 400, "OperationOutcome", None),
        ("/v2/fhir/ExplanationOfBenefit?patient=1&_count=0", 400, "OperationOutcome", None),
        ("/v2/fhir/ExplanationOfBenefit?patient=1&_count=ten", 400, "OperationOutcome", None),
        ("/v2/fhir/ExplanationOfBenefit?patient=1&_count=5&startIndex=-1", 400, "OperationOutcome", None),
        ("/v2/fhir/Claim?mbi=x", 404, "OperationOutcome", None),
        ("/nowhere", 404, "OperationOutcome", None),
        ("/status/201", 201, None, None),
        ("/status/503", 503, None, None),
        ("/status/99", 400, "OperationOutcome", None),
        ("/slow?ms=1", 200, None, None),
        ("/slow?ms=-5", 400, "OperationOutcome", None),
    ],
)
def test_endpoint_answers(
    server: DemoServer, path: str, status: int, resource_type: str | None, total: int | None
) -> None:
    got_status, headers, document = request(server, path)
    assert got_status == status
    assert int(headers["Content-Length"]) > 0
    if resource_type is not None:
        assert document["resourceType"] == resource_type
    if total is not None:
        assert document["total"] == total
        assert len(document["entry"]) == total


def test_status_without_body_has_zero_content_length(server: DemoServer) -> None:
    status, headers, document = request(server, "/status/204")
    assert (status, headers["Content-Length"], document) == (204, "0", None)


def test_wrong_method_is_405_naming_the_allowed_one(server: DemoServer) -> None:
    status, headers, document = request(server, "/v2/fhir/Patient?_id=1", method="POST", body={})
    assert status == 405
    assert headers["Allow"] == "GET"
    assert "use GET" in document["issue"][0]["diagnostics"]


def test_answers_are_deterministic(server: DemoServer) -> None:
    path = "/v2/fhir/ExplanationOfBenefit?patient=-10000000000042&_count=3&startIndex=2"
    first, second = request(server, path)[2], request(server, path)[2]
    assert first == second
    other = request(server, "/v2/fhir/ExplanationOfBenefit?patient=-10000000000043&_count=7")[2]
    assert other["entry"][0]["resource"]["id"] != first["entry"][0]["resource"]["id"]


def relation(bundle: dict[str, Any], name: str) -> str | None:
    urls = [link["url"] for link in bundle["link"] if link["relation"] == name]
    return urls[0] if urls else None


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


@pytest.mark.parametrize("count", [1, 7, 10, 40, 500])
def test_following_next_links_visits_every_claim_once(server: DemoServer, count: int) -> None:
    bene_id = "-10000000000007"
    url: str | None = f"{server.url}/v2/fhir/ExplanationOfBenefit?patient={bene_id}&_count={count}"
    seen: list[str] = []
    pages = 0
    while url is not None:
        assert url.startswith(server.url), "paging links must be absolute URLs of this server"
        split = urlsplit(url)
        status, _, bundle = request(server, f"{split.path}?{split.query}")
        assert status == 200
        self_url = relation(bundle, "self")
        assert self_url is not None and query_of(self_url) == {"startIndex": "0", **query_of(url)}
        assert relation(bundle, "first") is not None and relation(bundle, "last") is not None
        assert (relation(bundle, "previous") is None) == (pages == 0)
        seen.extend(entry["resource"]["id"] for entry in bundle.get("entry", []))
        assert len(bundle.get("entry", [])) <= count
        pages += 1
        url = relation(bundle, "next")
    total = eob_count(bene_id)
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // count)


def test_page_past_the_end_is_empty_without_next(server: DemoServer) -> None:
    status, _, bundle = request(server, "/v2/fhir/ExplanationOfBenefit?patient=1&_count=10&startIndex=1000")
    assert status == 200
    assert "entry" not in bundle
    assert relation(bundle, "next") is None


def test_paging_links_keep_other_search_parameters(server: DemoServer) -> None:
    _, _, bundle = request(
        server, "/v2/fhir/ExplanationOfBenefit?patient=-10000000000007&_count=2&_format=json"
    )
    next_url = relation(bundle, "next")
    assert next_url is not None
    assert "patient=-10000000000007" in next_url and "_format=json" in next_url
    assert "startIndex=2" in next_url


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"delay_ms": 5}, {"delay_ms": 5, "fail_ratio": 0.0, "path_delay_ms": {}}),
        ({"fail_ratio": 0.25}, {"delay_ms": 0, "fail_ratio": 0.25, "path_delay_ms": {}}),
        ({"delay_ms": 1, "fail_ratio": 1}, {"delay_ms": 1, "fail_ratio": 1.0, "path_delay_ms": {}}),
        ({}, {"delay_ms": 0, "fail_ratio": 0.0, "path_delay_ms": {}}),
    ],
)
def test_control_post_changes_and_get_returns_settings(
    server: DemoServer, body: dict[str, Any], expected: dict[str, Any]
) -> None:
    status, _, answer = request(server, "/__control", method="POST", body=body)
    assert (status, answer) == (200, expected)
    assert request(server, "/__control")[2] == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"delay_ms": -1}, "delay_ms must be an integer from 0"),
        ({"delay_ms": "5"}, "delay_ms must be an integer from 0"),
        ({"delay_ms": True}, "delay_ms must be an integer from 0"),
        ({"fail_ratio": 1.5}, "fail_ratio must be a number from 0 to 1, got 1.5"),
        ({"fail_ratio": None}, "fail_ratio must be a number from 0 to 1, got None"),
        ({"slowness": 3}, "unknown control key(s) ['slowness']"),
        ({"path_delay_ms": [40]}, "path_delay_ms must be an object of path -> ms"),
        ({"path_delay_ms": {"/v2/fhir/Coverage?x=1": 4}}, "is not a request path"),
        ({"path_delay_ms": {"/v2/fhir/Coverage/": 4}}, "is not a request path"),
        ({"path_delay_ms": {"/v2/fhir/Coverage": -4}}, "path_delay_ms['/v2/fhir/Coverage'] must be an"),
        ([1, 2], "the body must be a JSON object"),
    ],
)
def test_control_rejects_bad_settings_and_keeps_the_old_ones(
    server: DemoServer, body: Any, message: str
) -> None:
    server.set_control(delay_ms=2)
    status, _, answer = request(server, "/__control", method="POST", body=body)
    assert status == 400
    assert message in answer["error"]
    assert request(server, "/__control")[2] == {"delay_ms": 2, "fail_ratio": 0.0, "path_delay_ms": {}}


def test_control_body_that_is_not_json_is_400(server: DemoServer) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("POST", "/__control", body=b"{delay", headers={"Content-Length": "6"})
    response = connection.getresponse()
    assert response.status == 400
    assert "error" in json.loads(response.read())
    connection.close()


@pytest.mark.parametrize(("fail_ratio", "failures_in_20"), [(0.0, 0), (0.25, 5), (0.5, 10), (1.0, 20)])
def test_fail_ratio_fails_exactly_that_share_of_fhir_requests(
    server: DemoServer, fail_ratio: float, failures_in_20: int
) -> None:
    request(server, "/__control", method="POST", body={"fail_ratio": fail_ratio})
    statuses = [request(server, f"/v2/fhir/Patient?_id={n}")[0] for n in range(20)]
    assert statuses.count(500) == failures_in_20
    assert statuses.count(200) == 20 - failures_in_20
    assert request(server, "/health")[0] == 200, "the control never touches /health"


def test_delay_applies_to_fhir_endpoints_from_then_on(server: DemoServer) -> None:
    server.set_control(delay_ms=300)
    assert server.control.delay_ms == 300
    started = time.monotonic()
    assert request(server, "/v2/fhir/Coverage?beneficiary=1")[0] == 200
    assert time.monotonic() - started >= 0.3  # a lower bound: sleeping never takes less


def _elapsed_ms(server: DemoServer, path: str) -> float:
    started = time.monotonic()
    assert request(server, path)[0] == 200
    return (time.monotonic() - started) * 1000


def test_path_delay_slows_one_endpoint_only_and_adds_to_the_global_delay(server: DemoServer) -> None:
    status, _, answer = request(
        server, "/__control", method="POST", body={"path_delay_ms": {"/v2/fhir/Coverage": 200}}
    )
    assert (status, answer["path_delay_ms"]) == (200, {"/v2/fhir/Coverage": 200})
    assert _elapsed_ms(server, "/v2/fhir/Coverage?beneficiary=1") >= 200
    # Another endpoint is not slowed: well under the 200 ms of Coverage even on a busy machine.
    assert _elapsed_ms(server, "/v2/fhir/Patient?_id=1") < 150
    server.set_control(delay_ms=100)
    assert _elapsed_ms(server, "/v2/fhir/Coverage?beneficiary=1") >= 300
    # Other keys leave the per-path delays alone; a new object replaces them, {} clears them.
    assert server.set_control(fail_ratio=0.0).path_delay_ms == {"/v2/fhir/Coverage": 200}
    assert server.set_control(path_delay_ms={"/v2/fhir/Patient": 5}).path_delay_ms == {"/v2/fhir/Patient": 5}
    assert server.set_control(path_delay_ms={}).path_delay_ms == {}


def test_start_server_path_delay_is_the_initial_control() -> None:
    with start_server(path_delay_ms={"/v2/fhir/ExplanationOfBenefit": 40}) as running:
        assert request(running, "/__control")[2]["path_delay_ms"] == {"/v2/fhir/ExplanationOfBenefit": 40}
        assert _elapsed_ms(running, "/v2/fhir/ExplanationOfBenefit?patient=1") >= 40


def test_start_server_delay_is_the_initial_control() -> None:
    with start_server(delay_ms=7) as running:
        assert request(running, "/__control")[2] == {"delay_ms": 7, "fail_ratio": 0.0, "path_delay_ms": {}}


def test_slow_sleeps_at_least_the_given_time(server: DemoServer) -> None:
    started = time.monotonic()
    status, _, answer = request(server, "/slow?ms=200")
    assert (status, answer) == (200, {"slept_ms": 200})
    assert time.monotonic() - started >= 0.2


def test_hang_never_answers_until_the_server_stops() -> None:
    running = start_server()
    outcome: list[BaseException | int] = []
    sent = threading.Event()

    def hang() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
        try:
            connection.request("GET", "/hang")
            sent.set()
            outcome.append(connection.getresponse().status)
        except (http.client.HTTPException, OSError) as error:
            outcome.append(error)
        finally:
            connection.close()

    with pytest.raises(TimeoutError):
        request(running, "/hang", timeout=0.3)
    client = threading.Thread(target=hang)
    client.start()
    # Stop only once the request is on its way: stopping first would refuse the connection.
    assert sent.wait(timeout=10)
    running.stop()
    client.join(timeout=10)
    assert not client.is_alive(), "stopping the server must release a hanging request"
    # Closed without an answer: RemoteDisconnected (a ConnectionResetError) or a reset.
    assert len(outcome) == 1 and isinstance(outcome[0], ConnectionResetError), outcome


def test_stop_is_idempotent_and_frees_the_port() -> None:
    running = start_server()
    port = running.port
    running.stop()
    running.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_only_loopback_addresses_are_accepted() -> None:
    with pytest.raises(ValueError, match="loopback address only, got host '0.0.0.0'"):
        start_server(host="0.0.0.0")


def test_kept_alive_requests_are_not_held_back_by_nagle(server: DemoServer) -> None:
    # Without TCP_NODELAY every kept-alive request waits ~40 ms for a delayed ACK; with it a local
    # request takes well under a millisecond, so a loose bound separates the two on any machine.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/health")
    connection.getresponse().read()
    sock = connection.sock
    started = time.perf_counter()
    for n in range(50):
        connection.request("GET", f"/v2/fhir/Patient?_id={n}")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
    mean_ms = (time.perf_counter() - started) / 50 * 1000
    assert connection.sock is sock, "the 50 requests must share one kept-alive connection"
    connection.close()
    assert mean_ms < 15, f"mean {mean_ms:.1f} ms per kept-alive request"


def test_command_line_prints_the_url_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            str(DEMO_TARGET),
            "--port",
            "0",
            "--delay-ms",
            "3",
            "--path-delay-ms",
            "/v2/fhir/Coverage=40",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening on http://127.0.0.1:")
        port = int(line.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/__control")
        assert json.loads(connection.getresponse().read()) == {
            "delay_ms": 3,
            "fail_ratio": 0.0,
            "path_delay_ms": {"/v2/fhir/Coverage": 40},
        }
        connection.close()
        process.terminate()
        assert process.wait(timeout=10) == 0
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--port", "0", "--host", "0.0.0.0"], "loopback address only"),
        (["--port", "70000"], "a port is an integer from 0 to 65535, got '70000'"),
        (["--port", "0", "--delay-ms", "-3"], "--delay-ms is an integer from 0"),
        (["--port", "0", "--path-delay-ms", "/v2/fhir/Coverage"], "--path-delay-ms is PATH=MS"),
        (["--port", "0", "--path-delay-ms", "Coverage=4"], "'Coverage' is not a request path"),
        ([], "the following arguments are required: --port"),
    ],
)
def test_command_line_rejects_bad_arguments(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, str(DEMO_TARGET), *args], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert message in result.stderr
