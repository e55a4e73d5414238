"""Partners' submissions: into the review queue (never published), attributed
to the partner; Idempotency-Key; a partner never sees another's."""

import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.models import Assessment, Evidence
from tracker.partners.models import IdempotencyRecord

pytestmark = pytest.mark.django_db

URL = "/api/v1/submissions/"


@pytest.fixture(autouse=True)
def _fresh_cache_and_english():
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def client():
    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def commitment(db):
    return f.make_commitment(reference="LPS-2017-04")


@pytest.fixture
def partner_a(db):
    org = f.make_partner(slug="partner-a")
    _key, raw = f.make_api_key(org, scope="submit")
    return org, raw


@pytest.fixture
def partner_b(db):
    org = f.make_partner(slug="partner-b")
    _key, raw = f.make_api_key(org, scope="submit")
    return org, raw


def body(**overrides):
    return f.submission_body(**overrides)


def post(client, raw, data, **headers):
    return client.post(
        URL,
        data=json.dumps(data),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
        **headers,
    )


def test_submission_enters_the_review_queue_attributed_to_the_partner(client, commitment, partner_a):
    org, raw = partner_a
    response = post(client, raw, body())
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["review_state"] == "submitted" and data["published_at"] is None
    assert response["Location"] == data["url"]
    assessment = Assessment.objects.get(pk=data["id"])
    assert assessment.review_state == Assessment.ReviewState.SUBMITTED
    assert assessment.organisation == org and assessment.author.username == "partner-partner-a"
    assert assessment.progress == 25 and assessment.submitted_at is not None
    evidence = Evidence.objects.get()
    assert evidence.organisation == org and list(assessment.evidence.all()) == [evidence]
    commitment.refresh_from_db()
    assert commitment.current_status == "not_started"  # nothing published
    assert client.get("/api/v1/assessments/").json()["results"] == []
    assert client.get("/api/v1/evidence/").json()["results"] == []


def test_a_reviewer_can_publish_a_partner_submission(client, commitment, partner_a):
    _org, raw = partner_a
    data = post(client, raw, body()).json()
    services.assessment_publish(actor=f.make_reviewer(), assessment=Assessment.objects.get(pk=data["id"]))
    assert [a["id"] for a in client.get("/api/v1/assessments/").json()["results"]] == [data["id"]]
    assert client.get(f"{URL}{data['id']}/", HTTP_AUTHORIZATION=f"Api-Key {raw}").json()["review_state"] == (
        "published"
    )


def test_partner_sees_its_own_submissions_never_anothers(client, commitment, partner_a, partner_b):
    _a, raw_a = partner_a
    _b, raw_b = partner_b
    mine = post(client, raw_a, body()).json()
    theirs = post(client, raw_b, body()).json()
    listed = client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {raw_a}").json()["results"]
    assert [s["id"] for s in listed] == [mine["id"]]
    assert client.get(f"{URL}{theirs['id']}/", HTTP_AUTHORIZATION=f"Api-Key {raw_a}").status_code == 404
    assert client.get(f"{URL}{mine['id']}/", HTTP_AUTHORIZATION=f"Api-Key {raw_a}").status_code == 200


def test_permissions_anonymous_read_scope_and_editor(client, commitment):
    anonymous = client.post(URL, data=json.dumps(body()), content_type="application/json")
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["message"] == "Authentication credentials were not provided."
    _key, read_raw = f.make_api_key(scope="read")
    read = post(client, read_raw, body())
    assert read.status_code == 403
    assert read.json()["error"]["message"] == (
        "This API key has the read scope; submitting needs a key with the submit scope."
    )
    assert client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {read_raw}").status_code == 200
    editor = f.make_editor()
    editor_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    editor_client.force_login(editor)
    response = editor_client.get(URL)
    assert response.status_code == 403
    assert response.json()["error"]["message"] == "This endpoint needs a partner organisation's API key."
    assert Assessment.objects.count() == 0


# --- idempotency ----------------------------------------------------------------------------------


def test_retry_with_the_same_key_returns_the_first_response(client, commitment, partner_a):
    _org, raw = partner_a
    first = post(client, raw, body(), HTTP_IDEMPOTENCY_KEY="abc-123")
    again = post(client, raw, body(), HTTP_IDEMPOTENCY_KEY="abc-123")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert Assessment.objects.count() == 1 and Evidence.objects.count() == 1
    assert IdempotencyRecord.objects.get().key == "abc-123"


def test_same_key_with_another_body_is_422(client, commitment, partner_a):
    _org, raw = partner_a
    post(client, raw, body(), HTTP_IDEMPOTENCY_KEY="k1")
    other = body(assessment={"status": "in_progress", "as_of": "2025-03-01"})
    response = post(client, raw, other, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "idempotency_key_reused",
        "message": "This Idempotency-Key was already used for a different request; use a new key.",
        "details": {},
    }
    assert Assessment.objects.count() == 1


def test_without_a_key_each_post_creates(client, commitment, partner_a):
    _org, raw = partner_a
    post(client, raw, body())
    post(client, raw, body())
    assert Assessment.objects.count() == 2


def test_keys_are_per_organisation(client, commitment, partner_a, partner_b):
    post(client, partner_a[1], body(), HTTP_IDEMPOTENCY_KEY="same")
    response = post(client, partner_b[1], body(), HTTP_IDEMPOTENCY_KEY="same")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Assessment.objects.count() == 2


def test_a_failed_request_stores_nothing_and_can_be_retried_with_the_key(client, commitment, partner_a):
    _org, raw = partner_a
    bad = post(client, raw, body(commitment="NOPE"), HTTP_IDEMPOTENCY_KEY="retry-me")
    assert bad.status_code == 400 and IdempotencyRecord.objects.count() == 0
    good = post(client, raw, body(commitment="NOPE"), HTTP_IDEMPOTENCY_KEY="retry-me")
    assert good.status_code == 400  # same bad body: same answer, still nothing stored
    assert post(client, raw, body(), HTTP_IDEMPOTENCY_KEY="fresh").status_code == 201


def test_oversized_idempotency_key_is_400(client, commitment, partner_a):
    response = post(client, partner_a[1], body(), HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {
        "Idempotency-Key": ["Use 1 to 255 printable ASCII characters."]
    }


# --- malformed input: 400, never 500, nothing written -----------------------------------------------


@pytest.mark.parametrize(
    "payload, field, message",
    [
        (body(colour="red"), "colour", ["Unknown field."]),
        (body(commitment="NOPE-1"), "commitment", ["Object with reference=NOPE-1 does not exist."]),
        (body(evidence=[]), "evidence", ["Ensure this field has at least 1 elements."]),
        (body(assessment={"status": "flying", "as_of": "2025-01-01"}), "assessment", None),
        (
            body(assessment={"status": "initiated", "as_of": "2025-01-01", "progress": 90}),
            "progress",
            ["For the status “Initiated” the progress must be between 25% and 49%."],
        ),
        ([1, 2], "non_field_errors", None),
    ],
)
def test_invalid_bodies_are_400_and_write_nothing(client, commitment, partner_a, payload, field, message):
    response = post(client, partner_a[1], payload)
    assert response.status_code == 400, response.content
    details = response.json()["error"]["details"]
    assert field in details
    if message:
        assert details[field] == message
    assert Assessment.objects.count() == 0 and Evidence.objects.count() == 0


def test_malformed_json_is_400(client, commitment, partner_a):
    response = client.post(
        URL, data="{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {partner_a[1]}"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_malformed_json_message_is_translated_not_pythons(commitment, partner_a):
    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    response = french.post(
        URL, data="{not json", content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {partner_a[1]}"
    )
    assert response.status_code == 400
    # Needs the French of /tmp/api/fr.po merged into the catalogue.
    assert response.json()["error"] == {
        "code": "parse_error",
        "message": "Le corps de la requête n’est pas du JSON valide.",
        "details": {},
    }


def test_oversized_body_is_a_json_413_not_a_500(client, commitment, partner_a, settings):
    """Found by hand: a body over DATA_UPLOAD_MAX_MEMORY_SIZE raised Django's
    RequestDataTooBig inside DRF's parser, which answered 500."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = body(assessment={"status": "initiated", "as_of": "2025-03-01", "summary_en": "x" * 2000})
    response = post(client, partner_a[1], big, HTTP_IDEMPOTENCY_KEY="big-1")
    assert response.status_code == 413
    assert response.json()["error"] == {
        "code": "payload_too_large",
        "message": "The request body is too large: the API accepts at most 1000\xa0bytes.",
        "details": {},
    }
    assert Assessment.objects.count() == 0 and IdempotencyRecord.objects.count() == 0
    webhook = client.post(
        "/api/v1/webhooks/",
        data=json.dumps({"url": "https://93.184.216.34/" + "x" * 2000}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {partner_a[1]}",
    )
    assert webhook.status_code == 413


@pytest.mark.parametrize("path", [URL, "/api/v1/webhooks/"])
def test_json_nested_too_deeply_is_400_not_500(client, commitment, partner_a, path):
    """Found by hand: [[[[...]]]] past Python's recursion limit made json.loads
    raise RecursionError, which DRF's parser does not catch: a 500."""
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post(
        path, data=deep, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {partner_a[1]}"
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": "parse_error",
        "message": "The request body is nested too deeply.",
        "details": {},
    }
    assert Assessment.objects.count() == 0


@pytest.mark.parametrize("value", [["LPS-2017-04"], {"a": 1}, 17, "[" * 400 + "]" * 400])
def test_a_commitment_that_is_not_a_string_is_400(client, commitment, partner_a, value):
    if isinstance(value, str):
        value = json.loads(value)  # a list 400 deep: Django's lookup recursed into it (a 500)
    response = post(client, partner_a[1], body(commitment=value))
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"commitment": ["Invalid value."]}
    assert Assessment.objects.count() == 0


def test_form_encoded_body_is_415(client, commitment, partner_a):
    response = client.post(URL, data={"commitment": "x"}, HTTP_AUTHORIZATION=f"Api-Key {partner_a[1]}")
    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"


@pytest.mark.parametrize("n", [2, 6])
def test_submission_list_query_count_is_constant(
    client, commitment, partner_a, django_assert_max_num_queries, n
):
    for _ in range(n):
        post(client, partner_a[1], body())
    with django_assert_max_num_queries(5):
        response = client.get(URL, HTTP_AUTHORIZATION=f"Api-Key {partner_a[1]}")
    assert len(response.json()["results"]) == n
