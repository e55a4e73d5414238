"""Scorecard pages, "what changed", feeds, methodology/about/API pages,
language switching, low-bandwidth and accessibility basics."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import xml.etree.ElementTree as ET

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from django.utils import translation
from django.utils.translation import pgettext

from tests import factories as f
from tracker import methodology

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def world(db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    pillar = f.make_pillar(slug="police", name_fr="Police et sécurité intérieure")
    framework = f.make_framework(code="LPS", name_fr="Loi de programmation")
    inst = f.make_institution(slug="mspc", acronym="MSPC", name_fr="Ministère de la Sécurité")
    other_inst = f.make_institution(slug="armee")
    region = f.make_region(slug="gao", name="Gao")
    kw = dict(actor=editor, pillar=pillar, framework=framework, regions=[region])
    a = f.make_commitment(reference="A-1", lead_institution=inst, due_date=dt.date(2023, 1, 1), **kw)
    b = f.make_commitment(reference="B-1", lead_institution=other_inst, supporting_institutions=[inst], **kw)
    outside = f.make_commitment(actor=editor, reference="Z-9")
    public = f.make_evidence(a, actor=editor, title="Décret public")
    secret = f.make_evidence(a, actor=editor, title="Note confidentielle", visibility="confidential")
    f.make_published_assessment(
        a,
        author=editor,
        reviewer=reviewer,
        status="initiated",
        as_of=dt.date(2023, 3, 1),
        evidence=[public, secret],
    )
    f.make_published_assessment(
        b, author=editor, reviewer=reviewer, status="completed", as_of=dt.date(2024, 5, 1)
    )
    f.make_assessment(outside, author=editor, summary_fr="Brouillon invisible", status="completed")
    return {"a": a, "b": b, "outside": outside, "editor": editor, "reviewer": reviewer}


@pytest.mark.parametrize(
    "name, arg, title",
    [
        ("tracker:framework-detail", "LPS", "Loi de programmation"),
        ("tracker:pillar-detail", "police", "Police et sécurité intérieure"),
        ("tracker:institution-detail", "mspc", "Ministère de la Sécurité"),
        ("tracker:region-detail", "gao", "Gao"),
    ],
)
def test_scorecard_pages(client, world, name, arg, title):
    response = client.get(reverse(name, args=[arg]))
    assert response.status_code == 200
    assert title in response.content.decode()
    card = response.context["card"]
    assert card["total"] == 2
    assert card["counts"]["initiated"] == 1 and card["counts"]["completed"] == 1
    assert card["average_progress"] == 62  # (25 + 100) / 2, rounded
    assert card["overdue"] == 1
    assert [c.reference for c in response.context["commitments"]] == ["A-1", "B-1"]
    past = client.get(reverse(name, args=[arg]) + "?as_of=2023-12-31").context["card"]
    assert past["counts"]["completed"] == 0 and past["counts"]["not_started"] == 1


@pytest.mark.parametrize(
    "name",
    [
        "tracker:framework-detail",
        "tracker:pillar-detail",
        "tracker:institution-detail",
        "tracker:region-detail",
    ],
)
def test_unknown_scope_is_404(client, db, name):
    assert client.get(reverse(name, args=["nope"])).status_code == 404


@pytest.mark.parametrize("n", [3, 9])
def test_scorecard_query_count_is_constant(client, db, django_assert_max_num_queries, n):
    pillar = f.make_pillar(slug="fixed")
    f.make_public_record(n, pillar=pillar)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("tracker:pillar-detail", args=["fixed"]) + "?as_of=2024-12-31")
    assert response.context["card"]["total"] == n


def test_changes_page(client, world):
    response = client.get(reverse("tracker:changes") + "?start=2023-06-01&end=2024-12-31")
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [(r.reference, r.status_from, r.shown_status) for r in rows] == [
        ("B-1", "not_started", "completed")
    ]
    html = response.content.decode()
    assert "1 engagement a été évalué entre le 1er juin 2023 et le 31 décembre 2024." in html
    assert "Brouillon invisible" not in html


@pytest.mark.parametrize(
    "query, message",
    [
        ("start=2024-01-01&end=2023-01-01", "La date de début doit précéder la date de fin."),
        ("start=hier", "Saisissez une date valide (AAAA-MM-JJ)."),
        ("page=0", "Il n’y a pas de page 0"),
    ],
)
def test_changes_bad_parameters(client, world, query, message):
    response = client.get(reverse("tracker:changes") + "?" + query)
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("n", [3, 9])
def test_changes_query_count_is_constant(client, db, django_assert_max_num_queries, n):
    f.make_public_record(n)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("tracker:changes") + "?start=2024-01-01&end=2024-12-31")
    assert response.context["page"].paginator.count == n


def french_colon() -> str:
    """The colon after a title in French (a no-break space before it once the
    catalogue has it: tests/test_public_audit.py checks the catalogue)."""
    with translation.override("fr"):
        return pgettext("typographic colon after a title", ":")


def entries(response) -> list[ET.Element]:
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content).findall(f"{ATOM}entry")


def test_changes_feed_has_published_changes_only(client, world):
    response = client.get(reverse("tracker:changes-feed"))
    titles = [e.find(f"{ATOM}title").text for e in entries(response)]
    colon = french_colon()
    assert titles == [f"B-1{colon} Achevé (100 %)", f"A-1{colon} Amorcé (25 %)"]
    assert b"Brouillon invisible" not in response.content


def test_commitment_feed(client, world):
    response = client.get(reverse("tracker:commitment-feed", args=["A-1"]))
    (entry,) = entries(response)
    assert (
        entry.find(f"{ATOM}link")
        .get("href")
        .endswith("/commitments/A-1/#assessment-" + str(world["a"].assessments.get().pk))
    )
    assert client.get(reverse("tracker:commitment-feed", args=["NOPE"])).status_code == 404


def test_filtered_list_feed_uses_the_list_filters(client, world):
    response = client.get(reverse("tracker:commitment-list-feed") + "?status=completed")
    titles = [e.find(f"{ATOM}title").text for e in entries(response)]
    assert titles == [f"B-1{french_colon()} Achevé (100 %)"]
    root = ET.fromstring(response.content)
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links["self"].endswith("/commitments/feed/?status=completed")
    assert links["alternate"].endswith("/commitments/?status=completed")
    assert client.get(reverse("tracker:commitment-list-feed") + "?status=bogus").status_code == 400


@pytest.mark.parametrize("n", [3, 9])
def test_feed_query_count_is_constant(client, db, django_assert_max_num_queries, n):
    f.make_public_record(n)
    with django_assert_max_num_queries(3):
        response = client.get(reverse("tracker:commitment-list-feed") + "?status=in_progress")
    assert len(entries(response)) == n


def test_methodology_page_lists_every_status_and_version(client, db):
    html = client.get(reverse("tracker:methodology")).content.decode()
    for status in methodology.Status:
        assert str(status.label) in html
    for number in methodology.VERSIONS:
        assert f"Version {number}" in html
    assert "dernière évaluation publiée datée de ce jour ou d’avant" in html


def test_about_and_api_pages(client, db):
    assert "À propos du suivi" in client.get(reverse("tracker:about")).content.decode()
    html = client.get(reverse("tracker:api-intro")).content.decode()
    assert 'href="/api/v1/"' in html and 'href="/api/docs/"' in html


def test_french_by_default_english_on_request(client, world):
    html = client.get(reverse("tracker:home")).content.decode()
    assert '<html lang="fr">' in html and "Tableau de bord" in html
    html = client.get(reverse("tracker:home"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en">' in html and "Dashboard" in html


def test_language_switcher_works_without_javascript(client, world):
    page = client.get(reverse("tracker:commitment-list") + "?status=initiated").content.decode()
    assert 'action="/i18n/setlang/"' in page and 'name="language" value="en"' in page
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/commitments/?status=initiated"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/commitments/?status=initiated"
    assert '<html lang="en">' in response.content.decode()
    assert "1 commitment found." in response.content.decode()


PAGES = [
    "/",
    "/?as_of=2023-12-31",
    "/commitments/",
    "/commitments/A-1/",
    "/frameworks/LPS/",
    "/pillars/police/",
    "/institutions/mspc/",
    "/regions/gao/",
    "/changes/",
    "/methodology/",
    "/about/",
    "/about/api/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_light_accessible_and_self_contained(client, world, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    css = open(finders.find("tracker/site.css"), "rb").read()
    assert len(gzip.compress(response.content)) + len(gzip.compress(css)) <= 100 * 1024
    assert "<script" not in html
    # Landmarks, skip link, one h1, language.
    for marker in ('<header class="site">', "<nav aria-label=", '<main id="main"', "<footer", 'href="#main"'):
        assert marker in html
    assert html.count("<h1") == 1
    # No asset from another host: every src/href of stylesheets and images is local.
    for url in re.findall(r'(?:src|href)="(https?://[^"]+)"', html):
        assert not re.search(r"\.(css|js|png|jpe?g|svg|woff2?)(\?|$)", url), url
    # Every form control has a label.
    for control_id in re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html):
        assert f'for="{control_id}"' in html, control_id


def test_print_and_narrow_screen_styles_exist():
    css = open(finders.find("tracker/site.css")).read()
    assert "@media print" in css and "@media (max-width:40rem)" in css
    assert ":focus-visible" in css
