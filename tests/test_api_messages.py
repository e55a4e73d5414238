"""The API's error messages have one definition each: the OpenAPI examples
read them where the API raises them, and the JSON parser's errors are the
project's own (translated), not DRF's English prefix."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tests import factories as f
from tracker.api.authentication import INVALID_KEY
from tracker.api.errors import too_large_message
from tracker.api.permissions import CanSubmit
from tracker.partners.services import KEY_IN_FLIGHT, KEY_REUSED

pytestmark = pytest.mark.django_db
URL = "/api/v1/submissions/"


@pytest.fixture
def submit_key(db):
    _key, raw = f.make_api_key(f.make_partner(slug="partner-m"), scope="submit")
    return raw


def _examples(client) -> dict:
    schema = client.get("/api/schema/?format=json", HTTP_ACCEPT="application/json").json()
    found = {}
    for item in schema["paths"].values():
        for operation in item.values():
            for code, response in operation.get("responses", {}).items():
                for media in response.get("content", {}).values():
                    for example in media.get("examples", {}).values():
                        error = example.get("value", {}).get("error")
                        if error:
                            found[code] = error["message"]
    return found


def test_schema_error_examples_are_the_messages_the_api_sends(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    examples = _examples(Client(HTTP_ACCEPT_LANGUAGE="fr"))  # examples stay in English
    with translation.override("en"):
        assert examples["401"] == "This API key is invalid, expired or revoked." == str(INVALID_KEY)
        assert examples["403"].startswith("This API key has the read scope")
        assert examples["403"] == str(CanSubmit.message)
        assert examples["409"] == str(KEY_IN_FLIGHT) and examples["422"] == str(KEY_REUSED)
        # The limit in force, not a number written in the schema module.
        assert examples["413"] == "The request body is too large: the API accepts at most 1000\xa0bytes."
        assert examples["413"] == too_large_message()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"a": NaN}', b"\xff\xfe{}"],
    ids=["syntax", "nan", "not-utf8"],
)
def test_bodies_that_are_not_json_are_a_translated_400(submit_key, body):
    response = Client(HTTP_ACCEPT_LANGUAGE="fr").post(
        URL, data=body, content_type="application/json", HTTP_AUTHORIZATION=f"Api-Key {submit_key}"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"
    assert response.json()["error"]["message"] == "Le corps de la requête n’est pas du JSON valide."
