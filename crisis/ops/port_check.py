"""Whether the API can listen where it is asked to, checked before anything else opens."""

from __future__ import annotations

import errno
import socket

from crisis.french import os_reason


def port_taken(host: str, port: int) -> str | None:
    """Why the API could not listen on `host:port` (French), or None when it can.

    Checked before the service opens: a second `crisis serve` that only learnt at the end of
    its start that the port was taken had already started a dispatcher, which hands back the
    deliveries its worker name holds, those the running one is sending.
    """
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        return f"adresse d'écoute inconnue : {host} (--host pour en donner une autre)"
    family, _, _, _, address = addresses[0]
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            # As uvicorn binds: a port left in TIME_WAIT by a stopped service is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(address)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            return (
                f"le port {port} de {host} est déjà pris : un autre service tourne-t-il ? "
                "(--port pour en choisir un autre)"
            )
        if error.errno == errno.EADDRNOTAVAIL:
            return (
                f"{host} n'est pas une adresse de cette machine (--host pour en donner une autre)"
            )
        return f"impossible d'écouter sur {host}:{port} ({os_reason(error)})"
    return None
