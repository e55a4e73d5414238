"""Security and reliability middleware.

- `NoStoreMiddleware`: responses that may carry non-public data (the admin,
  the editorial pages, and any response to a keyed or logged-in caller) must
  never be kept by a browser or a shared proxy cache.
- `DatabaseUnavailableMiddleware`: while the database is unreachable, answer
  a clean 503 with Retry-After instead of a 500 with a stack of errors. Django
  discards a broken connection at the end of the request (and health-checks
  persistent ones before reuse), so service comes back by itself as soon as
  the database does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Seconds a client is asked to wait before retrying while the database is down.
RETRY_AFTER_SECONDS = 5
NO_STORE = "no-store, private"


PRIVATE_PREFIXES = ("/admin/", "/editorial/")


def is_private_request(request: HttpRequest) -> bool:
    """The editors' pages, and anything asked with a partner key or a session:
    the answer may hold what anonymous readers cannot see. Decided from the
    request alone (no query on anonymous reads)."""
    if request.path_info.startswith(PRIVATE_PREFIXES):
        return True
    keyed = bool(request.headers.get("Authorization") or request.headers.get("X-Api-Key"))
    return keyed or settings.SESSION_COOKIE_NAME in request.COOKIES


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if is_private_request(request):
            response["Cache-Control"] = NO_STORE
            response["Pragma"] = "no-cache"
        return response


def database_unavailable_response() -> HttpResponse:
    """A self-contained page: renders without touching the database."""
    try:
        body = loader.render_to_string("503.html")
    except Exception:  # pragma: no cover - a broken template must not hide the 503
        body = _("The service is temporarily unavailable. Please try again in a moment.")
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = NO_STORE
    return response


def is_database_outage(exc: BaseException | None) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


class DatabaseUnavailableMiddleware:
    """Turns a lost database connection raised by a view (or its template)
    into a 503. Errors raised outside views (e.g. the session save) reach
    `tracker.errors.server_error`, which does the same."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_outage(exception):
            return None
        logger.error("Database unavailable while serving %s: %s", request.path, exception)
        return database_unavailable_response()
