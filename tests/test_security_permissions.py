"""Access control.

1. A permission matrix: every URL without parameters (found from the resolver,
   so a new URL fails this test until it gets a row in EXPECTED) against every
   role, with the statuses each role may get. An unexpected 200 is a failure.
2. Private objects (confidential evidence, unpublished assessments and their
   evidence) answer 404 and never appear in public pages or API lists, for
   anonymous readers and for partner keys alike.
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.security_support import iter_url_patterns, staff_login
from tracker import services

ROLES = ("anonymous", "editor_a", "editor_b", "reviewer", "key_a", "key_b", "admin")
STAFF = ("editor_a", "editor_b", "reviewer")
OUTSIDERS = ("anonymous", "key_a", "key_b")  # partner keys never open the admin
LOGIN = {302}  # redirected to the login page
DENIED = {403}
OK = {200}


def rule(outsiders: set, staff: set, admin: set, *, reviewer: set | None = None, keys: set | None = None):
    expected = {role: outsiders for role in OUTSIDERS} | {role: staff for role in STAFF} | {"admin": admin}
    if reviewer is not None:
        expected["reviewer"] = reviewer
    if keys is not None:
        expected |= {"key_a": keys, "key_b": keys}
    return expected


# (route regex, expected statuses per role). First match wins.
EXPECTED: list[tuple[str, dict[str, set[int]]]] = [
    # Public pages, feeds, exports, health, API reads: everyone.
    (
        r"^(|about/|about/api/|methodology/|changes/|commitments/|commitments/export\.csv|commitments/feed/"
        r"|feeds/changes/|healthz|readyz|livez)$",
        rule(OK, OK, OK),
    ),
    (r"^i18n/setlang/$", rule(LOGIN, LOGIN, LOGIN)),  # GET redirects; language changes need POST
    (r"^favicon\.ico$", rule({302}, {302}, {302})),  # redirect to the static icon
    (r"^api/(schema|docs|redoc)/$", rule(OK, OK, OK)),
    (
        r"^api/v1/(|stats/|open-data/|commitments/|assessments/|evidence/|institutions/|frameworks/"
        r"|pillars/|regions/|indicators/)$",
        rule(OK, OK, OK),
    ),
    # Partner-only endpoints: a key, never a session.
    (r"^api/v1/(submissions|webhooks)/$", rule({401}, DENIED, DENIED, keys=OK)),
    (r"^api/", rule({404}, {404}, {404})),  # unknown API paths
    # Editors' pages.
    (r"^editorial/$", rule(LOGIN, OK, OK)),
    # Two-factor set-up: only for a staff account with no device yet; others are sent away.
    (r"^editorial/account/two-factor/$", rule(LOGIN, {302}, {302})),
    (r"^admin/login/$", rule(OK, LOGIN, LOGIN)),
    (r"^admin/logout/$", rule(LOGIN, {405}, {405})),  # logout is POST only
    (r"^admin/(|jsi18n/|password_change/|password_change/done/)$", rule(LOGIN, OK, OK)),
    (r"^admin/autocomplete/$", rule(LOGIN, DENIED, DENIED)),  # needs its parameters
    # Accounts, security logs, the task queue, 2FA devices: administrators only.
    (r"^admin/(auth|axes|django_q|otp_static|otp_totp)/", rule(LOGIN, DENIED, {200, 403})),
    # Partners' keys and webhooks: coordinators (reviewers) and administrators.
    (r"^admin/partners/[a-z]+/(add/)?$", rule(LOGIN, DENIED, {200, 403}, reviewer={200, 403})),
    # Reference data: editors read, coordinators add.
    (
        r"^admin/tracker/(framework|institution|pillar|region)/(add|import)/$",
        rule(LOGIN, DENIED, OK, reviewer=OK),
    ),
    (r"^admin/tracker/(organisation|membership)/add/$", rule(LOGIN, DENIED, OK, reviewer=DENIED)),
    (r"^admin/tracker/[a-z]+/process_import/$", rule(LOGIN, {405}, {405})),
    # Follows and notification log (issue 6): read-only admin pages; statuses per role not pinned yet.
    (r"^admin/editorial/[a-z]+/(add/)?$", rule(LOGIN, {200, 403}, {200, 403})),
    (r"^admin/tracker/[a-z]+/(|add/|export/|import/)$", rule(LOGIN, OK, OK)),
]


def parameterless_routes() -> list[str]:
    return sorted(
        {
            route.replace("^", "").replace("$", "")
            for route, _name, _pattern in iter_url_patterns()
            if "<" not in route and "(" not in route and ".*" not in route
        }
    )


def expectation(route: str) -> dict[str, set[int]] | None:
    for pattern, expected in EXPECTED:
        if re.match(pattern, route):
            return expected
    return None


@pytest.fixture
def clients(db):
    org_a, org_b = factories.make_organisation(), factories.make_organisation()
    users = {
        "editor_a": factories.make_editor(organisation=org_a),
        "editor_b": factories.make_editor(organisation=org_b),
        "reviewer": factories.make_reviewer(organisation=org_a),
        "admin": factories.make_user(group=None, is_superuser=True),
    }
    _key_a, raw_a = factories.make_api_key()
    _key_b, raw_b = factories.make_api_key(scope="submit")
    result = {role: staff_login(Client(), user) for role, user in users.items()}
    result["anonymous"] = Client()
    result["key_a"] = Client(headers={"Authorization": f"Api-Key {raw_a}"})
    result["key_b"] = Client(headers={"Authorization": f"Api-Key {raw_b}"})
    return result


def test_every_url_has_an_expectation():
    missing = [route for route in parameterless_routes() if expectation(route) is None]
    assert missing == [], "add these URLs to EXPECTED in tests/test_security_permissions.py"


@pytest.mark.django_db
def test_permission_matrix(clients, record_property):
    unexpected, checked = [], 0
    for route in parameterless_routes():
        expected = expectation(route)
        if expected is None:
            continue  # reported by test_every_url_has_an_expectation
        for role in ROLES:
            cache.clear()
            status = clients[role].get("/" + route).status_code
            checked += 1
            if status not in expected[role]:
                unexpected.append((route, role, status, sorted(expected[role])))
    record_property("checks", checked)
    assert unexpected == []
    assert checked >= 7 * 80


# --- Private objects --------------------------------------------------------------------


@pytest.fixture
def private_record(db):
    editor, reviewer = factories.make_editor(), factories.make_reviewer()
    commitment = factories.make_commitment(actor=editor)
    public = factories.make_evidence(commitment, actor=editor, title="PUBLIC-SOURCE-TITLE")
    secret = factories.make_evidence(
        commitment,
        actor=editor,
        title="CONFIDENTIAL-SOURCE-TITLE",
        publisher="SECRET-PUBLISHER",
        visibility="confidential",
    )
    factories.make_published_assessment(
        commitment, author=editor, reviewer=reviewer, evidence=[public, secret]
    )
    unreviewed = factories.make_evidence(commitment, actor=editor, title="UNREVIEWED-SOURCE-TITLE")
    draft = factories.make_assessment(
        commitment,
        author=editor,
        evidence=[unreviewed],
        summary_en="DRAFT-SUMMARY",
        summary_fr="DRAFT-SUMMARY",
    )
    return {
        "commitment": commitment,
        "public": public,
        "secret": secret,
        "unreviewed": unreviewed,
        "draft": draft,
    }


SECRETS = ("CONFIDENTIAL-SOURCE-TITLE", "SECRET-PUBLISHER", "UNREVIEWED-SOURCE-TITLE", "DRAFT-SUMMARY")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "key_a", "key_b"])
def test_private_objects_never_reach_public_pages_or_api_lists(clients, private_record, role):
    client = clients[role]
    commitment = private_record["commitment"]
    pages = [
        "/",
        "/commitments/",
        commitment.get_absolute_url(),
        "/changes/",
        "/commitments/export.csv",
        "/feeds/changes/",
        "/api/v1/evidence/",
        "/api/v1/assessments/",
        f"/api/v1/commitments/{commitment.reference}/",
        f"/api/v1/evidence/?commitment={commitment.reference}",
        "/api/v1/commitments/",
    ]
    seen_public = False
    for url in pages:
        cache.clear()
        response = client.get(url)
        assert response.status_code == 200, url
        raw = b"".join(response.streaming_content) if response.streaming else response.content
        body = raw.decode()
        assert not [s for s in SECRETS if s in body], url
        seen_public |= "PUBLIC-SOURCE-TITLE" in body
    assert seen_public  # the public evidence does show: the pages really list evidence


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["anonymous", "key_a", "key_b"])
def test_private_objects_answer_404(clients, private_record, role):
    client = clients[role]
    for evidence in (private_record["secret"], private_record["unreviewed"]):
        cache.clear()
        assert client.get(f"/api/v1/evidence/{evidence.pk}/").status_code == 404
    cache.clear()
    assert client.get(f"/api/v1/assessments/{private_record['draft'].pk}/").status_code == 404
    cache.clear()
    assert client.get(f"/api/v1/evidence/{private_record['public'].pk}/").status_code == 200


# --- Fields a caller may not set -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("current_status", "completed"), ("current_progress", 100), ("version", 99), ("search_document", "x")],
)
def test_commitment_update_refuses_service_owned_fields(commitment, editor, field, value):
    before = type(commitment).objects.values().get(pk=commitment.pk)
    with pytest.raises(ValidationError) as caught:
        services.commitment_update(actor=editor, commitment=commitment, **{field: value})
    assert caught.value.code == "not_editable"
    assert type(commitment).objects.values().get(pk=commitment.pk) == before


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["added_by", "organisation", "file_sha256", "commitment"])
def test_evidence_update_refuses_provenance_fields(commitment, editor, field):
    evidence = factories.make_evidence(commitment, actor=editor)
    intruder = factories.make_editor()
    value = {
        "added_by": intruder,
        "organisation": intruder.membership.organisation,
        "file_sha256": "0" * 64,
        "commitment": factories.make_commitment(actor=editor),
    }[field]
    with pytest.raises(ValidationError):
        services.evidence_update(actor=editor, evidence=evidence, **{field: value})
    evidence.refresh_from_db()
    assert getattr(evidence, field) != value


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field", ["author", "reviewer", "review_state", "published_at", "organisation", "methodology_version"]
)
def test_assessment_update_refuses_workflow_fields(commitment, editor, field):
    draft = factories.make_assessment(commitment, author=editor)
    other = factories.make_reviewer()
    value = {
        "author": other,
        "reviewer": other,
        "review_state": "published",
        "published_at": timezone.now(),
        "organisation": other.membership.organisation,
        "methodology_version": "0",
    }[field]
    with pytest.raises(ValidationError) as caught:
        services.assessment_update(actor=editor, assessment=draft, **{field: value})
    assert caught.value.code == "not_editable_field"
    draft.refresh_from_db()
    assert draft.review_state == "draft" and draft.author == editor and draft.reviewer is None


@pytest.mark.django_db
def test_public_pages_and_feeds_answer_only_get_and_head(commitment):
    """Read-only pages: POST, PUT, DELETE are a 405 naming the allowed methods
    (they rendered the page before); the parameterised ones are in the matrix."""
    page = commitment.get_absolute_url()
    urls = [
        "/",
        "/commitments/",
        "/commitments/export.csv",
        "/commitments/feed/",
        page,
        f"{page}feed/",
        f"{page}changes/",
        "/changes/",
        "/feeds/changes/",
        "/methodology/",
        "/about/",
        "/about/api/",
    ]
    client = Client()
    for url in urls:
        assert client.head(url).status_code == 200, url
        for method in ("post", "put", "delete"):
            response = getattr(client, method)(url)
            assert response.status_code == 405, (method, url)
            assert set(response["Allow"].split(", ")) == {"GET", "HEAD"}, url
