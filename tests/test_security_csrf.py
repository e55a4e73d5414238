"""CSRF: every URL of the project (found from the resolver, so new URLs are
covered automatically) refuses a write from a logged-in session that does not
carry the CSRF token, and nothing changes."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client
from django.urls import Resolver404, resolve

from tests import factories
from tests.security_support import iter_url_patterns, staff_login
from tests.test_security_injection import snapshot

SAMPLE = {"int": "1", "str": "1", "path": "1", "slug": "x", "uuid": str(uuid.uuid4())}


def concrete_url(route: str) -> str | None:
    """A URL matching `route` (path converters or a simple regex)."""
    url = re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE.get(m.group(1) or "str", "1"), route)
    url = re.sub(r"\(\?P<\w+>([^|)]*)[^)]*\)", lambda m: m.group(1).replace("\\", "") or "x", url)
    url = url.replace("^", "").replace("$", "").replace(".*", "x").replace("\\", "")
    url = "/" + url
    try:
        resolve(url)
    except Resolver404:
        return None
    return url


def all_urls() -> list[str]:
    urls = {concrete_url(route) for route, _name, _pattern in iter_url_patterns()}
    return sorted(u for u in urls if u)


@pytest.fixture
def session_client(db):
    user = factories.make_user(group=None, is_superuser=True)
    factories.make_commitment(actor=user)
    return staff_login(Client(enforce_csrf_checks=True), user)


@pytest.mark.django_db
def test_every_write_without_csrf_token_is_refused(session_client, record_property):
    before, users_before = snapshot(), get_user_model().objects.count()
    accepted, tried = [], 0
    for url in all_urls():
        methods = ["post", "put", "patch", "delete"] if url.startswith("/api/") else ["post"]
        for method in methods:
            cache.clear()
            response = getattr(session_client, method)(url, {"x": "1"} if method == "post" else None)
            tried += 1
            csrf_exempt = getattr(resolve(url).func, "csrf_exempt", False)
            refused = response.status_code == 403 if not csrf_exempt else response.status_code >= 400
            if not refused:
                accepted.append((method, url, response.status_code))
    assert accepted == []
    assert snapshot() == before and get_user_model().objects.count() == users_before
    record_property("urls", len(all_urls()))
    record_property("writes_refused", tried)
    assert tried >= 50  # the admin alone has dozens of URLs


@pytest.mark.django_db
def test_the_same_write_with_the_token_goes_through(session_client):
    """Proves the refusals above are CSRF refusals, not a broken client."""
    session_client.get("/admin/")
    token = session_client.cookies["csrftoken"].value
    refused = session_client.post("/admin/logout/")
    assert refused.status_code == 403
    accepted = session_client.post("/admin/logout/", {"csrfmiddlewaretoken": token})
    assert accepted.status_code in {200, 302}
    assert "_auth_user_id" not in session_client.session


def test_url_enumeration_covers_admin_api_and_public_pages():
    urls = all_urls()
    assert any(u.startswith("/admin/tracker/commitment/") for u in urls)
    assert any(u.startswith("/api/v1/") for u in urls)
    assert "/commitments/" in urls
