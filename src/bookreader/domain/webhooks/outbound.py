"""Outbound safety for webhook targets: http(s) only, and never loopback, private, link-local, multicast,
reserved or cloud-metadata addresses unless the operator allows private targets."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import anyio

METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data", "metadata.azure.internal"}


class UnsafeTarget(ValueError):
    """The URL may not be called."""


def check_url_shape(url: str) -> tuple[str, int]:
    if len(url) > 2000 or any(ord(ch) < 33 for ch in url):
        raise UnsafeTarget("The URL is too long or contains spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError:  # a bad IPv6 literal or port
        raise UnsafeTarget("The URL is not valid.") from None
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeTarget("The URL must be an absolute http:// or https:// URL.")
    if parts.username or parts.password:
        raise UnsafeTarget("The URL may not carry credentials.")
    return host, port or (443 if parts.scheme == "https" else 80)


def forbidden_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


async def check_target(url: str, *, allow_private: bool) -> None:
    """Raise `UnsafeTarget` unless `url` may be called now (every address its host resolves to is public)."""
    host, port = check_url_shape(url)
    if allow_private:
        return
    if host.lower().rstrip(".") in METADATA_HOSTS:
        raise UnsafeTarget("Cloud metadata endpoints are not allowed.")
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:
        raise UnsafeTarget(f"The host does not resolve: {exc}") from None
    for info in infos:
        if forbidden_address(str(info[4][0])):
            raise UnsafeTarget(
                "The URL resolves to a loopback, private, link-local or metadata address "
                "(set BOOKREADER_WEBHOOK_ALLOW_PRIVATE=1 to allow it)."
            )
