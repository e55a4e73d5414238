"""Public list review fixes: the lead institution column shows the
institution's name (or its acronym, with the name as its title) in the
reader's language, never its slug; the query count does not change."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests import factories as f

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


def test_lead_name_costs_no_query(client, leads):
    client.get(LIST)
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for _ in range(3):
        f.make_commitment(actor=leads, lead_institution=f.make_institution(acronym=""))
    with CaptureQueriesContext(connection) as more:
        html = client.get(LIST).content.decode()
    assert len(more.captured_queries) == len(few.captured_queries) == 6
    assert html.count("<abbr title=") == 1
