"""A small FHIR-like HTTP target for the demo suites and the end-to-end tests.

Standard library only, so it runs as a plain script (`python demo_target.py --port 0`) from the
catalog's directory as well as `python -m examples.demo_target`. It binds to the loopback interface
only and answers in a few milliseconds: HTTP/1.1 keep-alive, `Content-Length` on every response,
TCP_NODELAY on every accepted socket (without it each kept-alive request costs ~40 ms of Nagle +
delayed ACK), a listen backlog large enough for a burst of Locust users, no per-request logging.

FHIR-like endpoints (all JSON, deterministic synthetic data derived from the ids asked for):

- `GET /v2/fhir/Patient?_id=ID` -- a searchset Bundle holding one Patient;
  `GET /v2/fhir/Patient/ID` -- the Patient itself.
- `GET /v2/fhir/Coverage?beneficiary=ID` -- a Bundle of the beneficiary's Coverage (parts A-D).
- `GET /v2/fhir/ExplanationOfBenefit?patient=ID[&_count=N][&startIndex=K]` -- a Bundle of the
  patient's 5 to 40 claims. Without `_count` every claim is in one page; with it the Bundle is paged
  and its `link` list holds `self`, `first`, `last` and, where they exist, `previous` and `next`
  (absolute URLs a client follows as they are).
- A missing or malformed search parameter answers 400 with an OperationOutcome; an unknown path 404.

Test knobs (for the end-to-end tests of the plugin):

- `GET /health` -- 200 `{"status": "ok"}`; never delayed nor failed by the control settings.
- `GET /status/<code>` -- answers with that status (200-599).
- `GET /slow?ms=N` -- sleeps N ms (at most 600000), then answers 200.
- `GET /hang` -- never answers: holds the request until the server stops (at most 300 s), then
  closes the connection without a response.
- `POST /__control` with a JSON object `{"delay_ms": N, "fail_ratio": F, "path_delay_ms": {PATH: N}}`
  (any key may be left out to keep its current value) changes every FHIR endpoint from then on: each
  request first sleeps `delay_ms` plus the `path_delay_ms` of its path (e.g. `{"/v2/fhir/Coverage":
  40}` slows that one endpoint; the object replaces the previous one, `{}` clears it), then exactly
  a `fail_ratio` share of requests (every 1/F-th, counted from the last control change) answers 500.
  `GET /__control` returns the current settings. This lets a test make the target, or one endpoint
  of it, slower or failing between two runs without restarting it.

Command line: `python demo_target.py --port PORT [--host 127.0.0.1] [--delay-ms N]
[--path-delay-ms PATH=N ...]`; prints
`listening on http://HOST:PORT` (flushed) once it accepts connections, so `--port 0` (a free port)
can be discovered; stops cleanly on SIGTERM or SIGINT.

In-process API for tests: `start_server(port=0, delay_ms=0, path_delay_ms=None) -> DemoServer`,
which serves from a daemon thread and offers `.url`, `.port`, `.control`,
`.set_control(delay_ms=..., fail_ratio=..., path_delay_ms=...)`,
`.stop()` and use as a context manager.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import signal
import socket
import sys
import threading
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType, TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

MAX_SLEEP_MS = 600_000
"""Upper bound of `/slow?ms=` and of the control's `delay_ms`: every wait in this server is bounded."""

HANG_LIMIT_S = 300.0
"""How long `/hang` holds a request at most when the server is not stopped first."""

LAST_UPDATED = "2024-01-01T00:00:00.000+00:00"
"""A fixed `meta.lastUpdated`, so equal requests get byte-identical answers."""

FHIR_JSON = "application/fhir+json"
PLAIN_JSON = "application/json"

_COVERAGE_PARTS = ("A", "B", "C", "D")
_CLAIM_TYPES = ("carrier", "dme", "hha", "hospice", "inpatient", "outpatient", "pde", "snf")
_FAMILY_NAMES = ("Doe", "Smith", "Garcia", "Nguyen", "Okafor", "Larsen", "Kowalski", "Haddad")
_GIVEN_NAMES = ("Jane", "John", "Maria", "Wei", "Amara", "Lars", "Anna", "Omar")
_STATES = ("MD", "VA", "CA", "TX", "NY", "OH", "WA", "FL")


@dataclass(frozen=True)
class Control:
    """How the FHIR endpoints behave: added latency and the share of requests that fail."""

    delay_ms: int = 0
    fail_ratio: float = 0.0
    path_delay_ms: Mapping[str, int] = field(default_factory=dict)
    """Extra latency of single endpoints, by request path (`/v2/fhir/Coverage`), on top of `delay_ms`."""

    def delay_for(self, path: str) -> int:
        """The milliseconds a FHIR request to `path` sleeps before it is answered."""
        return self.delay_ms + self.path_delay_ms.get(path, 0)

    def as_json(self) -> dict[str, Any]:
        return {
            "delay_ms": self.delay_ms,
            "fail_ratio": self.fail_ratio,
            "path_delay_ms": dict(self.path_delay_ms),
        }


class ControlError(ValueError):
    """A control setting is not valid; the message names the key and the bad value."""


def validate_control(current: Control, changes: Mapping[str, Any]) -> Control:
    """Apply `changes` (the JSON body of `POST /__control`) to `current`, validating every key."""
    unknown = sorted(set(changes) - {"delay_ms", "fail_ratio", "path_delay_ms"})
    if unknown:
        raise ControlError(
            f"unknown control key(s) {unknown}; known keys: delay_ms, fail_ratio, path_delay_ms"
        )
    updated = current
    if "delay_ms" in changes:
        updated = replace(updated, delay_ms=_delay(changes["delay_ms"], "delay_ms"))
    if "path_delay_ms" in changes:
        by_path = changes["path_delay_ms"]
        if not isinstance(by_path, Mapping):
            example = '{"/v2/fhir/Coverage": 40}'
            raise ControlError(
                f"path_delay_ms must be an object of path -> ms (e.g. {example}), got {by_path!r}"
            )
        for path in by_path:
            # Matched against the request's path as routed: no query, no trailing slash.
            if not path.startswith("/") or "?" in path or (path != "/" and path.endswith("/")):
                raise ControlError(
                    f"path_delay_ms: {path!r} is not a request path (starts with /, no query, no trailing /)"
                )
        delays = {path: _delay(ms, f"path_delay_ms[{path!r}]") for path, ms in by_path.items()}
        updated = replace(updated, path_delay_ms=delays)
    if "fail_ratio" in changes:
        ratio = changes["fail_ratio"]
        if isinstance(ratio, bool) or not isinstance(ratio, int | float) or not 0.0 <= ratio <= 1.0:
            raise ControlError(f"fail_ratio must be a number from 0 to 1, got {ratio!r}")
        updated = replace(updated, fail_ratio=float(ratio))
    return updated


def _delay(value: Any, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SLEEP_MS:
        raise ControlError(f"{key} must be an integer from 0 to {MAX_SLEEP_MS}, got {value!r}")
    return value


class _Behaviour:
    """The server's current `Control` and the request counter that spreads failures evenly."""

    def __init__(self, control: Control) -> None:
        self._lock = threading.Lock()
        self._control = control
        self._counted = 0

    @property
    def control(self) -> Control:
        with self._lock:
            return self._control

    def change(self, changes: Mapping[str, Any]) -> Control:
        with self._lock:
            self._control = validate_control(self._control, changes)
            self._counted = 0
            return self._control

    def next_request(self, path: str) -> tuple[int, bool]:
        """The delay for the next FHIR request (to `path`) and whether it must fail.

        Request n fails when floor((n + 1) * ratio) > floor(n * ratio): an exact share, evenly
        spread, so a test asking for 0.5 gets every second request failing rather than a coin toss.
        """
        with self._lock:
            n = self._counted
            self._counted += 1
            ratio = self._control.fail_ratio
            fails = math.floor((n + 1) * ratio) > math.floor(n * ratio)
            return self._control.delay_for(path), fails


# --- synthetic data -------------------------------------------------------------------------------


def _seed(identifier: str) -> int:
    return zlib.crc32(identifier.encode("utf-8"))


def _pick(options: Sequence[str], seed: int, salt: int = 0) -> str:
    return options[(seed // (salt * 7 + 1)) % len(options)]


def patient_resource(bene_id: str) -> dict[str, Any]:
    seed = _seed(bene_id)
    return {
        "resourceType": "Patient",
        "id": bene_id,
        "meta": {"lastUpdated": LAST_UPDATED},
        "identifier": [
            {"system": "https://bluebutton.cms.gov/resources/variables/bene_id", "value": bene_id},
            {"system": "http://hl7.org/fhir/sid/us-mbi", "value": f"1S00E{seed % 1_000_000:06d}"},
        ],
        "name": [{"family": _pick(_FAMILY_NAMES, seed), "given": [_pick(_GIVEN_NAMES, seed, 1)]}],
        "gender": ("female", "male", "unknown")[seed % 3],
        "birthDate": f"{1930 + seed % 60}-{1 + seed % 12:02d}-{1 + seed % 28:02d}",
        "address": [{"state": _pick(_STATES, seed, 2), "postalCode": f"{seed % 100_000:05d}"}],
    }


def coverage_resources(bene_id: str) -> list[dict[str, Any]]:
    seed = _seed(bene_id)
    return [
        {
            "resourceType": "Coverage",
            "id": f"part-{part.lower()}-{bene_id}",
            "meta": {"lastUpdated": LAST_UPDATED},
            "status": "active",
            "beneficiary": {"reference": f"Patient/{bene_id}"},
            "relationship": {"coding": [{"code": "self"}]},
            "period": {"start": f"{1995 + (seed + index) % 25}-01-01"},
            "payor": [{"identifier": {"value": "Centers for Medicare and Medicaid Services"}}],
            "class": [{"type": {"coding": [{"code": "plan"}]}, "value": f"Part {part}"}],
        }
        for index, part in enumerate(_COVERAGE_PARTS)
    ]


def eob_count(bene_id: str) -> int:
    """How many ExplanationOfBenefit resources the patient has: 5 to 40, fixed per id."""
    return 5 + _seed(bene_id) % 36


def eob_resource(bene_id: str, index: int) -> dict[str, Any]:
    seed = _seed(f"{bene_id}/{index}")
    claim_type = _pick(_CLAIM_TYPES, seed)
    month = 1 + seed % 12
    return {
        "resourceType": "ExplanationOfBenefit",
        "id": f"{claim_type}-{bene_id}-{index}",
        "meta": {"lastUpdated": LAST_UPDATED},
        "status": "active",
        "type": {"coding": [{"system": "https://bluebutton.cms.gov/resources/codesystem/eob-type",
                             "code": claim_type.upper()}]},
        "use": "claim",
        "patient": {"reference": f"Patient/{bene_id}"},
        "billablePeriod": {"start": f"2023-{month:02d}-01", "end": f"2023-{month:02d}-28"},
        "outcome": "complete",
        "total": [{"category": {"coding": [{"code": "submitted"}]},
                   "amount": {"value": round((seed % 500_000) / 100, 2), "currency": "USD"}}],
    }


def searchset(
    entries: Sequence[dict[str, Any]], total: int, links: Sequence[dict[str, str]]
) -> dict[str, Any]:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "meta": {"lastUpdated": LAST_UPDATED},
        "type": "searchset",
        "total": total,
        "link": list(links),
    }
    if entries:
        bundle["entry"] = [{"resource": resource} for resource in entries]
    return bundle


def page_links(
    base_url: str, params: Mapping[str, str], total: int, count: int, start: int
) -> list[dict[str, str]]:
    """FHIR paging links in BFD's style (`_count` + `startIndex`), absolute so a client follows them."""

    def url_at(index: int) -> str:
        return f"{base_url}?{urlencode({**params, '_count': str(count), 'startIndex': str(index)})}"

    last_start = max(0, (total - 1) // count * count)
    links = [{"relation": "self", "url": url_at(start)}, {"relation": "first", "url": url_at(0)}]
    if start > 0:
        links.append({"relation": "previous", "url": url_at(max(0, start - count))})
    if start + count < total:
        links.append({"relation": "next", "url": url_at(start + count)})
    links.append({"relation": "last", "url": url_at(last_start)})
    return links


def operation_outcome(diagnostics: str, code: str = "invalid") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}],
    }


# --- HTTP -----------------------------------------------------------------------------------------


class _BadRequest(Exception):
    """A request parameter is missing or malformed; answered 400 with an OperationOutcome."""


class _DemoHTTPServer(ThreadingHTTPServer):
    # The default backlog of 5 drops SYNs when a burst of Locust users connects at once, and each
    # dropped SYN costs the client a 1 s retransmission.
    request_queue_size = 128
    daemon_threads = True

    def __init__(self, address: tuple[str, int], behaviour: _Behaviour) -> None:
        self.behaviour = behaviour
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._connections_lock:
            self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down kept-alive connections, so their handler threads end and clients see EOF."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that goes away mid-answer (Locust stopping its users) is normal under load.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # socketserver sets TCP_NODELAY on the accepted socket
    server: _DemoHTTPServer
    server_version = "demo-target/1"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one log line per request would cost more than the answer itself

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        body = self._read_body()
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        params = dict(parse_qsl(split.query, keep_blank_values=True))
        try:
            self._route(method, path, params, body)
        except _BadRequest as error:
            self._send_json(HTTPStatus.BAD_REQUEST, operation_outcome(str(error)), FHIR_JSON)

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length")
        if not length:
            return b""
        try:
            size = int(length)
        except ValueError:
            size = 0
        # Read it even when unused: on a kept-alive connection unread bytes would be parsed as the
        # next request.
        return self.rfile.read(size) if size > 0 else b""

    def _route(self, method: str, path: str, params: dict[str, str], body: bytes) -> None:
        if path == "/__control":
            self._control(method, body)
            return
        known = path in ("/health", "/slow", "/hang") or path.startswith(("/status/", "/v2/fhir/"))
        if not known:
            self._send_json(HTTPStatus.NOT_FOUND, operation_outcome(f"no such path {path}", "not-found"))
        elif self._only(method, "GET"):
            if path == "/health":
                self._send_json(HTTPStatus.OK, {"status": "ok"})
            elif path == "/slow":
                self._slow(params)
            elif path == "/hang":
                self._hang()
            elif path.startswith("/status/"):
                self._status(path.removeprefix("/status/"))
            else:
                self._fhir(path.removeprefix("/v2/fhir/"), params)

    def _only(self, method: str, allowed: str) -> bool:
        if method == allowed:
            return True
        self._send_json(
            HTTPStatus.METHOD_NOT_ALLOWED,
            operation_outcome(f"{method} is not allowed here; use {allowed}", "not-supported"),
            extra_headers={"Allow": allowed},
        )
        return False

    def _control(self, method: str, body: bytes) -> None:
        behaviour = self.server.behaviour
        if method == "GET":
            self._send_json(HTTPStatus.OK, behaviour.control.as_json())
            return
        if not self._only(method, "POST"):
            return
        try:
            changes = json.loads(body or b"{}")
            if not isinstance(changes, dict):
                raise ControlError(f"the body must be a JSON object, got {changes!r}")
            control = behaviour.change(changes)
        except (ValueError, ControlError) as error:  # json.JSONDecodeError is a ValueError
            self._send_json(HTTPStatus.BAD_REQUEST, {"error": str(error)})
            return
        self._send_json(HTTPStatus.OK, control.as_json())

    def _status(self, code_text: str) -> None:
        if not code_text.isdigit() or not 200 <= int(code_text) <= 599:
            raise _BadRequest(f"status code must be an integer from 200 to 599, got {code_text!r}")
        self._send_json(int(code_text), {"status": int(code_text)})

    def _slow(self, params: Mapping[str, str]) -> None:
        ms = _int_param(params, "ms", default=None, minimum=0, maximum=MAX_SLEEP_MS)
        self.server.stopping.wait(ms / 1000)
        self._send_json(HTTPStatus.OK, {"slept_ms": ms})

    def _hang(self) -> None:
        self.server.stopping.wait(HANG_LIMIT_S)
        self.close_connection = True  # answer nothing: the client sees the connection close

    def _fhir(self, resource_path: str, params: Mapping[str, str]) -> None:
        delay_ms, fails = self.server.behaviour.next_request(f"/v2/fhir/{resource_path}")
        if delay_ms:
            self.server.stopping.wait(delay_ms / 1000)
        if fails:
            self._send_json(
                HTTPStatus.INTERNAL_SERVER_ERROR,
                operation_outcome("failure injected by POST /__control fail_ratio", "exception"),
                FHIR_JSON,
            )
            return
        host, port = self.server.server_address[:2]
        base_url = f"http://{self.headers.get('Host') or f'{host!s}:{port}'}"
        if resource_path == "Patient":
            bene_id = _required(params, "_id")
            self._send_json(HTTPStatus.OK, searchset([patient_resource(bene_id)], 1, [
                {"relation": "self", "url": f"{base_url}{self.path}"}]), FHIR_JSON)
        elif resource_path.startswith("Patient/") and "/" not in resource_path.removeprefix("Patient/"):
            patient = patient_resource(resource_path.removeprefix("Patient/"))
            self._send_json(HTTPStatus.OK, patient, FHIR_JSON)
        elif resource_path == "Coverage":
            coverages = coverage_resources(_required(params, "beneficiary"))
            self._send_json(HTTPStatus.OK, searchset(coverages, len(coverages), [
                {"relation": "self", "url": f"{base_url}{self.path}"}]), FHIR_JSON)
        elif resource_path == "ExplanationOfBenefit":
            self._eob(f"{base_url}/v2/fhir/ExplanationOfBenefit", params)
        else:
            self._send_json(
                HTTPStatus.NOT_FOUND,
                operation_outcome(f"unknown resource type /v2/fhir/{resource_path}", "not-found"),
                FHIR_JSON,
            )

    def _eob(self, base_url: str, params: Mapping[str, str]) -> None:
        bene_id = _required(params, "patient")
        total = eob_count(bene_id)
        if "_count" not in params:
            entries = [eob_resource(bene_id, index) for index in range(total)]
            links = [{"relation": "self", "url": f"{base_url}?{urlencode(params)}"}]
            self._send_json(HTTPStatus.OK, searchset(entries, total, links), FHIR_JSON)
            return
        count = _int_param(params, "_count", default=None, minimum=1, maximum=500)
        start = _int_param(params, "startIndex", default=0, minimum=0, maximum=None)
        entries = [eob_resource(bene_id, index) for index in range(start, min(total, start + count))]
        other_params = {key: value for key, value in params.items() if key not in ("_count", "startIndex")}
        links = page_links(base_url, other_params, total, count, start)
        self._send_json(HTTPStatus.OK, searchset(entries, total, links), FHIR_JSON)

    def _send_json(
        self,
        status: int,
        document: Mapping[str, Any],
        content_type: str = PLAIN_JSON,
        extra_headers: Mapping[str, str] | None = None,
    ) -> None:
        no_body = status in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED)
        body = b"" if no_body else json.dumps(document, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra_headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if not value:
        raise _BadRequest(f"missing required search parameter {name}")
    return value


def _int_param(
    params: Mapping[str, str], name: str, *, default: int | None, minimum: int, maximum: int | None
) -> int:
    text = params.get(name)
    if text is None:
        if default is None:
            raise _BadRequest(f"missing required parameter {name}")
        return default
    try:
        value = int(text)
    except ValueError:
        raise _BadRequest(f"{name} must be an integer, got {text!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise _BadRequest(f"{name} must be at least {minimum}{upper}, got {value}")
    return value


# --- running it -----------------------------------------------------------------------------------


class DemoServer:
    """A running demo target serving from a daemon thread; `stop()` ends it (idempotent)."""

    def __init__(self, httpd: _DemoHTTPServer) -> None:
        self._httpd = httpd
        # A short poll interval: `shutdown()` waits for the serving loop to notice, and a stop that
        # takes the default 0.5 s would slow down every test that starts a target.
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="demo-target", daemon=True
        )
        self._stopped = False
        self._thread.start()

    @property
    def host(self) -> str:
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def control(self) -> Control:
        return self._httpd.behaviour.control

    def set_control(
        self,
        *,
        delay_ms: int | None = None,
        fail_ratio: float | None = None,
        path_delay_ms: Mapping[str, int] | None = None,
    ) -> Control:
        """Change the FHIR endpoints' behaviour, as `POST /__control` does; returns the new settings."""
        changes: dict[str, Any] = {}
        if delay_ms is not None:
            changes["delay_ms"] = delay_ms
        if path_delay_ms is not None:
            changes["path_delay_ms"] = path_delay_ms
        if fail_ratio is not None:
            changes["fail_ratio"] = fail_ratio
        return self._httpd.behaviour.change(changes)

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self._httpd.stopping.set()  # releases /hang, /slow and delayed requests
        self._httpd.shutdown()
        self._httpd.close_connections()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _loopback(host: str) -> str:
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = host == "localhost"
    if not is_loopback:
        raise ValueError(f"the demo target binds to a loopback address only, got host {host!r}")
    return host


def start_server(
    port: int = 0,
    delay_ms: int = 0,
    *,
    host: str = "127.0.0.1",
    path_delay_ms: Mapping[str, int] | None = None,
) -> DemoServer:
    """Start the demo target on `host:port` (0: a free port) and return it, already accepting."""
    initial = {"delay_ms": delay_ms, "path_delay_ms": dict(path_delay_ms or {})}
    behaviour = _Behaviour(validate_control(Control(), initial))
    return DemoServer(_DemoHTTPServer((_loopback(host), port), behaviour))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    def port(text: str) -> int:
        if not text.isdigit() or int(text) > 65535:
            raise argparse.ArgumentTypeError(f"a port is an integer from 0 to 65535, got {text!r}")
        return int(text)

    def host(text: str) -> str:
        try:
            return _loopback(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    def delay(text: str) -> int:
        if not text.isdigit() or int(text) > MAX_SLEEP_MS:
            raise argparse.ArgumentTypeError(
                f"--delay-ms is an integer from 0 to {MAX_SLEEP_MS}, got {text!r}"
            )
        return int(text)

    def path_delay(text: str) -> tuple[str, int]:
        path, sep, ms = text.rpartition("=")
        if not sep or not ms.isdigit():
            raise argparse.ArgumentTypeError(
                f"--path-delay-ms is PATH=MS, e.g. /v2/fhir/Coverage=40, got {text!r}"
            )
        try:
            validate_control(Control(), {"path_delay_ms": {path: int(ms)}})
        except ControlError as error:
            raise argparse.ArgumentTypeError(f"--path-delay-ms {text!r}: {error}") from None
        return path, int(ms)

    parser = argparse.ArgumentParser(description="A FHIR-like demo target for pytest-bfd-locust.")
    parser.add_argument("--port", type=port, required=True, help="port to listen on; 0 picks a free one")
    parser.add_argument("--host", type=host, default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--delay-ms", type=delay, default=0, help="initial delay of every FHIR request")
    parser.add_argument(
        "--path-delay-ms",
        type=path_delay,
        action="append",
        default=[],
        metavar="PATH=MS",
        help="initial extra delay of one FHIR endpoint (repeatable), e.g. /v2/fhir/Coverage=40",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        server = start_server(
            args.port, args.delay_ms, host=args.host, path_delay_ms=dict(args.path_delay_ms)
        )
    except OSError as error:
        print(f"demo target: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    stop_requested = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop_requested.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    print(f"listening on {server.url}", flush=True)
    try:
        while not stop_requested.wait(1.0):
            pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
