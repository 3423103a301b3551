"""Starting a suite's target process: placeholders, readiness, failures with the log tail, teardown."""

from __future__ import annotations

import re
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from pytest_bfd_locust.run.target import (
    RunningTarget,
    TargetError,
    start_target,
    substitute_placeholders,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
DEMO_COMMAND = ("{python}", "demo_target.py", "--port", "{port}")
HEALTH_URL = "http://127.0.0.1:{port}/health"

# A wrapper that starts the demo target as its own child, as a shell script or a launcher would.
WRAPPER = (
    "import subprocess, sys\n"
    "child = subprocess.Popen([sys.executable, 'demo_target.py', '--port', sys.argv[1]])\n"
    "print('grandchild', child.pid, flush=True)\n"
    "child.wait()\n"
)


def is_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie (an exited child nobody has reaped yet)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def start(
    tmp_path: Path,
    command: tuple[str, ...] = DEMO_COMMAND,
    *,
    ready_url: str | None = HEALTH_URL,
    ready_timeout: float = 15.0,
    log_path: Path | None = None,
    env: dict[str, str] | None = None,
) -> RunningTarget:
    return start_target(
        command,
        ready_url=ready_url,
        cwd=EXAMPLES,
        ready_timeout=ready_timeout,
        log_path=log_path or tmp_path / "target.log",
        env=env,
    )


def get_status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=10) as response:
        return int(response.status)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://127.0.0.1:{port}", "http://127.0.0.1:8123"),
        ("{python}", sys.executable),
        ("{port}{port}", "81238123"),
        ("--port={port} {other} {{port}}", "--port=8123 {other} {8123}"),
        ("no placeholder", "no placeholder"),
    ],
)
def test_substitute_placeholders(text: str, expected: str) -> None:
    assert substitute_placeholders(text, port=8123) == expected


def test_start_substitutes_placeholders_and_waits_until_ready(tmp_path: Path) -> None:
    with start(tmp_path, log_path=tmp_path / "logs" / "nested" / "target.log") as target:
        assert target.command == (sys.executable, "demo_target.py", "--port", str(target.port))
        assert target.ready_url == f"http://127.0.0.1:{target.port}/health"
        assert target.substitute("http://127.0.0.1:{port}") == f"http://127.0.0.1:{target.port}"
        # No retry here: start_target returned, so the target must already answer.
        assert get_status(target.substitute(HEALTH_URL)) == 200
        assert target.returncode is None
    assert target.returncode == 0, "the demo target exits cleanly on SIGTERM"
    assert "listening on http://127.0.0.1:" in target.log_tail()


def test_each_start_gets_its_own_port(tmp_path: Path) -> None:
    with (
        start(tmp_path, log_path=tmp_path / "a.log") as first,
        start(tmp_path, log_path=tmp_path / "b.log") as second,
    ):
        assert first.port != second.port
        assert get_status(first.substitute(HEALTH_URL)) == get_status(second.substitute(HEALTH_URL)) == 200


def test_stop_ends_the_whole_process_group(tmp_path: Path) -> None:
    target = start(tmp_path, ("{python}", "-c", WRAPPER, "{port}"))
    match = re.search(r"grandchild (\d+)", target.log_tail())
    assert match is not None, target.log_tail()
    grandchild = int(match.group(1))
    assert is_running(target.pid) and is_running(grandchild)
    target.stop()
    assert not is_running(target.pid)
    assert not is_running(grandchild), "the target's own children must be stopped with it"


def test_stop_kills_a_target_that_ignores_sigterm(tmp_path: Path) -> None:
    stubborn = (
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ignoring SIGTERM', flush=True)\n"
        "time.sleep(120)\n"
    )
    target = start(tmp_path, ("{python}", "-c", stubborn), ready_url=None)
    # Without a ready_url start_target returns at once; SIGTERM must come after SIG_IGN is in place.
    deadline = time.monotonic() + 10
    while "ignoring SIGTERM" not in target.log_tail() and time.monotonic() < deadline:
        time.sleep(0.02)
    target.stop(grace=0.5)
    assert target.returncode == -9
    assert not is_running(target.pid)


def test_stop_is_idempotent(tmp_path: Path) -> None:
    target = start(tmp_path)
    target.stop()
    first = target.returncode
    target.stop()
    target.stop()
    assert first is not None and target.returncode == first


def test_leaving_the_with_block_by_keyboard_interrupt_stops_the_target(tmp_path: Path) -> None:
    pid = 0
    with pytest.raises(KeyboardInterrupt), start(tmp_path) as target:
        pid = target.pid
        raise KeyboardInterrupt
    assert pid and not is_running(pid)


def test_without_ready_url_the_target_is_returned_at_once(tmp_path: Path) -> None:
    with start(tmp_path, ("{python}", "-c", "import time; time.sleep(60)"), ready_url=None) as target:
        assert target.ready_url is None
        assert target.returncode is None
    assert not is_running(target.pid)


def test_env_is_added_with_placeholders_and_a_quick_exit_fails_with_the_log_tail(tmp_path: Path) -> None:
    quits = (
        "import os, sys\n"
        "print('reading config', os.environ['DEMO_SETTING'], 'path', bool(os.environ.get('PATH')))\n"
        "print('fatal: no database configured', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    with pytest.raises(TargetError) as caught:
        start(tmp_path, ("{python}", "-c", quits), env={"DEMO_SETTING": "port={port}"})
    message = str(caught.value)
    assert message.startswith(f"target command {sys.executable} -c ")
    assert "exited with status 3 before http://127.0.0.1:" in message
    assert re.search(r"reading config port=\d+ path True", message), message
    assert message.rstrip().endswith("fatal: no database configured")
    assert str(tmp_path / "target.log") in message


def test_ready_url_that_never_answers_fails_after_the_timeout_and_stops_the_target(tmp_path: Path) -> None:
    silent = "import os, time\nprint('pid', os.getpid(), flush=True)\ntime.sleep(120)\n"
    with pytest.raises(TargetError) as caught:
        start(tmp_path, ("{python}", "-c", silent), ready_timeout=1.0)
    message = str(caught.value)
    assert "was not ready after 1 s: http://127.0.0.1:" in message
    assert "last answered with an error" in message and "refused" in message
    match = re.search(r"pid (\d+)", message)
    assert match is not None, message
    assert not is_running(int(match.group(1))), "a target that never got ready must be stopped"


def test_ready_url_answering_an_error_status_is_not_ready(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"was not ready after 1 s: .*/status/503 last answered HTTP 503"):
        start(tmp_path, ready_url="http://127.0.0.1:{port}/status/503", ready_timeout=1.0)


def test_a_ready_url_that_hangs_is_retried_with_a_bounded_attempt(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match=r"was not ready after 1.5 s: .*/hang last answered with an error"):
        start(tmp_path, ready_url="http://127.0.0.1:{port}/hang", ready_timeout=1.5)


def test_a_command_that_cannot_start_names_it(tmp_path: Path) -> None:
    expected = r"target command /no/such/server --port \d+ \(in .*examples\) could not start"
    with pytest.raises(TargetError, match=expected):
        start(tmp_path, ("/no/such/server", "--port", "{port}"))
