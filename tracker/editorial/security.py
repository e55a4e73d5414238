"""Security events go to the "tracker.security" log: logins, failed logins,
lockouts, permission refusals. The receivers only log."""

from __future__ import annotations

import logging

from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

logger = logging.getLogger("tracker.security")


def client_ip(request) -> str:
    """The client's address. Behind a proxy (DJANGO_BEHIND_PROXY), the last
    X-Forwarded-For hop is the one our proxy added: earlier ones can be forged."""
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return request.META.get("REMOTE_ADDR", "")


@receiver(user_logged_in)
def log_login(sender, request, user, **kwargs) -> None:
    logger.info("login: %s from %s", user.get_username(), client_ip(request) if request else "-")


@receiver(user_logged_out)
def log_logout(sender, request, user, **kwargs) -> None:
    logger.info("logout: %s", user.get_username() if user else "-")


@receiver(user_login_failed)
def log_login_failed(sender, credentials, request=None, **kwargs) -> None:
    logger.warning(
        "login failed: %s from %s",
        credentials.get("username", "?"),
        client_ip(request) if request is not None else "-",
    )


@receiver(user_locked_out)
def log_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    logger.warning("lockout: %s from %s", username, ip_address)
