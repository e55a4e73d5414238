"""Each long section of the editor home links to the list of assessments
filtered to exactly its rows: its review state and its own scope (mine,
others', partners'), not the review state alone."""

import html
import re

import pytest
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.models import Assessment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _submitted(commitment, author) -> Assessment:
    return services.assessment_submit(actor=author, assessment=f.make_assessment(commitment, author=author))


def _returned(commitment, author, reviewer) -> Assessment:
    assessment = _submitted(commitment, author)
    return services.assessment_return(actor=reviewer, assessment=assessment, comment="Sources?")


def _link(page: str, heading: str) -> str:
    """The "see them all" link of the section with this heading."""
    module = re.search(rf'<div class="module" id="{heading}">(.*?)</div>', page, re.S)
    assert module, heading
    href = re.search(r'<a href="([^"]*)">See them all in the list of assessments</a>', module.group(1))
    assert href, module.group(1)
    return html.unescape(href.group(1))


def _listed(client, url: str) -> set[int]:
    response = client.get(url)
    assert response.status_code == 200
    return {a.pk for a in response.context["cl"].queryset}


def test_every_see_them_all_link_lists_exactly_its_sections_rows(client, monkeypatch):
    monkeypatch.setattr("tracker.editorial.selectors.LIST_LIMIT", 1)
    org = f.make_organisation()
    me, colleague = f.make_reviewer(organisation=org), f.make_editor(organisation=org)
    other_reviewer = f.make_reviewer()
    partner = f.make_user("Partners", organisation=f.make_organisation(kind="partner"), is_staff=False)
    commitment = f.make_commitment(actor=me)
    my_drafts = {f.make_assessment(commitment, author=me).pk for _ in range(2)}
    f.make_assessment(commitment, author=colleague)  # same organisation: visible, not mine
    my_returned = {_returned(commitment, me, other_reviewer).pk for _ in range(2)}
    _returned(commitment, colleague, other_reviewer)  # visible, not returned to me
    mine_waiting = _submitted(commitment, me).pk  # in no one's queue of their own
    theirs = {_submitted(commitment, colleague).pk for _ in range(2)}
    from_partner = {_submitted(commitment, partner).pk for _ in range(2)}

    f.login_staff(client, me)
    response = client.get(reverse("editorial:home"))
    page = response.content.decode()
    home = response.context["home"]
    expected = {
        "my-drafts": (home.drafts, my_drafts),
        "returned-to-me": (home.returned, my_returned),
        "review-queue": (home.review_queue, theirs | from_partner),
        "partner-submissions-waiting": (home.partner_waiting, from_partner),
    }
    for heading, (section, pks) in expected.items():
        assert section.total == len(pks) and len(section.rows) == 1, heading
        assert _listed(client, _link(page, heading)) == pks, heading
    # The state alone listed more: my colleague's draft, my own submission.
    assert mine_waiting not in _listed(client, _link(page, "review-queue"))
    changelist = reverse("admin:tracker_assessment_changelist")
    assert _listed(client, changelist + "?review_state__exact=draft") > my_drafts


def test_the_filters_are_offered_in_the_assessments_list(client):
    reviewer = f.make_reviewer()
    f.login_staff(client, reviewer)
    url = reverse("admin:tracker_assessment_changelist")
    response = client.get(url + "?written_by=me&organisation_kind=partner")
    assert response.status_code == 200
    titles = [spec.title for spec in response.context["cl"].filter_specs]
    assert {"author", "organisation kind"} <= set(titles)
    page = response.content.decode()
    assert "written_by=others" in page  # the sidebar offers the other choice


def test_unknown_filter_values_list_everything_visible(client, editor, commitment):
    draft = f.make_assessment(commitment, author=editor)
    f.login_staff(client, editor)
    url = reverse("admin:tracker_assessment_changelist") + "?written_by=nobody&organisation_kind=state"
    assert _listed(client, url) == {draft.pk}
