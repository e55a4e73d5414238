"""The editors' admin: issue 2's flow end to end, and rules surfacing as form errors."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tracker.models import Assessment, Commitment, Evidence

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def staff_client(client, user):
    client.force_login(user)
    hook = getattr(staff_client, "session_hook", None)
    if hook:  # e.g. mark the session as having passed two-factor authentication
        hook(client, user)
    return client


def commitment_post(framework, pillar, lead, **extra):
    data = {
        "reference": "LPS-2017-99",
        "framework": framework.pk,
        "pillar": pillar.pk,
        "title_fr": "Recruter 2 000 policiers",
        "title_en": "Recruit 2,000 police officers",
        "lead_institution": lead.pk,
        "start_date_precision": "day",
        "due_date_precision": "day",
        "budget_currency": "XOF",
        # Django admin inline management forms (read-only inlines).
        **{
            f"{prefix}-{k}": v
            for prefix in ("responsibilities", "assessments", "evidence", "indicators")
            for k, v in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}.items()
        },
    }
    data.update(extra)
    return data


def test_editor_records_reviewer_publishes(client):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    framework, pillar, lead = f.make_framework(), f.make_pillar(), f.make_institution()

    staff_client(client, editor)
    response = client.post(
        reverse("admin:tracker_commitment_add"),
        commitment_post(framework, pillar, lead, current_status="completed"),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment = Commitment.objects.get(reference="LPS-2017-99")
    assert commitment.current_status == "not_started"  # not settable from the form
    assert commitment.responsibilities.get().institution == lead

    response = client.post(
        reverse("admin:tracker_evidence_add"),
        {
            "commitment": commitment.pk,
            "kind": "news_report",
            "publisher": "Le Républicain",
            "title": "Recrutement lancé",
            "published_on_precision": "day",
            "language": "fr",
            "reliability": "credible",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(commitment=commitment)
    assert evidence.added_by == editor

    response = client.post(
        reverse("admin:tracker_assessment_add"),
        {
            "commitment": commitment.pk,
            "status": "in_progress",
            "as_of": "2024-08-01",
            "as_of_precision": "day",
            "summary_en": "First wave recruited.",
            "evidence": [evidence.pk],
        },
    )
    assert response.status_code == 302
    assessment = Assessment.objects.get(commitment=commitment)
    assert (assessment.author, assessment.review_state, assessment.progress) == (editor, "draft", 50)

    response = client.post(reverse("admin:tracker_assessment_submit", args=[assessment.pk]))
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.review_state == "submitted"

    # The editor cannot publish, not even by posting to the URL.
    client.post(reverse("admin:tracker_assessment_publish", args=[assessment.pk]))
    assessment.refresh_from_db()
    assert assessment.review_state == "submitted"

    client.logout()
    staff_client(client, reviewer)
    page = client.get(reverse("admin:tracker_assessment_change", args=[assessment.pk]))
    assert b'name="_publish"' in page.content
    response = client.post(reverse("admin:tracker_assessment_publish", args=[assessment.pk]), follow=True)
    assert "The assessment was published" in response.content.decode()
    commitment.refresh_from_db()
    assert (commitment.current_status, commitment.current_progress) == ("in_progress", 50)
    page = client.get(reverse("admin:tracker_commitment_change", args=[commitment.pk]))
    assert "In progress" in page.content.decode()


def test_service_rule_becomes_form_error_and_keeps_input(client):
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor)
    staff_client(client, editor)
    response = client.post(
        reverse("admin:tracker_assessment_add"),
        {
            "commitment": commitment.pk,
            "status": "initiated",
            "progress": 80,
            "as_of": "2024-08-01",
            "as_of_precision": "day",
            "summary_en": "Kept text",
        },
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.errors["progress"] == ["For the status “Initiated” the progress must be between 25% and 49%."]
    assert "Kept text" in response.content.decode()
    assert Assessment.objects.count() == 0


def test_stale_commitment_form_is_refused(client):
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor, title_en="Original")
    from tracker import services

    services.commitment_update(actor=editor, commitment=commitment, title_en="Changed by a colleague")
    staff_client(client, editor)
    data = commitment_post(
        commitment.framework,
        commitment.pillar,
        commitment.responsibilities.get().institution,
        reference=commitment.reference,
        title_en="My edit",
        expected_version=1,
    )
    response = client.post(reverse("admin:tracker_commitment_change", args=[commitment.pk]), data)
    assert response.status_code == 200
    assert "Someone else saved this commitment" in response.content.decode()
    commitment.refresh_from_db()
    assert commitment.title_en == "Changed by a colleague"


def test_reviewer_cannot_publish_own_work_in_admin(client):
    reviewer = f.make_reviewer()
    commitment = f.make_commitment(actor=reviewer)
    assessment = f.make_assessment(commitment, author=reviewer)
    from tracker import services

    services.assessment_submit(actor=reviewer, assessment=assessment)
    staff_client(client, reviewer)
    page = client.get(reverse("admin:tracker_assessment_change", args=[assessment.pk]))
    assert b'name="_publish"' not in page.content
    response = client.post(reverse("admin:tracker_assessment_publish", args=[assessment.pk]), follow=True)
    assert "You cannot review your own assessment" in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.review_state == "submitted"


def test_groups_exist_with_review_permission_only_for_reviewers():
    editor, reviewer = f.make_editor(), f.make_reviewer()
    assert editor.has_perm("tracker.add_assessment") and not editor.has_perm("tracker.review_assessment")
    assert reviewer.has_perm("tracker.review_assessment")


@pytest.mark.parametrize(
    "model",
    [
        "commitment",
        "assessment",
        "evidence",
        "indicator",
        "measurement",
        "institution",
        "framework",
        "pillar",
        "region",
        "organisation",
        "membership",
    ],
)
def test_changelists_have_constant_query_counts(client, django_assert_max_num_queries, model):
    admin_user = f.make_user(group=None, is_superuser=True)
    staff_client(client, admin_user)
    editor = f.make_editor()
    for _ in range(3):
        c = f.make_commitment(actor=editor)
        f.make_published_assessment(c)
    with django_assert_max_num_queries(25):
        response = client.get(reverse(f"admin:tracker_{model}_changelist"))
    assert response.status_code == 200
    for _ in range(6):
        c = f.make_commitment(actor=editor)
        f.make_published_assessment(c)
    with django_assert_max_num_queries(25):
        assert client.get(reverse(f"admin:tracker_{model}_changelist")).status_code == 200


def test_evidence_picker_names_each_piece_by_its_commitment(client):
    """The assessment form's evidence picker lists evidence of every
    commitment, often under the same title: each option starts with its
    commitment's reference, and typing the reference narrows the list."""
    editor = f.make_editor()
    mine, other = f.make_commitment(actor=editor), f.make_commitment(actor=editor)
    for commitment in (mine, other, other):
        f.make_evidence(commitment, actor=editor, title="Background note", publisher="Le Journal")
    staff_client(client, editor)
    url = reverse("admin:autocomplete")
    params = {"app_label": "tracker", "model_name": "assessment", "field_name": "evidence"}
    texts = [r["text"] for r in client.get(url, {**params, "term": ""}).json()["results"]]
    assert sorted(texts) == sorted(
        f"{c.reference} · Le Journal: Background note" for c in (mine, other, other)
    )
    narrowed = client.get(url, {**params, "term": mine.reference}).json()["results"]
    assert [r["text"] for r in narrowed] == [f"{mine.reference} · Le Journal: Background note"]
    # The rows and their commitments in one query, whatever their number.
    before = _queries(client, url, params)
    for _ in range(5):
        f.make_evidence(other, actor=editor, title="Another note")
    after = _queries(client, url, params)
    assert len(after) == len(before)
    assert not [q for q in after if q["sql"].lstrip().startswith('SELECT "tracker_commitment"')]


def _queries(client, url, params) -> list[dict]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, {**params, "term": ""}).status_code == 200
    return captured.captured_queries
