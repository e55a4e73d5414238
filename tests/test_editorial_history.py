"""History (issue 6): every write path records who and what; the admin shows
it as a field-by-field diff; the public change log shows public fields only;
history rows are never edited from the application."""

import datetime as dt

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.models import Assessment, Commitment, CommitmentInstitution, Evidence, Indicator, Institution

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def last_history(obj):
    return obj.history.order_by("-history_date", "-history_id").first()


def test_every_service_write_records_a_history_row_with_the_actor():
    editor, reviewer = f.make_editor(), f.make_reviewer()
    commitment = f.make_commitment(actor=editor)
    assert last_history(commitment).history_user == editor
    assert {r.history_user for r in CommitmentInstitution.history.filter(commitment_id=commitment.pk)} == {
        editor
    }

    other = f.make_editor()
    commitment = services.commitment_update(
        actor=other, commitment=commitment, title_en="New", lead_institution=f.make_institution()
    )
    assert (last_history(commitment).history_user, last_history(commitment).title_en) == (other, "New")
    deleted = CommitmentInstitution.history.filter(commitment_id=commitment.pk, history_type="-")
    assert deleted.exists() and {r.history_user for r in deleted} == {other}

    evidence = f.make_evidence(commitment, actor=editor)
    assert last_history(evidence).history_user == editor
    evidence = services.evidence_update(actor=other, evidence=evidence, title="Renamed")
    assert last_history(evidence).history_user == other

    indicator = services.indicator_create(
        actor=editor, commitment=commitment, key="k-1", name_fr="Indicateur"
    )
    assert last_history(indicator).history_user == editor
    indicator = services.indicator_update(actor=other, indicator=indicator, name_en="Indicator")
    assert last_history(indicator).history_user == other
    measurement = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2024, 1, 1), value=3
    )
    assert last_history(measurement).history_user == editor

    assessment = f.make_assessment(commitment, author=editor, evidence=[evidence])
    assert last_history(assessment).history_user == editor
    services.assessment_submit(actor=editor, assessment=assessment)
    assert last_history(assessment).history_user == editor
    services.assessment_return(actor=reviewer, assessment=assessment, comment="Why?")
    assert last_history(assessment).history_user == reviewer
    services.assessment_submit(actor=editor, assessment=assessment)
    services.assessment_publish(actor=reviewer, assessment=assessment)
    assert (last_history(assessment).history_user, last_history(assessment).review_state) == (
        reviewer,
        "published",
    )
    # The commitment's status refresh is recorded as the reviewer's act.
    commitment.refresh_from_db()
    assert (last_history(commitment).history_user, last_history(commitment).current_status) == (
        reviewer,
        "in_progress",
    )

    admin_user = f.make_user("Administrators")
    institution = services.institution_create(actor=admin_user, slug="pn", name_fr="Police")
    institution = services.institution_update(actor=admin_user, institution=institution, acronym="PN")
    assert [r.history_user for r in institution.history.all()] == [admin_user, admin_user]
    framework = services.framework_create(actor=admin_user, code="lps", name_fr="LPS")
    assert last_history(framework).history_user == admin_user


def test_admin_writes_record_the_user(client):
    editor = f.make_editor()
    commitment = f.make_commitment(actor=f.make_editor())
    f.login_staff(client, editor)
    response = client.post(
        reverse("admin:tracker_evidence_add"),
        {
            "commitment": commitment.pk,
            "kind": "news_report",
            "publisher": "P",
            "title": "T",
            "published_on_precision": "day",
            "language": "fr",
            "reliability": "credible",
            "visibility": "public",
        },
    )
    assert response.status_code == 302
    evidence = Evidence.objects.get(commitment=commitment)
    assert last_history(evidence).history_user == editor


def test_history_diff_view_shows_each_change_with_who(client):
    editor, colleague = f.make_editor(), f.make_editor()
    commitment = f.make_commitment(actor=editor, title_en="Recruit police", due_date=dt.date(2025, 1, 1))
    services.commitment_update(
        actor=colleague, commitment=commitment, title_en="Recruit 2,000 police", due_date=dt.date(2026, 6, 30)
    )
    f.login_staff(client, editor)
    response = client.get(reverse("admin:tracker_commitment_history_diff", args=[commitment.pk]))
    assert response.status_code == 200
    entries = response.context["entries"]
    assert entries[0]["user"] == colleague.username and entries[0]["type"] == "changed"
    changes = {c["field"]: (c["old"], c["new"]) for c in entries[0]["changes"]}
    assert changes["title (English)"] == ("Recruit police", "Recruit 2,000 police")
    assert changes["due date"] == ("2025-01-01", "2026-06-30")
    assert entries[-1]["first"] and entries[-1]["user"] == editor.username
    # The plain history page links to the diff.
    page = client.get(reverse("admin:tracker_commitment_history", args=[commitment.pk]))
    assert reverse("admin:tracker_commitment_history_diff", args=[commitment.pk]) in page.content.decode()


@pytest.mark.parametrize("model", ["commitment", "evidence", "indicator", "institution", "framework"])
def test_every_edited_model_has_a_diff_page(client, model):
    editor = f.make_user("Administrators")
    commitment = f.make_commitment(actor=editor)
    objects = {
        "commitment": commitment,
        "evidence": f.make_evidence(commitment, actor=editor),
        "indicator": services.indicator_create(actor=editor, commitment=commitment, key="x", name_fr="X"),
        "institution": f.make_institution(),
        "framework": f.make_framework(),
    }
    f.login_staff(client, editor)
    url = reverse(f"admin:tracker_{model}_history_diff", args=[objects[model].pk])
    assert client.get(url).status_code == 200


def test_history_cannot_be_reverted_or_edited_from_the_admin(client):
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor, title_en="Original")
    services.commitment_update(actor=editor, commitment=commitment, title_en="Current")
    first = commitment.history.order_by("history_id").first()
    f.login_staff(client, editor)
    url = reverse("admin:tracker_commitment_simple_history", args=[commitment.pk, first.history_id])
    assert client.get(url).status_code == 200  # may be looked at
    data = {"title_en": "Original", "reference": commitment.reference}
    assert client.post(url, data).status_code == 403
    commitment.refresh_from_db()
    assert commitment.title_en == "Current"
    assert commitment.history.count() == 2
    # No admin for the historical models themselves.
    registered = {m._meta.model_name for m in admin.site._registry}
    assert not any(name.startswith("historical") for name in registered)


def test_public_changelog_shows_public_fields_only_and_no_names(client):
    editor = f.make_editor(username="editor-secret-name")
    commitment = f.make_commitment(actor=editor, reference="LPS-1", title_en="Before")
    services.commitment_update(actor=editor, commitment=commitment, title_en="After")
    f.make_published_assessment(commitment)
    Commitment.objects.filter(pk=commitment.pk).update(search_document="zzz-internal")
    response = client.get(reverse("editorial:commitment-changelog", args=["LPS-1"]))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Before" in text and "After" in text
    assert "editor-secret-name" not in text and "zzz-internal" not in text
    entries = response.context["entries"]
    fields = {c["field"] for e in entries for c in e["changes"]}
    assert fields == {"title (English)", "current status", "current progress (%)", "status as of"}
    assert client.get(reverse("editorial:commitment-changelog", args=["NOPE"])).status_code == 404


def test_public_changelog_query_count_is_constant(client, django_assert_max_num_queries):
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor, reference="LPS-2")
    for i in range(3):
        services.commitment_update(actor=editor, commitment=commitment, title_en=f"v{i}")
    with django_assert_max_num_queries(6):
        client.get(reverse("editorial:commitment-changelog", args=["LPS-2"]))
    for i in range(9):
        services.commitment_update(actor=editor, commitment=commitment, title_en=f"w{i}")
    with django_assert_max_num_queries(6):
        response = client.get(reverse("editorial:commitment-changelog", args=["LPS-2"]))
    assert len(response.context["entries"]) == 13


def test_assessment_and_indicator_history_rows_exist_for_every_save():
    editor = f.make_editor()
    commitment = f.make_commitment(actor=editor)
    assessment = f.make_assessment(commitment, author=editor)
    services.assessment_update(actor=editor, assessment=assessment, summary_en="Changed")
    assert Assessment.history.filter(id=assessment.pk).count() >= 2
    indicator = services.indicator_create(actor=editor, commitment=commitment, key="i", name_fr="I")
    services.indicator_update(actor=editor, indicator=indicator, name_fr="J")
    assert Indicator.history.filter(id=indicator.pk).count() == 2
    assert Institution.history.count() >= 1
