"""Public-site review fixes: dates phrased by precision ("évalué au janvier
2024" read wrong), "1er" for the first of the month in French, each language's
own punctuation before a colon, links to the change log and the follow page,
and the language of quoted excerpts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real

from tests import factories as f

# The French of the strings these fixes added, as the compiled catalogue
# (tracker/locale/fr) must give them.
EXPECTED_FR = {
    "dated phrase, day\x04as of %(date)s": "au %(date)s",
    "dated phrase, month\x04in %(date)s": "en %(date)s",
    "dated phrase, year\x04in %(date)s": "en %(date)s",
    "assessed %(when)s": "évalué %(when)s",
    "status:": "statut\u00a0:",
    "Permalink:": "Lien permanent\u00a0:",
    "Reason for delay:": "Cause du retard\u00a0:",
    "Baseline:": "Référence\u00a0:",
    "Target:": "Cible\u00a0:",
    "Unit:": "Unité\u00a0:",
    "“%(title)s”": "« %(title)s »",
    "Change log of this commitment": "Journal des modifications de cet engagement",
    "Follow this commitment by e-mail": "Suivre cet engagement par courriel",
    # Sort options of the list (tracker/api/filters.py, tests/test_public_fixes_list.py).
    "Reference (A–Z)": "Référence (A–Z)",
    "Reference (Z–A)": "Référence (Z–A)",
    "Due date (soonest first)": "Échéance (la plus proche d’abord)",
    "Due date (latest first)": "Échéance (la plus lointaine d’abord)",
    "Progress (lowest first)": "Avancement (le plus faible d’abord)",
    "Progress (highest first)": "Avancement (le plus élevé d’abord)",
    "Last assessment (oldest first)": "Dernière évaluation (la plus ancienne d’abord)",
    "Last assessment (most recent first)": "Dernière évaluation (la plus récente d’abord)",
    "Title (A–Z)": "Titre (A–Z)",
    "Title (Z–A)": "Titre (Z–A)",
    # Filter checks (tracker/api/filters.py, tests/test_public_fixes_validation.py).
    "This date is earlier than the “%(other)s” date, so no commitment can match.": (
        "Cette date est antérieure à la date « %(other)s » : aucun engagement ne peut correspondre."
    ),
    "The tracker as it stood on this date (from 1 January 1990 to today).": (
        "Le suivi tel qu’il était à cette date (du 1er janvier 1990 à aujourd’hui)."
    ),
}


@pytest.fixture
def french_catalog():
    """The tests below read French pages: the compiled catalogue must hold
    each of these strings with its translation (none falls back to English)."""
    catalog = trans_real.translation("fr")._catalog
    wrong = {key: catalog.get(key) for key in EXPECTED_FR if catalog.get(key) != EXPECTED_FR[key]}
    assert wrong == {}


def test_the_french_catalogue_has_every_new_string(french_catalog):
    pass


def render(text: str, language: str, **context) -> str:
    with translation.override(language):
        return Template("{% load tracker_public %}" + text).render(Context(context))


@pytest.mark.parametrize(
    ("precision", "english", "french"),
    [
        ("day", "as of 1 January 2024", "au 1er janvier 2024"),
        ("month", "in January 2024", "en janvier 2024"),
        ("year", "in 2024", "en 2024"),
        ("unclear", "date unclear", "date incertaine"),
    ],
)
def test_dated_phrase_by_precision(french_catalog, precision, english, french):
    day = dt.date(2024, 1, 1)
    assert render("{{ d|dated:p }}", "en", d=day, p=precision) == english
    assert render("{{ d|dated:p }}", "fr", d=day, p=precision) == french


def test_dated_phrase_without_a_date_is_unclear(french_catalog):
    assert render("{{ d|dated:'day' }}", "fr", d=None) == "date incertaine"


def test_partial_date_writes_1er_in_french_only_on_the_first():
    assert render("{{ d|partial_date:'day' }}", "fr", d=dt.date(2024, 1, 1)) == "1er janvier 2024"
    assert render("{{ d|partial_date:'day' }}", "fr", d=dt.date(2024, 1, 2)) == "2 janvier 2024"
    assert render("{{ d|partial_date:'day' }}", "en", d=dt.date(2024, 1, 1)) == "1 January 2024"
    assert render("{{ d|partial_date:'month' }}", "fr", d=dt.date(2024, 1, 1)) == "janvier 2024"


def page(client, commitment, language: str) -> str:
    url = reverse("tracker:commitment-detail", args=[commitment.reference])
    return client.get(url, HTTP_ACCEPT_LANGUAGE=language).content.decode()


@pytest.fixture
def abandoned(db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor, title_fr="Titre", title_en="Title")
    f.make_published_assessment(
        c,
        author=editor,
        reviewer=reviewer,
        status="abandoned",
        progress=0,
        as_of=dt.date(2024, 1, 1),
        as_of_precision="month",
    )
    return c


def test_status_line_and_citation_read_right_in_french(client, french_catalog, abandoned):
    html = page(client, abandoned, "fr")
    assert "(évalué en janvier 2024)" in html
    assert "statut\u00a0: Abandonné en janvier 2024." in html
    assert "« Titre »" in html
    assert " au janvier" not in html
    assert "Lien permanent\u00a0: <a" in html


def test_status_line_and_citation_read_right_in_english(client, abandoned):
    html = page(client, abandoned, "en")
    assert "(assessed in January 2024)" in html
    assert "status: Abandoned in January 2024." in html
    assert "“Title”" in html
    assert "Permalink: <a" in html
    assert " :" not in html.replace("&nbsp;:", "")  # no French space before a colon


def test_day_precision_assessment_says_au_1er(client, french_catalog, db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor)
    f.make_published_assessment(c, author=editor, reviewer=reviewer, as_of=dt.date(2024, 3, 1))
    html = page(client, c, "fr")
    assert "(évalué au 1er mars 2024)" in html
    assert "statut\u00a0: En cours au 1er mars 2024." in html


def test_commitment_page_links_to_change_log_and_follow_page(client, french_catalog, abandoned):
    changes = reverse("editorial:commitment-changelog", args=[abandoned.reference])
    follow = reverse("editorial:follow", args=["commitment", abandoned.reference])
    html = page(client, abandoned, "fr")
    assert f'<a href="{changes}">Journal des modifications de cet engagement</a>' in html
    assert f'<a href="{follow}">Suivre cet engagement par courriel</a>' in html
    html = page(client, abandoned, "en")
    assert f'<a href="{changes}">Change log of this commitment</a>' in html
    assert f'<a href="{follow}">Follow this commitment by e-mail</a>' in html
    # Both links lead somewhere.
    assert client.get(changes).status_code == 200
    assert client.get(follow).status_code == 200


def test_quoted_sources_carry_their_language(client, db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    c = f.make_commitment(actor=editor)
    english = f.make_evidence(
        c, actor=editor, title="Annual report", excerpt="The law was adopted.", language="en", url=""
    )
    french = f.make_evidence(c, actor=editor, title="Rapport", excerpt="La loi est adoptée.", language="fr")
    other = f.make_evidence(c, actor=editor, title="Kibaru", excerpt="Sariya tara.", language="other", url="")
    f.make_published_assessment(c, author=editor, reviewer=reviewer, evidence=[english, french, other])
    html = page(client, c, "fr")
    assert '<blockquote lang="en">The law was adopted.</blockquote>' in html
    assert '<cite lang="en">Annual report</cite>' in html
    assert '<blockquote lang="fr">La loi est adoptée.</blockquote>' in html
    assert '<blockquote lang="">Sariya tara.</blockquote>' in html  # unknown language
