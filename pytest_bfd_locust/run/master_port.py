"""Where Locust's master listens: whether it can where a suite asks, checked before anything is
announced, and a free port of this machine for `--bfd-processes`' own master (`free_local_port`).

Locust finds out only after the user was told to start workers, and says it with a traceback
ending in `RPCError: Socket bind failure`. Binding the address for a moment first turns a taken
port or an address this machine does not have into one line naming the setting and the cause.
"""

from __future__ import annotations

import errno
import socket

from pytest_bfd_locust.workers import MasterBind


def master_bind_problem(bind: MasterBind) -> str | None:
    """Why the master could not listen at `bind`, in one line; None when it can."""
    where = f"the master cannot listen at {bind} (--bfd-master-bind or the catalog's workers.master_bind)"
    # bandit B104 (every interface): only when the user asked for it ("*"); probed, then closed.
    host = "0.0.0.0" if bind.host == "*" else bind.host  # nosec B104
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, bind.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        return f"{where}: {host!r} does not resolve to an address ({error.strerror})"
    with socket.socket(family, kind, proto) as probe:
        # As libzmq does: a port left in TIME_WAIT by an earlier run is free to listen on.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as error:
            causes = {
                errno.EADDRINUSE: f"port {bind.port} is taken (by another master or program)",
                errno.EADDRNOTAVAIL: f"{host} is not an address of this machine",
                errno.EACCES: f"port {bind.port} needs privileges",
            }
            return f"{where}: {causes.get(error.errno or 0, error.strerror or str(error))}"
    return None


def free_local_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice), for a master whose
    workers are forked on this machine (`--processes`)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
