"""The editor home (issue 6): my drafts, returned to me, the review queue,
partner submissions, commitments past due and not assessed for 90 days."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from tests import factories as f
from tracker import services
from tracker.models import Assessment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def section(response, name):
    return response.context["home"].__dict__[name]


def test_editor_home_sections(client):
    org = f.make_organisation()
    me, reviewer = f.make_editor(organisation=org), f.make_reviewer()
    partner_org = f.make_organisation(kind="partner")
    partner = f.make_user("Partners", organisation=partner_org, is_staff=False)
    overdue = f.make_commitment(actor=me, reference="DUE-1", due_date=dt.date(2020, 1, 1))
    fresh = f.make_commitment(actor=me, reference="FRESH-1", due_date=dt.date(2999, 1, 1))
    f.make_published_assessment(fresh, reviewer=reviewer, as_of=timezone.localdate())
    draft = f.make_assessment(overdue, author=me)
    returned = f.make_assessment(overdue, author=me)
    services.assessment_submit(actor=me, assessment=returned)
    services.assessment_return(actor=reviewer, assessment=returned, comment="Cite the decree.")
    waiting = f.make_assessment(overdue, author=me)
    services.assessment_submit(actor=me, assessment=waiting)
    from_partner = f.make_assessment(overdue, author=partner)
    services.assessment_submit(actor=partner, assessment=from_partner)
    other_orgs_draft = f.make_assessment(overdue)  # another organisation's draft

    f.login_staff(client, me)
    response = client.get(reverse("editorial:home"))
    assert response.status_code == 200
    assert [a.pk for a in section(response, "drafts").rows] == [draft.pk]
    assert [a.pk for a in section(response, "returned").rows] == [returned.pk]
    assert section(response, "review_queue") is None  # editors do not review
    assert [a.pk for a in section(response, "partner_waiting").rows] == [from_partner.pk]
    assert [c.reference for c in section(response, "past_due").rows] == ["DUE-1"]
    assert [c.reference for c in section(response, "not_assessed").rows] == ["DUE-1"]
    assert "Cite the decree." in response.content.decode()
    assert other_orgs_draft.pk not in {a.pk for a in section(response, "drafts").rows}

    client.logout()
    f.login_staff(client, reviewer)
    response = client.get(reverse("editorial:home"))
    assert [a.pk for a in section(response, "review_queue").rows] == [waiting.pk, from_partner.pk]


def test_not_assessed_goes_by_the_date_the_verdict_describes_not_the_publication(client):
    """Stale: no published assessment, or the latest published one describes
    a date 90 or more days ago (as_of), however recently it was published."""
    editor = f.make_editor()
    today = timezone.localdate()
    old = f.make_commitment(actor=editor, reference="OLD-1")
    f.make_published_assessment(old, as_of=dt.date(2014, 6, 1))  # published just now, describes 2014
    edge = f.make_commitment(actor=editor, reference="EDGE-90")
    f.make_published_assessment(edge, as_of=today - dt.timedelta(days=90))
    recent = f.make_commitment(actor=editor, reference="NEW-1")
    assessment = f.make_published_assessment(recent, as_of=today - dt.timedelta(days=89))
    # Published long ago, but describes 89 days ago: recent.
    Assessment.objects.filter(pk=assessment.pk).update(published_at=timezone.now() - dt.timedelta(days=400))
    newer_draft = f.make_commitment(actor=editor, reference="DRAFT-1")
    f.make_published_assessment(newer_draft, as_of=dt.date(2020, 1, 1))
    f.make_assessment(newer_draft, as_of=today)  # a draft does not count
    never = f.make_commitment(actor=editor, reference="NEVER-1")
    done = f.make_commitment(actor=editor, reference="DONE-1")
    f.make_published_assessment(done, status="completed", as_of=dt.date(2015, 1, 1))
    f.login_staff(client, editor)
    response = client.get(reverse("editorial:home"))
    rows = [c.reference for c in section(response, "not_assessed").rows]
    assert sorted(rows) == ["DRAFT-1", "EDGE-90", "NEVER-1", "OLD-1"]
    assert never.reference in rows
    html = response.content.decode()
    assert "Commitments not assessed for 90 days or more (4)" in html
    assert "whose latest published assessment describes the situation 90 or more days ago" in html


def test_editor_home_is_framed_by_the_admin(client):
    f.login_staff(client, f.make_editor())
    response = client.get(reverse("editorial:home"))
    html = response.content.decode()
    assert "SSR Commitment Tracker – editors" in html
    assert "Django administration" not in html
    assert f'action="{reverse("admin:logout")}"' in html  # the admin's log-out form
    assert f'href="{reverse("admin:password_change")}"' in html
    assert "<title>Editor home | SSR Commitment Tracker</title>" in html
    assert html.count("<h1") == 1  # the admin frame's title, not a second heading


def test_editor_home_in_french_names_the_site(client):
    editor = f.make_editor()
    f.login_staff(client, editor)
    with translation.override("fr"):
        response = client.get(reverse("editorial:home"), HTTP_ACCEPT_LANGUAGE="fr")
    html = response.content.decode()
    assert "Administration de Django" not in html
    assert "Déconnexion" in html
    assert "Engagements non évalués depuis 90 jours ou plus (0)" in html
    assert "(sa date « au », non sa date de publication)" in html


def test_admin_index_links_to_the_editor_home(client):
    f.login_staff(client, f.make_editor())
    response = client.get(reverse("admin:index"))
    assert reverse("editorial:home") in response.content.decode()


def test_editor_home_needs_a_verified_second_factor(client):
    editor = f.make_editor()
    client.force_login(editor)  # password only
    response = client.get(reverse("editorial:home"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def _fill(n, reviewer, partner):
    editor = f.make_editor()
    for _ in range(n):
        c = f.make_commitment(actor=editor, due_date=dt.date(2020, 1, 1))
        f.make_assessment(c, author=reviewer)
        mine = f.make_assessment(c, author=partner)
        services.assessment_submit(actor=partner, assessment=mine)


def test_editor_home_query_count_does_not_grow(client, django_assert_max_num_queries):
    reviewer = f.make_reviewer()
    partner = f.make_user("Partners", organisation=f.make_organisation(kind="partner"), is_staff=False)
    f.login_staff(client, reviewer)
    _fill(3, reviewer, partner)
    with django_assert_max_num_queries(24):
        assert client.get(reverse("editorial:home")).status_code == 200
    _fill(9, reviewer, partner)
    with django_assert_max_num_queries(24):
        response = client.get(reverse("editorial:home"))
    assert section(response, "drafts").total == 12
    assert section(response, "partner_waiting").total == 12


def test_a_long_section_links_to_the_full_filtered_list(client, monkeypatch):
    monkeypatch.setattr("tracker.editorial.selectors.LIST_LIMIT", 1)
    editor, reviewer = f.make_editor(), f.make_reviewer()
    commitment = f.make_commitment(actor=editor)
    for _ in range(2):
        services.assessment_submit(actor=editor, assessment=f.make_assessment(commitment, author=editor))
    f.login_staff(client, reviewer)
    html = client.get(reverse("editorial:home")).content.decode()
    changelist = reverse("admin:tracker_assessment_changelist")
    queue = changelist + "?review_state__exact=submitted&written_by=others"
    link = queue.replace("&", "&amp;")
    assert f'Showing 1 of 2. <a href="{link}">See them all in the list of assessments</a>' in html
    listed = client.get(queue)
    assert listed.status_code == 200
    assert listed.context["cl"].result_count == 2
    # A section that shows every row has no link.
    assert "review_state__exact=draft" not in html
