"""The only user-supplied URLs the server ever fetches are registered webhook
endpoints, and those must be HTTPS on public addresses (checked when the
endpoint is registered and again on the connected socket at delivery)."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def private_addresses_allowed() -> bool:
    # Tests and local development only: loopback receivers over plain HTTP.
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False))


def is_public_ip(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_address(address: str) -> None:
    if not private_addresses_allowed() and not is_public_ip(address):
        raise ValidationError(
            {"url": _("Webhook endpoints must be on a public address, not a private or loopback one.")},
            code="private_address",
        )


def check_webhook_url(url: str) -> None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValidationError({"url": _("Enter a valid URL.")}, code="invalid") from exc
    allowed_schemes = {"https", "http"} if private_addresses_allowed() else {"https"}
    if parts.scheme not in allowed_schemes:
        raise ValidationError({"url": _("Webhook endpoints must use HTTPS.")}, code="not_https")
    if not parts.hostname or parts.username or parts.password:
        raise ValidationError(
            {"url": _("Enter a URL with a host name and no user name or password.")}, code="invalid"
        )
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise ValidationError(
            {"url": _("The host name of this URL could not be resolved.")}, code="unresolvable"
        ) from exc
    for info in infos:
        check_address(info[4][0])
