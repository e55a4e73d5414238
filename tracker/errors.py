"""Error handlers (config/urls.py): never a traceback, and a database
outage anywhere in the request answers 503 with Retry-After, not 500."""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token

from .middleware import database_unavailable_response, is_database_outage


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # Called by Django while the exception is being handled.
    if is_database_outage(sys.exc_info()[1]):
        return database_unavailable_response()
    try:
        body = loader.render_to_string("500.html")
    except Exception:  # pragma: no cover - the error page itself must never fail
        body = f"<h1>{_('Server error')}</h1>"
    return HttpResponseServerError(body)
