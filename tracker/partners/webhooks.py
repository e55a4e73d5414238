"""Webhook events: building, signing and delivering them with retries.

An event is signed with HMAC-SHA256 over "<timestamp>.<body>" with the
endpoint's secret; receivers check the signature and reject old timestamps
(replay). A failed attempt is retried with exponential back-off."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import socket
import time
import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Subquery
from django.urls import reverse
from django.utils import timezone

from tracker.models import Assessment

from .models import WebhookDelivery, WebhookEndpoint
from .urlcheck import check_address, private_addresses_allowed

EVENT_PUBLISHED = "assessment.published"
SIGNATURE_HEADER = "X-Tracker-Signature"
TIMESTAMP_HEADER = "X-Tracker-Timestamp"
# A claimed delivery is hidden from other workers for this long.
CLAIM_LEASE = dt.timedelta(minutes=2)


def max_attempts() -> int:
    return int(getattr(settings, "WEBHOOK_MAX_ATTEMPTS", 8))


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next attempt after `attempts` failures: 1, 2, 4 ... minutes, at most 6 hours."""
    base = int(getattr(settings, "WEBHOOK_BACKOFF_SECONDS", 60))
    return dt.timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, timestamp: str, body: bytes, signature: str, tolerance: int = 300) -> bool:
    """What a receiver does (also used by the tests): recompute and compare in
    constant time; refuse timestamps further than `tolerance` seconds away."""
    try:
        ts = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(time.time() - ts) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, ts, body), signature or "")


def _absolute(name: str, *args: object) -> str:
    return settings.SITE_URL + reverse(name, args=args)


def event_payload(assessment: Assessment, event_id: uuid.UUID, previous_status: str | None) -> dict:
    commitment = assessment.commitment
    return {
        "id": str(event_id),
        "type": EVENT_PUBLISHED,
        "created_at": timezone.now().isoformat(),
        "data": {
            "commitment": {
                "reference": commitment.reference,
                "url": _absolute("api:commitment-detail", commitment.reference),
                "html_url": settings.SITE_URL + commitment.get_absolute_url(),
                "previous_status": previous_status,
                "current_status": commitment.current_status,
                "current_progress": commitment.current_progress,
                "status_as_of": commitment.status_as_of,
            },
            "assessment": {
                "id": assessment.pk,
                "url": _absolute("api:assessment-detail", assessment.pk),
                "status": assessment.status,
                "progress": assessment.progress,
                "as_of": assessment.as_of,
                "published_at": assessment.published_at,
                "summary_fr": assessment.summary_fr,
                "summary_en": assessment.summary_en,
            },
        },
    }


def partner_endpoints():
    """The endpoints a publication is sent to: active, of partner organisations."""
    return WebhookEndpoint.objects.filter(is_active=True, organisation__kind="partner")


def create_status_events(assessment: Assessment) -> list[WebhookDelivery]:
    """One delivery per active partner endpoint for a just-published assessment."""
    # The commitment's previous status (its latest other published
    # assessment's) is read with the endpoints: one statement.
    previous = (
        assessment.commitment.assessments.published()
        .exclude(pk=assessment.pk)
        .latest_first()
        .values("status")[:1]
    )
    endpoints = list(partner_endpoints().annotate(previous_status=Subquery(previous)))
    if not endpoints:
        return []
    previous = endpoints[0].previous_status
    event_id = uuid.uuid4()
    payload = json.loads(json.dumps(event_payload(assessment, event_id, previous), cls=DjangoJSONEncoder))
    now = timezone.now()
    return WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            event_id=event_id,
            event_type=EVENT_PUBLISHED,
            payload=payload,
            next_attempt_at=now,
        )
        for endpoint in endpoints
    )


def _checked_create_connection(address, timeout=None, source_address=None, *args, **kwargs):
    """socket.create_connection, then refuse a private peer: the address
    actually connected to, after DNS, and before TLS or any byte is sent
    (defeats DNS rebinding between registration and delivery)."""
    sock = socket.create_connection(address, timeout, source_address, *args, **kwargs)
    try:
        check_address(sock.getpeername()[0])
    except ValidationError:
        sock.close()
        raise
    return sock


class _CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_create_connection


class _CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = _checked_create_connection


def send_http(url: str, body: bytes, headers: dict[str, str], timeout: float) -> tuple[int | None, str]:
    """POST the body; returns (HTTP status or None, error text). Never follows redirects."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        conn_class = _CheckedHTTPSConnection
    elif parts.scheme == "http" and private_addresses_allowed():
        conn_class = _CheckedHTTPConnection
    else:
        return None, "scheme not allowed"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn = conn_class(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(4096)
        return response.status, ""
    except ValidationError:
        return None, "refused: the endpoint resolved to a private or loopback address"
    except (OSError, http.client.HTTPException) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    finally:
        conn.close()


def _claim(delivery_id: int, now: dt.datetime) -> WebhookDelivery | None:
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + CLAIM_LEASE)
    if not claimed:
        return None
    return WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)


def deliver_webhook(delivery_id: int) -> WebhookDelivery | None:
    """Attempt one due delivery; records the outcome and schedules a retry.
    Returns None when the delivery is not due (or another worker has it)."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        status, error = None, "endpoint deactivated"
        delivery.attempts = max_attempts() - 1
    else:
        body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "SSR-Tracker-Webhooks/1",
            "X-Tracker-Event": delivery.event_type,
            "X-Tracker-Event-Id": str(delivery.event_id),
            "X-Tracker-Delivery": str(delivery.pk),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(endpoint.secret, timestamp, body),
        }
        status, error = send_http(endpoint.url, body, headers, timeout=_timeout())
    return _record_attempt(delivery, status, error, now)


def _timeout() -> float:
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 5))


def _record_attempt(
    delivery: WebhookDelivery, status: int | None, error: str, now: dt.datetime
) -> WebhookDelivery:
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = status
    if status is not None and 200 <= status < 300:
        delivery.state = WebhookDelivery.State.SUCCEEDED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
        delivery.last_error = ""
    else:
        delivery.last_error = error or f"HTTP {status}"
        if delivery.attempts >= max_attempts():
            delivery.state = WebhookDelivery.State.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save(
        update_fields=[
            "attempts",
            "last_attempt_at",
            "last_status_code",
            "last_error",
            "state",
            "delivered_at",
            "next_attempt_at",
            "updated_at",
        ]
    )
    return delivery


def due_delivery_ids(now: dt.datetime, limit: int = 100) -> list[int]:
    return list(
        WebhookDelivery.objects.filter(state=WebhookDelivery.State.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
