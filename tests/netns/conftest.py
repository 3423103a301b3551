"""Real network stacks for the master/worker tests: Linux network namespaces joined over veth pairs.

`hop` builds, per test, one namespace for the master (pytest runs in it, and so does the load
target), one per worker, and a switch namespace holding the bridge the others are plugged into:

    <name>-m  eth0 169.254.77.1 ─┐
    <name>-w0 eth0 169.254.77.2 ─┼─ p-m, p-w0, p-w1 on br0 in <name>-sw
    <name>-w1 eth0 169.254.77.3 ─┘

Every address is link-local (169.254.77.0/24), assigned by the fixture inside namespaces it created,
and no namespace has a route beyond that subnet: nothing outside can be reached, and the host's own
network is not touched (the bridge and every link live in the namespaces too). Deleting a namespace
deletes its links, so the teardown stops every process the test started, by its PID, then deletes
the namespaces by name; it runs as a finalizer, also when the test fails or is interrupted. Names
carry the pytest process's PID, so a namespace left by a killed run never collides with a new one,
and the session starts by deleting those whose PID is gone (only names with this fixture's prefix).

Without root, or where the kernel refuses namespaces, the tests skip with the reason.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PREFIX = "bfdnt"
"""Every namespace this fixture creates is called `bfdnt-<pid>-<n>-<role>`."""
SUBNET = "169.254.77"
"""Link-local: never routed, so a packet cannot leave the namespaces even by mistake."""
PREFIX_LENGTH = 24
MASTER_ADDRESS = f"{SUBNET}.1"
LOCUST = Path(sys.executable).with_name("locust")
STOP_GRACE_S = 10.0

_sequence = itertools.count()


def ip(*args: str) -> subprocess.CompletedProcess[str]:
    """`ip ARGS`, raising with its own message when it fails."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)} failed: {done.stderr.strip()}")
    return done


def namespaces() -> list[str]:
    return [line.split()[0] for line in ip("netns", "list").stdout.splitlines() if line.strip()]


def cannot_make_namespaces() -> str | None:
    """Why this machine cannot run the tier (None: it can)."""
    if os.geteuid() != 0:
        return "network namespaces need root (`ip netns add`); CI runs as root"
    missing = [tool for tool in ("ip", "unshare") if shutil.which(tool) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (iproute2, util-linux)"
    probe = f"{PREFIX}-{os.getpid()}-probe"
    try:
        ip("netns", "add", probe)
    except (OSError, RuntimeError) as error:
        return f"cannot create a network namespace: {error}"
    try:
        ip("-n", probe, "link", "add", "br0", "type", "bridge")
        ip("-n", probe, "link", "add", "probe0", "type", "veth", "peer", "name", "probe1")
    except RuntimeError as error:
        return f"cannot create a bridge and veth pair in a network namespace: {error}"
    finally:
        ip("netns", "delete", probe)
    return None


def delete_stale_namespaces() -> list[str]:
    """Delete this fixture's namespaces whose pytest process is gone (a killed run's)."""
    deleted = []
    for name in namespaces():
        parts = name.split("-")
        if len(parts) < 3 or parts[0] != PREFIX or not parts[1].isdigit():
            continue
        try:
            os.kill(int(parts[1]), 0)
            continue  # its run is still going
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        ip("netns", "delete", name)
        deleted.append(name)
    return deleted


@dataclass(frozen=True)
class Station:
    """One namespace plugged into the switch: its name, its address, its port on the bridge."""

    namespace: str
    address: str
    switch_port: str
    """The veth end on the bridge (in the switch namespace): cutting it cuts this station off."""

    def argv(self, command: Sequence[str]) -> list[str]:
        """`command` run inside this namespace (`ip netns exec` execs it: the PID is the command's)."""
        return ["ip", "netns", "exec", self.namespace, *command]


@dataclass
class Hop:
    """A master and its workers, each behind its own network stack; see the module docstring."""

    name: str
    switch: str
    master: Station
    workers: tuple[Station, ...]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start(
        self, station: Station, command: Sequence[str], *, log: Path, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """Start `command` in `station`'s namespace; stopped by its PID when the test ends."""
        with open(log, "wb") as out:
            process = subprocess.Popen(
                station.argv(command),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        self.processes.append(process)
        return process

    def cut(self, station: Station) -> None:
        """Pull `station`'s cable: its port on the bridge goes down (its own stack stays up)."""
        ip("-n", self.switch, "link", "set", station.switch_port, "down")

    def qdisc(self, station: Station, *spec: str) -> subprocess.CompletedProcess[str]:
        """`tc qdisc add dev eth0 root SPEC` inside `station`'s namespace (its outgoing packets)."""
        if shutil.which("tc") is None:
            return subprocess.CompletedProcess(["tc"], 127, "", "tc is not installed (iproute2)")
        return subprocess.run(
            station.argv(["tc", "qdisc", "add", "dev", "eth0", "root", *spec]),
            capture_output=True,
            text=True,
            check=False,
        )

    def stop_processes(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + STOP_GRACE_S
        for process in self.processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def delete(self) -> None:
        for namespace in (self.master.namespace, *(w.namespace for w in self.workers), self.switch):
            if namespace in namespaces():
                ip("netns", "delete", namespace)


def build_hop(worker_count: int) -> Hop:
    name = f"{PREFIX}-{os.getpid()}-{next(_sequence)}"
    switch = f"{name}-sw"
    master = Station(f"{name}-m", MASTER_ADDRESS, "p-m")
    workers = tuple(Station(f"{name}-w{i}", f"{SUBNET}.{i + 2}", f"p-w{i}") for i in range(worker_count))
    hop = Hop(name, switch, master, workers)
    try:
        ip("netns", "add", switch)
        ip("-n", switch, "link", "add", "br0", "type", "bridge")
        ip("-n", switch, "link", "set", "br0", "up")
        for station in (master, *workers):
            ip("netns", "add", station.namespace)
            ip("-n", switch, "link", "add", station.switch_port, "type", "veth",
               "peer", "name", "eth0", "netns", station.namespace)  # fmt: skip
            ip("-n", switch, "link", "set", station.switch_port, "master", "br0", "up")
            ip("-n", station.namespace, "link", "set", "lo", "up")
            ip("-n", station.namespace, "addr", "add", f"{station.address}/{PREFIX_LENGTH}", "dev", "eth0")
            ip("-n", station.namespace, "link", "set", "eth0", "up")
    except BaseException:
        hop.delete()
        raise
    return hop


@pytest.fixture(scope="session")
def netns_available() -> None:
    reason = cannot_make_namespaces()
    if reason is not None:
        pytest.skip(reason)
    delete_stale_namespaces()


@pytest.fixture
def hop(netns_available: None) -> Iterator[Hop]:
    """A master namespace and two worker namespaces on one bridge, removed after the test."""
    built = build_hop(worker_count=2)
    try:
        yield built
    finally:
        try:
            built.stop_processes()
        finally:
            built.delete()
    left = [name for name in namespaces() if name.startswith(f"{built.name}-")]
    assert not left, f"namespaces left behind: {sorted(left)}"
