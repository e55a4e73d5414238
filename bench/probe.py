"""One pass over every workload through Django's test client, in-process.

Resolves each workload's URL against the data (a deep page, a reference),
then requests it twice and keeps the second answer: HTTP status, SQL queries
per request (CaptureQueriesContext) and their exact text (replayed by the
floor app and pgbench), response bytes raw and gzip-compressed. Also makes a
staff session for the admin workload. Writes JSON for bench/run.py.

    DJANGO_SETTINGS_MODULE=bench.settings python bench/probe.py OUT.json [workload,...]

With workload names, only those are probed (the others are not run: at
100,000 commitments the CSV export alone takes minutes).

`refresh` workloads send `X-Page-Cache-Refresh: 1` (render again, as a
page-cache miss does); the others get the cached answer the first request
stored. Dashboard workloads: `cold` ones are fetched right after the record token is
deleted from the cache (the figures are recomputed); `conditional` ones send
the CSRF cookie and the ETag of a first answer (If-None-Match) and expect 304.
"""

from __future__ import annotations

import gzip
import json
import math
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.workloads import REFRESH_HEADERS, WORKLOADS  # noqa: E402
from tracker.insights import version  # noqa: E402
from tracker.models import Commitment  # noqa: E402

SKIPPED_SQL = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
# The CSRF cookie sent with conditional requests (the ETag covers it).
CSRF_COOKIE = ("benchcsrf" * 4)[:32]
# Server-side cursors (QuerySet.iterator()) are logged as DECLARE ... FOR <query>.
DECLARE = re.compile(r'^DECLARE\s+"[^"]+"\s+NO SCROLL CURSOR\s+WITH(?:OUT)? HOLD\s+FOR\s+', re.I)


def parameters() -> dict:
    in_progress = Commitment.objects.filter(current_status="in_progress").count()
    pages = max(1, math.ceil(in_progress / 25))
    generated = Commitment.objects.filter(reference__startswith="GEN-").order_by("reference")
    middle = generated[generated.count() // 2] if generated.exists() else Commitment.objects.first()
    return {"deep_page": max(1, int(pages * 0.9)), "last_page": pages, "reference": middle.reference}


def staff_cookie() -> str:
    user, created = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    if created:
        user.set_unusable_password()
        user.save()
    client = Client()
    client.force_login(user)
    if apps.is_installed("django_otp.plugins.otp_totp"):
        # The admin needs a session verified by a second factor (django-otp).
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client.cookies["sessionid"].value


def fetch(client: Client, path: str, headers: dict) -> tuple[int, bytes, list[str], str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
    sql = [
        DECLARE.sub("", q["sql"]) for q in queries.captured_queries if not q["sql"].startswith(SKIPPED_SQL)
    ]
    return response.status_code, body, sql, response.get("Content-Type", "")


def main(out: str, only: list[str]) -> None:
    params = parameters()
    cookie = staff_cookie()
    results = {}
    for name, workload in WORKLOADS.items():
        if workload.get("in_process") or (only and name not in only):
            continue
        path = workload["path"].format(**params)
        headers = {"Cookie": f"sessionid={cookie}"} if workload.get("staff") else {}
        client = Client(headers=headers)
        if workload.get("staff"):
            client.cookies["sessionid"] = cookie
        if workload.get("conditional"):
            client.cookies["csrftoken"] = CSRF_COOKIE
        first = client.get(path)  # warm-up: per-process caches, prepared lookups, the cache
        request_headers = dict(REFRESH_HEADERS) if workload.get("refresh") else {}
        if workload.get("conditional"):
            request_headers = {"If-None-Match": first["ETag"]}
            params["etag"], params["csrf_cookie"] = first["ETag"], CSRF_COOKIE
        if workload.get("cold"):
            version.bump()
        status, body, sql, content_type = fetch(client, path, request_headers)
        results[name] = {
            "path": path,
            "status": status,
            "queries": len(sql),
            "sql": sql if status in (200, 304) else [],
            "kind": workload["kind"],
            "content_type": content_type,
            "bytes": len(body),
            "gzip_bytes": len(gzip.compress(body, 6)),
            "staff": bool(workload.get("staff")),
            "cold": bool(workload.get("cold")),
            "conditional": bool(workload.get("conditional")),
            "refresh": bool(workload.get("refresh")),
        }
    Path(out).write_text(json.dumps({"params": params, "cookie": cookie, "workloads": results}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1], [w for w in (sys.argv[2] if len(sys.argv) > 2 else "").split(",") if w])
