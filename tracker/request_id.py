"""A request id on every request: taken from the proxy's X-Request-ID header
when it is well-formed, otherwise generated. It is returned in the response's
X-Request-ID header and added to every log line written while the request is
served (tracker.logging.RequestIdFilter), so one id ties a user's report, the
proxy's access log and the application's logs together.

The middleware also writes one structured access-log line per request
(logger `tracker.request`: method, path, status, duration), which is why
gunicorn's own access log is off (config/gunicorn.conf.py).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
_VALID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
access_log = logging.getLogger("tracker.request")


def current_request_id() -> str:
    """The id of the request being served, or "-" outside a request."""
    return _current.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = _current.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[HEADER] = request_id
            access_log.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            return response
        finally:
            _current.reset(token)
