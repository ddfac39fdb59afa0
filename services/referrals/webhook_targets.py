"""Where a webhook may be sent: public addresses only (SSRF protection), checked at registration and again
at every delivery, because what a name resolves to can change after it was registered.

A URL is refused when any address its host resolves to is not globally routable (private, loopback,
link-local, unique-local, multicast, reserved, unspecified, carrier-grade NAT, documentation, IPv4-mapped or
6to4/Teredo forms of those). Configuration may allow loopback (tests and local development); then plain http
is accepted for loopback targets only. Delivery connects to the address that was checked (no second lookup a
resolver could answer differently), sending the original Host header and verifying TLS for the host name.
"""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

MAX_URL_LENGTH = 2048


class TargetRefused(Exception):
    """The URL may not receive webhooks. The message is safe to show to the registering partner."""


@dataclass(frozen=True)
class ResolvedTarget:
    url: str
    scheme: str
    host: str
    port: int
    path: str  # path + query, as sent in the request line
    address: str  # the checked IP address to connect to


def _is_loopback(address: ipaddress._BaseAddress) -> bool:
    return address.is_loopback


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 well-known prefix
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def address_allowed(raw: str, allow_loopback: bool) -> bool:
    address = ipaddress.ip_address(raw.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_allowed(str(embedded), allow_loopback)
    if allow_loopback and _is_loopback(address):
        return True
    if address.is_multicast or address.is_unspecified or address.is_reserved or address.is_link_local:
        return False
    return address.is_global


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def parse_url(url: str) -> tuple[str, str, int, str]:
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise TargetRefused("the URL is missing or too long")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        raise TargetRefused("the URL must use https")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused("the URL must not contain credentials")
    if parts.fragment:
        raise TargetRefused("the URL must not contain a fragment")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise TargetRefused("the URL has no host")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("the URL has an invalid port") from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, host, port, path


def resolve_target(url: str, allow_loopback: bool, resolver=system_resolver) -> ResolvedTarget:
    """Check `url` and resolve it to one permitted address; raises TargetRefused otherwise."""
    scheme, host, port, path = parse_url(url)
    try:
        addresses = resolver(host, port)
    except (socket.gaierror, UnicodeError, OSError):
        raise TargetRefused("the URL's host does not resolve") from None
    if not addresses:
        raise TargetRefused("the URL's host does not resolve")
    for address in addresses:
        try:
            allowed = address_allowed(address, allow_loopback)
        except ValueError:
            allowed = False
        if not allowed:
            raise TargetRefused("the URL resolves to a private, loopback, link-local or otherwise non-public "
                                "address")
    all_loopback = all(ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses)
    if scheme == "http" and not (allow_loopback and all_loopback):
        raise TargetRefused("the URL must use https")
    return ResolvedTarget(url=url, scheme=scheme, host=host, port=port, path=path, address=addresses[0])
