"""Dashboard and tracker.stats: breakdowns, overdue, latest changes, trend,
time travel, text alternatives of the charts, query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests import factories as f
from tracker import stats

HOME = reverse("tracker:home")


@pytest.fixture
def world(db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    pillar = f.make_pillar(slug="police", name_fr="Police et sécurité intérieure", name_en="Police")
    framework = f.make_framework(code="LPS")
    inst = f.make_institution(slug="mspc", acronym="MSPC")
    region = f.make_region(slug="gao", name="Gao")
    kw = dict(actor=editor, pillar=pillar, framework=framework, lead_institution=inst, regions=[region])
    a = f.make_commitment(reference="A-1", due_date=dt.date(2023, 1, 1), **kw)
    b = f.make_commitment(reference="B-1", due_date=dt.date(2023, 1, 1), **kw)
    c = f.make_commitment(reference="C-1", **kw)
    f.make_published_assessment(
        a, author=editor, reviewer=reviewer, status="initiated", as_of=dt.date(2022, 2, 1)
    )
    f.make_published_assessment(
        a, author=editor, reviewer=reviewer, status="completed", as_of=dt.date(2024, 2, 1)
    )
    f.make_published_assessment(
        b, author=editor, reviewer=reviewer, status="stalled", as_of=dt.date(2023, 5, 1)
    )
    f.make_assessment(
        c, author=editor, status="completed", as_of=dt.date(2024, 1, 1), summary_fr="Brouillon caché"
    )
    return {"a": a, "b": b, "c": c, "pillar": pillar}


def test_overall_counts_now_and_as_of(world):
    now = stats.dashboard_stats()
    assert now["overall"]["total"] == 3
    assert now["overall"]["counts"]["completed"] == 1
    assert now["overall"]["counts"]["stalled"] == 1
    assert now["overall"]["counts"]["not_started"] == 1  # the draft does not count
    past = stats.dashboard_stats(dt.date(2022, 12, 31))
    assert past["overall"]["counts"] == {**stats.empty_counts(), "initiated": 1, "not_started": 2}
    assert past["overall"]["average_progress"] == 8  # (25 + 0 + 0) / 3


def test_breakdowns_per_dimension(world):
    data = stats.dashboard_stats()["breakdowns"]
    for dimension, key in (
        ("pillar", "police"),
        ("framework", "LPS"),
        ("institution", "mspc"),
        ("region", "gao"),
    ):
        (row,) = data[dimension]
        assert row["key"] == key
        assert row["total"] == 3
        assert row["counts"]["completed"] == 1


def test_overdue_and_latest_changes(world):
    data = stats.dashboard_stats()
    # A is completed, so not overdue; B (stalled, due 2023) is.
    assert data["overdue"]["count"] == 1
    assert [c["reference"] for c in data["overdue"]["commitments"]] == ["B-1"]
    assert [(c["reference"], c["status"]) for c in data["latest_changes"]] == [
        ("A-1", "completed"),
        ("B-1", "stalled"),
        ("A-1", "initiated"),
    ]
    past = stats.dashboard_stats(dt.date(2023, 6, 1))
    assert past["overdue"]["count"] == 2  # A was only initiated then
    assert [c["status"] for c in past["latest_changes"]] == ["stalled", "initiated"]


def test_trend_counts_per_quarter(world):
    points = stats.trend(dt.date(2024, 3, 31))
    assert points[0]["label"] == "2022 T1"
    assert points[0]["counts"]["initiated"] == 1
    assert points[-1]["label"] == "2024 T1"
    assert points[-1]["counts"]["completed"] == 1
    assert points[-1]["counts"]["stalled"] == 1
    assert len(points) == 9
    assert len(stats.trend(dt.date(2024, 3, 31), quarters=4)) == 4


def test_changes_between_two_dates(world):
    rows = list(stats.changes_between(dt.date(2023, 1, 1), dt.date(2024, 12, 31)))
    assert [(r.reference, r.status_from, r.shown_status) for r in rows] == [
        ("A-1", "initiated", "completed"),
        ("B-1", "not_started", "stalled"),
    ]


def test_dashboard_page_shows_figures_and_accessible_charts(client, world):
    response = client.get(HOME)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Police et sécurité intérieure" in html
    assert 'role="img"' in html and "<title>Engagements par statut</title>" in html
    assert "<desc>Non commencé : 1; Achevé : 1; Bloqué : 1</desc>" in html
    assert "Engagements par statut à la fin de chaque trimestre" in html
    assert "Brouillon caché" not in html
    assert 'href="/commitments/B-1/"' in html


def test_dashboard_as_of(client, world):
    response = client.get(f"{HOME}?as_of=2022-12-31")
    assert response.status_code == 200
    assert response.context["stats"]["overall"]["counts"]["initiated"] == 1
    html = response.content.decode()
    assert "Vous consultez le suivi tel qu’il était le 31 décembre 2022." in html
    assert 'href="/pillars/police/?as_of=2022-12-31"' in html


@pytest.mark.parametrize(
    "query", ["as_of=31-12-2022", "as_of=2022-02-30", "as_of=3000-01-01", "as_of=1900-01-01"]
)
def test_dashboard_bad_date_is_400(client, world, query):
    response = client.get(f"{HOME}?{query}")
    assert response.status_code == 400
    assert "Cette adresse pose problème" in response.content.decode()


@pytest.mark.parametrize("n", [3, 9])
def test_dashboard_query_count_does_not_grow_with_rows(client, db, django_assert_max_num_queries, n):
    f.make_public_record(n)
    f.make_public_record(n)
    with django_assert_max_num_queries(30):
        response = client.get(f"{HOME}?as_of=2024-12-31")
    assert response.context["stats"]["overall"]["total"] == 2 * n
    with django_assert_max_num_queries(30):
        client.get(HOME)


def test_dashboard_stats_are_plain_data(world):
    """The API's stats endpoint serialises this dict as it is."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder

    text = json.dumps(stats.dashboard_stats(dt.date(2024, 1, 1)), cls=DjangoJSONEncoder)
    assert '"overall"' in text and '"breakdowns"' in text
