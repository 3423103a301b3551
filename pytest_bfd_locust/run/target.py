"""Starting and stopping a suite's `target:` process (SPEC §3): free port, readiness wait, teardown.

The target runs in its own process group (a new session), so `stop()` ends it together with
anything it started (a shell wrapper's child, a server's workers), and a Ctrl-C in the terminal
reaches pytest only, which then tears the target down through the `with` block:

    with start_target(command, ready_url=url, cwd=catalog_dir, ready_timeout=30, log_path=log) as t:
        host = t.substitute(suite.host)
        ...

Placeholders, replaced in every command element, in `ready_url`, in `env` values and by
`RunningTarget.substitute`: `{port}` (a free TCP port on 127.0.0.1 chosen for this start) and
`{python}` (the interpreter running pytest, so a catalog need not guess which `python` is on PATH).

No pytest, locust or gevent here: subprocess, socket and urllib only.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import NoReturn, Self

from pytest_bfd_locust.run.log_tail import LOG_TAIL_LINES, log_tail
from pytest_bfd_locust.run.parent_watch import watched_command
from pytest_bfd_locust.run.process_group import stop_process_group

PORT_PLACEHOLDER = "{port}"
PYTHON_PLACEHOLDER = "{python}"
LOOPBACK = "127.0.0.1"

POLL_INTERVAL_S = 0.05
"""Pause between two readiness attempts: short, since a demo target is up in ~100 ms."""

ATTEMPT_TIMEOUT_S = 1.0
"""Timeout of one readiness request, so a target that accepts but never answers is retried."""

TERM_GRACE_S = 5.0
"""How long `stop()` waits after SIGTERM before it sends SIGKILL to the process group."""


class TargetError(Exception):
    """The target could not be started or did not become ready; the message says which command,
    what happened and ends with the tail of its log."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on `host` right now (the OS picks it; another process could take it
    before the target binds it, which is unlikely on a test machine and shows as a clear TargetError)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def substitute_placeholders(text: str, *, port: int) -> str:
    """Replace `{port}` and `{python}` in `text`; any other braces are left as they are."""
    return text.replace(PORT_PLACEHOLDER, str(port)).replace(PYTHON_PLACEHOLDER, sys.executable)


class RunningTarget:
    """A started target process group; `stop()` ends it (idempotent), as does leaving a `with` block."""

    def __init__(
        self,
        process: subprocess.Popen[bytes],
        *,
        command: tuple[str, ...],
        port: int,
        ready_url: str | None,
        log_path: Path,
    ) -> None:
        self._process = process
        self.command = command
        """The argv as started, placeholders replaced."""
        self.port = port
        """The free port chosen for `{port}`."""
        self.ready_url = ready_url
        """The readiness URL as polled, placeholders replaced (None: no readiness wait)."""
        self.log_path = log_path
        """Where the target's stdout and stderr go."""

    @property
    def pid(self) -> int:
        """The target's process id, which is also its process group id."""
        return self._process.pid

    @property
    def returncode(self) -> int | None:
        """None while the target's main process runs; its exit status (negative: signal) after."""
        return self._process.poll()

    def substitute(self, text: str) -> str:
        """Replace `{port}` and `{python}` in `text` as in the command (e.g. the suite's host)."""
        return substitute_placeholders(text, port=self.port)

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        return log_tail(self.log_path, lines, name="target's log")

    def stop(self, grace: float = TERM_GRACE_S) -> None:
        """SIGTERM the whole process group, SIGKILL whatever is left after `grace` seconds."""
        stop_process_group(self._process, grace)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def start_target(
    command: Sequence[str],
    *,
    ready_url: str | None,
    cwd: Path,
    ready_timeout: float,
    log_path: Path,
    env: Mapping[str, str] | None = None,
) -> RunningTarget:
    """Start `command` in `cwd` in a new process group and wait until `ready_url` answers 2xx.

    `env` is added to the current environment (values may use the placeholders). With
    `ready_url` None the target counts as ready once started. Raises `TargetError` (after stopping
    what was started) when the command cannot start, exits before it is ready, or `ready_url` does
    not answer 2xx within `ready_timeout` seconds; a KeyboardInterrupt during the wait also stops
    the target before it propagates.
    """
    port = free_port()
    argv = tuple(substitute_placeholders(part, port=port) for part in command)
    url = None if ready_url is None else substitute_placeholders(ready_url, port=port)
    child_env = dict(os.environ)
    child_env.update({name: substitute_placeholders(value, port=port) for name, value in (env or {}).items()})
    log_path.parent.mkdir(parents=True, exist_ok=True)
    shown = shlex.join(argv)
    missing = _missing_executable(argv[0], cwd, child_env.get("PATH"))
    if missing is not None:
        raise TargetError(f"target command {shown} (in {cwd}) could not start: {missing}")
    try:
        with log_path.open("wb") as log:
            # Under parent_watch: a target must not outlive a pytest that was killed.
            process = subprocess.Popen(
                watched_command(list(argv)),
                cwd=cwd,
                env=child_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
    except OSError as error:
        raise TargetError(f"target command {shown} (in {cwd}) could not start: {error}") from None
    target = RunningTarget(process, command=argv, port=port, ready_url=url, log_path=log_path)
    try:
        if url is not None:
            _wait_ready(target, url, ready_timeout, shown)
    except BaseException:
        target.stop()
        raise
    return target


def _missing_executable(program: str, cwd: Path, search_path: str | None) -> str | None:
    """Why `program` cannot be started, checked here because parent_watch starts it out of sight."""
    if os.sep in program:
        candidate = Path(program) if Path(program).is_absolute() else cwd / program
        if not candidate.is_file():
            return f"[Errno 2] No such file or directory: {program!r}"
        if not os.access(candidate, os.X_OK):
            return f"[Errno 13] Permission denied: {program!r}"
        return None
    if shutil.which(program, path=search_path) is None:
        return f"[Errno 2] No such file or directory: {program!r} (not on PATH)"
    return None


def _wait_ready(target: RunningTarget, url: str, timeout: float, shown: str) -> None:
    # Imported here, not with the module: urllib.request brings http.client, ssl and email (7 ms),
    # which a suite without a `target:` would pay before its Locust child starts.
    import urllib.error
    import urllib.request

    # No proxies: a target on the loopback must not be reached through an HTTP(S)_PROXY from the
    # environment.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    last_answer = "no attempt yet"
    while True:
        exit_status = target.returncode
        if exit_status is not None:
            _fail(target, shown, f"exited with status {exit_status} before {url} answered")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            _fail(target, shown, f"was not ready after {timeout:g} s: {url} last answered {last_answer}")
        try:
            with opener.open(url, timeout=min(ATTEMPT_TIMEOUT_S, remaining)) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError) as error:
            reason = error.reason if isinstance(error, urllib.error.URLError) else error
            last_answer = f"with an error ({reason})"
            time.sleep(POLL_INTERVAL_S)
            continue
        if 200 <= status < 300:
            return
        last_answer = f"HTTP {status}"
        time.sleep(POLL_INTERVAL_S)


def _fail(target: RunningTarget, shown: str, what_happened: str) -> NoReturn:
    target.stop()
    raise TargetError(
        f"target command {shown} {what_happened}; last lines of its log {target.log_path}:\n"
        f"{target.log_tail()}"
    )
