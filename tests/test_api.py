"""The public read endpoints of /api/v1/: content, public rules, filters,
search, ordering, keyset pagination, query ceilings, conditional GET, errors."""

import base64
import datetime as dt
import json
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.api.schema import IDEMPOTENCY_KEY_SCHEMA, NO_NUL, NOT_BLANK, past_date_pattern

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def _fresh_throttles_and_english():
    cache.clear()  # throttle counters live in the cache
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def auth(raw_key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Api-Key {raw_key}"}


def login_editor(client):
    editor = f.make_editor()
    login = getattr(f, "login_staff", None)
    if login:
        login(client, editor)
    else:
        client.force_login(editor)
    return editor


@pytest.fixture
def record(db):
    """Two commitments: one with a published assessment (public + confidential
    evidence), a draft with its own evidence; one untouched."""
    editor, reviewer = f.make_editor(), f.make_reviewer()
    framework, pillar = f.make_framework(code="LPS"), f.make_pillar(slug="defence")
    region = f.make_region(slug="segou", name="Ségou")
    lead = f.make_institution(slug="mdac", acronym="MDAC")
    c1 = f.make_commitment(
        actor=editor,
        reference="LPS-2017-01",
        framework=framework,
        pillar=pillar,
        lead_institution=lead,
        regions=[region],
        title_fr="Recrutement à Ségou",
        due_date=dt.date(2020, 1, 1),
    )
    c2 = f.make_commitment(
        actor=editor,
        reference="LPS-2017-02",
        framework=f.make_framework(code="PAG"),
        pillar=pillar,
        lead_institution=lead,
        title_fr="Formation des juges",
    )
    public = f.make_evidence(c1, actor=editor, title="Public decree")
    secret = f.make_evidence(c1, actor=editor, title="Confidential memo", visibility="confidential")
    published = f.make_published_assessment(
        c1, author=editor, reviewer=reviewer, evidence=[public, secret], status="initiated"
    )
    draft_evidence = f.make_evidence(c1, actor=editor, title="Draft-only source")
    draft = f.make_assessment(c1, author=editor, evidence=[draft_evidence], status="completed")
    indicator = services.indicator_create(
        actor=editor, commitment=c1, key="recruits", name_fr="Recrues", unit="count", target_value=2000
    )
    services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2024, 1, 1), value=100, evidence=public
    )
    services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2024, 6, 1), value=200, evidence=draft_evidence
    )
    return {
        "c1": c1,
        "c2": c2,
        "public": public,
        "secret": secret,
        "published": published,
        "draft": draft,
        "draft_evidence": draft_evidence,
        "editor": editor,
    }


# --- content and public rules --------------------------------------------------------


def test_commitment_list_has_identifiers_and_absolute_urls(client, record):
    response = client.get(f"{API}/commitments/")
    assert response.status_code == 200
    body = response.json()
    assert [c["reference"] for c in body["results"]] == ["LPS-2017-01", "LPS-2017-02"]
    first = body["results"][0]
    assert first["url"] == f"{settings.SITE_URL}/api/v1/commitments/LPS-2017-01/"
    assert first["html_url"] == f"{settings.SITE_URL}/commitments/LPS-2017-01/"
    assert first["framework"] == {"code": "LPS", "url": f"{settings.SITE_URL}/api/v1/frameworks/LPS/"}
    assert first["institutions"][0]["slug"] == "mdac" and first["institutions"][0]["role"] == "lead"
    assert first["regions"][0]["slug"] == "segou"
    assert first["current_status"] == "initiated" and first["current_progress"] == 25
    assert first["overdue"] is True
    assert body["next"] is None and body["page_size"] == 50


def test_commitment_detail_shows_only_published_assessments_and_public_evidence(client, record):
    body = client.get(f"{API}/commitments/LPS-2017-01/").json()
    assert [a["id"] for a in body["assessments"]] == [record["published"].pk]
    titles = [e["title"] for e in body["assessments"][0]["evidence"]]
    assert titles == ["Public decree"]
    assert [e["title"] for e in body["evidence"]] == ["Public decree"]
    measurements = body["indicators"][0]["measurements"]
    assert measurements[0]["evidence"] == f"{settings.SITE_URL}/api/v1/evidence/{record['public'].pk}/"
    assert measurements[1]["evidence"] is None  # cites unpublished evidence: not linked
    assert "Confidential memo" not in str(body) and "Draft-only source" not in str(body)


def test_unknown_commitment_is_a_json_404(client, record):
    response = client.get(f"{API}/commitments/NOPE-1/")
    assert response.status_code == 404
    assert response.json() == {"error": {"code": "not_found", "message": "Not found.", "details": {}}}


def test_unpublished_assessment_and_hidden_evidence_are_404(client, record):
    assert client.get(f"{API}/assessments/{record['draft'].pk}/").status_code == 404
    assert client.get(f"{API}/evidence/{record['secret'].pk}/").status_code == 404
    assert client.get(f"{API}/evidence/{record['draft_evidence'].pk}/").status_code == 404
    assert client.get(f"{API}/assessments/{record['published'].pk}/").status_code == 200
    assert client.get(f"{API}/evidence/{record['public'].pk}/").status_code == 200


def test_assessment_and_evidence_lists_are_public_only(client, record):
    assessments = client.get(f"{API}/assessments/").json()["results"]
    assert [a["id"] for a in assessments] == [record["published"].pk]
    evidence = client.get(f"{API}/evidence/").json()["results"]
    assert [e["id"] for e in evidence] == [record["public"].pk]
    assert evidence[0]["commitment"]["reference"] == "LPS-2017-01"


def test_reference_resources(client, record):
    assert client.get(f"{API}/frameworks/LPS/").json()["code"] == "LPS"
    assert client.get(f"{API}/pillars/defence/").json()["url"].endswith("/api/v1/pillars/defence/")
    assert client.get(f"{API}/regions/segou/").json()["name"] == "Ségou"
    assert client.get(f"{API}/institutions/mdac/").json()["acronym"] == "MDAC"
    indicator = client.get(f"{API}/indicators/recruits/").json()
    assert [m["value"] for m in indicator["measurements"]] == ["100.00", "200.00"]
    for name in ("frameworks", "pillars", "regions", "institutions", "indicators"):
        assert client.get(f"{API}/{name}/").status_code == 200


def test_index_lists_every_resource(client, db):
    body = client.get(f"{API}/").json()
    assert body["commitments"] == f"{settings.SITE_URL}/api/v1/commitments/"
    assert {"stats", "open_data", "schema", "docs", "evidence", "submissions", "webhooks"} <= set(body)


# --- permissions: the public endpoints look the same to everyone -------------------------


@pytest.mark.parametrize("who", ["anonymous", "partner_a", "partner_b", "editor"])
def test_public_endpoints_are_the_same_for_everyone(client, record, who):
    headers = {}
    if who.startswith("partner"):
        _key, raw = f.make_api_key()
        headers = auth(raw)
    elif who == "editor":
        login_editor(client)
    body = client.get(f"{API}/commitments/LPS-2017-01/", **headers).json()
    assert [a["id"] for a in body["assessments"]] == [record["published"].pk]
    assert [e["id"] for e in client.get(f"{API}/evidence/", **headers).json()["results"]] == [
        record["public"].pk
    ]


# --- filters, search, ordering ------------------------------------------------------------


def test_commitment_filters_are_the_public_lists(client, record):
    def refs(query):
        response = client.get(f"{API}/commitments/?{query}")
        assert response.status_code == 200, response.json()
        return [c["reference"] for c in response.json()["results"]]

    assert refs("framework=PAG") == ["LPS-2017-02"]
    assert refs("framework=PAG&framework=LPS") == ["LPS-2017-01", "LPS-2017-02"]
    assert refs("status=initiated") == ["LPS-2017-01"]
    assert refs("region=segou") == ["LPS-2017-01"]
    assert refs("institution=mdac") == ["LPS-2017-01", "LPS-2017-02"]
    assert refs("overdue=true") == ["LPS-2017-01"]
    assert refs("q=segou") == ["LPS-2017-01"]  # accent-insensitive search
    assert refs("ordering=-reference") == ["LPS-2017-02", "LPS-2017-01"]


def test_other_filtersets(client, record):
    assert len(client.get(f"{API}/assessments/?commitment=LPS-2017-01").json()["results"]) == 1
    assert client.get(f"{API}/assessments/?commitment=LPS-2017-02").json()["results"] == []
    assert len(client.get(f"{API}/evidence/?q=decree").json()["results"]) == 1
    assert client.get(f"{API}/evidence/?kind=dataset").json()["results"] == []
    assert len(client.get(f"{API}/indicators/?commitment=LPS-2017-01").json()["results"]) == 1
    assert len(client.get(f"{API}/institutions/?q=mdac").json()["results"]) == 1


@pytest.mark.parametrize(
    "query, field",
    [
        ("framework=UNKNOWN", "framework"),
        ("status=flying", "status"),
        ("due_after=not-a-date", "due_after"),
        ("overdue=maybe", "overdue"),
        ("colour=red", "colour"),
        ("ordering=current_status", "ordering"),
        ("page_size=201", "page_size"),
        ("page_size=0", "page_size"),
        ("page_size=abc", "page_size"),
        ("cursor=%%%garbage", "cursor"),
    ],
)
def test_bad_query_values_are_400_with_the_error_shape(client, record, query, field):
    response = client.get(f"{API}/commitments/?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid" and error["message"] == "The request is not valid."
    assert field in error["details"]


def test_unknown_api_address_is_json(client, db):
    response = client.get("/api/v2/commitments/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


# --- pagination ---------------------------------------------------------------------------------


def test_keyset_pages_cover_everything_once_in_every_ordering(client, db):
    editor = f.make_editor()
    framework, pillar, lead = f.make_framework(), f.make_pillar(), f.make_institution()
    for i in range(7):
        f.make_commitment(
            actor=editor,
            reference=f"K-{i:02d}",
            framework=framework,
            pillar=pillar,
            lead_institution=lead,
            due_date=None if i % 3 == 0 else dt.date(2025, 1, 1 + i % 2),
        )
    for ordering in ("reference", "-reference", "due_date", "-due_date", "progress", "-title"):
        seen, url = [], f"{API}/commitments/?page_size=3&ordering={ordering}"
        while url:
            body = client.get(url).json()
            assert len(body["results"]) <= 3
            seen += [c["reference"] for c in body["results"]]
            url = body["next"]
        assert sorted(seen) == [f"K-{i:02d}" for i in range(7)], ordering
        assert len(seen) == 7


def _forged_cursor(ordering: str, value: object, tie: object) -> str:
    raw = json.dumps({"o": ordering, "v": value, "t": tie}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    "path, ordering, value, tie",
    [
        ("commitments", "progress", "abc", "LPS-2017-01"),  # was a 500
        ("pillars", "order", "zz", "defence"),  # was a 500
        ("commitments", "due_date", "not-a-date", "LPS-2017-01"),  # was a 400 without "cursor"
        ("assessments", "published", "2024-01-01T00:00:00+00:00", "x"),
        ("evidence", "id", 1, "2024-01-01"),
        ("commitments", "reference", "LPS\x00", "LPS\x00"),  # PostgreSQL refuses NUL: a 500 there
    ],
)
def test_a_forged_cursor_is_a_400_naming_the_cursor(client, record, path, ordering, value, tie):
    cursor = _forged_cursor(ordering, value, tie)
    response = client.get(f"{API}/{path}/?ordering={ordering}&cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"cursor": ["This cursor is not valid."]}


def test_cursor_is_bound_to_its_ordering(client, record):
    next_url = client.get(f"{API}/commitments/?page_size=1").json()["next"]
    cursor = next_url.split("cursor=")[1]
    response = client.get(f"{API}/commitments/?page_size=1&ordering=-reference&cursor={cursor}")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["cursor"] == ["This cursor was made for another ordering."]


# --- query counts: constant in the number of rows ---------------------------------------------------


def _build(n):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    framework, pillar, lead = f.make_framework(), f.make_pillar(), f.make_institution()
    for _ in range(n):
        c = f.make_commitment(
            actor=editor,
            framework=framework,
            pillar=pillar,
            lead_institution=lead,
            supporting_institutions=[f.make_institution()],
            regions=[f.make_region()],
        )
        f.make_published_assessment(c, author=editor, reviewer=reviewer)
        f.make_published_assessment(c, author=editor, reviewer=reviewer, as_of=dt.date(2024, 7, 1))
        indicator = services.indicator_create(
            actor=editor, commitment=c, key=f"ind-{c.pk}", name_fr="Indicateur", unit="count"
        )
        services.measurement_record(
            actor=editor, indicator=indicator, measured_on=dt.date(2024, 1, 1), value=1
        )
    return c


@pytest.mark.parametrize("n", [4, 12])
@pytest.mark.parametrize(
    "path, ceiling",
    [
        ("commitments/", 6),
        ("assessments/", 4),
        ("evidence/", 3),
        ("indicators/", 3),
        ("institutions/", 2),
        ("frameworks/", 2),
        ("pillars/", 1),
        ("regions/", 1),
        ("commitments/?q=engagement&status=initiated&overdue=false&top_level=true&ordering=-progress", 6),
        ("commitments/?as_of=2024-06-15&wps=false&ordering=-updated&page_size=200", 6),
        ("assessments/?status=initiated&as_of_after=2024-01-01&ordering=published", 4),
        ("stats/", 12),
        ("stats/?as_of=2024-06-15", 12),
    ],
)
@pytest.mark.usefixtures("render_every_time")
def test_list_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries, n, path, ceiling):
    _build(n)
    with django_assert_max_num_queries(ceiling):
        response = client.get(f"{API}/{path}")
    assert response.status_code == 200


@pytest.mark.parametrize("n", [2, 6])
def test_detail_query_count_does_not_grow_with_assessments(client, django_assert_max_num_queries, n):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor)
    for i in range(n):
        f.make_published_assessment(c, author=editor, reviewer=reviewer, as_of=dt.date(2024, 1, 1 + i))
    with django_assert_max_num_queries(11):
        body = client.get(f"{API}/commitments/{c.reference}/").json()
    assert len(body["assessments"]) == n


def test_keyed_request_query_count_is_constant(client, django_assert_max_num_queries, db):
    _build(3)
    _key, raw = f.make_api_key()
    client.get(f"{API}/commitments/", **auth(raw))  # records the last use once
    with django_assert_max_num_queries(7):  # + one for the key
        assert client.get(f"{API}/commitments/", **auth(raw)).status_code == 200


# --- stats ---------------------------------------------------------------------------------------


def test_stats_now_and_as_of(client, record):
    now = client.get(f"{API}/stats/").json()
    assert now["total"] == 2 and now["by_status"]["initiated"] == 1 and now["by_status"]["not_started"] == 1
    assert now["overdue"] == 1 and now["average_progress"] == 12
    pillar = now["by_pillar"][0]
    assert pillar["key"] == "defence" and pillar["total"] == 2
    assert pillar["url"] == f"{settings.SITE_URL}/api/v1/pillars/defence/"
    assert {r["key"] for r in now["by_framework"]} == {"LPS", "PAG"}
    assert [r["key"] for r in now["by_institution"]] == ["mdac"]
    assert [(r["key"], r["total"]) for r in now["by_region"]] == [("segou", 1)]
    before = client.get(f"{API}/stats/?as_of=2024-05-31").json()  # the assessment is as of 2024-06-01
    assert before["as_of"] == "2024-05-31" and before["by_status"]["initiated"] == 0
    assert before["by_status"]["not_started"] == 2
    assert client.get(f"{API}/stats/?as_of=yesterday").status_code == 400


@pytest.mark.parametrize(
    "as_of, message",
    [
        ("2999-01-01", "Choose a date that is not in the future."),
        ("0001-01-01", "Choose a date after 1 January 1990."),
        ("2024-02-30", "Enter a valid date (YYYY-MM-DD)."),
    ],
)
def test_stats_as_of_is_checked_as_the_dashboard_checks_it(client, record, as_of, message):
    """It answered 200 with aggregates for the year 2999 and for year 1."""
    response = client.get(f"{API}/stats/?as_of={as_of}")
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"as_of": [message]}


def test_stats_date_error_is_in_french(record):
    response = Client(HTTP_ACCEPT_LANGUAGE="fr").get(f"{API}/stats/?as_of=2999-01-01")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == "La requête n’est pas valide."
    assert error["details"] == {"as_of": ["Choisissez une date qui n’est pas dans le futur."]}


# --- conditional GET -----------------------------------------------------------------------------


def test_etag_and_last_modified_give_304(client, record):
    first = client.get(f"{API}/commitments/LPS-2017-01/")
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and last_modified.endswith("GMT")
    again = client.get(f"{API}/commitments/LPS-2017-01/", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == etag
    since = client.get(f"{API}/commitments/LPS-2017-01/", HTTP_IF_MODIFIED_SINCE=last_modified)
    assert since.status_code == 304
    stale = client.get(f"{API}/commitments/LPS-2017-01/", HTTP_IF_NONE_MATCH='"other"')
    assert stale.status_code == 200


def test_etag_changes_when_the_record_does(client, record):
    etag = client.get(f"{API}/evidence/").json() and client.get(f"{API}/evidence/")["ETag"]
    services.evidence_update(actor=record["editor"], evidence=record["public"], title="Amended decree")
    response = client.get(f"{API}/evidence/", HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and response["ETag"] != etag


# --- schema and docs -----------------------------------------------------------------------------


def test_schema_documents_every_endpoint_and_the_error_body(client, db):
    response = client.get("/api/schema/?format=json", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    for path in (
        "/api/v1/commitments/",
        "/api/v1/commitments/{reference}/",
        "/api/v1/stats/",
        "/api/v1/submissions/",
        "/api/v1/webhooks/",
        "/api/v1/open-data/",
    ):
        assert path in paths, path
    listing = paths["/api/v1/commitments/"]["get"]
    assert {"400", "401", "403", "429", "304", "414"} <= set(listing["responses"])
    # gunicorn answers an over-long request line itself: every operation says so.
    for operations in paths.values():
        for operation in operations.values():
            assert "414" in operation["responses"]
    assert "Error" in schema["components"]["schemas"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"cursor", "page_size", "ordering", "framework", "status", "q"} <= names


def _schema(client) -> dict:
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return response.json()


def test_schema_request_bodies_say_what_validation_accepts(client, db):
    """schemathesis warned that POST /submissions/ mostly rejected the data it
    generated from the schema: unknown fields, blank text, NUL characters,
    dates outside 1960..today and odd URL schemes were allowed by the schema
    and refused by the API."""
    schemas = _schema(client)["components"]["schemas"]
    for name in ("SubmissionInputRequest", "AssessmentInputRequest", "EvidenceInputRequest"):
        assert schemas[name]["additionalProperties"] is False, name
    assert schemas["WebhookEndpointInputRequest"]["additionalProperties"] is False
    submission = schemas["SubmissionInputRequest"]["properties"]
    assert submission["commitment"]["maxLength"] == 40
    assessment = schemas["AssessmentInputRequest"]["properties"]
    assert assessment["as_of"]["pattern"] == past_date_pattern()
    assert assessment["summary_en"]["oneOf"][0]["pattern"] == NO_NUL
    assert assessment["summary_en"]["oneOf"][1] == {"type": "string", "maxLength": 0}
    evidence = schemas["EvidenceInputRequest"]["properties"]
    assert evidence["title"]["pattern"] == NOT_BLANK
    assert evidence["published_on"]["pattern"] == past_date_pattern()
    assert evidence["url"]["oneOf"][0]["pattern"].startswith("^(http|https|ftp|ftps)://")
    webhook = schemas["WebhookEndpointInputRequest"]["properties"]["url"]
    assert webhook["pattern"].startswith("^(https)://")


@pytest.mark.parametrize(
    "value, valid",
    [("1960-01-01", True), ("1959-12-31", False), ("2024-02-29", True), ("2024-13-01", False), ("", False)],
)
def test_past_date_pattern_covers_1960_to_this_year(value, valid):
    assert bool(re.match(past_date_pattern(), value)) is valid
    this_year = dt.date.today().year
    assert re.match(past_date_pattern(), f"{this_year}-01-01")
    assert not re.match(past_date_pattern(), f"{this_year + 1}-01-01")


@pytest.mark.parametrize(
    "pattern, value, valid",
    [
        (NOT_BLANK, "Décret", True),
        (NOT_BLANK, "   ", False),
        (NOT_BLANK, "a\x00b", False),
        (NO_NUL, "  ", True),  # trimmed to blank, which the field allows
        (NO_NUL, "a\x00", False),
        (IDEMPOTENCY_KEY_SCHEMA["pattern"], "7b0e6a2c-4f0e", True),
        (IDEMPOTENCY_KEY_SCHEMA["pattern"], " padded ", False),
        (IDEMPOTENCY_KEY_SCHEMA["pattern"], "clé", False),
    ],
)
def test_input_patterns(pattern, value, valid):
    assert bool(re.match(pattern, value)) is valid


def test_every_error_status_has_the_error_body_and_an_example(client, db):
    paths = _schema(client)["paths"]
    for path, operations in paths.items():
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if code < "400" or code == "414":
                    continue
                media = response["content"]["application/json"]
                assert media["schema"] == {"$ref": "#/components/schemas/Error"}, (path, method, code)
                (example,) = media["examples"].values()
                assert set(example["value"]["error"]) == {"code", "message", "details"}
            if method in ("post", "delete"):
                assert "413" in operation["responses"], (path, method)
            assert operation["responses"]["429"]["headers"]["Retry-After"]["schema"]["type"] == "integer"
    (fmt,) = paths["/api/v1/open-data/{fmt}/"]["get"]["parameters"]
    assert fmt["schema"] == {"type": "string", "enum": ["csv", "json"]}
    # What the downloads are served as (schemathesis checks the Content-Type).
    download = paths["/api/v1/open-data/{fmt}/"]["get"]["responses"]["200"]["content"]
    assert set(download) == {"application/json", "application/zip"}
    post = paths["/api/v1/submissions/"]["post"]
    (header,) = [p for p in post["parameters"] if p["name"] == "Idempotency-Key"]
    assert header["schema"] == IDEMPOTENCY_KEY_SCHEMA


def test_the_schemas_example_submission_is_accepted(client, record):
    """The example in the schema is a working request (schemathesis sends it)."""
    post = _schema(client)["paths"]["/api/v1/submissions/"]["post"]
    (example,) = post["requestBody"]["content"]["application/json"]["examples"].values()
    _key, raw = f.make_api_key(scope="submit")
    response = client.post(
        f"{API}/submissions/", data=example["value"], content_type="application/json", **auth(raw)
    )
    assert response.status_code == 201, response.content
    assert response.json()["review_state"] == "submitted"
    assert "201" in post["responses"] and post["responses"]["201"]["content"]["application/json"]["examples"]


def test_docs_are_served_locally_without_a_cdn(client, db):
    response = client.get("/api/docs/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "http://" not in html and "https://" not in html  # no asset from another host
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle." in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and b"/api/schema/" in script.content


def test_an_unexpected_error_is_a_json_500(client, db, monkeypatch):
    from tracker.api import selectors

    def broken():
        raise RuntimeError("bug")

    monkeypatch.setattr(selectors, "regions", broken)
    response = client.get(f"{API}/regions/")
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "server_error", "message": "Server error.", "details": {}}}


def test_as_of_filter_shows_the_status_of_that_date(client, record):
    body = client.get(f"{API}/commitments/?as_of=2024-05-31").json()
    first = body["results"][0]
    assert first["current_status"] == "initiated"  # today
    assert (first["shown_status"], first["shown_progress"]) == ("not_started", 0)  # on 31 May 2024
    assert client.get(f"{API}/commitments/?as_of=2024-05-31&status=initiated").json()["results"] == []
    now = client.get(f"{API}/commitments/LPS-2017-01/").json()
    assert (now["shown_status"], now["shown_progress"]) == ("initiated", 25)
