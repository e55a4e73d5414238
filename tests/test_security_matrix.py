"""Access control, part 2: every URL pattern WITH parameters, against every
role, with objects of two organisations.

tests/test_security_permissions.py covers the URLs without parameters. Here
the resolver is walked for every other pattern; PARAMS turns each pattern into
concrete URLs (one per object: organisation A's and B's drafts, confidential
evidence, partners' submissions and webhooks ...), and EXPECTED gives, per
pattern, object and method, the outcomes each role may get. A pattern without
a PARAMS entry, or a URL/method without an EXPECTED row, fails
`test_every_parameterised_url_has_an_expectation`, so a new URL cannot escape
the matrix. Every request runs in a savepoint that is rolled back, so a write
that is (rightly) allowed does not change what the next role sees.

Outcomes: an HTTP status, or for redirects: "login" (to the admin login),
"gone" (the admin's "this object does not exist" redirect to its index, which
is how the admin refuses an object outside the user's scope) and "moved"
(any other redirect). The workflow actions (submit, publish, return) add the
review state the assessment has after the request ("moved:submitted"), so a
refused action that redirects with an error message is told apart from one
that went through.

Besides the statuses, every page a role gets is searched for the marked
texts it must never see (another organisation's draft or confidential
evidence, another partner's submission or webhook, anything unpublished for
outsiders): `test_no_page_or_list_shows_another_organisations_private_objects`.
"""

from __future__ import annotations

import re
from collections import Counter

import pytest
from django.core.cache import cache
from django.db import transaction

from tests.security_support import iter_url_patterns
from tests.security_world import ROLES, build_world

ADMIN_MODEL = re.compile(r"^admin/(?P<app>\w+)/(?P<model>\w+)/(?P<rest>.+)$")


def outcome(response) -> str | int:
    if response.status_code != 302:
        return response.status_code
    location = response.headers["Location"]
    if location.startswith("/admin/login/"):
        return "login"
    if location == "/admin/":
        return "gone"
    return "moved"


def parameterised_routes() -> list[str]:
    return sorted(
        {
            route
            for route, _name, _pattern in iter_url_patterns()
            if "<" in route or "(" in route or ".*" in route
        }
    )


# --- Concrete URLs for each pattern -----------------------------------------------------


def _admin_object_urls(world, route: str) -> list[tuple[str, str]]:
    match = ADMIN_MODEL.match(route)
    objects = world.objects.get((match["app"], match["model"]), {})
    urls = []
    for label, obj in objects.items():
        rest = match["rest"]
        if rest.startswith("^([^/]+)/history/([^/]+)/$"):
            rest = f"{obj.pk}/history/{obj.history.latest().history_id}/"
        else:
            rest = re.sub(r"<(path:object_id|int:pk|id)>", str(obj.pk), rest)
        urls.append((label, f"/admin/{match['app']}/{match['model']}/{rest}"))
    return urls


def _by(world, app_model: str, template: str, attr: str = "pk") -> list[tuple[str, str]]:
    objects = world.objects[tuple(app_model.split("."))]
    return [(label, template.format(getattr(obj, attr))) for label, obj in objects.items()]


def _view_on_site(world, _route):
    from django.contrib.contenttypes.models import ContentType

    commitment = world.commitment
    ct = ContentType.objects.get_for_model(commitment)
    return [("A", f"/admin/r/{ct.pk}/{commitment.pk}/")]


def _media(world, _route):
    return [
        (label, f"/media/{e.file.name}")
        for label, e in world.objects[("tracker", "evidence")].items()
        if e.file
    ] + [("missing", "/media/evidence/nope.pdf")]


def _tokens(world, kind: str):
    from tracker.editorial import services as editorial

    subscription = world.objects[("editorial", "subscription")]["A"]
    token = (
        editorial.confirm_token(subscription)
        if kind == "confirm"
        else editorial.unsubscribe_token(subscription)
    )
    return [("A", f"/follow/{kind}/{token}/"), ("forged", f"/follow/{kind}/forged-token/")]


def _first(world, app_model: str):
    return next(iter(world.objects[tuple(app_model.split("."))].values()))


# (route regex, function(world, route) -> [(object label, path)]). First match wins.
PARAMS = [
    (r"^admin/r/", _view_on_site),
    (
        r"^admin/\^\(\?P<app_label>",
        lambda w, _route: (
            [(app, f"/admin/{app}/") for app in sorted({a for a, _m in w.objects} - {"partners"})]
            + [("partners", "/admin/partners/")]
        ),
    ),
    (r"^admin/\(\?P<url>", lambda w, _route: [("unknown", "/admin/no-such-page/")]),
    (r"^admin/\w+/\w+/", _admin_object_urls),
    (
        r"^api/v1/open-data/",
        lambda w, _route: [("csv", "/api/v1/open-data/csv/"), ("unknown", "/api/v1/open-data/x/")],
    ),
    (r"^api/v1/\^commitments/", lambda w, _route: [("A", f"/api/v1/commitments/{w.commitment.reference}/")]),
    (r"^api/v1/\^assessments/", lambda w, _route: _by(w, "tracker.assessment", "/api/v1/assessments/{}/")),
    (r"^api/v1/\^evidence/", lambda w, _route: _by(w, "tracker.evidence", "/api/v1/evidence/{}/")),
    (
        r"^api/v1/\^institutions/",
        lambda w, _route: _by(w, "tracker.institution", "/api/v1/institutions/{}/", "slug"),
    ),
    (
        r"^api/v1/\^frameworks/",
        lambda w, _route: _by(w, "tracker.framework", "/api/v1/frameworks/{}/", "code"),
    ),
    (r"^api/v1/\^pillars/", lambda w, _route: _by(w, "tracker.pillar", "/api/v1/pillars/{}/", "slug")),
    (r"^api/v1/\^regions/", lambda w, _route: _by(w, "tracker.region", "/api/v1/regions/{}/", "slug")),
    (
        r"^api/v1/\^indicators/",
        lambda w, _route: _by(w, "tracker.indicator", "/api/v1/indicators/{}/", "key"),
    ),
    (r"^api/v1/\^submissions/", lambda w, _route: _by(w, "partners.submission", "/api/v1/submissions/{}/")),
    (r"^api/v1/\^webhooks/", lambda w, _route: _by(w, "partners.webhookendpoint", "/api/v1/webhooks/{}/")),
    (r"^api/v1/\^\.\*", lambda w, _route: [("unknown", "/api/v1/no-such-endpoint/")]),
    (r"^commitments/<str:reference>/$", lambda w, _route: [("A", f"/commitments/{w.commitment.reference}/")]),
    (
        r"^commitments/<str:reference>/feed/$",
        lambda w, _route: [("A", f"/commitments/{w.commitment.reference}/feed/")],
    ),
    (
        r"^commitments/<str:reference>/changes/$",
        lambda w, _route: [("A", f"/commitments/{w.commitment.reference}/changes/")],
    ),
    (r"^frameworks/", lambda w, _route: _by(w, "tracker.framework", "/frameworks/{}/", "code")),
    (r"^pillars/", lambda w, _route: _by(w, "tracker.pillar", "/pillars/{}/", "slug")),
    (r"^institutions/", lambda w, _route: _by(w, "tracker.institution", "/institutions/{}/", "slug")),
    (r"^regions/", lambda w, _route: _by(w, "tracker.region", "/regions/{}/", "slug")),
    (r"^follow/confirm/", lambda w, _route: _tokens(w, "confirm")),
    (r"^follow/stop/", lambda w, _route: _tokens(w, "stop")),
    (
        r"^follow/<str:kind>/",
        lambda w, _route: [
            ("A", f"/follow/commitment/{w.commitment.reference}/"),
            ("unknown", "/follow/assessment/1/"),
        ],
    ),
    (r"^media/", _media),
]


def params_for(route: str):
    for pattern, function in PARAMS:
        if re.match(pattern, route):
            return function
    return None


def methods_for(path: str) -> tuple[str, ...]:
    if path.startswith("/api/"):
        return ("GET", "POST", "PUT", "PATCH", "DELETE")
    if path.startswith("/media/"):
        return ("GET", "POST")
    return ("GET", "POST")


WORKFLOW = re.compile(r"^/admin/tracker/assessment/(\d+)/(submit|publish|return)/$")


def request(client, method: str, path: str, data=None):
    """One request in a savepoint that is rolled back; returns the outcome
    and the response."""
    cache.clear()  # throttles
    if path.endswith("/return/"):
        data = {"comment": "Cite a second source."}  # a return needs a reason
    with transaction.atomic():
        if method in ("PUT", "PATCH"):
            response = getattr(client, method.lower())(path, data="{}", content_type="application/json")
        else:
            response = getattr(client, method.lower())(path, data or {})
        result = outcome(response)
        workflow = WORKFLOW.match(path)
        if workflow and result == "moved":
            from tracker.models import Assessment

            result = f"moved:{Assessment.objects.get(pk=workflow[1]).review_state}"
        transaction.set_rollback(True)
    return result, response


# --- Expected outcomes ------------------------------------------------------------------
# Tuples in the order of ROLES: anonymous, editor_a, editor_b, reviewer, key_a, key_b, admin.
L = "login"
ANY = r".*"
GET, POST, WRITES = r"GET", r"POST", r"POST|PUT|PATCH|DELETE"
EVERYONE = (200,) * 7
STAFF = (L, 200, 200, 200, L, L, 200)
REVIEWERS = (L, 403, 403, 200, L, L, 200)
ADMIN_ONLY = (L, 403, 403, 403, L, L, 200)
NOBODY = (L, 403, 403, 403, L, L, 403)  # read-only admin pages, no deletions, no revert
MOVED = (L, "moved", "moved", "moved", L, L, "moved")
API_CLOSED = (405,) * 7
API_404 = (404,) * 7
MODEL = r"^admin/{}/<path:object_id>/{}$"
REFERENCE = "tracker/(framework|institution|pillar|region)"
ADMIN_APPS = "(auth|axes|django_q|otp_static|otp_totp)"

# (route regex, object label regex, method regex, outcomes). First match wins.
EXPECTED: list[tuple[str, str, str, tuple]] = [
    # The admin's own catch-all, app indexes, "view on site" and the object URL without action.
    (r"^admin/\(\?P<url>", ANY, ANY, (L, 404, 404, 404, L, L, 404)),
    (r"^admin/\^\(\?P<app_label>", "tracker", ANY, STAFF),
    (r"^admin/\^\(\?P<app_label>", "partners", ANY, (L, 404, 404, 200, L, L, 200)),
    (r"^admin/\^\(\?P<app_label>", ANY, ANY, (L, 404, 404, 404, L, L, 200)),
    (r"^admin/r/", ANY, ANY, MOVED),
    (r"^admin/.+/<path:object_id>/$", ANY, ANY, MOVED),
    # Old versions can be looked at (as the history), never saved back.
    (r"^admin/.+/\^\(\[\^/\]\+\)/history/", ANY, POST, NOBODY),
    # Deletions: only of rows nothing refers to, by administrators.
    (
        MODEL.format(f"{ADMIN_APPS}/\\w+", "delete/"),
        ANY,
        ANY,
        ADMIN_ONLY,
    ),
    (MODEL.format("editorial/subscription", "delete/"), ANY, ANY, ADMIN_ONLY),
    # Organisations, memberships, pillars, regions: deletable by administrators until their
    # saves go through the services (then no deletions, like the rest of the record).
    (
        MODEL.format("tracker/(pillar|region|organisation|membership)", "delete/"),
        ANY,
        ANY,
        (L, 403, 403, 403, L, L, {200, 403}),
    ),
    (r"^admin/.+/delete/$", ANY, ANY, NOBODY),
    # Two-factor devices, accounts, lockouts, the task queue: administrators only.
    (
        r"^admin/(axes/\w+|django_q/(success|failure))/<path:object_id>/change/$",
        ANY,
        POST,
        (L, 403, 403, 403, L, L, "moved"),
    ),
    (rf"^admin/{ADMIN_APPS}/", ANY, ANY, ADMIN_ONLY),
    # Follows and the notification log: administrators read, nobody edits.
    (MODEL.format(r"editorial/\w+", "change/"), ANY, POST, NOBODY),
    (r"^admin/editorial/", ANY, ANY, ADMIN_ONLY),
    # Partners' keys, webhooks, deliveries: coordinators and administrators read; never edited here.
    (MODEL.format(r"partners/\w+", "change/"), ANY, POST, NOBODY),
    (r"^admin/partners/", ANY, ANY, REVIEWERS),
    # Reference data: staff read, coordinators change; organisations and memberships: administrators.
    (MODEL.format(REFERENCE, "change/"), ANY, POST, REVIEWERS),
    (MODEL.format("tracker/(organisation|membership)", "change/"), ANY, POST, ADMIN_ONLY),
    # Assessments: a draft is private to its organisation; nobody edits a submitted or published one.
    (r"^admin/tracker/assessment/<int:pk>/\w+/$", ANY, GET, (L, 405, 405, 405, L, L, 405)),
    (
        r"^admin/tracker/assessment/<int:pk>/submit/$",
        "draft_a",
        POST,
        (L, "moved:submitted", 404, 404, L, L, "moved:draft"),
    ),
    (
        r"^admin/tracker/assessment/<int:pk>/\w+/$",
        "draft_a",
        POST,
        (L, "moved:draft", 404, 404, L, L, "moved:draft"),
    ),
    (
        r"^admin/tracker/assessment/<int:pk>/submit/$",
        "draft_b",
        POST,
        (L, 404, "moved:submitted", 404, L, L, "moved:draft"),
    ),
    (
        r"^admin/tracker/assessment/<int:pk>/\w+/$",
        "draft_b",
        POST,
        (L, 404, "moved:draft", 404, L, L, "moved:draft"),
    ),
    (
        r"^admin/tracker/assessment/<int:pk>/\w+/$",
        "published",
        POST,
        (L, *("moved:published",) * 3, L, L, "moved:published"),
    ),
    (
        r"^admin/tracker/assessment/<int:pk>/publish/$",
        "submitted_b",
        POST,
        (L, "moved:submitted", "moved:submitted", "moved:published", L, L, "moved:published"),
    ),
    (
        r"^admin/tracker/assessment/<int:pk>/return/$",
        "submitted_b",
        POST,
        (L, "moved:submitted", "moved:submitted", "moved:returned", L, L, "moved:returned"),
    ),
    (
        r"^admin/tracker/assessment/<int:pk>/submit/$",
        "submitted_b",
        POST,
        (L, *("moved:submitted",) * 3, L, L, "moved:submitted"),
    ),
    (MODEL.format("tracker/assessment", "change/"), "draft_a", GET, (L, 200, "gone", "gone", L, L, 200)),
    (MODEL.format("tracker/assessment", "change/"), "draft_a", POST, (L, 200, "gone", "gone", L, L, 403)),
    (MODEL.format("tracker/assessment", "change/"), "draft_b", GET, (L, "gone", 200, "gone", L, L, 200)),
    (MODEL.format("tracker/assessment", "change/"), "draft_b", POST, (L, "gone", 200, "gone", L, L, 403)),
    (MODEL.format("tracker/assessment", "change/"), ANY, POST, NOBODY),
    (
        MODEL.format("tracker/assessment", "history/(diff/)?"),
        "draft_a",
        ANY,
        (L, 200, {403, 404}, {403, 404}, L, L, 200),
    ),
    (
        MODEL.format("tracker/assessment", "history/(diff/)?"),
        "draft_b",
        ANY,
        (L, {403, 404}, 200, {403, 404}, L, L, 200),
    ),
    # An old version of another organisation's draft: the same 404 as a missing one.
    (r"^admin/tracker/assessment/\^", "draft_a", GET, (L, 200, 404, 404, L, L, 200)),
    (r"^admin/tracker/assessment/\^", "draft_b", GET, (L, 404, 200, 404, L, L, 200)),
    # Confidential evidence: its organisation, coordinators (who check what they publish), administrators.
    (MODEL.format("tracker/evidence", "change/"), "secret_a", GET, (L, 200, "gone", 200, L, L, 200)),
    (MODEL.format("tracker/evidence", "change/"), "secret_a", POST, (L, 200, "gone", 403, L, L, 200)),
    (MODEL.format("tracker/evidence", "change/"), "secret_b", GET, (L, "gone", 200, 200, L, L, 200)),
    (MODEL.format("tracker/evidence", "change/"), "secret_b", POST, (L, "gone", 200, 403, L, L, 200)),
    (r"^admin/tracker/evidence/.*history", "secret_a", ANY, (L, 200, {403, 404}, 200, L, L, 200)),
    (r"^admin/tracker/evidence/.*history", "secret_b", ANY, (L, {403, 404}, 200, 200, L, L, 200)),
    # Everything else of the record: every staff member reads and edits (through the services).
    (r"^admin/tracker/", ANY, ANY, STAFF),
    # Partner API: a partner sees only its own organisation's submissions and webhooks.
    (r"^api/v1/\^submissions/", "A", GET, (401, 403, 403, 403, 200, 404, 403)),
    (r"^api/v1/\^submissions/", "B", GET, (401, 403, 403, 403, 404, 200, 403)),
    (r"^api/v1/\^submissions/", ANY, WRITES, (401, 403, 403, 403, 403, 405, 403)),  # key A reads only
    # Webhook endpoints: changing them needs the submit scope (key A reads only).
    (r"^api/v1/\^webhooks/", "A", "DELETE", (401, 403, 403, 403, 403, 404, 403)),
    (r"^api/v1/\^webhooks/", "B", "DELETE", (401, 403, 403, 403, 403, 204, 403)),
    (r"^api/v1/\^webhooks/", ANY, GET, (401, 403, 403, 403, 405, 405, 403)),
    (r"^api/v1/\^webhooks/", ANY, ANY, (401, 403, 403, 403, 403, 405, 403)),
    # Public API: read-only; unpublished assessments, unreviewed and confidential evidence: 404.
    (r"^api/v1/\^(assessments|evidence)/", "draft_.|submitted_.|secret_.|unreviewed_.", GET, API_404),
    (r"^api/v1/(open-data/|\^\.\*)", ANY, GET, API_404),  # no dump in the test run; unknown paths
    (r"^api/v1/\^\.\*", ANY, ANY, API_404),
    (r"^api/v1/", ANY, GET, EVERYONE),
    (r"^api/v1/", ANY, WRITES, API_CLOSED),
    # Evidence files: public and published to all; unpublished to staff; confidential as in the admin.
    (r"^media/", "public", GET, EVERYONE),
    (r"^media/", "unreviewed_a", GET, (404, 200, 200, 200, 404, 404, 200)),
    (r"^media/", "secret_a", GET, (404, 200, 404, 200, 404, 404, 200)),
    (r"^media/", "secret_b", GET, (404, 404, 200, 200, 404, 404, 200)),
    (r"^media/", "missing", GET, (404,) * 7),
    (r"^media/", ANY, POST, (405,) * 7),
    # Following: signed tokens; a forged one is a 400; unknown kinds 404.
    (r"^follow/(confirm|stop)/", "forged", ANY, (400,) * 7),
    (r"^follow/<str:kind>/", "unknown", ANY, (404,) * 7),
    # Public pages: read-only (require_safe), so POST is a 405; follow pages take the follow form.
    (r"^(commitments|frameworks|pillars|institutions|regions)/", ANY, GET, EVERYONE),
    (r"^(commitments|frameworks|pillars|institutions|regions)/", ANY, POST, (405,) * 7),
    (r"^follow/", ANY, ANY, EVERYONE),
]


@pytest.fixture
def world(db):
    return build_world()


def expectation(route: str, label: str, method: str) -> tuple | None:
    for pattern, labels, methods, expected in EXPECTED:
        if re.match(pattern, route) and re.fullmatch(labels, label) and re.fullmatch(methods, method):
            return expected
    return None


def matrix_urls(world):
    """(route, label, method, path) for every parameterised pattern."""
    for route in parameterised_routes():
        function = params_for(route)
        if function is None:
            yield route, None, None, None
            continue
        for label, path in function(world, route):
            for method in methods_for(path):
                yield route, label, method, path


def allowed(expected, got) -> bool:
    return got in expected if isinstance(expected, set) else got == expected


@pytest.mark.django_db
def test_every_parameterised_url_has_an_expectation(world):
    no_params = sorted({route for route, label, *_ in matrix_urls(world) if label is None})
    assert no_params == [], "add these URL patterns to PARAMS in tests/test_security_matrix.py"
    no_objects = sorted({route for route in parameterised_routes()} - {r for r, *_ in matrix_urls(world)})
    assert no_objects == [], "give these URL patterns an object in tests/security_world.py"
    missing = sorted(
        {
            (route, label, method)
            for route, label, method, _ in matrix_urls(world)
            if not expectation(route, label, method)
        }
    )
    assert missing == [], "add these to EXPECTED in tests/test_security_matrix.py"


# Texts each role must never find in any page it gets.
OUTSIDER_SECRETS = (
    "SECRET-A",
    "SECRET-B",
    "DRAFT-A",
    "DRAFT-B",
    "UNREVIEWED-A",
    "UNREVIEWED-B",
    "PARTNER-A-SUBMISSION",
    "PARTNER-B-SUBMISSION",
    "a.example",
    "b.example",
)


def hidden_from(world) -> dict[str, tuple[str, ...]]:
    """Texts each role must never find in a page: the marked titles and
    summaries, and the admin links to the private rows (lists show no summary)."""
    assessments, evidence = world.objects[("tracker", "assessment")], world.objects[("tracker", "evidence")]
    link = {
        "DRAFT-A": f"/admin/tracker/assessment/{assessments['draft_a'].pk}/change/",
        "DRAFT-B": f"/admin/tracker/assessment/{assessments['draft_b'].pk}/change/",
        "SECRET-A": f"/admin/tracker/evidence/{evidence['secret_a'].pk}/change/",
        "SECRET-B": f"/admin/tracker/evidence/{evidence['secret_b'].pk}/change/",
    }
    never = {
        "anonymous": OUTSIDER_SECRETS,
        "key_a": tuple(s for s in OUTSIDER_SECRETS if s not in ("PARTNER-A-SUBMISSION", "a.example")),
        "key_b": tuple(s for s in OUTSIDER_SECRETS if s not in ("PARTNER-B-SUBMISSION", "b.example")),
        "editor_a": ("SECRET-B", "DRAFT-B"),
        "editor_b": ("SECRET-A", "DRAFT-A"),
        "reviewer": ("DRAFT-A", "DRAFT-B"),
        "admin": (),
    }
    return {role: (*texts, *(link[t] for t in texts if t in link)) for role, texts in never.items()}


# Lists and search endpoints (no parameters in the route) searched for leaks as well.
LISTS = [
    "/",
    "/commitments/",
    "/changes/",
    "/feeds/changes/",
    "/commitments/export.csv",
    "/editorial/",
    "/admin/tracker/evidence/",
    "/admin/tracker/assessment/",
    "/admin/tracker/evidence/?q=SECRET",
    "/admin/tracker/assessment/?q=DRAFT",
    "/admin/autocomplete/?app_label=tracker&model_name=assessment&field_name=evidence&term=SECRET",
    "/admin/autocomplete/?app_label=tracker&model_name=assessment&field_name=evidence&term=UNREVIEWED",
    "/admin/autocomplete/?app_label=tracker&model_name=measurement&field_name=evidence&term=SECRET",
    "/api/v1/evidence/",
    "/api/v1/assessments/",
    "/api/v1/submissions/",
    "/api/v1/webhooks/",
]


def body(response) -> str:
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode(errors="replace")


@pytest.mark.django_db
def test_permission_matrix_with_parameters(world):
    clients, hidden = world.clients(), hidden_from(world)
    unexpected, leaks, checked = [], [], Counter()
    for route, label, method, path in matrix_urls(world):
        expected = expectation(route, label, method)
        if expected is None:
            continue  # reported by test_every_parameterised_url_has_an_expectation
        for role, want in zip(ROLES, expected, strict=True):
            got, response = request(clients[role], method, path)
            checked[method] += 1
            if not allowed(want, got):
                unexpected.append((path, method, role, got, want))
            if method == "GET" and got == 200:
                text = body(response)
                leaks += [(path, role, s) for s in hidden[role] if s in text]
    assert unexpected == []
    assert leaks == []
    total = sum(checked.values())
    print(f"parameterised permission matrix: {total} checks {dict(checked)}")
    assert total >= 1500


@pytest.mark.django_db
def test_no_page_or_list_shows_another_organisations_private_objects(world):
    clients, hidden = world.clients(), hidden_from(world)
    leaks, seen = [], Counter()
    for path in LISTS:
        for role in ROLES:
            got, response = request(clients[role], "GET", path)
            if got == 200:
                text = body(response)
                leaks += [(path, role, s) for s in hidden[role] if s in text]
                seen.update(
                    s for s in {*OUTSIDER_SECRETS, *hidden["editor_b"], *hidden["editor_a"]} if s in text
                )
    assert leaks == []
    # The searches really return private rows to those allowed to see them.
    assert {"SECRET-A", "SECRET-B", "PARTNER-A-SUBMISSION", "a.example", *hidden["reviewer"][2:]} <= set(seen)


@pytest.mark.django_db
def test_read_only_assessment_page_counts_but_never_names_another_organisations_evidence(world):
    """Found by the matrix: the read-only page of a published assessment printed
    the titles of every piece of evidence it cites, confidential ones of other
    organisations included."""
    published = world.objects[("tracker", "assessment")]["published"]
    clients = world.clients()
    for role, hidden in (("editor_b", 1), ("editor_a", 0), ("reviewer", 0)):
        client = clients[role]
        client.cookies["django_language"] = "en"
        text = body(client.get(f"/admin/tracker/assessment/{published.pk}/change/"))
        assert "PUBLIC-SOURCE" in text, role
        assert ("SECRET-A" in text) is (hidden == 0), role
        assert ("1 confidential piece of evidence of another organisation" in text) is (hidden == 1), role
        version = published.history.latest().history_id
        text = body(client.get(f"/admin/tracker/assessment/{published.pk}/history/{version}/"))
        assert "SECRET-A" not in text or role != "editor_b"
    client = clients["editor_b"]
    client.cookies["django_language"] = "fr"
    text = body(client.get(f"/admin/tracker/assessment/{published.pk}/change/"))
    assert "1 preuve confidentielle d’une autre organisation" in text and "SECRET-A" not in text


@pytest.mark.django_db
def test_history_of_another_organisations_private_object_is_the_same_404_as_a_missing_one(world):
    """A 403 on the history list said that an id was another organisation's
    draft or confidential evidence; a missing id answered 404."""
    clients = world.clients()
    assessments, evidence = world.objects[("tracker", "assessment")], world.objects[("tracker", "evidence")]
    for role, obj, model in (
        ("editor_b", assessments["draft_a"], "assessment"),
        ("editor_b", evidence["secret_a"], "evidence"),
        ("editor_a", assessments["draft_b"], "assessment"),
        ("reviewer", assessments["draft_a"], "assessment"),
    ):
        client = clients[role]
        assert client.get(f"/admin/tracker/{model}/{obj.pk}/history/").status_code == 404, (role, model)
        assert client.get(f"/admin/tracker/{model}/999999/history/").status_code == 404
        assert client.get(f"/admin/tracker/{model}/{obj.pk}/history/diff/").status_code == 404
    own = clients["editor_a"].get(f"/admin/tracker/assessment/{assessments['draft_a'].pk}/history/")
    assert own.status_code == 200
