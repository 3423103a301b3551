"""Suites on Locust's master/worker engine: what a distributed run needs to know. Pure.

A suite that expects workers runs its Locust child as the master: it binds `master_bind`, waits up
to `wait` seconds for `expect` workers (`locust --worker -f - ...` anywhere that can reach the
master; `-f -` makes the master send them the locustfile), then runs the suite as usual with the
users spread over them. The options (`--bfd-expect-workers`, ...) and the catalog's `workers:` block
both end up in one `Workers`.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

DEFAULT_MASTER_HOST = "127.0.0.1"
"""Loopback: the master port is unauthenticated, so it is reachable from other machines only when
a user binds it wider on purpose."""
DEFAULT_MASTER_PORT = 5557
"""Locust's own default master port, the one worker images and examples assume."""
DEFAULT_WORKER_WAIT = 60.0
"""Seconds a suite waits for its workers before failing (counted into the run's deadline)."""

# bandit B104 (every interface): these are recognised in what the user asked for, never bound by default.
ALL_INTERFACES: frozenset[str] = frozenset({"*", "0.0.0.0", "::"})  # nosec B104
"""Bind hosts meaning every interface; workers then need this machine's name, not the bind host."""

_HOST_PORT = re.compile(r"^(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]\s]+)):(?P<port>[0-9]+)$")
_HOSTNAME = re.compile(
    r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


class MasterBindError(ValueError):
    """A master bind address that is not HOST:PORT; the message names the bad text."""


@dataclass(frozen=True)
class MasterBind:
    """Where the master listens for workers."""

    host: str
    """An IP address, a host name, or `*` (every interface, Locust's spelling)."""
    port: int

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    @property
    def locust_host(self) -> str:
        """The host as `--master-bind-host` takes it (Locust writes every interface as `*`)."""
        return "*" if self.host in ALL_INTERFACES else self.host

    @property
    def loopback_only(self) -> bool:
        """True when only this machine can connect (workers elsewhere cannot)."""
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


DEFAULT_MASTER_BIND = MasterBind(DEFAULT_MASTER_HOST, DEFAULT_MASTER_PORT)


def parse_master_bind(text: str) -> MasterBind:
    """`HOST:PORT` (`[IPv6]:PORT` for an IPv6 address; `*` or `0.0.0.0` for every interface)."""
    expected = (
        f"expected HOST:PORT such as {DEFAULT_MASTER_BIND} "
        f"(0.0.0.0:{DEFAULT_MASTER_PORT} accepts other machines)"
    )
    match = _HOST_PORT.match(text.strip())
    if match is None:
        raise MasterBindError(f"{expected}, got {text!r}")
    host = match.group("v6") or match.group("host")
    port = int(match.group("port"))
    if not 1 <= port <= 65535:
        raise MasterBindError(f"port must be between 1 and 65535, got {text!r}")
    if match.group("v6") is not None:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise MasterBindError(f"{expected}, got {text!r} ({host!r} is not an IPv6 address)") from None
    elif host != "*" and not _HOSTNAME.match(host):
        raise MasterBindError(f"{expected}, got {text!r} ({host!r} is not a host name or address)")
    return MasterBind(host, port)


@dataclass(frozen=True)
class Workers:
    """A suite's distributed run: how many workers, where they connect, how long to wait for them."""

    expect: int
    """Workers the master waits for before it starts the users (>= 1)."""
    master_bind: MasterBind = DEFAULT_MASTER_BIND
    wait: float = DEFAULT_WORKER_WAIT
    """Seconds to wait for `expect` workers; the suite fails when fewer have connected by then."""
    allow_loss: bool = False
    """A worker lost mid-run (missed heartbeats, quit) does not fail the suite."""


def worker_command(bind: MasterBind, *, this_host: str) -> str:
    """The command that starts one worker for a master bound at `bind`.

    `this_host` (this machine's name) stands in for a bind host that means every interface.
    """
    host = this_host if bind.host in ALL_INTERFACES else bind.host
    return f"locust --worker -f - --master-host {host} --master-port {bind.port}"


def missing_workers_message(
    expected: int, connected: int, waited: float, bind: MasterBind, *, this_host: str
) -> str:
    """What a suite says when its workers did not all arrive in time: the address they had to reach
    (the cause is nearly always there: a wrong `--master-host`, a firewall, a link down) first."""
    return (
        f"expected {expected} workers, {connected} connected after {waited:.0f} s to the master at "
        f"{bind} (workers were to run `{worker_command(bind, this_host=this_host)}`; check that "
        "they can reach that address and port)"
    )
