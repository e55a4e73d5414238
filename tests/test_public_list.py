"""Public commitment list: filters, search, sorting, pagination, CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from tests import factories as f
from tracker import services

LIST = reverse("tracker:commitment-list")
EXPORT = reverse("tracker:commitment-export")


def refs(response) -> list[str]:
    return [c.reference for c in response.context["commitments"]]


def csv_rows(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def world(db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    fw_a, fw_b = f.make_framework(code="LPS"), f.make_framework(code="PAG")
    p_a, p_b = f.make_pillar(slug="defence"), f.make_pillar(slug="justice")
    inst_a, inst_b = f.make_institution(slug="police"), f.make_institution(slug="armee")
    reg_a, reg_b = f.make_region(slug="segou", name="Ségou"), f.make_region(slug="kidal", name="Kidal")
    a = f.make_commitment(
        actor=editor,
        reference="LPS-01",
        framework=fw_a,
        pillar=p_a,
        lead_institution=inst_a,
        regions=[reg_a],
        title_fr="Recruter des policiers à Ségou",
        title_en="Recruit police officers in Segou",
        due_date=dt.date(2020, 1, 1),
        wps_marker=True,
    )
    b = f.make_commitment(
        actor=editor,
        reference="PAG-02",
        framework=fw_b,
        pillar=p_b,
        lead_institution=inst_b,
        supporting_institutions=[inst_a],
        regions=[reg_b],
        title_fr="Réformer la justice militaire",
        title_en="Reform military justice",
        due_date=dt.date(2030, 1, 1),
    )
    c = f.make_commitment(
        actor=editor,
        reference="PAG-03",
        framework=fw_b,
        pillar=p_b,
        lead_institution=inst_b,
        title_fr='=HYPERLINK("http://evil")',
        due_date=dt.date(2021, 6, 1),
    )
    f.make_published_assessment(
        a, author=editor, reviewer=reviewer, status="in_progress", as_of=dt.date(2024, 3, 1)
    )
    f.make_published_assessment(
        b, author=editor, reviewer=reviewer, status="completed", as_of=dt.date(2024, 3, 1)
    )
    # A draft never counts: c stays "not started".
    f.make_assessment(c, author=editor, status="completed", as_of=dt.date(2024, 3, 1))
    return {"a": a, "b": b, "c": c}


def test_list_shows_every_commitment_with_status(client, world):
    response = client.get(LIST)
    assert response.status_code == 200
    assert refs(response) == ["LPS-01", "PAG-02", "PAG-03"]
    html = response.content.decode()
    assert "Recruter des policiers à Ségou" in html
    assert "3 engagements trouvés." in html


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=in_progress", ["LPS-01"]),
        ("status=completed&status=not_started", ["PAG-02", "PAG-03"]),
        ("framework=PAG", ["PAG-02", "PAG-03"]),
        ("pillar=defence", ["LPS-01"]),
        ("institution=police", ["LPS-01", "PAG-02"]),
        ("region=kidal", ["PAG-02"]),
        ("overdue=true", ["LPS-01", "PAG-03"]),
        ("overdue=false", ["PAG-02"]),
        ("wps=true", ["LPS-01"]),
        ("due_after=2021-01-01&due_before=2022-01-01", ["PAG-03"]),
        ("q=Segou", ["LPS-01"]),
        ("q=SÉGOU", ["LPS-01"]),
        ("q=justice militaire", ["PAG-02"]),
        ("q=military", ["PAG-02"]),
        ("ordering=-reference", ["PAG-03", "PAG-02", "LPS-01"]),
        ("ordering=-progress", ["PAG-02", "LPS-01", "PAG-03"]),
        ("ordering=due_date", ["LPS-01", "PAG-03", "PAG-02"]),
    ],
)
def test_list_filters_search_and_sorting(client, world, query, expected):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert refs(response) == expected


def test_list_as_of_reads_status_at_that_date(client, world):
    response = client.get(f"{LIST}?as_of=2024-01-01&status=not_started")
    assert refs(response) == ["LPS-01", "PAG-02", "PAG-03"]
    response = client.get(f"{LIST}?as_of=2024-03-01&status=completed")
    assert refs(response) == ["PAG-02"]
    # PAG-02 was due 2030 so never overdue; LPS-01 and PAG-03 are overdue on 2024-01-01.
    response = client.get(f"{LIST}?as_of=2021-01-01&overdue=true")
    assert refs(response) == ["LPS-01"]
    assert "1er janvier 2021" in response.content.decode()


@pytest.mark.parametrize(
    "query, message",
    [
        ("status=finished", "finished"),
        ("as_of=2024-13-45", "Saisissez une date valide"),
        ("due_after=yesterday", "Saisissez une date valide"),
        ("framework=NOPE", "NOPE"),
        ("page=abc", "Le numéro de page doit être un nombre entier."),
        ("page=99999", "Il n’y a pas de page 99999 : la dernière page est 1."),
        ("ordering=secret_field", "secret_field"),
    ],
)
def test_bad_parameters_give_a_clear_400(client, world, query, message):
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_pagination(client, db):
    f.make_public_record(30)
    first = client.get(LIST)
    assert len(first.context["commitments"]) == 25
    second = client.get(f"{LIST}?page=2")
    assert len(second.context["commitments"]) == 5
    assert "Page 2 sur 2" in second.content.decode()


def test_pagination_links_keep_the_filters(client, db):
    f.make_public_record(30)
    html = client.get(f"{LIST}?status=in_progress").content.decode()
    assert "?status=in_progress&amp;page=2" in html


@pytest.mark.parametrize("n", [3, 9])
def test_list_query_count_does_not_grow_with_rows(client, db, django_assert_max_num_queries, n):
    f.make_public_record(n)
    with django_assert_max_num_queries(10):
        response = client.get(f"{LIST}?status=in_progress&ordering=-progress")
    assert len(response.context["commitments"]) == n


def test_csv_export_is_exactly_the_filtered_set(client, world):
    response = client.get(f"{EXPORT}?framework=PAG")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.streaming
    rows = csv_rows(response)
    assert [r["reference"] for r in rows] == ["PAG-02", "PAG-03"]
    assert rows[0]["status"] == "completed"
    assert rows[0]["progress"] == "100"
    assert rows[0]["lead_institution"] == world["b"].responsibilities.get(role="lead").institution.name_fr
    assert rows[1]["status"] == "not_started"
    assert rows[1]["overdue"] == "yes"


def test_csv_export_neutralises_formulas(client, world):
    rows = csv_rows(client.get(f"{EXPORT}?q=hyperlink"))
    assert rows[0]["title_fr"].startswith("'=HYPERLINK")


def test_csv_export_as_of(client, world):
    rows = csv_rows(client.get(f"{EXPORT}?as_of=2024-01-01"))
    assert {r["status"] for r in rows} == {"not_started"}


def test_csv_export_bad_filter_is_400(client, world):
    assert client.get(f"{EXPORT}?status=nope").status_code == 400


@pytest.mark.parametrize("n", [3, 9])
def test_csv_query_count_does_not_grow_with_rows(client, db, django_assert_max_num_queries, n):
    f.make_public_record(n)
    with django_assert_max_num_queries(4):
        rows = csv_rows(client.get(EXPORT))
    assert len(rows) == n


def test_list_never_shows_unpublished_status(client, world):
    response = client.get(f"{LIST}?status=completed")
    assert refs(response) == ["PAG-02"]


def test_list_shows_derived_progress_of_parents(client, db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    parent = f.make_commitment(actor=editor, reference="PARENT-1")
    for ref, status in (("CHILD-1", "completed"), ("CHILD-2", "not_started")):
        child = f.make_commitment(actor=editor, reference=ref, parent=parent)
        f.make_published_assessment(child, author=editor, reviewer=reviewer, status=status)
    response = client.get(f"{LIST}?q=parent")
    row = response.context["commitments"][0]
    assert row.child_count == 2
    assert row.derived_progress == 50
    assert "2 sous-engagements : 50 %" in response.content.decode()


def test_english_list(client, world):
    response = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "Recruit police officers in Segou" in html
    assert "3 commitments found." in html


def test_services_unchanged_by_filters(world):
    # The FilterSet change (status read through shown_status) keeps the API's plain use working.
    from tracker.api.filters import CommitmentFilter
    from tracker.models import Commitment

    fs = CommitmentFilter({"status": ["completed"]}, queryset=Commitment.objects.all())
    assert [c.reference for c in fs.qs] == ["PAG-02"]
    assert services  # the record was built through services only
