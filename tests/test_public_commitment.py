"""Public commitment page: content, permissions (unpublished and confidential
things absent), indicators, sub-commitments, time travel, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from tests import factories as f
from tracker import services


def url(c, query: str = "") -> str:
    return reverse("tracker:commitment-detail", args=[c.reference]) + (f"?{query}" if query else "")


@pytest.fixture
def record(db):
    return f.make_public_record(1)[0]


def test_commitment_page_shows_status_institutions_and_evidence(client, record):
    response = client.get(url(record))
    assert response.status_code == 200
    html = response.content.decode()
    assert record.reference in html
    assert "En cours" in html  # the published status (in_progress)
    assert "50 %" in html
    assert record.responsibilities.get().institution.name_fr in html
    assert f"Public source {record.reference}" in html
    assert "Publié" in html
    assert "1er janvier 2025" in html and "en retard" in html  # due 2025-01-01: overdue


@pytest.mark.usefixtures("render_every_time")
def test_confidential_and_unpublished_things_are_absent(client, record):
    html = client.get(url(record)).content.decode()
    assert f"Confidential source {record.reference}" not in html
    assert f"Unpublished source {record.reference}" not in html
    assert "Brouillon secret" not in html
    assert response_status(client, record) == "in_progress"


def response_status(client, record) -> str:
    return client.get(url(record)).context["commitment"].shown_status


@pytest.mark.parametrize("state", ["draft", "submitted", "returned"])
def test_assessments_not_published_never_show(client, db, state):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor)
    a = f.make_assessment(c, author=editor, summary_fr="Texte non publié", status="completed")
    if state in ("submitted", "returned"):
        services.assessment_submit(actor=editor, assessment=a)
    if state == "returned":
        services.assessment_return(actor=reviewer, assessment=a, comment="À revoir")
    response = client.get(url(c))
    html = response.content.decode()
    assert "Texte non publié" not in html
    assert "À revoir" not in html
    assert response.context["commitment"].published_assessments == []
    assert response.context["commitment"].shown_status == "not_started"


def test_unknown_commitment_is_404(client, db):
    assert client.get("/commitments/NOPE-1/").status_code == 404


def test_bad_as_of_is_400_with_message(client, record):
    response = client.get(url(record, "as_of=2024-02-30"))
    assert response.status_code == 400
    assert "Saisissez une date valide (AAAA-MM-JJ)." in response.content.decode()
    response = client.get(url(record, "as_of=2999-01-01"))
    assert response.status_code == 400
    assert "Choisissez une date qui n’est pas dans le futur." in response.content.decode()


def test_time_travel_on_commitment_page(client, db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor, due_date=dt.date(2024, 12, 31))
    f.make_published_assessment(
        c, author=editor, reviewer=reviewer, status="initiated", as_of=dt.date(2023, 1, 10)
    )
    f.make_published_assessment(
        c, author=editor, reviewer=reviewer, status="completed", as_of=dt.date(2024, 6, 1)
    )
    now = client.get(url(c)).context["commitment"]
    assert (now.shown_status, now.shown_progress) == ("completed", 100)
    past = client.get(url(c, "as_of=2023-12-31"))
    commitment = past.context["commitment"]
    assert (commitment.shown_status, commitment.shown_progress) == ("initiated", 25)
    assert [a.status for a in commitment.published_assessments] == ["initiated"]
    html = past.content.decode()
    assert "tel qu’il était le 31 décembre 2023" in html
    before = client.get(url(c, "as_of=2022-01-01")).context["commitment"]
    assert before.shown_status == "not_started" and before.published_assessments == []


def test_indicators_chart_and_public_measurement_sources(client, db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor)
    public = f.make_evidence(c, actor=editor, publisher="Ministère public")
    secret = f.make_evidence(c, actor=editor, publisher="Source protégée", visibility="confidential")
    f.make_published_assessment(c, author=editor, reviewer=reviewer, evidence=[public, secret])
    indicator = services.indicator_create(
        actor=editor, commitment=c, key="recrues", name_fr="Recrues de la police", target_value=Decimal(2000)
    )
    services.measurement_record(
        actor=editor,
        indicator=indicator,
        measured_on=dt.date(2023, 1, 1),
        value=Decimal(500),
        evidence=public,
    )
    services.measurement_record(
        actor=editor,
        indicator=indicator,
        measured_on=dt.date(2024, 1, 1),
        value=Decimal(900),
        evidence=secret,
    )
    html = client.get(url(c)).content.decode()
    assert "<svg" in html and "Recrues de la police : mesures par rapport à la cible" in html
    assert "cible 2\xa0000" in html  # grouped the French way
    assert "Ministère public" in html
    assert "Source protégée" not in html
    assert "900" in html  # the value itself is public; only its confidential source is hidden
    past = client.get(url(c, "as_of=2023-06-01")).content.decode()
    assert "2024-01-01" not in past


def test_sub_commitments_and_derived_progress(client, db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    parent = f.make_commitment(actor=editor, reference="P-1")
    done = f.make_commitment(actor=editor, reference="P-1-a", parent=parent)
    half = f.make_commitment(actor=editor, reference="P-1-b", parent=parent)
    f.make_published_assessment(done, author=editor, reviewer=reviewer, status="completed")
    f.make_published_assessment(half, author=editor, reviewer=reviewer, status="in_progress")
    response = client.get(url(parent))
    c = response.context["commitment"]
    assert c.derived_progress == 75
    assert [s.reference for s in c.shown_children] == ["P-1-a", "P-1-b"]
    assert "Avancement dérivé (moyenne des sous-engagements) : 75 %" in response.content.decode()
    child_page = client.get(url(done)).content.decode()
    assert 'href="/commitments/P-1/"' in child_page


def test_related_commitments_citation_and_permalink(client, db, settings):
    settings.SITE_URL = "https://tracker.example"
    editor = f.make_editor()
    other = f.make_commitment(actor=editor, reference="ALG-7", title_fr="Même promesse")
    c = f.make_commitment(actor=editor, reference="LPS-7", related=[other])
    html = client.get(url(c)).content.decode()
    assert 'href="/commitments/ALG-7/"' in html
    assert "https://tracker.example/commitments/LPS-7/" in html
    assert "Citer cet engagement" in html
    # Symmetrical: the other side links back.
    assert 'href="/commitments/LPS-7/"' in client.get(url(other)).content.decode()


@pytest.mark.parametrize("n", [2, 6])
def test_commitment_page_query_count_is_constant(client, db, django_assert_max_num_queries, n):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor, related=[f.make_commitment(actor=editor) for _ in range(n)])
    for i in range(n):
        f.make_published_assessment(c, author=editor, reviewer=reviewer, as_of=dt.date(2024, 1, 1 + i))
        f.make_commitment(actor=editor, parent=c)
        ind = services.indicator_create(actor=editor, commitment=c, key=f"k{c.pk}-{i}", name_fr=f"Ind {i}")
        services.measurement_record(actor=editor, indicator=ind, measured_on=dt.date(2024, 1, 1), value=1)
    with django_assert_max_num_queries(12):
        response = client.get(url(c, "as_of=2024-06-01"))
    assert len(response.context["commitment"].published_assessments) == n


def test_english_page_uses_english_content_with_fallback(client, db):
    editor = f.make_editor()
    c = f.make_commitment(actor=editor, title_fr="Titre français", title_en="English title")
    d = f.make_commitment(actor=editor, title_fr="Seulement en français", title_en="")
    assert "English title" in client.get(url(c), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Seulement en français" in client.get(url(d), HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_dates_are_shown_at_their_source_precision(client, db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor, due_date=dt.date(2030, 1, 1), due_date_precision="year")
    f.make_published_assessment(
        c, author=editor, reviewer=reviewer, as_of=dt.date(2023, 1, 1), as_of_precision="month"
    )
    html = client.get(url(c)).content.decode()
    # The phrase by precision ("évalué en janvier 2023"): tests/test_public_fixes_dates.py.
    assert "janvier 2023" in html and "au janvier 2023" not in html
    assert "<dt>Échéance</dt><dd>2030" in html
    assert "1 janvier 2023" not in html and "1 janvier 2030" not in html
