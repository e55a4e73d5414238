"""API keys (hashed, shown once, revocable, expiring, scoped, last use
recorded), their admin, and the throttles."""

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.utils import timezone, translation
from rest_framework.throttling import SimpleRateThrottle

from tests import factories as f
from tracker.partners import services
from tracker.partners.models import ApiKey

pytestmark = pytest.mark.django_db

URL = "/api/v1/commitments/"


@pytest.fixture(autouse=True)
def _fresh_cache_and_english():
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def staff_client(client, user):
    login = getattr(f, "login_staff", None)
    if login:
        return login(client, user)
    client.force_login(user)
    return client


def test_key_is_stored_hashed_and_works_with_both_schemes(client):
    key, raw = f.make_api_key()
    assert raw.startswith(f"ssr_{key.prefix}_")
    assert key.hashed_key == services.hash_key(raw) and raw not in key.hashed_key
    assert not ApiKey.objects.filter(hashed_key=raw).exists()
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 200
    assert client.get(URL, HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


@pytest.mark.parametrize(
    "header",
    ["Api-Key ssr_nope_nope", "Bearer garbage", "Api-Key ", "Bearer a b"],
)
def test_bad_keys_are_401_with_the_error_shape(client, header):
    response = client.get(URL, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Api-Key realm="api"'
    assert response.json()["error"]["code"] == "authentication_failed"


def test_wrong_secret_with_a_real_prefix_is_refused(client):
    key, raw = f.make_api_key()
    forged = f"ssr_{key.prefix}_{'x' * 43}"
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {forged}").status_code == 401


def test_revoked_and_expired_keys_are_refused(client):
    key, raw = f.make_api_key()
    admin_user = key.created_by
    services.api_key_revoke(actor=admin_user, api_key=key)
    response = client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert response.status_code == 401
    assert response.json()["error"]["message"] == "This API key is invalid, expired or revoked."
    expiring, raw2 = f.make_api_key(expires_at=timezone.now() + dt.timedelta(days=1))
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw2}").status_code == 200
    ApiKey.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw2}").status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(client, django_assert_num_queries):
    key, raw = f.make_api_key()
    assert key.last_used_at is None
    client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    key.refresh_from_db()
    first_use = key.last_used_at
    assert first_use is not None
    client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    key.refresh_from_db()
    assert key.last_used_at == first_use  # no write per request
    ApiKey.objects.filter(pk=key.pk).update(last_used_at=first_use - dt.timedelta(minutes=2))
    client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}")
    key.refresh_from_db()
    assert key.last_used_at > first_use - dt.timedelta(minutes=1)


def test_keys_are_for_partner_organisations_only():
    admin_user = f.make_reviewer()
    with pytest.raises(ValidationError) as exc:
        services.api_key_create(actor=admin_user, organisation=f.make_organisation(), name="x")
    assert exc.value.messages == ["API keys are only for partner organisations."]
    assert ApiKey.objects.count() == 0


def test_expiry_must_be_in_the_future():
    with pytest.raises(ValidationError) as exc:
        services.api_key_create(
            actor=f.make_reviewer(),
            organisation=f.make_partner(),
            name="x",
            expires_at=timezone.now() - dt.timedelta(days=1),
        )
    assert exc.value.messages == ["The expiry date must be in the future."]


def test_editors_cannot_create_or_revoke_keys():
    editor = f.make_editor()
    with pytest.raises(PermissionDenied):
        services.api_key_create(actor=editor, organisation=f.make_partner(), name="x")
    key, _raw = f.make_api_key()
    with pytest.raises(PermissionDenied):
        services.api_key_revoke(actor=editor, api_key=key)
    key.refresh_from_db()
    assert key.revoked_at is None


def test_keys_of_one_partner_share_its_service_user():
    partner = f.make_partner(slug="unicef")
    a, _ = f.make_api_key(partner)
    b, _ = f.make_api_key(partner, scope="submit")
    assert a.user_id == b.user_id and a.user.username == "partner-unicef"
    assert not a.user.is_staff and not a.user.has_usable_password()
    assert a.user.membership.organisation == partner
    assert a.user.has_perm("tracker.add_assessment") and not a.user.has_perm("tracker.review_assessment")


# --- admin ------------------------------------------------------------------------------


def test_reviewer_creates_a_key_in_the_admin_and_sees_it_once(client):
    reviewer = f.make_reviewer()
    partner = f.make_partner()
    staff_client(client, reviewer)
    response = client.post(
        "/admin/partners/apikey/add/",
        {
            "organisation": partner.pk,
            "name": "Data team",
            "scope": "submit",
            "expires_at_0": "",
            "expires_at_1": "",
        },
    )
    assert response.status_code == 200, response.content[:500]
    key = ApiKey.objects.get()
    raw = response.context["raw_key"]
    assert raw.encode() in response.content
    assert key.hashed_key == services.hash_key(raw) and key.scope == "submit" and key.created_by == reviewer
    page = client.get(f"/admin/partners/apikey/{key.pk}/change/")
    assert page.status_code == 200 and raw.encode() not in page.content


def test_admin_refuses_a_key_for_a_non_partner(client):
    staff_client(client, f.make_reviewer())
    org = f.make_organisation()
    response = client.post(
        "/admin/partners/apikey/add/",
        {"organisation": org.pk, "name": "x", "scope": "read", "expires_at_0": "", "expires_at_1": ""},
    )
    assert response.status_code == 200
    assert ApiKey.objects.count() == 0
    assert "raw_key" not in response.context


def test_reviewer_revokes_keys_with_the_admin_action(client):
    reviewer = f.make_reviewer()
    key, raw = f.make_api_key()
    staff_client(client, reviewer)
    response = client.post(
        "/admin/partners/apikey/", {"action": "revoke", "_selected_action": [key.pk]}, follow=True
    )
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert Client().get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code == 401


# --- throttles ------------------------------------------------------------------------------


@pytest.fixture
def low_rates(monkeypatch):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "keyed": "4/minute"})


def test_anonymous_limit_is_lower_than_keyed(client, low_rates):
    statuses = [client.get(URL).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    limited = client.get(URL)
    assert limited.json()["error"]["code"] == "throttled" and int(limited["Retry-After"]) > 0
    _key, raw = f.make_api_key()
    keyed = [client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw}").status_code for _ in range(5)]
    assert keyed == [200, 200, 200, 200, 429]


def test_each_key_has_its_own_budget(client, low_rates):
    _a, raw_a = f.make_api_key()
    _b, raw_b = f.make_api_key()
    for _ in range(4):
        client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw_a}")
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw_a}").status_code == 429
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw_b}").status_code == 200


def test_throttles_count_in_the_shared_default_cache(client, low_rates):
    client.get(URL)
    # The default cache is Redis when REDIS_URL is set: every worker sees this counter.
    assert len(cache.get("throttle_anon_127.0.0.1")) == 1
    cache.clear()
    assert [client.get(URL).status_code for _ in range(2)] == [200, 200]
