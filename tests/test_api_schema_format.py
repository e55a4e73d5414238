"""The schema answers in the format asked for: `?format=json` is JSON (it
answered YAML), `?format=yaml` and the default are YAML, Accept still works."""

import json

import pytest
import yaml


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("?format=json", None, "json"),
        ("?format=yaml", None, "yaml"),
        ("", None, "yaml"),
        ("", "application/json", "json"),
        ("?format=nonsense", None, "yaml"),
    ],
)
def test_schema_format(client, query, accept, expected):
    headers = {"Accept": accept} if accept else {}
    response = client.get(f"/api/schema/{query}", headers=headers)
    assert response.status_code == 200
    body = response.content.decode()
    if expected == "json":
        assert "json" in response["Content-Type"]
        assert json.loads(body)["openapi"].startswith("3.")
    else:
        assert "yaml" in response["Content-Type"] or "openapi" in response["Content-Type"]
        assert body.lstrip().startswith("openapi:")
        assert yaml.safe_load(body)["openapi"].startswith("3.")


@pytest.mark.django_db
def test_schema_descriptions_follow_the_readers_language(client):
    """Help texts are translated when the schema is built, not once at import
    (they stayed in the language active at start-up: French)."""
    english = client.get("/api/schema/?format=json", headers={"Accept-Language": "en"}).content.decode()
    french = client.get("/api/schema/?format=json", headers={"Accept-Language": "fr"}).content.decode()
    assert "Filter, search and sort like the public list." in english
    assert "Filter, search and sort like the public list." not in french
