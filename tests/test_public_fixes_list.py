"""Public list review fixes: the lead institution column shows the
institution's name (or its acronym, with the name as its title) in the
reader's language, never its slug; the query count does not change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.test_public_fixes_dates import french_catalog  # noqa: F401 (fixture)

LIST = "/commitments/"


@pytest.fixture
def leads(db):
    editor = f.make_editor()
    bare = f.make_institution(
        slug="ministere-decentralisation",
        acronym="",
        name_fr="Ministère de la Décentralisation",
        name_en="Ministry of Decentralisation",
    )
    french_only = f.make_institution(slug="gouvernement", acronym="", name_fr="Gouvernement", name_en="")
    known = f.make_institution(
        slug="mdac", acronym="MDAC", name_fr="Ministère de la Défense", name_en="Ministry of Defence"
    )
    for inst in (bare, french_only, known):
        f.make_commitment(actor=editor, lead_institution=inst)
    return editor


def lead_cells(html: str) -> list[str]:
    marker = 'data-label="'
    cells = []
    for part in html.split("<td ")[1:]:
        if part.startswith(marker) and "/institutions/" in part.split("</td>")[0]:
            cells.append(part.split("</td>")[0])
    return cells


def test_lead_column_shows_names_not_slugs_in_french(client, leads):
    html = client.get(LIST).content.decode()
    cells = " ".join(lead_cells(html))
    assert ">Ministère de la Décentralisation</a>" in cells
    assert ">Gouvernement</a>" in cells
    assert '<abbr title="Ministère de la Défense">MDAC</abbr></a>' in cells
    assert ">ministere-decentralisation<" not in html and ">gouvernement<" not in html


def test_lead_column_in_english_falls_back_to_french(client, leads):
    html = client.get(LIST, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    cells = " ".join(lead_cells(html))
    assert ">Ministry of Decentralisation</a>" in cells
    assert ">Gouvernement</a>" in cells  # no English name: the French one
    assert '<abbr title="Ministry of Defence">MDAC</abbr></a>' in cells


@pytest.mark.usefixtures("render_every_time")
def test_lead_name_costs_no_query(client, leads):
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(3):
        f.make_commitment(actor=leads, lead_institution=f.make_institution(acronym=""))
    client.get(LIST)  # new institutions: the filter form's options are built again, once
    with CaptureQueriesContext(connection) as more:
        html = client.get(LIST).content.decode()
    # reference data version, count, rows
    assert len(more.captured_queries) == len(few.captured_queries) == 3
    assert html.count("<abbr title=") == 1


SORT_FR = [
    ("reference", "Référence (A–Z)"),
    ("-reference", "Référence (Z–A)"),
    ("due_date", "Échéance (la plus proche d’abord)"),
    ("-due_date", "Échéance (la plus lointaine d’abord)"),
    ("progress", "Avancement (le plus faible d’abord)"),
    ("-progress", "Avancement (le plus élevé d’abord)"),
    ("updated", "Dernière évaluation (la plus ancienne d’abord)"),
    ("-updated", "Dernière évaluation (la plus récente d’abord)"),
    ("title", "Titre (A–Z)"),
    ("-title", "Titre (Z–A)"),
]
SORT_EN = [
    ("reference", "Reference (A–Z)"),
    ("-reference", "Reference (Z–A)"),
    ("due_date", "Due date (soonest first)"),
    ("-due_date", "Due date (latest first)"),
    ("progress", "Progress (lowest first)"),
    ("-progress", "Progress (highest first)"),
    ("updated", "Last assessment (oldest first)"),
    ("-updated", "Last assessment (most recent first)"),
    ("title", "Title (A–Z)"),
    ("-title", "Title (Z–A)"),
]


def sort_options(html: str) -> list[tuple[str, str]]:
    select = html.split('name="ordering"')[1].split("</select>")[0]
    options = []
    for part in select.split("<option ")[1:]:
        value = part.split('value="')[1].split('"')[0]
        if value:
            options.append((value, part.split(">")[1].split("<")[0]))
    return options


@pytest.mark.usefixtures("french_catalog")
def test_sort_options_are_translated_both_ways(client, db):
    # Each language in turn, twice, in both orders: no label is fixed at import.
    for language, expected in (("fr", SORT_FR), ("en", SORT_EN), ("fr", SORT_FR)):
        html = client.get(LIST, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert sort_options(html) == expected


def test_sorting_by_each_option_still_works(client, leads):
    for value, _label in SORT_EN:
        assert client.get(LIST, {"ordering": value}).status_code == 200
        assert client.get("/api/v1/commitments/", {"ordering": value}).status_code == 200
