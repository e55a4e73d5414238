"""The public commitment page, made faster, writes the same page byte for
byte: its timeline of assessments and evidence is written by a tag
(tracker/templatetags/tracker_detail.py) instead of template loops. The page
is compared with the template as it was (tests/data/commitment_detail_before.html),
in French and in English, today and as of a date, on handmade commitments
(names to escape, optional fields missing or given) and on generated ones,
with the same number of queries."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tracker import services, views
from tracker.models import Commitment, Evidence

BEFORE = (Path(__file__).parent / "data" / "commitment_detail_before.html").read_text(encoding="utf-8")
TRICKY = 'Défense & "sécurité" <armées> l\'État'
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')

pytestmark = pytest.mark.usefixtures("render_every_time")


def page(client, monkeypatch, path: str, language: str, before: bool) -> tuple[str, int]:
    """The page's HTML (its CSRF token blanked: it differs on every render)
    and the number of queries, rendered by the current template or, with
    `before`, by the template as it was."""
    real = views.render

    def render(request, name, context=None, *args, **kwargs):
        if before and name == "tracker/commitment_detail.html":
            return HttpResponse(engines["django"].from_string(BEFORE).render(context, request))
        return real(request, name, context, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(views, "render", render)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return CSRF.sub("", response.content.decode()), len(queries)


def assert_same_page(client, monkeypatch, commitment: Commitment, as_of: str | None = None) -> None:
    path = commitment.get_absolute_url() + (f"?as_of={as_of}" if as_of else "")
    for language in ("fr", "en"):
        before, before_queries = page(client, monkeypatch, path, language, before=True)
        after, after_queries = page(client, monkeypatch, path, language, before=False)
        assert after == before, (path, language)
        assert after_queries == before_queries, (path, language)


@pytest.fixture
def handmade(db):
    """A commitment with every optional part of the timeline given (delay with
    and without a blocking party, evidence with and without a link, excerpt,
    file, in French, English, another language and none; multi-line summary),
    names to escape everywhere, indicators and sub-commitments; and a bare one."""
    editor, reviewer = f.make_editor(), f.make_reviewer()
    institution = f.make_institution(name_fr=TRICKY, name_en="Ministry & <Co>")
    region = f.make_region(name=TRICKY)
    related = f.make_commitment(actor=editor, title_fr=TRICKY)
    c = f.make_commitment(
        actor=editor,
        title_fr=TRICKY,
        title_en="A & B <c>",
        lead_institution=institution,
        supporting_institutions=[f.make_institution()],
        regions=[region, f.make_region()],
        related=[related],
        due_date=dt.date(2023, 1, 1),
        provision='Art. 5 & "6"',
    )
    f.make_commitment(actor=editor, parent=c, title_fr=TRICKY)
    linked = f.make_evidence(
        c,
        actor=editor,
        publisher=TRICKY,
        title='Rapport "annuel" & <suite>',
        url="https://example.org/a?b=1&c=2",
        excerpt="« Citation » & <b>gras</b>",
        language="en",
        reliability="confirmed",
        kind="official_text",
    )
    cited = f.make_evidence(
        c, actor=editor, title="Sans lien", language="other", published_on=None, excerpt="x"
    )
    bare = f.make_evidence(c, actor=editor, title="Lang vide", published_on=dt.date(2022, 1, 1))
    Evidence.objects.filter(pk=bare.pk).update(language="", file="evidence/a&b.pdf", file_sha256="a" * 64)
    secret = f.make_evidence(c, actor=editor, title="Confidential", visibility="confidential")
    f.make_published_assessment(
        c,
        author=editor,
        reviewer=reviewer,
        evidence=[linked, cited, secret],
        status="stalled",
        as_of=dt.date(2022, 3, 1),
        as_of_precision="month",
        summary_fr='Ligne 1\nLigne <2> & "3"\r\nLigne 4',
        summary_en="",
        delay_reason="funding",
        blocking_party=institution,
    )
    f.make_published_assessment(
        c,
        author=editor,
        reviewer=reviewer,
        evidence=[bare],
        status="in_progress",
        as_of=dt.date(2023, 1, 1),
        summary_fr="",
        summary_en="Only English",
        delay_reason="insecurity",
    )
    f.make_published_assessment(
        c,
        author=editor,
        reviewer=reviewer,
        evidence=[secret],
        as_of=dt.date(2024, 1, 1),
        as_of_precision="year",
    )
    indicator = services.indicator_create(
        actor=editor,
        commitment=c,
        key="detail-ind",
        name_fr=TRICKY,
        baseline_value=Decimal("1.5"),
        baseline_date=dt.date(2020, 1, 1),
        target_value=Decimal("1000"),
        target_date=dt.date(2030, 12, 31),
        disaggregated_by_sex=True,
    )
    services.measurement_record(
        actor=editor,
        indicator=indicator,
        measured_on=dt.date(2023, 3, 1),
        measured_on_precision="month",
        value=Decimal("1200000"),
        value_men=Decimal("0.5"),
        evidence=cited,
    )
    services.measurement_record(
        actor=editor,
        indicator=indicator,
        measured_on=dt.date(2023, 9, 1),
        value=Decimal("3"),
        evidence=secret,
    )
    services.measurement_record(
        actor=editor,
        indicator=indicator,
        measured_on=dt.date(2022, 6, 1),
        value=Decimal("12.25"),
        value_women=Decimal("5"),
        evidence=linked,
    )
    services.indicator_create(actor=editor, commitment=c, key="detail-empty", name_fr="Vide")
    empty = f.make_commitment(actor=editor, title_fr="Rien & personne")
    return c, empty, related


@pytest.mark.parametrize("as_of", [None, "2022-12-31", "2023-06-30"])
def test_handmade_pages_are_the_old_template_byte_for_byte(client, monkeypatch, handmade, as_of):
    for commitment in handmade:
        assert_same_page(client, monkeypatch, commitment, as_of)


def test_the_timeline_shows_what_it_showed(client, monkeypatch, handmade):
    html, _queries = page(client, monkeypatch, handmade[0].get_absolute_url(), "fr", before=False)
    assert "Ligne 1<br>Ligne &lt;2&gt; &amp; &quot;3&quot;<br>Ligne 4" in html
    assert 'href="https://example.org/a?b=1&amp;c=2" rel="noopener" lang="en"' in html
    assert '<cite lang="">Sans lien</cite>' in html
    assert "Confidential" not in html
    assert '<td class="num">–</td><td class="num">0,50</td><td>Le Journal</td></tr>' in html
    assert '<td class="num">3</td><td class="num">–</td><td class="num">–</td><td></td></tr>' in html
    assert "<cite>Lang vide</cite> (1er janvier 2022)" in html
    assert 'href="/media/evidence/a%26b.pdf"' in html
    empty, _queries = page(client, monkeypatch, handmade[1].get_absolute_url(), "en", before=False)
    assert '<ol class="timeline"><li>No published assessment yet.</li></ol>' in empty


@pytest.fixture
def generated(db):
    call_command("generate_benchmark_data", commitments=12, seed=3, batch_size=6, no_vacuum=True, verbosity=0)
    return list(Commitment.objects.order_by("reference"))


@pytest.mark.parametrize("as_of", [None, "2024-06-30"])
def test_generated_pages_are_the_old_template_byte_for_byte(client, monkeypatch, generated, as_of):
    assert any(len(c.assessments.all()) > 3 for c in generated)
    for commitment in generated:
        assert_same_page(client, monkeypatch, commitment, as_of)
