"""Which address a request came from, for the sign-in limit (docs/ARCHITECTURE.md §6).

Behind a reverse proxy every connection comes from the proxy, so its ``X-Forwarded-For`` names
the client; but anyone can send that header, so it is believed only when the connection comes
from a proxy listed in ``MF_TRUSTED_PROXIES``. Each proxy appends the address it saw, so the
header is read from the right: the first address that is not itself a trusted proxy is the
client (what a client wrote at the left is never reached while a trusted proxy stands behind it).
"""

from __future__ import annotations

import ipaddress

from .settings import get_settings


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in get_settings().trusted_proxies)


def client_address(peer: str, forwarded_for: str | None = None) -> str:
    """The client's address: ``peer`` itself unless it is a trusted proxy, else the right-most
    ``X-Forwarded-For`` entry that is not a trusted proxy (the left-most one if all are)."""
    if not peer or not _trusted(peer):
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop):
            return hop[:64]
    return hops[0][:64] if hops else peer
