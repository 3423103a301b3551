"""The guard of tests/unit/conftest.py bites: a unit test cannot start a process or open a socket."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest


def test_starting_a_process_fails_before_the_process_exists() -> None:
    with pytest.raises(RuntimeError, match=r"^tests/unit is the pure tier: subprocess\.Popen"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)


def test_binding_a_socket_fails() -> None:
    with socket.socket() as listener, pytest.raises(RuntimeError, match=r"socket\.bind"):
        listener.bind(("127.0.0.1", 0))
