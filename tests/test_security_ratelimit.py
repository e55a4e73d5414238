"""Rate limits hold under a burst from one address, and a client cannot
escape them by inventing X-Forwarded-For headers."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client

from tests import factories

URL = "/api/v1/pillars/"


def anonymous_limit() -> int:
    return int(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["anon"].split("/")[0])


def burst(client: Client, n: int, spoof: bool = False, **headers) -> list[int]:
    statuses = []
    for i in range(n):
        extra = {"X-Forwarded-For": f"198.51.100.{i % 250}"} if spoof else {}
        statuses.append(client.get(URL, headers={**headers, **extra}).status_code)
    return statuses


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_anonymous_burst_from_one_address_is_cut_at_the_limit():
    limit = anonymous_limit()
    statuses = burst(Client(REMOTE_ADDR="203.0.113.7"), limit + 15)
    assert statuses[:limit] == [200] * limit
    assert statuses[limit:] == [429] * 15
    response = Client(REMOTE_ADDR="203.0.113.7").get(URL)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    # Another address is not punished for the first one's burst.
    assert Client(REMOTE_ADDR="203.0.113.8").get(URL).status_code == 200


@pytest.mark.django_db
def test_forged_forwarded_for_headers_do_not_reset_the_limit():
    limit = anonymous_limit()
    statuses = burst(Client(REMOTE_ADDR="203.0.113.9"), limit + 10, spoof=True)
    assert statuses.count(429) == 10


@pytest.mark.django_db
def test_partner_key_has_its_own_higher_limit():
    _key, raw = factories.make_api_key()
    client = Client(REMOTE_ADDR="203.0.113.10")
    limit = anonymous_limit()
    statuses = burst(client, limit + 10, Authorization=f"Api-Key {raw}")
    assert 429 not in statuses
