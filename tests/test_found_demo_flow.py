"""Issue #2's "Done when", as written: the demo editor logs in (password and
second factor, as `make run` prints them), creates a commitment with a lead
institution, adds evidence and submits an assessment; the demo reviewer logs
in and publishes it; the commitment shows the new status and progress, in the
admin and on its public page."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.test_admin_flow import commitment_post
from tracker.models import Assessment, Commitment, Evidence

pytestmark = pytest.mark.django_db
# The passwords README.md and `make run` give.
DEMO = {"demo-editor": "editor-demo-2026!", "demo-reviewer": "reviewer-demo-2026!"}


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def log_in(client, settings, username: str) -> None:
    """The login form, with the current code of the account's authenticator."""
    settings.DEBUG = True  # otp_code is for the demo accounts of a DEBUG set-up only
    out = StringIO()
    call_command("otp_code", username, stdout=out)
    settings.DEBUG = False
    response = client.post(
        reverse("admin:login"),
        {
            "username": username,
            "password": DEMO[username],
            "otp_token": out.getvalue().strip(),
            "next": "/admin/",
        },
        REMOTE_ADDR="10.0.0.7",
    )
    assert response.status_code == 302, response.context["form"].errors
    assert client.get(reverse("admin:index")).status_code == 200


def test_demo_editor_records_and_demo_reviewer_publishes(client, settings):
    call_command("create_demo_accounts", stdout=StringIO())
    framework, pillar, lead = f.make_framework(), f.make_pillar(), f.make_institution()

    log_in(client, settings, "demo-editor")
    response = client.post(reverse("admin:tracker_commitment_add"), commitment_post(framework, pillar, lead))
    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment = Commitment.objects.get(reference="LPS-2017-99")
    assert commitment.responsibilities.get(role="lead").institution == lead
    response = client.post(
        reverse("admin:tracker_evidence_add"),
        {
            "commitment": commitment.pk,
            "kind": "news_report",
            "publisher": "Neil Camara (news site)",
            "title": "Mali launches major security recruitment drive amid growing challenges",
            "published_on": "2025-01-01",
            "published_on_precision": "year",
            "language": "en",
            "reliability": "credible",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(commitment=commitment)
    response = client.post(
        reverse("admin:tracker_assessment_add"),
        {
            "commitment": commitment.pk,
            "status": "initiated",
            "as_of": "2025-01-01",
            "as_of_precision": "year",
            "summary_fr": "Campagne lancée.",
            "summary_en": "Campaign launched.",
            "evidence": [evidence.pk],
        },
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(commitment=commitment)
    assert assessment.author.username == "demo-editor"
    assert client.post(reverse("admin:tracker_assessment_submit", args=[assessment.pk])).status_code == 302
    client.post(reverse("admin:logout"))

    log_in(client, settings, "demo-reviewer")
    response = client.post(reverse("admin:tracker_assessment_publish", args=[assessment.pk]), follow=True)
    assert "The assessment was published" in response.content.decode()
    assessment.refresh_from_db()
    commitment.refresh_from_db()
    assert (assessment.review_state, assessment.reviewer.username) == ("published", "demo-reviewer")
    assert (commitment.current_status, commitment.current_progress) == ("initiated", 25)
    admin_page = client.get(reverse("admin:tracker_commitment_change", args=[commitment.pk])).content.decode()
    assert "Initiated" in admin_page
    client.post(reverse("admin:logout"))
    public_page = client.get(commitment.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Initiated" in public_page and "Campaign launched." in public_page
