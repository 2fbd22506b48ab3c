"""Where webhooks may be sent: public internet addresses only (no SSRF).

A third party's URL is checked when the webhook is made and again before every attempt: the
name is resolved, every address it resolves to must be public (not private, loopback,
link-local, multicast, reserved, unspecified, carrier-grade NAT…, for IPv4 and IPv6, an IPv6
address embedding an IPv4 one — mapped, NAT64, 6to4 — judged by that IPv4 one), and the
delivery then connects to the address that was checked (`api.infra.webhook_sender`), so a name
that resolves differently a moment later (DNS rebinding) cannot reach an inside address.

``https`` is required. `allow_private` (``LINLI_WEBHOOK_ALLOW_PRIVATE=1``: an operator's
choice for receivers on their own network, or a test's) lifts both rules: any address, and
plain ``http`` too.

No network client here (the domain calls `check` when a webhook is made); name resolution goes
through the event loop's resolver (`resolver`, replaceable in tests).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2000
RESOLVE_TIMEOUT = 5.0

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")


class Refusal(StrEnum):
    """Why a URL is refused; the values are the stable `userErrors` codes."""

    INVALID_URL = "INVALID_URL"
    HTTPS_REQUIRED = "HTTPS_REQUIRED"
    PRIVATE_DESTINATION = "PRIVATE_DESTINATION"
    UNRESOLVABLE_HOST = "UNRESOLVABLE_HOST"


class DestinationRefused(Exception):
    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else str(reason))
        self.reason = reason


@dataclass(frozen=True)
class Destination:
    url: str  # as it will be shown and stored (scheme and host lower-cased, no fragment)
    scheme: str
    host: str  # ASCII (IDNA) name or address literal, without brackets
    port: int
    target: str  # path and query
    literal: IPAddress | None  # the host when it is an address

    @property
    def netloc(self) -> str:
        """What the ``Host`` header says."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    return None


def is_forbidden(address: IPAddress) -> bool:
    """Whether an address is anything but a public unicast one."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return is_forbidden(inner)
        if address.teredo is not None or address in _NAT64_LOCAL or address.is_site_local:
            return True
    return bool(
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def parse(url: str, *, allow_private: bool) -> Destination:
    """The URL's parts, or `DestinationRefused` (INVALID_URL, HTTPS_REQUIRED, and
    PRIVATE_DESTINATION for an address literal that is not public)."""
    raw = (url or "").strip()
    if not raw or len(raw) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in raw):
        raise DestinationRefused(Refusal.INVALID_URL, "empty, too long or with spaces")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        raise DestinationRefused(Refusal.INVALID_URL, "not a URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused(Refusal.INVALID_URL, "not an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise DestinationRefused(Refusal.INVALID_URL, "credentials in the URL")
    if scheme != "https" and not allow_private:
        raise DestinationRefused(Refusal.HTTPS_REQUIRED)
    host = parts.hostname.rstrip(".").lower()
    literal: IPAddress | None
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0] if "%" in host else host)
        if "%" in host:  # a zone index only means something on this machine
            raise DestinationRefused(Refusal.INVALID_URL, "zone index")
    except ValueError:
        literal = None
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise DestinationRefused(Refusal.INVALID_URL, "host name") from None
        if not host or any(not (c.isalnum() or c in "-.") for c in host):
            raise DestinationRefused(Refusal.INVALID_URL, "host name") from None
    if literal is not None:
        host = str(literal)
        if not allow_private and is_forbidden(literal):
            raise DestinationRefused(Refusal.PRIVATE_DESTINATION, host)
    port = port or (443 if scheme == "https" else 80)
    if not 0 < port < 65536:
        raise DestinationRefused(Refusal.INVALID_URL, "port")
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    shown = f"{scheme}://{'[' + host + ']' if ':' in host else host}"
    if parts.port is not None:
        shown += f":{port}"
    return Destination(
        url=shown + target, scheme=scheme, host=host, port=port, target=target, literal=literal
    )


Resolver = Callable[[str, int], Awaitable[list[str]]]


async def _system_resolver(host: str, port: int) -> list[str]:
    infos: list[Any] = await asyncio.get_running_loop().getaddrinfo(
        host, port, type=socket.SOCK_STREAM
    )
    return [str(info[4][0]) for info in infos]


#: How names are resolved (tests replace it to play DNS rebinding).
resolver: Resolver = _system_resolver


async def addresses_of(destination: Destination, *, allow_private: bool) -> list[IPAddress]:
    """The addresses to connect to: every one the name resolves to must be allowed (one bad
    answer refuses the whole name), in the resolver's order."""
    if destination.literal is not None:
        found: list[IPAddress] = [destination.literal]
    else:
        try:
            async with asyncio.timeout(RESOLVE_TIMEOUT):
                answers = await resolver(destination.host, destination.port)
        except (OSError, TimeoutError, UnicodeError):
            raise DestinationRefused(Refusal.UNRESOLVABLE_HOST, destination.host) from None
        found = []
        for answer in answers:
            try:
                address = ipaddress.ip_address(answer.split("%", 1)[0])
            except ValueError:
                continue
            if address not in found:
                found.append(address)
        if not found:
            raise DestinationRefused(Refusal.UNRESOLVABLE_HOST, destination.host)
    if not allow_private:
        refused = [a for a in found if is_forbidden(a)]
        if refused:
            raise DestinationRefused(Refusal.PRIVATE_DESTINATION, str(refused[0]))
    return found


async def check(url: str, *, allow_private: bool) -> Destination:
    """Parses and resolves: the destination when every address is allowed."""
    destination = parse(url, allow_private=allow_private)
    await addresses_of(destination, allow_private=allow_private)
    return destination
