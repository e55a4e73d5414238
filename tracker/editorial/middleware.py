"""Session timeouts and the permission-denied log."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.contrib.auth import logout

from .security import client_ip

logger = logging.getLogger("tracker.security")

AUTH_AT = "_editorial_auth_at"
SEEN_AT = "_editorial_seen_at"


class SessionTimeoutMiddleware:
    """Ends a logged-in session idle for SESSION_IDLE_TIMEOUT seconds, and any
    session older than SESSION_ABSOLUTE_TIMEOUT, whatever its activity."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            auth_at = session.setdefault(AUTH_AT, now)
            seen_at = session.get(SEEN_AT, now)
            if now - seen_at > settings.SESSION_IDLE_TIMEOUT:
                logger.info("session ended (idle): %s", user.get_username())
                logout(request)
            elif now - auth_at > settings.SESSION_ABSOLUTE_TIMEOUT:
                logger.info("session ended (absolute timeout): %s", user.get_username())
                logout(request)
            elif now - seen_at >= 60 or SEEN_AT not in session:
                session[SEEN_AT] = now  # written at most once a minute
        return self.get_response(request)


class PermissionDeniedLogMiddleware:
    """Logs every 403 with who asked for what."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 403:
            user = getattr(request, "user", None)
            logger.warning(
                "permission denied: %s %s %s from %s",
                user.get_username() if user is not None and user.is_authenticated else "anonymous",
                request.method,
                request.path,
                client_ip(request),
            )
        return response
