"""An assessment's versions written as a draft (or returned) stay private to
the author's organisation in the admin's history, also once the assessment is
published: the list, the field-by-field diff and each old version."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests import factories as f
from tracker import services

pytestmark = pytest.mark.django_db

DRAFT_WORDING = "Brouillon interne : ne pas diffuser"


@pytest.fixture
def published(db):
    author = f.make_editor()
    commitment = f.make_commitment(actor=author)
    assessment = f.make_assessment(commitment, author=author, summary_fr=DRAFT_WORDING)
    assessment = services.assessment_update(
        actor=author, assessment=assessment, summary_fr="Version soumise à la relecture"
    )
    services.assessment_submit(actor=author, assessment=assessment)
    services.assessment_publish(actor=f.make_reviewer(), assessment=assessment)
    draft_version = assessment.history.filter(review_state="draft").order_by("history_id").first()
    return author, assessment, draft_version


def _pages(user, assessment, draft_version) -> dict:
    client = f.login_staff(Client(HTTP_ACCEPT_LANGUAGE="en"), user)
    return {
        "list": client.get(reverse("admin:tracker_assessment_history", args=[assessment.pk])),
        "diff": client.get(reverse("admin:tracker_assessment_history_diff", args=[assessment.pk])),
        "version": client.get(
            reverse("admin:tracker_assessment_simple_history", args=[assessment.pk, draft_version.history_id])
        ),
    }


def test_another_organisation_sees_no_draft_version(published):
    _author, assessment, draft_version = published
    pages = _pages(f.make_editor(), assessment, draft_version)
    assert pages["list"].status_code == 200 and pages["diff"].status_code == 200
    for name in ("list", "diff"):
        assert DRAFT_WORDING not in pages[name].content.decode(), name
    # Only the versions after submission: submitted, then published.
    shared = assessment.history.exclude(review_state__in=["draft", "returned"])
    assert shared.count() >= 2
    assert len(pages["diff"].context["entries"]) == shared.count()
    assert len(pages["list"].context["page_obj"].object_list) == shared.count()
    assert pages["version"].status_code == 404


def test_a_reviewer_of_another_organisation_sees_no_draft_version_either(published):
    _author, assessment, draft_version = published
    pages = _pages(f.make_reviewer(), assessment, draft_version)
    assert DRAFT_WORDING not in pages["diff"].content.decode()
    assert pages["version"].status_code == 404


def test_the_authors_organisation_sees_every_version(published):
    author, assessment, draft_version = published
    colleague = f.make_editor(organisation=author.membership.organisation)
    for user in (author, colleague):
        pages = _pages(user, assessment, draft_version)
        assert DRAFT_WORDING in pages["diff"].content.decode()
        assert pages["version"].status_code == 200
        assert DRAFT_WORDING in pages["version"].content.decode()
