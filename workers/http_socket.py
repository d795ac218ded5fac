"""The HTTP server's listening sockets, bound before anything starts.

`serve` binds them itself and hands them to uvicorn, so an address in use is one line
naming it (exit 1) rather than uvicorn's log lines and its exit 3; `dev` asks the same
question before it starts the system.
"""

from __future__ import annotations

import errno
import socket
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp

from domain.errors import VstepGradingError

# What a refused bind means, by its error code.
_WHY = {
    errno.EADDRINUSE: "is already in use (another server listens there; set {port})",
    errno.EADDRNOTAVAIL: "is not an address of this machine (set HTTP_HOST)",
    errno.EACCES: "needs privileges this user lacks (take a port above 1023)",
}


class AddressUnavailable(VstepGradingError):
    """The HTTP server cannot listen on its address."""


def bind_http_sockets(
    host: str, port: int, *, port_setting: str = "HTTP_PORT"
) -> list[socket.socket]:
    """Listening-ready sockets on every address ``host`` names; AddressUnavailable naming
    the address (and ``port_setting``, the variable that chose the port) when one cannot
    be bound."""
    shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    what = "HTTP address" if port_setting == "HTTP_PORT" else f"{port_setting} address"
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise AddressUnavailable(f"{what} {shown}: unknown host ({exc.strerror})") from None
    sockets: list[socket.socket] = []
    try:
        for family, kind, proto, _name, address in dict.fromkeys(
            (info[0], info[1], info[2], "", info[4]) for info in infos
        ):
            sock = socket.socket(family, kind, proto)
            sockets.append(sock)
            # As uvicorn binds: a port in TIME_WAIT after a restart is free to take.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                # The IPv4 address of the same name gets its own socket.
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            sock.bind(address)
    except OSError as exc:
        for sock in sockets:
            sock.close()
        why = _WHY.get(exc.errno or 0, f"cannot be bound ({exc.strerror})")
        raise AddressUnavailable(f"{what} {shown} {why.format(port=port_setting)}") from None
    return sockets


def check_http_address(host: str, port: int, *, port_setting: str = "HTTP_PORT") -> None:
    """AddressUnavailable when a server could not listen on ``host:port`` now."""
    for sock in bind_http_sockets(host, port, port_setting=port_setting):
        sock.close()


def bound_then_checked(
    host: str, port: int, *, port_setting: str, check: Callable[[], None]
) -> list[socket.socket]:
    """The server's sockets, bound before ``check`` (its servers answering) runs: an
    address in use is said first, and the sockets are closed when the check refuses."""
    sockets = bind_http_sockets(host, port, port_setting=port_setting)
    try:
        check()
    except BaseException:
        close_all(sockets)
        raise
    return sockets


def run_server(
    app: ASGIApp,
    sockets: list[socket.socket],
    *,
    host: str,
    port: int,
    grace: float,
) -> None:
    """Serve ``app`` with uvicorn on the bound ``sockets`` (of ``host:port``, which its log
    lines name) until SIGTERM or SIGINT; requests in flight get ``grace`` seconds."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        # Our logging is in place (stdlib records go through structlog): uvicorn must not
        # install its own handlers, and our routes log what matters.
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=int(grace),
    )
    uvicorn.Server(config).run(sockets=sockets)


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()
