"""Issue 4 audit fixes (session 11): favicon, "1er" in the time-travel banner
and on /changes/, the empty /changes/ page explains itself, an empty Atom
feed has a stable <updated>, honest headline labels, the list's filters fold
into <details> on phones (with a "level" filter and meaningful empty
choices), French colons after titles, grouped numbers in indicators."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from tests import factories as f
from tracker import services
from tracker.feeds import EMPTY_FEED_UPDATED

ATOM = "{http://www.w3.org/2005/Atom}"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

# The French of the strings these fixes add (/tmp/public/fr.po, merged by the
# lead into tracker/locale/fr): the tests marked `french_catalog` need it.
EXPECTED_FR = {
    "No published assessment is dated in this period.": (
        "Aucune évaluation publiée n’est datée de cette période."
    ),
    "See every change since the first assessment": "Voir tous les changements depuis la première évaluation",
    "typographic colon after a title\x04:": "\u00a0:",
    "commitments and sub-commitments tracked": "engagements et sous-engagements suivis",
    "commitments and sub-commitments": "engagements et sous-engagements",
    "Commitments and sub-commitments": "Engagements et sous-engagements",
    "Sub-commitments only": "Sous-engagements seulement",
    "All institutions": "Toutes les institutions",
    "All regions": "Toutes les régions",
    "Default order: reference (A–Z)": "Ordre par défaut : référence (A–Z)",
    "Level": "Niveau",
    "Filters and sorting": "Filtres et tri",
}


@pytest.fixture(autouse=True)
def default_language_afterwards():
    """A request in English leaves English active in the thread (LocaleMiddleware
    does not switch back): give the next test module the default language."""
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def french_catalog():
    catalog = trans_real.translation("fr")._catalog
    wrong = {key: catalog.get(key) for key in EXPECTED_FR if catalog.get(key) != EXPECTED_FR[key]}
    assert wrong == {}


@pytest.fixture
def world(db):
    cache.clear()  # the dashboard's figures are cached by record version
    editor, reviewer = f.make_editor(), f.make_reviewer()
    parent = f.make_commitment(actor=editor, reference="P-1", title_fr="Parent", title_en="Parent")
    region = f.make_region(slug="segou", name="Ségou")
    child = f.make_commitment(
        actor=editor, reference="P-1.1", parent=parent, title_fr="Enfant", regions=[region]
    )
    f.make_published_assessment(
        parent, author=editor, reviewer=reviewer, status="initiated", as_of=dt.date(2020, 1, 1)
    )
    f.make_published_assessment(
        child, author=editor, reviewer=reviewer, status="in_progress", as_of=dt.date(2021, 6, 1)
    )
    return {"parent": parent, "child": child, "editor": editor, "reviewer": reviewer}


def test_favicon_is_linked_and_served_from_static(client, db):
    html = client.get(reverse("tracker:about")).content.decode()
    match = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', html)
    assert match and re.search(r"tracker/favicon(\.[0-9a-f]+)?\.svg$", match.group(1))
    path = finders.find("tracker/favicon.svg")
    assert path and open(path, encoding="utf-8").read().startswith("<svg")


def test_time_travel_banner_writes_1er_in_french(client, world):
    html = client.get(reverse("tracker:home") + "?as_of=2024-01-01").content.decode()
    assert "tel qu’il était le 1er janvier 2024." in html
    html = client.get(reverse("tracker:home") + "?as_of=2024-01-01", **EN).content.decode()
    assert "as it stood on 1 January 2024." in html


def test_changes_page_dates_write_1er_in_french(client, world):
    html = client.get(reverse("tracker:changes") + "?start=2021-01-01&end=2021-12-01").content.decode()
    assert "entre le 1er janvier 2021 et le 1er décembre 2021." in html
    assert "Le 1er janvier 2021" in html and "Le 1er décembre 2021" in html


def test_empty_changes_page_explains_and_links_to_the_whole_history(
    client, world, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("tracker:changes") + "?start=2025-01-01&end=2025-06-01", **EN)
    html = response.content.decode()
    assert response.status_code == 200 and "<table" not in html
    assert "No published assessment is dated in this period." in html
    assert "the most recent one describes the situation as of 1 June 2021." in html
    # The period excludes its start: the link starts the day before the first assessment.
    link = "?start=2019-12-31&amp;end=2025-06-01"
    assert f'<a href="{link}">See every change since the first assessment</a>' in html
    whole = client.get(reverse("tracker:changes") + link.replace("&amp;", "&"))
    assert [c.reference for c in whole.context["page"].object_list] == ["P-1.1", "P-1"]


def test_empty_changes_page_without_any_assessment(client, db):
    html = client.get(reverse("tracker:changes"), **EN).content.decode()
    assert "No published assessment is dated in this period." in html
    assert "See every change" not in html and "most recent one" not in html


def test_default_changes_period_is_the_last_90_days(client, world):
    form = client.get(reverse("tracker:changes")).context["form"]
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    assert (end - start).days == 90


def test_empty_feed_has_a_stable_updated_date(client, world):
    url = reverse("tracker:commitment-list-feed") + "?status=completed"
    first, second = client.get(url), client.get(url)
    assert first.status_code == 200 and first.content == second.content
    root = ET.fromstring(first.content)
    assert root.findall(f"{ATOM}entry") == []
    assert root.find(f"{ATOM}updated").text == EMPTY_FEED_UPDATED.isoformat()


def test_feed_with_entries_is_updated_at_its_latest_publication(client, world):
    root = ET.fromstring(client.get(reverse("tracker:changes-feed")).content)
    latest = max(e.find(f"{ATOM}updated").text for e in root.findall(f"{ATOM}entry"))
    assert root.find(f"{ATOM}updated").text == latest


def test_headline_count_says_it_includes_sub_commitments_and_matches_the_list(client, world):
    home = client.get(reverse("tracker:home"), **EN).content.decode()
    link = '<a href="/commitments/">commitments and sub-commitments tracked</a>'
    assert f'<p class="big">2</p><p>{link}' in home
    listing = client.get(reverse("tracker:commitment-list"))
    assert listing.context["page"].paginator.count == 2
    card = client.get(reverse("tracker:pillar-detail", args=[world["parent"].pillar.slug]), **EN)
    assert "commitments and sub-commitments</p>" in card.content.decode()


def test_headline_link_keeps_the_date(client, world):
    home = client.get(reverse("tracker:home") + "?as_of=2020-06-01", **EN).content.decode()
    assert '<a href="/commitments/?as_of=2020-06-01">commitments and sub-commitments tracked</a>' in home


def test_level_filter_top_level_or_sub_commitments(client, world):
    def refs(query: str) -> list[str]:
        response = client.get(reverse("tracker:commitment-list") + query)
        return [c.reference for c in response.context["commitments"]]

    assert refs("") == ["P-1", "P-1.1"]
    assert refs("?top_level=true") == ["P-1"]
    assert refs("?top_level=false") == ["P-1.1"]
    assert client.get(reverse("tracker:commitment-list") + "?top_level=maybe").status_code == 400


def test_filters_fold_into_details_open_when_one_is_in_use(client, world):
    url = reverse("tracker:commitment-list")
    html = client.get(url, **EN).content.decode()
    # The search box stays outside; the rest folds, closed when nothing is set.
    assert html.index('id="id_q"') < html.index('<details class="wide more">')
    assert "<summary>Filters and sorting</summary>" in html
    html = client.get(url + "?q=parent", **EN).content.decode()
    assert '<details class="wide more">' in html
    html = client.get(url + "?status=initiated&top_level=true", **EN).content.decode()
    assert '<details class="wide more" open><summary>Filters and sorting (2 in use)</summary>' in html
    for name in ("status", "framework", "pillar", "institution", "region", "overdue", "wps"):
        assert html.index(f'name="{name}"') > html.index("<details")
    for name in ("due_after", "due_before", "as_of", "top_level", "ordering"):
        assert html.index(f'name="{name}"') > html.index("<details")


def test_empty_choices_say_what_they_mean(client, world):
    html = client.get(reverse("tracker:commitment-list"), **EN).content.decode()
    assert "---------" not in html
    assert '<option value="" selected>All institutions</option>' in html
    assert '<option value="" selected>All regions</option>' in html
    assert '<option value="" selected>Default order: reference (A–Z)</option>' in html
    assert '<option value="" selected>Commitments and sub-commitments</option>' in html
    assert '<option value="reference">Reference (A–Z)</option>' in html


def test_filters_collapse_only_on_phones_in_the_stylesheet():
    css = open(finders.find("tracker/site.css"), encoding="utf-8").read()
    assert "@media (min-width:40.01rem){@supports selector(::details-content){" in css
    assert "details.more::details-content{content-visibility:visible" in css


def test_colon_after_a_title_in_english():
    with translation.override("en"):
        assert Template("{% load tracker_public %}A{% colon %} b").render(Context()) == "A: b"


def test_colon_after_a_title_in_french(french_catalog):
    with translation.override("fr"):
        assert Template("{% load tracker_public %}A{% colon %} b").render(Context()) == "A\u00a0: b"


def test_dashboard_lists_use_the_language_colon(client, world, french_catalog):
    html = client.get(reverse("tracker:home")).content.decode()
    assert "Enfant\u00a0: <span" in html
    html = client.get(reverse("tracker:home"), **EN).content.decode()
    assert "Parent: <span" in html


def test_indicator_figures_are_grouped(client, db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor, reference="LOPM-X")
    f.make_published_assessment(c, author=editor, reviewer=reviewer)
    indicator = services.indicator_create(
        actor=editor,
        commitment=c,
        key="enveloppe",
        name_fr="Enveloppe",
        target_value=Decimal("1200000000000"),
        disaggregated_by_sex=True,
    )
    services.measurement_record(
        actor=editor,
        indicator=indicator,
        measured_on=dt.date(2023, 1, 1),
        value=Decimal(4000),
        value_women=Decimal(100),
    )
    html = client.get(c.get_absolute_url(), **EN).content.decode()
    assert "1,200,000,000,000" in html and "1200000000000,00" not in html
    assert '<td class="num">4,000</td><td class="num">100</td><td class="num">–</td>' in html
    html = client.get(c.get_absolute_url()).content.decode()
    assert "1\u202f200\u202f000\u202f000\u202f000" in html or "1\u00a0200\u00a0000\u00a0000\u00a0000" in html


@pytest.mark.parametrize("path", ["/methodology/", "/about/", "/about/api/"])
def test_static_pages_make_no_query(client, db, django_assert_num_queries, path):
    with django_assert_num_queries(0):
        assert client.get(path).status_code == 200


@pytest.fixture
def with_hidden_things(world):
    """In the scope of every page: a draft, a submitted and a returned
    assessment saying "completed", and a confidential source."""
    child, editor, reviewer = world["child"], world["editor"], world["reviewer"]
    secret = f.make_evidence(child, actor=editor, title="Source confidentielle", visibility="confidential")
    for state in ("draft", "submitted", "returned"):
        a = f.make_assessment(
            child,
            author=editor,
            evidence=[secret],
            status="completed",
            as_of=dt.date(2022, 3, 1),
            summary_fr=f"Caché {state}",
        )
        if state != "draft":
            services.assessment_submit(actor=editor, assessment=a)
        if state == "returned":
            services.assessment_return(actor=reviewer, assessment=a, comment="Caché, à revoir")
    return world


@pytest.mark.parametrize("kind", ["framework", "pillar", "region", "institution"])
def test_scorecards_ignore_unpublished_assessments_and_confidential_sources(client, with_hidden_things, kind):
    child = with_hidden_things["child"]
    scope = {
        "framework": ("tracker:framework-detail", child.framework.code),
        "pillar": ("tracker:pillar-detail", child.pillar.slug),
        "region": ("tracker:region-detail", getattr(child.regions.first(), "slug", None)),
        "institution": ("tracker:institution-detail", getattr(child.institutions.first(), "slug", None)),
    }[kind]
    assert scope[1], kind
    response = client.get(reverse(scope[0], args=[scope[1]]))
    html = response.content.decode()
    assert response.context["card"]["counts"]["completed"] == 0
    assert "Caché" not in html and "Source confidentielle" not in html


def test_changes_page_ignores_unpublished_assessments(client, with_hidden_things):
    response = client.get(reverse("tracker:changes") + "?start=2022-01-01&end=2022-12-31")
    assert response.context["page"].paginator.count == 0
    html = response.content.decode()
    assert "Caché" not in html and "Source confidentielle" not in html


def test_methodology_version_date_is_written_in_the_language(client, db):
    html = client.get(reverse("tracker:methodology")).content.decode()
    assert "Version 1.0 (adoptée le 23 novembre 2026)" in html
    assert "2026-11-23" not in html
    html = client.get(reverse("tracker:methodology"), **EN).content.decode()
    assert "Version 1.0 (adopted 23 November 2026)" in html
    assert '<table class="rows">' in html


def test_feed_entries_write_1er_in_french(client, world):
    body = client.get(reverse("tracker:changes-feed")).content.decode()
    assert "Parent — 1er janvier 2020." in body
    body = client.get(reverse("tracker:changes-feed"), **EN).content.decode()
    assert "Parent — 1 January 2020." in body
