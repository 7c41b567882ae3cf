"""This machine's network addresses, for the URL that other machines open when ``layerloom app``
listens on every address (``--host 0.0.0.0`` or ``::``). Read from this machine alone (its
interfaces, its own name), never by a request to another."""

from __future__ import annotations

import fcntl
import ipaddress
import socket
import struct
from pathlib import Path

SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


def _interface_ipv4(name: str) -> str | None:
    """The IPv4 address of interface ``name`` (Linux), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            packed = fcntl.ioctl(probe.fileno(), SIOCGIFADDR,
                                 struct.pack("256s", name.encode()[:15]))
        except OSError:
            return None
    return socket.inet_ntoa(packed[20:24])


def _ipv6_addresses(proc: Path = Path("/proc")) -> list[str]:
    """This machine's IPv6 addresses (Linux, from ``/proc/net/if_inet6``)."""
    try:
        lines = (proc / "net" / "if_inet6").read_text().splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        digits = line.split()[0] if line.split() else ""
        if len(digits) == 32:
            found.append(str(ipaddress.IPv6Address(bytes.fromhex(digits))))
    return found


def _candidates(version: int) -> list[str]:
    found: list[str] = []
    if version == 4:
        try:
            names = [name for _, name in socket.if_nameindex()]
        except OSError:
            names = []
        found += [a for a in map(_interface_ipv4, names) if a]
    else:
        found += _ipv6_addresses()
    family = socket.AF_INET if version == 4 else socket.AF_INET6
    try:  # the addresses this machine's own name has (its hosts file, or a name service)
        found += [info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None, family)]
    except (OSError, UnicodeError):
        pass
    return found


def network_addresses(host: str) -> list[str]:
    """The addresses other machines may reach a server listening on the wildcard ``host`` at:
    IPv4 for ``0.0.0.0``, IPv6 and IPv4 for ``::``; none loopback or link-local, each once."""
    versions = (6, 4) if ":" in host else (4,)
    shown: list[str] = []
    for version in versions:
        for text in _candidates(version):
            try:
                address = ipaddress.ip_address(text.split("%")[0])
            except ValueError:
                continue
            if address.is_loopback or address.is_link_local or address.is_unspecified:
                continue
            if str(address) not in shown:
                shown.append(str(address))
    return shown
