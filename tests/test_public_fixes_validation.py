"""The public list, its CSV export, its feed and the API check their query
string as the dashboard and the commitment page do: a future or pre-1990
`as_of` date, a due-date range that cannot match, and a boolean that is
neither true nor false are a 400 with a translated message (the public pages'
error page, the API's JSON error shape), never a silent 200."""

from __future__ import annotations

import datetime as dt

import pytest

from tests import factories as f
from tests.test_public_fixes_dates import french_catalog  # noqa: F401 (fixture)

LIST, EXPORT, FEED = "/commitments/", "/commitments/export.csv", "/commitments/feed/"
API = "/api/v1/commitments/"

FUTURE = "Choisissez une date qui n’est pas dans le futur."
TOO_EARLY = "Choisissez une date postérieure au 1er janvier 1990."
EMPTY_RANGE = (
    "Échéance le ou avant le\u00a0: Cette date est antérieure à la date « Échéance le ou après le » :"
    " aucun engagement ne peut correspondre."
)
NOT_BOOLEAN = "Utilisez true ou false."


@pytest.fixture
def record(db):
    return f.make_public_record(1)[0]


CASES = [
    ("as_of=2999-01-01", "as_of", f"À la date du\u00a0: {FUTURE}"),
    ("as_of=0001-01-01", "as_of", f"À la date du\u00a0: {TOO_EARLY}"),
    ("due_after=2030-01-01&due_before=2010-01-01", "due_before", EMPTY_RANGE),
    ("wps=maybe", "wps", f"Femmes, paix et sécurité\u00a0: {NOT_BOOLEAN}"),
    ("overdue=maybe", "overdue", f"En retard\u00a0: {NOT_BOOLEAN}"),
    ("top_level=perhaps", "top_level", f"Engagements de premier niveau seulement\u00a0: {NOT_BOOLEAN}"),
]


@pytest.mark.usefixtures("french_catalog")
@pytest.mark.parametrize(("query", "field", "message"), CASES)
def test_public_list_and_csv_answer_400_with_the_message(client, record, query, field, message):
    for path in (LIST, EXPORT):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, path
        assert response["Content-Type"].startswith("text/html")
        assert message in response.content.decode()


@pytest.mark.parametrize(("query", "field", "message"), CASES)
def test_feed_answers_400(client, record, query, field, message):
    assert client.get(f"{FEED}?{query}").status_code == 400


@pytest.mark.usefixtures("french_catalog")
@pytest.mark.parametrize(("query", "field", "message"), CASES)
def test_api_answers_400_in_its_error_shape(client, record, query, field, message):
    response = client.get(f"{API}?{query}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"] == "La requête n’est pas valide."
    # The field's label is the key, not part of the message.
    expected = message.split("\u00a0: ", 1)[1]
    assert error["details"] == {field: [expected]}


def test_api_range_message_in_english(client, record):
    response = client.get(f"{API}?due_after=2030-01-01&due_before=2010-01-01", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["error"]["details"] == {
        "due_before": ["This date is earlier than the “Due on or after” date, so no commitment can match."]
    }


@pytest.mark.parametrize(
    "query",
    [
        "as_of=2024-06-01",
        "as_of=1990-01-01",
        f"as_of={dt.date.today().isoformat()}",
        "due_after=2010-01-01&due_before=2030-01-01",
        "due_after=2025-01-01&due_before=2025-01-01",
        "wps=true&overdue=false&top_level=1",
        "wps=&overdue=",  # the public form's "All"
        "wps=TRUE&overdue=0",
    ],
)
def test_good_values_still_pass(client, record, query):
    for path in (LIST, EXPORT, FEED):
        assert client.get(f"{path}?{query}").status_code == 200, path


def test_good_range_still_filters(client, record):
    # make_public_record's commitments are due on 2025-01-01.
    response = client.get(f"{API}?due_after=2025-01-01&due_before=2025-01-01")
    assert [c["reference"] for c in response.json()["results"]] == [record.reference]
    response = client.get(f"{API}?due_after=2025-01-02&due_before=2026-01-01")
    assert response.json()["results"] == []


def test_the_dashboard_is_served_by_tracker_dashboard_only():
    """The old `home` view in tracker/views.py was dead code (the URL points
    at tracker.dashboard.home): removed, so there is one dashboard view."""
    from django.urls import resolve

    from tracker import dashboard, views

    assert not hasattr(views, "home")
    assert resolve("/").func is dashboard.home
