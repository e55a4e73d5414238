"""The public follow form cannot flood an inbox: one confirmation per follow
every 10 minutes, and at most 10 follow requests per client address an hour,
with a translated message; the answer never tells whether an address follows."""

import runpy
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tracker.editorial import services as editorial
from tracker.editorial.models import Subscription

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def commitment():
    return f.make_commitment(reference="LPS-2017-04")


def post(client, commitment, email, callbacks, ip="198.51.100.7", lang="en"):
    with callbacks(execute=True):
        return client.post(
            reverse("editorial:follow", args=["commitment", commitment.reference]),
            {"email": email},
            REMOTE_ADDR=ip,
            HTTP_ACCEPT_LANGUAGE=lang,
        )


def body_of(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def test_asking_again_does_not_resend_within_ten_minutes(
    client, commitment, django_capture_on_commit_callbacks
):
    for _ in range(5):
        response = post(client, commitment, "reader@example.org", django_capture_on_commit_callbacks)
        assert response.status_code == 200
        assert "Check your e-mail" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["reader@example.org"]]
    assert "A link already sent less than 10 minutes ago is not sent again" in response.content.decode()


def test_the_confirmation_is_resent_after_ten_minutes(
    commitment, django_capture_on_commit_callbacks, monkeypatch
):
    with django_capture_on_commit_callbacks(execute=True):
        subscription = editorial.subscription_request(email="reader@example.org", target=commitment)
    # Ten minutes later the key has expired.
    cache.delete(f"editorial:follow:sent:{subscription.pk}:{subscription.created_at.timestamp()}")
    with django_capture_on_commit_callbacks(execute=True):
        editorial.subscription_request(email="reader@example.org", target=commitment)
    assert [m.to for m in mail.outbox] == [["reader@example.org"]] * 2


def test_one_address_gets_at_most_five_confirmations_an_hour(
    commitment, django_capture_on_commit_callbacks, settings
):
    targets = [f.make_commitment() for _ in range(settings.FOLLOW_CONFIRMATIONS_PER_ADDRESS + 2)]
    with django_capture_on_commit_callbacks(execute=True):
        for target in targets:
            editorial.subscription_request(email="victim@example.org", target=target)
    assert len(mail.outbox) == settings.FOLLOW_CONFIRMATIONS_PER_ADDRESS == 5
    assert Subscription.objects.filter(email="victim@example.org").count() == len(targets)


def test_other_addresses_and_pages_still_get_their_link(
    client, commitment, django_capture_on_commit_callbacks
):
    other = f.make_commitment(reference="LPS-2017-05")
    post(client, commitment, "a@example.org", django_capture_on_commit_callbacks)
    post(client, commitment, "b@example.org", django_capture_on_commit_callbacks)
    post(client, other, "a@example.org", django_capture_on_commit_callbacks)
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "a@example.org", "b@example.org"]


def test_one_client_address_is_limited_with_a_clear_message(
    client, commitment, django_capture_on_commit_callbacks, settings
):
    for n in range(settings.FOLLOW_REQUESTS_PER_IP):
        response = post(client, commitment, f"victim{n}@example.org", django_capture_on_commit_callbacks)
        assert response.status_code == 200
    response = post(client, commitment, "one-more@example.org", django_capture_on_commit_callbacks)
    assert response.status_code == 429
    assert "Too many follow requests came from your connection. Please try again in an hour." in (
        response.content.decode()
    )
    assert len(mail.outbox) == settings.FOLLOW_REQUESTS_PER_IP
    assert not Subscription.objects.filter(email="one-more@example.org").exists()
    # Another client address is not affected.
    response = post(
        client, commitment, "one-more@example.org", django_capture_on_commit_callbacks, ip="203.0.113.9"
    )
    assert response.status_code == 200


def test_the_answer_does_not_tell_who_follows(client, commitment, django_capture_on_commit_callbacks):
    first = post(
        client, commitment, "known@example.org", django_capture_on_commit_callbacks, ip="203.0.113.1"
    )
    Subscription.objects.filter(email="known@example.org").update(confirmed_at="2025-01-01T00:00Z")
    again = post(
        client, commitment, "known@example.org", django_capture_on_commit_callbacks, ip="203.0.113.2"
    )
    stranger = post(
        client, commitment, "new@example.org", django_capture_on_commit_callbacks, ip="203.0.113.3"
    )
    assert first.status_code == again.status_code == stranger.status_code == 200
    assert body_of(first) == body_of(again) == body_of(stranger)


def test_the_limit_message_is_in_french(client, commitment, django_capture_on_commit_callbacks, settings):
    settings.FOLLOW_REQUESTS_PER_IP = 0
    response = post(client, commitment, "a@example.org", django_capture_on_commit_callbacks, lang="fr")
    assert response.status_code == 429
    assert "Trop de demandes de suivi sont venues de votre connexion" in response.content.decode()


def test_the_limits_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("FOLLOW_RESEND_AFTER_SECONDS", "120")
    monkeypatch.setenv("FOLLOW_CONFIRMATIONS_PER_ADDRESS", "2")
    monkeypatch.setenv("FOLLOW_REQUESTS_PER_IP", "3")
    monkeypatch.setenv("FOLLOW_REQUESTS_PER_IP_WINDOW_SECONDS", "600")
    values = runpy.run_path(str(Path(django_settings.BASE_DIR) / "config" / "settings.py"))
    assert (
        values["FOLLOW_RESEND_AFTER_SECONDS"],
        values["FOLLOW_CONFIRMATIONS_PER_ADDRESS"],
        values["FOLLOW_REQUESTS_PER_IP"],
        values["FOLLOW_REQUESTS_PER_IP_WINDOW_SECONDS"],
    ) == (120, 2, 3, 600)


def test_the_limits_are_read_at_each_request(
    client, commitment, django_capture_on_commit_callbacks, settings
):
    settings.FOLLOW_REQUESTS_PER_IP = 2
    codes = [
        post(client, commitment, f"r{n}@example.org", django_capture_on_commit_callbacks).status_code
        for n in range(3)
    ]
    assert codes == [200, 200, 429]
    settings.FOLLOW_RESEND_AFTER_SECONDS = 120
    response = post(
        client, commitment, "r0@example.org", django_capture_on_commit_callbacks, ip="203.0.113.5"
    )
    assert "A link already sent less than 2 minutes ago is not sent again" in response.content.decode()
