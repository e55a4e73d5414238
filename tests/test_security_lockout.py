"""Login lockout cannot be dodged by inventing X-Forwarded-For headers: an
attacker guessing a password from one address stays locked out whatever
addresses the header claims. Directly exposed, the header is ignored; behind
the proxy (DJANGO_BEHIND_PROXY), only the hop our proxy added counts."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories

LIMIT = 3
ATTACKER = "203.0.113.66"


def guess(client: Client, username: str, hop: int, **extra) -> int:
    response = client.post(
        reverse("admin:login"),
        {"username": username, "password": f"wrong-password-{hop}", "otp_token": "", "next": "/admin/"},
        REMOTE_ADDR=ATTACKER,
        **extra,
    )
    return response.status_code


@pytest.fixture
def editor(db, settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    return factories.make_editor()


def test_forged_forwarded_for_does_not_reset_the_login_lockout(editor, record_property):
    client = Client()
    statuses = [
        guess(client, editor.username, i, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}") for i in range(LIMIT + 5)
    ]
    record_property("guesses", len(statuses))
    assert 429 not in statuses[: LIMIT - 1]
    assert statuses[LIMIT:] == [429] * 5


def test_behind_the_proxy_only_the_proxys_hop_counts(editor, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()
    # The client forges earlier hops; our proxy appends the real address last.
    statuses = [
        guess(client, editor.username, i, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}, 192.0.2.50")
        for i in range(LIMIT + 3)
    ]
    assert statuses[LIMIT:] == [429] * 3
    # Another real client (another last hop) is not locked out by the first one's guesses.
    assert guess(client, editor.username, 99, HTTP_X_FORWARDED_FOR="192.0.2.51") != 429
