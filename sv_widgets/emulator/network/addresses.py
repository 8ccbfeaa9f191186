"""Which network addresses a remote upload may be fetched from (the SSRF address policy).

Pure classification, no sockets: :func:`refusal` names why an address is refused (always:
cloud metadata, link-local, unspecified, multicast, broadcast, reserved; by policy: loopback
and private ranges), :func:`embedded_ipv4` finds the IPv4 address hidden in an IPv6 one,
:func:`numeric_host` reads IPv4 hosts in every spelling ``inet_aton`` accepts. Whether an
address is this machine only is :func:`sv_widgets.wire.is_loopback_host`, the one loopback rule
(the fetcher's policy, the emulator's own bind address and the page all use it).

Examples
--------
>>> import ipaddress
>>> refusal(ipaddress.ip_address("169.254.169.254"), allow_private=True, allow_loopback=True)
'a cloud metadata endpoint'
>>> numeric_host("0177.0.0.1")
IPv4Address('127.0.0.1')
"""

from __future__ import annotations

import ipaddress
import re
from typing import TypeAlias

from sv_widgets.wire import is_loopback_host

__all__ = ["REFUSED_NAMES", "IPAddress", "embedded_ipv4", "numeric_host", "refusal"]

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address

# Names of metadata services, refused before they are even looked up.
REFUSED_NAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]*|[0-9]+")


def _nets(cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs.split())


# (reason, networks) refused whatever the policy says; the first match names the reason.
_ALWAYS_REFUSED = (
    ("a cloud metadata endpoint", _nets("169.254.169.254/32 fd00:ec2::254/128 100.100.100.200/32")),
    ("link-local", _nets("169.254.0.0/16 fe80::/10")),
    ("unspecified ('this host')", _nets("0.0.0.0/8 ::/128")),
    ("multicast", _nets("224.0.0.0/4 ff00::/8")),
    ("broadcast", _nets("255.255.255.255/32")),
    ("reserved", _nets("240.0.0.0/4 192.0.0.0/24 192.0.2.0/24 192.88.99.0/24 198.18.0.0/15"
                       " 198.51.100.0/24 203.0.113.0/24 100::/64 2001::/23 2001:db8::/32")),
)  # fmt: skip
_PRIVATE = _nets(
    "10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 100.64.0.0/10 fc00::/7 fec0::/10 64:ff9b:1::/48"
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_V4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


def embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, compatible, 6to4, NAT64), if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    low32 = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr in _NAT64 or addr in _V4_TRANSLATED:
        return low32
    if addr in _V4_COMPATIBLE and int(addr) > 1:  # deprecated ::a.b.c.d, not :: or ::1
        return low32
    return None


def refusal(addr: IPAddress, *, allow_private: bool, allow_loopback: bool) -> str | None:
    """Why ``addr`` may not be fetched from, or ``None`` when it may."""
    for reason, networks in _ALWAYS_REFUSED:
        if any(addr in net for net in networks):
            return reason
    if is_loopback_host(str(addr)):
        return None if allow_loopback else "loopback (allow_loopback is off)"
    if any(addr in net for net in _PRIVATE):
        return None if allow_private else "in a private range (allow_private is off)"
    if not addr.is_global:  # anything the tables above forgot
        return "not a public address"
    return None


def numeric_host(host: str) -> IPAddress | None:
    """Read an IP literal in any spelling ``inet_aton`` accepts; ``None`` for a name.

    Raises :class:`ValueError` for a host that looks numeric but is no valid address.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    labels = host.split(".")
    if not _NUMBER.fullmatch(labels[-1]):
        return None  # a name: the last label of an IPv4 spelling is always a number
    if len(labels) > 4 or not all(_NUMBER.fullmatch(part) for part in labels):
        raise ValueError(f"host {host!r} is not a valid IPv4 address")
    values = []
    for part in labels:
        if part[:2].lower() == "0x":
            values.append(int(part[2:] or "0", 16))
        elif len(part) > 1 and part.startswith("0"):
            if not set(part) <= set("01234567"):
                raise ValueError(f"host {host!r} is not a valid IPv4 address")
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        raise ValueError(f"host {host!r} is not a valid IPv4 address")
    number = last
    for i, v in enumerate(head):
        number += v << (8 * (3 - i))
    return ipaddress.IPv4Address(number)
