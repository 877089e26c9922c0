"""The SSRF guard: decide whether a user-supplied URL may be fetched, and where to connect.

:func:`check_url` parses a URL (with httpx's parser, the same one that later sends the
request), resolves its host and returns a :class:`Target` naming the one checked address
the connection must go to. It refuses, with :class:`~spinelift.errors.UnsafeUrlError`
(``details = {"url", "reason", ...}``):

- a scheme outside ``policy.allowed_schemes`` (``file:``, ``ftp:``, ``gopher:`` ...);
- credentials in the URL (``http://user:pass@host/``);
- a missing host, or port 0 or above 65535;
- a host that does not resolve (``reason = "unresolvable"``);
- a host with ANY resolved address that is not public (see :func:`is_public_address`),
  so a name answering with one public and one private address is refused as a whole.

Numeric host forms (``http://2130706433/``, ``http://0x7f.1/``, ``http://017700000001/``)
are read as the IPv4 address the C resolver would make of them, then checked like any other.

Resolution happens here, once; the fetchers connect to ``Target.address`` and never resolve
the name again, which is what defeats DNS rebinding (see :mod:`spinelift.net.fetch`).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass

import httpx

from spinelift.errors import UnsafeUrlError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_DEFAULT_PORTS = {"http": 80, "https": 443}

# Explicit lists rather than ``is_private``/``is_global`` alone: those changed between
# Python releases, and the guard must not change with them.
_BLOCKED_V4 = tuple(
    ipaddress.IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # "this network", incl. the unspecified 0.0.0.0
        "10.0.0.0/8",  # private
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",  # loopback
        "169.254.0.0/16",  # link-local, incl. the cloud metadata 169.254.169.254
        "172.16.0.0/12",  # private
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation (TEST-NET-1)
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "192.168.0.0/16",  # private
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation (TEST-NET-2)
        "203.0.113.0/24",  # documentation (TEST-NET-3)
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, incl. the broadcast 255.255.255.255
    )
)
_BLOCKED_V6 = tuple(
    ipaddress.IPv6Network(n)
    for n in (
        "::/8",  # unspecified ::, loopback ::1, IPv4-compatible ::a.b.c.d
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments: Teredo 2001::/32, benchmarking, ORCHID
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")  # IPv4-mapped
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known NAT64 prefix
_SIX_TO_FOUR = ipaddress.IPv6Network("2002::/16")  # 6to4


@dataclass(frozen=True)
class UrlPolicy:
    """What the guard lets through, and the limits of one fetch.

    ``allowed_schemes`` must be a subset of ``("http", "https")`` (the only ones httpx
    speaks). ``allow_hosts`` names hosts (exact, case-insensitive, trailing dot ignored)
    that may resolve to non-public addresses, e.g. an internal storage host; they are
    still resolved once and pinned. ``allow_private=True`` switches the address check
    off entirely: for tests and local development only, never in production.
    ``timeout`` is the total budget in seconds of one fetch (all redirects, connect and
    read) or of one callback attempt; ``max_bytes`` caps a fetched body.
    """

    allowed_schemes: tuple[str, ...] = ("http", "https")
    allow_hosts: tuple[str, ...] = ()
    allow_private: bool = False
    max_redirects: int = 3
    timeout: float = 10.0
    max_bytes: int = 100 * 1024 * 1024


@dataclass(frozen=True)
class Target:
    """A checked URL: connect to ``address`` (an IP literal, no brackets) on ``port``,
    while ``host`` (lowercase, IDNA-encoded) goes in the Host header and TLS SNI and is
    what the certificate is verified against. ``path_and_query`` is the raw request target.
    """

    scheme: str
    host: str
    port: int
    address: str
    path_and_query: str


def is_public_address(ip: IPAddress) -> bool:
    """True when ``ip`` is a globally routable unicast address a user URL may reach.

    IPv4-mapped (``::ffff:a.b.c.d``), NAT64 (``64:ff9b::a.b.c.d``) and 6to4
    (``2002:aabb:ccdd::``) addresses are judged by the IPv4 address they embed.
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public_address(ip.ipv4_mapped)
        if ip in _NAT64:
            return is_public_address(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.sixtofour is not None:
            return is_public_address(ip.sixtofour)
        blocked = any(ip in net for net in _BLOCKED_V6)
    else:
        blocked = any(ip in net for net in _BLOCKED_V4)
    return not blocked and ip.is_global and not (ip.is_multicast or ip.is_reserved)


def check_url(url: str, policy: UrlPolicy) -> Target:
    """Parse, resolve and check ``url``; return where to connect.

    Raises :class:`UnsafeUrlError` with ``details["reason"]`` one of ``invalid_url``,
    ``scheme_not_allowed``, ``credentials_in_url``, ``missing_host``, ``bad_port``,
    ``unresolvable``, ``non_public_address`` (then also ``details["address"]``).
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise _unsafe(url, "invalid_url", f"not a valid URL ({exc})") from None
    scheme = parsed.scheme
    if scheme not in policy.allowed_schemes or scheme not in _DEFAULT_PORTS:
        raise _unsafe(url, "scheme_not_allowed", f"the scheme {scheme!r} is not allowed")
    if parsed.userinfo:
        raise _unsafe(url, "credentials_in_url", "credentials in URLs are not allowed")
    host = parsed.raw_host.decode("ascii").lower().rstrip(".")
    if not host:
        raise _unsafe(url, "missing_host", "the URL has no host")
    port = parsed.port if parsed.port is not None else _DEFAULT_PORTS[scheme]
    if not 0 < port < 65536:
        raise _unsafe(url, "bad_port", f"port {port} is not allowed")
    addresses = _resolve(url, host, port)
    trusted = policy.allow_private or host in {h.lower().rstrip(".") for h in policy.allow_hosts}
    if not trusted:
        for ip in addresses:
            if not is_public_address(ip):
                raise _unsafe(
                    url,
                    "non_public_address",
                    f"{host} resolves to the non-public address {ip}",
                    address=str(ip),
                )
    return Target(
        scheme=scheme,
        host=host,
        port=port,
        address=str(addresses[0]),
        path_and_query=parsed.raw_path.decode("ascii"),
    )


def _resolve(url: str, host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` stands for, in resolver order (IP literals need no DNS)."""
    literal = _ip_literal(host)
    if literal is not None:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise _unsafe(url, "unresolvable", f"{host} does not resolve ({exc})") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise _unsafe(url, "unresolvable", f"{host} does not resolve")
    return addresses


def _ip_literal(host: str) -> IPAddress | None:
    """``host`` as an IP address if it is one, in any form the C resolver accepts.

    ``inet_aton`` reads the legacy IPv4 forms (``2130706433``, ``0x7f.1``, ``0177.0.0.1``)
    exactly as ``getaddrinfo`` would, so the checked address is the one a resolver makes.
    """
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except (OSError, UnicodeError, ValueError):
        return None


def _unsafe(url: str, reason: str, message: str, **extra: str) -> UnsafeUrlError:
    return UnsafeUrlError(
        f"refused URL: {message}", details={"url": url, "reason": reason, **extra}
    )
