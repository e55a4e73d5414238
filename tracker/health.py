"""GET /healthz: is this app server able to serve? (for load balancers and monitoring)

Checks the database (a `SELECT 1`) and the cache (a write then a read of a
random key). 200 with {"status": "ok", ...} when both work; 503 with the
failing component marked "error" otherwise, so a load balancer takes the
server out of rotation. Never cached; the answer names no host, version or
error detail (the detail goes to the log, with the request id).

With the OPS_PROBE_VIEWS setting on (tests of the scale-out only, never in
production) three more views show that state is shared between app servers:
/healthz/probe/cache (set and read a cache key), /healthz/probe/session
(who is logged in, and a per-session counter) and /healthz/probe/task
(queue a task that writes a cache key when a worker runs it).
"""

from __future__ import annotations

import logging
import os
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("Health check: the database is unavailable.")
        return False


def _cache_ok() -> bool:
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=10)
        ok = cache.get(key) == value
        cache.delete(key)
        if not ok:
            logger.error("Health check: the cache did not return the value just written.")
        return ok
    except Exception:
        logger.exception("Health check: the cache is unavailable.")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ok(), "cache": _cache_ok()}
    healthy = all(checks.values())
    body = {"status": "ok" if healthy else "error"}
    body.update({name: "ok" if ok else "error" for name, ok in checks.items()})
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def probe_cache(request: HttpRequest) -> JsonResponse:
    key = "probe:" + request.GET.get("key", "")[:100]
    if "set" in request.GET:
        cache.set(key, request.GET["set"][:200], timeout=60)
    return JsonResponse({"value": cache.get(key)})


@never_cache
@require_GET
def probe_session(request: HttpRequest) -> JsonResponse:
    request.session["probe_count"] = request.session.get("probe_count", 0) + 1
    user = request.user.get_username() if request.user.is_authenticated else None
    return JsonResponse({"user": user, "count": request.session["probe_count"]})


def probe_task(key: str) -> None:
    """The probe's task: says which worker process ran it."""
    cache.set("probe:" + key, f"done by worker {os.getpid()}", timeout=60)


@never_cache
@require_GET
def probe_task_view(request: HttpRequest) -> JsonResponse:
    from tracker.tasks import enqueue

    task = enqueue("tracker.health.probe_task", request.GET.get("key", "")[:100])
    return JsonResponse({"queued": task, "server": os.getpid()})


urlpatterns = [path("healthz", healthz, name="healthz")]
if getattr(settings, "OPS_PROBE_VIEWS", False):
    urlpatterns += [
        path("healthz/probe/cache", probe_cache, name="healthz-probe-cache"),
        path("healthz/probe/session", probe_session, name="healthz-probe-session"),
        path("healthz/probe/task", probe_task_view, name="healthz-probe-task"),
    ]
