"""The table of commitments (public list, scope pages) is written by
{% commitment_table %} (tracker/templatetags/tracker_rows.py) instead of a
template loop: the same HTML byte for byte as the template it replaced
(kept as tests/data/commitment_table_reference.html), in French and
English, today and as of a date, for the include alone and for whole pages."""

from __future__ import annotations

import copy
import datetime as dt
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.template import engines
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tests import factories as f
from tracker import selectors, stats
from tracker.models import Commitment, CommitmentInstitution, Institution

INCLUDE = "tracker/includes/commitment_table.html"
REFERENCE = (Path(__file__).parent / "data" / "commitment_table_reference.html").read_text(encoding="utf-8")
AS_OF = dt.date(2022, 6, 30)
# The form's CSRF token is masked afresh for each response.
CSRF = re.compile(rb'(?<=name="csrfmiddlewaretoken" value=")[^"]+')
TRICKY = 'Défense & "sécurité" <armées> l\'État'


def reference_templates(templates: list) -> list:
    """TEMPLATES with the old include served in front of the new one."""
    templates = copy.deepcopy(templates)
    options = templates[0]["OPTIONS"]
    templates[0]["APP_DIRS"] = False
    options["loaders"] = [
        (
            "django.template.loaders.cached.Loader",
            [
                ("django.template.loaders.locmem.Loader", {INCLUDE: REFERENCE}),
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        )
    ]
    return templates


@pytest.fixture
def record(db):
    """Generated commitments (sub-commitments, WPS markers, overdue ones) and
    every case of the table's cells: names to escape, dates at each
    precision, a lead without acronym, a lead without name, no lead."""
    f.make_pillar(name_fr=TRICKY, name_en=TRICKY + " (en)")
    f.make_framework(code="F&<\"'>", name_fr=TRICKY, name_en="<b>Framework</b>")
    f.make_institution(name_fr=TRICKY, name_en="Ministry & Co", acronym="<M&C>")
    call_command(
        "generate_benchmark_data", commitments=60, seed=3, batch_size=20, no_vacuum=True, verbosity=0
    )
    rows = list(Commitment.objects.order_by("reference"))
    Commitment.objects.filter(pk__in=[c.pk for c in rows[:10]]).update(start_date=dt.date(2015, 1, 1))
    Commitment.objects.filter(pk=rows[0].pk).update(title_fr=TRICKY, title_en=TRICKY + " en")
    Commitment.objects.filter(pk=rows[1].pk).update(
        due_date=dt.date(2019, 3, 1), due_date_precision="month", current_status="in_progress"
    )
    Commitment.objects.filter(pk=rows[2].pk).update(due_date=dt.date(2018, 1, 1), due_date_precision="year")
    Commitment.objects.filter(pk=rows[3].pk).update(
        due_date=dt.date(2018, 1, 1), due_date_precision="unclear"
    )
    Commitment.objects.filter(pk=rows[4].pk).update(due_date=dt.date(2020, 5, 1), due_date_precision="day")
    Commitment.objects.filter(pk=rows[5].pk).update(due_date=None)
    Commitment.objects.filter(pk=rows[6].pk).update(wps_marker=True, title_en='A "quoted" <title> & more')
    CommitmentInstitution.objects.filter(commitment=rows[7], role="lead").delete()
    # A reference reverse() quotes (the tag's links are reversed, not pasted in).
    Commitment.objects.filter(pk=rows[10].pk).update(reference="RÉF&1.x")
    bare = f.make_institution(slug="no-acronym", acronym="", name_fr="Sans <sigle> & Cie", name_en="")
    nameless = f.make_institution(slug="no-name", acronym="", name_fr="", name_en="")
    for row, institution in ((rows[8], bare), (rows[9], nameless)):
        CommitmentInstitution.objects.filter(commitment=row, role="lead").update(institution=institution)
    assert Commitment.objects.filter(parent__isnull=False).exists()
    assert Commitment.objects.filter(wps_marker=True).exists()


def render_both(context: dict) -> tuple[str, str]:
    new = render_to_string(INCLUDE, context)
    old = engines["django"].from_string(REFERENCE).render(context)
    return old, new


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_include_alone_is_byte_identical(record, language, as_of):
    with translation.override(language):
        rows = list(selectors.commitment_list_queryset(as_of))
        today = as_of or stats.today()
        old, new = render_both({"commitments": rows, "as_of": as_of, "today": today})
    assert new == old
    assert old.count("<tr>") == len(rows) + 1
    assert "sub-commitments" in old or "sous-engagements" in old
    assert 'class="overdue"' in old
    assert "<abbr" in old and "no-acronym" in old and "no-name" in old
    assert '<a href="/commitments/R%C3%89F&amp;1.x/' in old
    if as_of:
        assert "?as_of=2022-06-30" in old


@pytest.mark.parametrize("language", ["fr", "en"])
def test_empty_table_is_byte_identical(db, language):
    with translation.override(language):
        old, new = render_both({"commitments": [], "as_of": None, "today": stats.today()})
    assert new == old
    assert "No commitment matches." in old or "Aucun engagement" in old


def test_values_are_escaped(record):
    with translation.override("en"):
        rows = list(selectors.commitment_list_queryset(None))
        new = render_to_string(INCLUDE, {"commitments": rows, "as_of": None, "today": stats.today()})
    assert TRICKY not in new
    assert "<armées>" not in new and "<M&C>" not in new and "<b>Framework</b>" not in new
    assert "&lt;armées&gt;" in new
    assert "&lt;M&amp;C&gt;" in new
    assert "Défense &amp; &quot;sécurité&quot; &lt;armées&gt; l&#x27;État" in new
    assert "Sans &lt;sigle&gt; &amp; Cie" in new
    assert "F&amp;&lt;&quot;&#x27;&gt;" in new


def pages():
    scope = Institution.objects.get(slug="no-acronym")
    return [
        "/commitments/",
        "/commitments/?status=in_progress",
        "/commitments/?page=2",
        f"/commitments/?as_of={AS_OF.isoformat()}",
        "/commitments/?q=zzzz-nothing",
        scope.get_absolute_url(),
        f"{scope.get_absolute_url()}?as_of={AS_OF.isoformat()}",
        Commitment.objects.order_by("reference").first().pillar.get_absolute_url(),
    ]


@pytest.mark.parametrize("language", ["fr", "en"])
def test_pages_are_byte_identical_with_the_same_queries(
    record, client, settings, render_every_time, language
):
    """Each page, rendered with the new include and with the old one: the
    same bytes and the same SQL statements."""
    urls = pages()
    new, old = {}, {}
    for store in (new, old):
        if store is old:
            settings.TEMPLATES = reference_templates(settings.TEMPLATES)
        for url in urls:  # warm: the filter form's option lists are read once
            client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == 200, url
            store[url] = (CSRF.sub(b"", response.content), [q["sql"] for q in queries.captured_queries])
    for url in urls:
        assert new[url][0] == old[url][0], url
        assert new[url][1] == old[url][1], url
    assert b'<table class="rows">' in new["/commitments/"][0]
    assert b'<td colspan="6">' in new["/commitments/?q=zzzz-nothing"][0]
