"""Webhooks: HTTPS endpoints on public addresses only, a signed event per
publication, delivered in the background with retries and back-off."""

import datetime as dt
import http.server
import json
import threading
import time

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone, translation

from tests import factories as f
from tracker import services
from tracker.partners import services as partner_services
from tracker.partners import webhooks
from tracker.partners.models import WebhookDelivery, WebhookEndpoint
from tracker.partners.tasks import deliver_due

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
PUBLIC_URL = "https://93.184.216.34/hooks/tracker"


@pytest.fixture(autouse=True)
def _fresh_cache_and_english():
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


class Recorder:
    """Stands in for the HTTP sender: records calls, answers `status`."""

    def __init__(self, status=200, error=""):
        self.status, self.error, self.calls = status, error, []

    def __call__(self, url, body, headers, timeout):
        self.calls.append({"url": url, "body": body, "headers": headers})
        return self.status, self.error


@pytest.fixture
def sender(monkeypatch):
    recorder = Recorder()
    monkeypatch.setattr(webhooks, "send_http", recorder)
    return recorder


@pytest.fixture
def partner(db):
    org = f.make_partner(slug="donor")
    _key, raw = f.make_api_key(org, scope="submit")
    return org, raw


def register(client, raw, url=PUBLIC_URL):
    return client.post(
        URL,
        data=json.dumps({"url": url}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
    )


def publish(commitment=None, **kw):
    commitment = commitment or f.make_commitment()
    editor, reviewer = f.make_editor(), f.make_reviewer()
    assessment = f.make_assessment(commitment, author=editor, **kw)
    services.assessment_submit(actor=editor, assessment=assessment)
    return services.assessment_publish(actor=reviewer, assessment=assessment)


# --- registration ----------------------------------------------------------------------------


def test_partner_registers_an_endpoint_and_sees_the_secret_once(client, partner):
    org, raw = partner
    response = register(client, raw)
    assert response.status_code == 201
    data = response.json()
    assert data["url"] == PUBLIC_URL and data["secret"].startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.organisation == org and endpoint.secret == data["secret"]
    listed = client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}").json()["results"]
    assert listed == [
        {"id": endpoint.pk, "url": PUBLIC_URL, "is_active": True, "created_at": listed[0]["created_at"]}
    ]


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://93.184.216.34/hook", "Webhook endpoints must use HTTPS."),
        (
            "https://127.0.0.1/hook",
            "Webhook endpoints must be on a public address, not a private or loopback one.",
        ),
        (
            "https://10.1.2.3/hook",
            "Webhook endpoints must be on a public address, not a private or loopback one.",
        ),
        (
            "https://169.254.169.254/latest",
            "Webhook endpoints must be on a public address, not a private or loopback one.",
        ),
        (
            "https://[::1]/hook",
            "Webhook endpoints must be on a public address, not a private or loopback one.",
        ),
        (
            "https://localhost/hook",
            "Webhook endpoints must be on a public address, not a private or loopback one.",
        ),
        ("https://user:pw@93.184.216.34/", "Enter a URL with a host name and no user name or password."),
    ],
)
def test_private_loopback_and_plain_http_endpoints_are_refused(client, partner, url, message):
    response = register(client, partner[1], url)
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"url": [message]}
    assert WebhookEndpoint.objects.count() == 0


def test_webhook_endpoints_need_a_partner_key(client, partner):
    assert client.get(URL).status_code == 401
    editor_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    editor_client.force_login(f.make_editor())
    assert editor_client.get(URL).status_code == 403


def test_partner_cannot_see_or_delete_anothers_endpoint(client, partner):
    register(client, partner[1])
    endpoint = WebhookEndpoint.objects.get()
    _key, other = f.make_api_key(scope="submit")
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {other}").json()["results"] == []
    assert client.delete(f"{URL}{endpoint.pk}/", HTTP_AUTHORIZATION=f"Api-Key {other}").status_code == 404
    assert (
        client.delete(f"{URL}{endpoint.pk}/", HTTP_AUTHORIZATION=f"Api-Key {partner[1]}").status_code == 204
    )
    endpoint.refresh_from_db()
    assert endpoint.is_active is False


def test_a_read_scope_key_lists_endpoints_but_cannot_register_or_remove_them(client, partner):
    """Registering an endpoint makes the tracker send requests where the key
    holder says: a write, so it needs the submit scope like submissions."""
    org, submit_raw = partner
    register(client, submit_raw)
    endpoint = WebhookEndpoint.objects.get()
    _key, read_raw = f.make_api_key(org, scope="read")
    listed = client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {read_raw}").json()["results"]
    assert [item["id"] for item in listed] == [endpoint.pk]
    message = (
        "This API key has the read scope; registering or removing webhooks needs a key with the submit scope."
    )
    refused = register(client, read_raw, "https://93.184.216.35/other")
    assert refused.status_code == 403
    assert refused.json()["error"] == {"code": "permission_denied", "message": message, "details": {}}
    removed = client.delete(f"{URL}{endpoint.pk}/", HTTP_AUTHORIZATION=f"Api-Key {read_raw}")
    assert removed.status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.is_active is True and WebhookEndpoint.objects.count() == 1


def test_the_service_refuses_a_read_scope_key_too(partner):
    org, _raw = partner
    read_key, _read_raw = f.make_api_key(org, scope="read")
    with pytest.raises(PermissionDenied):
        partner_services.webhook_endpoint_register(api_key=read_key, organisation=org, url=PUBLIC_URL)
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize("n", [1, 5])
def test_endpoint_list_query_count_is_constant(client, partner, django_assert_max_num_queries, n):
    org, raw = partner
    for i in range(n):
        WebhookEndpoint.objects.create(organisation=org, url=f"https://93.184.216.{i + 1}/hook", secret="s")
    client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}")  # last use recorded once a minute
    with django_assert_max_num_queries(3):
        response = client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert len(response.json()["results"]) == n


# --- events, signatures --------------------------------------------------------------------------


def test_publication_is_delivered_once_as_a_signed_event(
    client, partner, sender, django_capture_on_commit_callbacks
):
    register(client, partner[1])
    secret = WebhookEndpoint.objects.get().secret
    commitment = f.make_commitment(reference="LPS-2017-09")
    with django_capture_on_commit_callbacks(execute=True):
        assessment = publish(commitment, status="initiated")
    deliver_due()  # when no task queue ran it at commit
    assert len(sender.calls) == 1
    call = sender.calls[0]
    headers, raw_body = call["headers"], call["body"]
    assert call["url"] == PUBLIC_URL and headers["X-Tracker-Event"] == "assessment.published"
    assert webhooks.verify(secret, headers["X-Tracker-Timestamp"], raw_body, headers["X-Tracker-Signature"])
    event = json.loads(raw_body)
    assert event["type"] == "assessment.published"
    assert event["data"]["commitment"]["reference"] == "LPS-2017-09"
    assert event["data"]["commitment"]["previous_status"] is None
    assert event["data"]["commitment"]["current_status"] == "initiated"
    assert event["data"]["assessment"]["id"] == assessment.pk
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "succeeded" and delivery.attempts == 1 and delivery.last_status_code == 200


def test_signature_refuses_tampering_and_replay():
    body = b'{"a":1}'
    now = int(time.time())
    signature = webhooks.sign("whsec_x", now, body)
    assert webhooks.verify("whsec_x", str(now), body, signature)
    assert not webhooks.verify("whsec_x", str(now), b'{"a":2}', signature)
    assert not webhooks.verify("whsec_other", str(now), body, signature)
    old = now - 3600
    assert not webhooks.verify("whsec_x", str(old), body, webhooks.sign("whsec_x", old, body))
    assert not webhooks.verify("whsec_x", "not-a-time", body, signature)


def test_every_active_partner_endpoint_gets_the_event(client, partner, sender):
    register(client, partner[1])
    _k, other = f.make_api_key(scope="submit")
    register(client, other, "https://93.184.216.35/hook")
    register(client, other, "https://93.184.216.36/hook")
    gone = WebhookEndpoint.objects.get(url="https://93.184.216.36/hook")
    client.delete(f"{URL}{gone.pk}/", HTTP_AUTHORIZATION=f"Api-Key {other}")
    publish()
    deliveries = WebhookDelivery.objects.all()
    assert sorted(d.endpoint.url for d in deliveries) == [PUBLIC_URL, "https://93.184.216.35/hook"]
    assert len({d.event_id for d in deliveries}) == 1


def test_rolled_back_publication_sends_nothing(client, partner, sender):
    register(client, partner[1])
    with pytest.raises(RuntimeError), transaction.atomic():
        publish()
        raise RuntimeError("the publishing transaction fails")
    assert WebhookDelivery.objects.count() == 0


# --- retries and back-off ------------------------------------------------------------------------


def test_failures_are_retried_with_exponential_backoff_then_given_up(client, partner, sender, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    settings.WEBHOOK_BACKOFF_SECONDS = 60
    register(client, partner[1])
    sender.status = 500
    publish()
    delivery = WebhookDelivery.objects.get()
    before = timezone.now()
    webhooks.deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "pending" and delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.last_error == "HTTP 500"
    assert dt.timedelta(seconds=59) <= delivery.next_attempt_at - before <= dt.timedelta(seconds=61)
    assert webhooks.deliver_webhook(delivery.pk) is None  # not due yet: nothing sent
    assert len(sender.calls) == 1
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    before = timezone.now()
    webhooks.deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert dt.timedelta(seconds=119) <= delivery.next_attempt_at - before <= dt.timedelta(seconds=121)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    webhooks.deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.state == "failed" and delivery.attempts == 3 and delivery.next_attempt_at is None
    assert len(sender.calls) == 3


def test_a_retry_that_succeeds_is_recorded(client, partner, sender):
    register(client, partner[1])
    sender.status, sender.error = None, "ConnectionRefusedError: [Errno 111] Connection refused"
    publish()
    delivery = WebhookDelivery.objects.get()
    webhooks.deliver_webhook(delivery.pk)
    delivery.refresh_from_db()
    assert delivery.last_error.startswith("ConnectionRefusedError") and delivery.last_status_code is None
    sender.status, sender.error = 204, ""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    out = call_command_output("deliver_webhooks")
    delivery.refresh_from_db()
    assert delivery.state == "succeeded" and delivery.attempts == 2 and delivery.last_error == ""
    assert out.strip() == "1 delivered, 0 failed attempts."


def call_command_output(*args):
    import io

    buffer = io.StringIO()
    call_command(*args, stdout=buffer)
    return buffer.getvalue()


def test_backoff_doubles_and_is_capped():
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert webhooks.backoff(30).total_seconds() == 6 * 3600


# --- the real sender, on loopback only ----------------------------------------------------------------


class _Receiver(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        _Receiver.received.append((dict(self.headers), self.rfile.read(length)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    _Receiver.received = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_real_delivery_to_a_loopback_receiver_when_allowed(client, partner, receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    url = f"http://127.0.0.1:{receiver.server_port}/hook"
    assert register(client, partner[1], url).status_code == 201
    secret = WebhookEndpoint.objects.get().secret
    publish()
    deliver_due()
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == "succeeded" and delivery.last_status_code == 202
    headers, body = _Receiver.received[0]
    assert webhooks.verify(secret, headers["X-Tracker-Timestamp"], body, headers["X-Tracker-Signature"])


def test_loopback_is_refused_at_connection_time_when_not_allowed(receiver, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    status, error = webhooks.send_http(f"https://127.0.0.1:{receiver.server_port}/hook", b"{}", {}, timeout=2)
    assert status is None and error == "refused: the endpoint resolved to a private or loopback address"
    assert _Receiver.received == []


# --- admin log ---------------------------------------------------------------------------------------


def test_delivery_log_is_in_the_admin(client, partner, sender):
    register(client, partner[1])
    publish()
    reviewer = f.make_reviewer()
    login = getattr(f, "login_staff", None)
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    login(staff, reviewer) if login else staff.force_login(reviewer)
    page = staff.get("/admin/partners/webhookdelivery/")
    assert page.status_code == 200 and b"assessment.published" in page.content
    delivery = WebhookDelivery.objects.get()
    assert staff.get(f"/admin/partners/webhookdelivery/{delivery.pk}/change/").status_code == 200
