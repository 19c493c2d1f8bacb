"""Which addresses the server may connect to for a job (docs/ARCHITECTURE.md §6: links are hostile).

One rule for every place that asks: the submit-time check (``jobs.create_job``), the worker's
check before a job runs, and the worker's egress proxy, which applies it to every connection an
engine makes (redirects, playlists, segments and thumbnails included).

With ``MF_BLOCK_PRIVATE_URLS`` on, a host is refused when ANY address it resolves to is not
globally routable (``is_global``: loopback, private, link-local and the cloud metadata address,
CGNAT, unspecified, reserved), or multicast, or an IPv6 address carrying such an IPv4 address
(mapped, compatible, NAT64, 6to4). A name that does not resolve is refused too: the check fails
closed. Address literals are read by the system's own parser (``getaddrinfo`` with
``AI_NUMERICHOST``, which takes ``2130706433``, ``0x7f.1``, ``127.1`` and octal like the
resolver does), never by a hand-written one, so a spelling cannot mean one thing here and
another to a connect.

Two operator settings shape the answer: ``MF_EGRESS_HOSTS`` (a static ``name=address`` map that
wins over DNS, like curl's ``--resolve``: split-horizon names) and ``MF_EGRESS_ALLOW``
(``address[:port]`` or network entries that count as allowed although private: one LAN source
while the rest stays blocked). Tests drive the rule with both.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from functools import lru_cache

from .settings import EgressSettings, egress_settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

PRIVATE_ADDRESS = (
    "This link points to a private-network address, which this server does not fetch (MF_BLOCK_PRIVATE_URLS)."
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


class EgressRefused(Exception):
    """A connection the policy does not allow; ``message`` is the user's sentence."""

    def __init__(self, message: str, host: str) -> None:
        super().__init__(f"{message} ({host})")
        self.message = message
        self.host = host


class PrivateAddress(EgressRefused):
    def __init__(self, host: str) -> None:
        super().__init__(PRIVATE_ADDRESS, host)


class UnresolvedHost(EgressRefused):
    def __init__(self, host: str) -> None:
        super().__init__(f"{host} could not be reached.", host)


@dataclass(frozen=True)
class Allowance:
    """One ``MF_EGRESS_ALLOW`` entry: a network, and the one port it is limited to (or any)."""

    network: IPNetwork
    port: int | None

    def covers(self, address: IPAddress, port: int) -> bool:
        return address in self.network and self.port in (None, port)


def normalise_host(host: str) -> str:
    """The host as the resolver sees it: no IPv6 brackets, no trailing dot, lower case."""
    return host.strip().removeprefix("[").removesuffix("]").removesuffix(".").lower()


def parse_literal(host: str) -> IPAddress | None:
    """The address an IP literal stands for, in any spelling the system resolver accepts."""
    try:
        infos = socket.getaddrinfo(normalise_host(host), None, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
    except (OSError, UnicodeError):
        return None
    return _address(infos[0][4][0])


def _address(text: str) -> IPAddress:
    return ipaddress.ip_address(text.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0) is not part of it


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a NAT64, IPv4-compatible or 6to4 address leads to."""
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def is_public(address: IPAddress) -> bool:
    """Globally routable and unicast; an IPv6 address carrying an IPv4 one must carry a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public(address.ipv4_mapped)
        if (inner := _embedded_ipv4(address)) is not None and not is_public(inner):
            return False
    return address.is_global and not address.is_multicast


def _parse_hosts(raw: str) -> dict[str, tuple[IPAddress, ...]]:
    hosts: dict[str, tuple[IPAddress, ...]] = {}
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        name, sep, value = entry.partition("=")
        address = parse_literal(value) if sep else None
        if not name.strip() or address is None:
            raise ValueError(f"MF_EGRESS_HOSTS: {entry!r} is not name=address")
        key = normalise_host(name)
        hosts[key] = (*hosts.get(key, ()), address)
    return hosts


def _parse_allowance(entry: str) -> Allowance:
    network, port = entry, None
    if entry.startswith("["):  # [v6] or [v6/len], optionally :port
        network, _, rest = entry[1:].partition("]")
        port = int(rest[1:]) if rest.startswith(":") and rest[1:].isdigit() else None
        if rest and port is None:
            raise ValueError
    elif entry.count(":") == 1:  # v4 or v4/len with :port
        network, _, digits = entry.partition(":")
        port = int(digits)
    return Allowance(ipaddress.ip_network(network, strict=False), port)


def _parse_allow(raw: str) -> tuple[Allowance, ...]:
    allowances = []
    for entry in filter(None, (part.strip() for part in raw.split(","))):
        try:
            allowances.append(_parse_allowance(entry))
        except ValueError:
            raise ValueError(f"MF_EGRESS_ALLOW: {entry!r} is not an address, address:port or network") from None
    return tuple(allowances)


@dataclass(frozen=True)
class EgressPolicy:
    block_private: bool
    hosts: dict[str, tuple[IPAddress, ...]]
    allow: tuple[Allowance, ...]

    def resolve(self, host: str, port: int) -> list[IPAddress]:
        """Every address ``host`` stands for: the hosts map, else the system resolver (blocking:
        callers on an event loop run it in a thread). Raises UnresolvedHost."""
        name = normalise_host(host)
        if name in self.hosts:
            return list(self.hosts[name])
        try:
            infos = socket.getaddrinfo(name, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            raise UnresolvedHost(host) from None
        return list(dict.fromkeys(_address(info[4][0]) for info in infos))

    def permits(self, address: IPAddress, port: int) -> bool:
        return not self.block_private or is_public(address) or any(a.covers(address, port) for a in self.allow)

    def check(self, host: str, port: int) -> list[IPAddress]:
        """The addresses to connect to for ``host:port``; raises EgressRefused when any is not allowed."""
        addresses = self.resolve(host, port)
        if not all(self.permits(address, port) for address in addresses):
            raise PrivateAddress(host)
        return addresses


@lru_cache(maxsize=8)
def _policy(settings: EgressSettings) -> EgressPolicy:
    return EgressPolicy(settings.block_private_urls, _parse_hosts(settings.hosts), _parse_allow(settings.allow))


def egress_policy() -> EgressPolicy:
    """The policy in force now (read from the environment at each call; parsed once per value).
    Raises ValueError naming a malformed MF_EGRESS_HOSTS or MF_EGRESS_ALLOW entry."""
    return _policy(egress_settings())
