"""Every rule of the services: the exact message, and nothing written."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.models import Assessment, Commitment, CommitmentInstitution, Evidence, Measurement

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def messages(exc) -> list[str]:
    return exc.value.messages


# --- commitments -----------------------------------------------------------------


def test_commitment_create_writes_lead_and_search_document(editor):
    lead = f.make_institution()
    support = f.make_institution()
    region = f.make_region(name="Ségou")
    c = f.make_commitment(
        actor=editor,
        title_fr="Sécurité à Ségou",
        lead_institution=lead,
        supporting_institutions=[support],
        regions=[region],
    )
    roles = {(r.institution_id, r.role) for r in c.responsibilities.all()}
    assert roles == {(lead.pk, "lead"), (support.pk, "supporting")}
    assert "securite a segou" in c.search_document
    assert c.current_status == "not_started" and c.version == 1
    assert c.history.count() == 1


def test_commitment_requires_lead_institution(editor):
    with pytest.raises(ValidationError) as exc:
        f.make_commitment(actor=editor, lead_institution=None)
    assert messages(exc) == ["A commitment needs a lead institution."]
    assert Commitment.objects.count() == 0
    assert Commitment.history.count() == 0 and CommitmentInstitution.objects.count() == 0


def test_commitment_reference_is_unique(editor):
    f.make_commitment(actor=editor, reference="LPS-2017-01")
    with pytest.raises(ValidationError) as exc:
        f.make_commitment(actor=editor, reference="LPS-2017-01")
    assert messages(exc) == ["Commitment with this Reference code already exists."]
    assert Commitment.objects.count() == 1


def test_commitment_due_date_not_before_start(editor):
    with pytest.raises(ValidationError) as exc:
        f.make_commitment(actor=editor, start_date=dt.date(2020, 1, 1), due_date=dt.date(2019, 1, 1))
    assert messages(exc) == ["The due date cannot be before the start date."]
    assert Commitment.objects.count() == 0
    assert Commitment.history.count() == 0 and CommitmentInstitution.objects.count() == 0


def test_commitment_create_needs_permission(db):
    outsider = f.make_user(group=None)
    with pytest.raises(PermissionDenied) as exc:
        f.make_commitment(actor=outsider)
    assert str(exc.value) == "You do not have permission to do this."
    assert Commitment.objects.count() == 0


def test_commitment_update_bumps_version_and_history(editor, commitment):
    updated = services.commitment_update(
        actor=editor, commitment=commitment, expected_version=1, title_en="New title"
    )
    assert updated.version == 2
    commitment.refresh_from_db()
    assert commitment.title_en == "New title"
    assert "new title" in commitment.search_document
    assert commitment.history.count() == 2


def test_commitment_update_refuses_stale_version(editor, commitment):
    services.commitment_update(actor=editor, commitment=commitment, expected_version=1, title_en="First")
    with pytest.raises(ValidationError) as exc:
        services.commitment_update(actor=editor, commitment=commitment, expected_version=1, title_en="Second")
    assert messages(exc) == [
        "Someone else saved this commitment while you were editing it (your version 1, now 2). "
        "Reload it to see their changes, then make yours again."
    ]
    commitment.refresh_from_db()
    assert (commitment.title_en, commitment.version) == ("First", 2)


def test_commitment_status_cannot_be_set_by_update(editor, commitment):
    with pytest.raises(ValidationError) as exc:
        services.commitment_update(actor=editor, commitment=commitment, current_status="completed")
    assert messages(exc) == ["These fields cannot be changed here: current_status"]
    commitment.refresh_from_db()
    assert commitment.current_status == "not_started" and commitment.version == 1


def test_commitment_cannot_be_its_own_ancestor(editor):
    parent = f.make_commitment(actor=editor)
    child = f.make_commitment(actor=editor, parent=parent)
    with pytest.raises(ValidationError) as exc:
        services.commitment_update(actor=editor, commitment=parent, parent=child)
    assert messages(exc) == ["A commitment cannot be its own ancestor."]
    parent.refresh_from_db()
    assert parent.parent_id is None


def test_changing_lead_keeps_exactly_one_lead(editor, commitment):
    new_lead = f.make_institution()
    services.commitment_update(actor=editor, commitment=commitment, lead_institution=new_lead)
    leads = CommitmentInstitution.objects.filter(commitment=commitment, role="lead")
    assert [r.institution_id for r in leads] == [new_lead.pk]


def test_database_refuses_second_lead(commitment):
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitmentInstitution.objects.create(
            commitment=commitment, institution=f.make_institution(), role="lead"
        )


# --- evidence ----------------------------------------------------------------------


def test_evidence_upload_keeps_sha256(editor, commitment):
    upload = SimpleUploadedFile("décret.pdf", PDF, content_type="application/pdf")
    evidence = f.make_evidence(commitment, actor=editor, file=upload)
    import hashlib

    assert evidence.file_sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence.file.name.startswith("evidence/") and evidence.file.name.endswith(".pdf")
    assert "décret" not in evidence.file.name


def test_evidence_refuses_file_that_is_not_pdf_or_image(editor, commitment, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("report.pdf", b"just some text, not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        f.make_evidence(commitment, actor=editor, file=upload)
    assert messages(exc) == ["Only PDF, PNG and JPEG files are accepted."]
    assert Evidence.objects.count() == 0
    assert not any(tmp_path.rglob("*.*"))


def test_evidence_refuses_empty_file(editor, commitment):
    with pytest.raises(ValidationError) as exc:
        f.make_evidence(commitment, actor=editor, file=SimpleUploadedFile("x.pdf", b""))
    assert messages(exc) == ["The file is empty."]
    assert Evidence.objects.count() == 0


def test_evidence_refuses_oversized_file(editor, commitment, settings):
    settings.EVIDENCE_MAX_UPLOAD_BYTES = 1024 * 1024
    upload = SimpleUploadedFile("big.pdf", PDF + b"0" * (1024 * 1024))
    with pytest.raises(ValidationError) as exc:
        f.make_evidence(commitment, actor=editor, file=upload)
    assert messages(exc) == ["The file is too large (at most 1 MB)."]
    assert Evidence.objects.count() == 0


# --- assessments -----------------------------------------------------------------


def test_assessment_progress_defaults_to_the_methodology(editor, commitment):
    a = f.make_assessment(commitment, author=editor, status="nearly_complete")
    assert a.progress == 75 and a.review_state == "draft" and a.methodology_version == "1.0"


def test_assessment_progress_must_fit_the_status(editor, commitment):
    with pytest.raises(ValidationError) as exc:
        f.make_assessment(commitment, author=editor, status="initiated", progress=60)
    assert messages(exc) == ["For the status “Initiated” the progress must be between 25% and 49%."]
    assert Assessment.objects.count() == 0


def test_assessment_cannot_cite_another_commitments_evidence(editor, commitment):
    other = f.make_commitment(actor=editor)
    foreign = f.make_evidence(other, actor=editor)
    with pytest.raises(ValidationError) as exc:
        f.make_assessment(commitment, author=editor, evidence=[foreign])
    assert messages(exc) == ["Evidence must belong to the same commitment as the assessment."]
    assert Assessment.objects.count() == 0


def test_publish_updates_commitment_status(editor, reviewer, commitment):
    a = f.make_assessment(commitment, author=editor, status="in_progress", progress=60)
    services.assessment_submit(actor=editor, assessment=a)
    services.assessment_publish(actor=reviewer, assessment=a)
    a.refresh_from_db()
    commitment.refresh_from_db()
    assert a.review_state == "published" and a.reviewer == reviewer and a.published_at
    assert (commitment.current_status, commitment.current_progress) == ("in_progress", 60)
    assert commitment.status_as_of == a.as_of


def test_published_assessment_must_cite_evidence(editor, reviewer, commitment):
    a = f.make_assessment(commitment, author=editor, evidence=[])
    services.assessment_submit(actor=editor, assessment=a)
    with pytest.raises(ValidationError) as exc:
        services.assessment_publish(actor=reviewer, assessment=a)
    assert messages(exc) == ["A published assessment must cite at least one piece of evidence."]
    a.refresh_from_db()
    commitment.refresh_from_db()
    assert a.review_state == "submitted" and a.reviewer is None
    assert commitment.current_status == "not_started"


def test_reviewer_cannot_publish_own_assessment(reviewer, commitment):
    a = f.make_assessment(commitment, author=reviewer)
    services.assessment_submit(actor=reviewer, assessment=a)
    with pytest.raises(ValidationError) as exc:
        services.assessment_publish(actor=reviewer, assessment=a)
    assert messages(exc) == ["You cannot review your own assessment: another reviewer must do it."]
    a.refresh_from_db()
    assert a.review_state == "submitted" and a.reviewer is None


def test_database_refuses_reviewer_equal_to_author(reviewer, commitment):
    a = f.make_assessment(commitment, author=reviewer)
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=a.pk).update(reviewer=reviewer)


def test_editor_cannot_publish(editor, commitment):
    a = f.make_assessment(commitment, author=f.make_editor())
    services.assessment_submit(actor=a.author, assessment=a)
    with pytest.raises(PermissionDenied) as exc:
        services.assessment_publish(actor=editor, assessment=a)
    assert str(exc.value) == "You do not have permission to do this."
    a.refresh_from_db()
    commitment.refresh_from_db()
    assert a.review_state == "submitted" and a.reviewer is None
    assert commitment.current_status == "not_started"


def test_only_submitted_assessment_can_be_published(editor, reviewer, commitment):
    a = f.make_assessment(commitment, author=editor)
    with pytest.raises(ValidationError) as exc:
        services.assessment_publish(actor=reviewer, assessment=a)
    assert messages(exc) == ["Only a submitted assessment can be reviewed."]
    a.refresh_from_db()
    assert a.review_state == "draft"


def test_only_author_can_submit(editor, commitment):
    a = f.make_assessment(commitment, author=editor)
    with pytest.raises(PermissionDenied) as exc:
        services.assessment_submit(actor=f.make_editor(), assessment=a)
    assert str(exc.value) == "Only the author can submit this assessment."
    a.refresh_from_db()
    assert a.review_state == "draft" and a.submitted_at is None


def test_return_needs_a_comment(editor, reviewer, commitment):
    a = f.make_assessment(commitment, author=editor)
    services.assessment_submit(actor=editor, assessment=a)
    with pytest.raises(ValidationError) as exc:
        services.assessment_return(actor=reviewer, assessment=a, comment="  ")
    assert messages(exc) == ["Say why the assessment is returned."]
    a.refresh_from_db()
    assert a.review_state == "submitted" and a.review_comment == ""


def test_returned_assessment_can_be_fixed_and_resubmitted(editor, reviewer, commitment):
    a = f.make_assessment(commitment, author=editor)
    services.assessment_submit(actor=editor, assessment=a)
    services.assessment_return(actor=reviewer, assessment=a, comment="Source?")
    a.refresh_from_db()
    assert (a.review_state, a.review_comment) == ("returned", "Source?")
    services.assessment_update(actor=editor, assessment=a, summary_en="Better summary")
    services.assessment_submit(actor=editor, assessment=a)
    services.assessment_publish(actor=reviewer, assessment=a)
    a.refresh_from_db()
    assert a.review_state == "published" and a.summary_en == "Better summary"


def test_published_assessment_is_append_only(editor, reviewer, commitment):
    a = f.make_published_assessment(commitment, author=editor, reviewer=reviewer)
    with pytest.raises(ValidationError) as exc:
        services.assessment_update(actor=editor, assessment=a, summary_en="Rewritten")
    assert messages(exc) == [
        "Only a draft or returned assessment can be changed; write a new assessment instead."
    ]
    a.refresh_from_db()
    assert a.summary_en == "Summary"


def test_backdated_assessment_does_not_override_newer_status(editor, reviewer, commitment):
    f.make_published_assessment(
        commitment, author=editor, reviewer=reviewer, status="completed", as_of=dt.date(2024, 6, 1)
    )
    f.make_published_assessment(
        commitment, author=editor, reviewer=reviewer, status="initiated", as_of=dt.date(2020, 1, 1)
    )
    commitment.refresh_from_db()
    assert commitment.current_status == "completed" and commitment.current_progress == 100


def test_stalled_keeps_last_progress(editor, reviewer, commitment):
    f.make_published_assessment(
        commitment,
        author=editor,
        reviewer=reviewer,
        status="in_progress",
        progress=55,
        as_of=dt.date(2020, 1, 1),
    )
    commitment.refresh_from_db()
    stalled = f.make_assessment(commitment, author=editor, status="stalled", as_of=dt.date(2024, 1, 1))
    assert stalled.progress == 55


# --- indicators --------------------------------------------------------------------


@pytest.fixture
def indicator(editor, commitment):
    return services.indicator_create(
        actor=editor,
        commitment=commitment,
        key="women-police",
        name_fr="Femmes",
        unit="percent",
        target_value=30,
    )


def test_measurement_recorded(editor, indicator):
    ev = f.make_evidence(indicator.commitment, actor=editor)
    m = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=12.4, evidence=ev
    )
    assert m.pk and indicator.measurements.count() == 1


def test_measurement_percent_over_100_refused(editor, indicator):
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            actor=editor, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=140
        )
    assert messages(exc) == ["A percentage cannot be more than 100."]
    assert Measurement.objects.count() == 0


def test_measurement_evidence_must_be_of_the_same_commitment(editor, indicator):
    foreign = f.make_evidence(f.make_commitment(actor=editor), actor=editor)
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            actor=editor, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=1, evidence=foreign
        )
    assert messages(exc) == ["The evidence must belong to the indicator's commitment."]
    assert Measurement.objects.count() == 0


def test_measurement_cannot_cite_another_organisations_confidential_evidence(editor, indicator):
    """As for an assessment: the admin picker hides it, the service refuses it
    (a hand-made POST with its id got through, and its title showed)."""
    secret = f.make_evidence(indicator.commitment, actor=editor, visibility="confidential", title="SECRET")
    other = f.make_editor()  # another organisation
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            actor=other, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=1, evidence=secret
        )
    assert messages(exc) == ["This confidential evidence belongs to another organisation."]
    assert Measurement.objects.count() == 0
    own = services.measurement_record(
        actor=other, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=1
    )
    with pytest.raises(ValidationError) as exc:
        services.measurement_update(actor=other, measurement=own, evidence=secret)
    assert messages(exc) == ["This confidential evidence belongs to another organisation."]
    own.refresh_from_db()
    assert own.evidence_id is None
    cited = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2015, 1, 1), value=2, evidence=secret
    )
    services.measurement_update(actor=other, measurement=cited, note="typo fixed")  # the cited one stays
    cited.refresh_from_db()
    assert cited.note == "typo fixed" and cited.evidence_id == secret.pk


def test_measurement_split_by_sex_only_when_indicator_is(editor, indicator):
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            actor=editor, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=10, value_women=3
        )
    assert messages(exc) == ["This indicator is not split by sex."]
    assert Measurement.objects.count() == 0


def test_one_measurement_per_date(editor, indicator):
    services.measurement_record(actor=editor, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=1)
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            actor=editor, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=2
        )
    assert messages(exc) == ["This indicator already has a measurement on this date."]
    assert Measurement.objects.count() == 1


@pytest.fixture
def staff_count(editor, commitment):
    return services.indicator_create(
        actor=editor,
        commitment=commitment,
        key="gendarmerie-staff",
        name_fr="Effectif",
        unit="count",
        disaggregated_by_sex=True,
    )


def test_measurement_parts_cannot_be_negative(editor, staff_count):
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            actor=editor, indicator=staff_count, measured_on=dt.date(2015, 1, 1), value=4000, value_women=-100
        )
    assert exc.value.message_dict == {"value_women": ["A value cannot be negative."]}
    assert Measurement.objects.count() == 0


def test_measurement_women_and_men_cannot_exceed_the_total(editor, staff_count):
    with pytest.raises(ValidationError) as exc:
        services.measurement_record(
            actor=editor,
            indicator=staff_count,
            measured_on=dt.date(2015, 1, 1),
            value=4000,
            value_women=100,
            value_men=3950,
        )
    assert messages(exc) == ["The numbers of women and men together cannot be more than the total."]
    assert Measurement.objects.count() == 0
    m = services.measurement_record(
        actor=editor, indicator=staff_count, measured_on=dt.date(2015, 1, 1), value=4000, value_women=100
    )
    assert (m.value, m.value_women, m.value_men) == (4000, 100, None)


def test_measurement_update_keeps_the_percent_rule(editor, indicator):
    m = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=12.4
    )
    with pytest.raises(ValidationError) as exc:
        services.measurement_update(actor=editor, measurement=m, value=140)
    assert messages(exc) == ["A percentage cannot be more than 100."]
    m.refresh_from_db()
    assert m.value == Decimal("12.40") and m.history.count() == 1


def test_measurement_update_keeps_the_split_by_sex_rule(editor, indicator):
    m = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=12.4
    )
    with pytest.raises(ValidationError) as exc:
        services.measurement_update(actor=editor, measurement=m, value_women=3)
    assert messages(exc) == ["This indicator is not split by sex."]
    m.refresh_from_db()
    assert m.value_women is None and m.history.count() == 1


def test_measurement_update_keeps_the_total_rule(editor, staff_count):
    m = services.measurement_record(
        actor=editor, indicator=staff_count, measured_on=dt.date(2015, 1, 1), value=4000, value_women=100
    )
    with pytest.raises(ValidationError) as exc:
        services.measurement_update(actor=editor, measurement=m, value=50)
    assert messages(exc) == ["The numbers of women and men together cannot be more than the total."]
    m.refresh_from_db()
    assert m.value == 4000 and m.history.count() == 1


def test_measurement_update_refuses_evidence_of_another_commitment(editor, indicator):
    m = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2014, 1, 1), value=12.4
    )
    foreign = f.make_evidence(f.make_commitment(actor=editor), actor=editor)
    with pytest.raises(ValidationError) as exc:
        services.measurement_update(actor=editor, measurement=m, evidence=foreign)
    assert messages(exc) == ["The evidence must belong to the indicator's commitment."]
    m.refresh_from_db()
    assert m.evidence is None and m.history.count() == 1


def test_indicator_cannot_become_a_percentage_over_its_measurements(editor, staff_count):
    services.measurement_record(
        actor=editor, indicator=staff_count, measured_on=dt.date(2015, 1, 1), value=4000
    )
    with pytest.raises(ValidationError) as exc:
        services.indicator_update(actor=editor, indicator=staff_count, unit="percent")
    assert messages(exc) == [
        "Measurements of more than 100 are recorded: this indicator cannot become a percentage."
    ]
    staff_count.refresh_from_db()
    assert (staff_count.unit, staff_count.version, staff_count.history.count()) == ("count", 1, 1)


def test_indicator_split_by_sex_cannot_be_removed_under_split_measurements(editor, staff_count):
    services.measurement_record(
        actor=editor, indicator=staff_count, measured_on=dt.date(2015, 1, 1), value=4000, value_women=100
    )
    with pytest.raises(ValidationError) as exc:
        services.indicator_update(actor=editor, indicator=staff_count, disaggregated_by_sex=False)
    assert messages(exc) == ["Measurements split by sex are recorded: the split cannot be removed."]
    staff_count.refresh_from_db()
    assert staff_count.disaggregated_by_sex and staff_count.version == 1
    # Without such measurements both changes are allowed.
    other = services.indicator_create(actor=editor, commitment=staff_count.commitment, key="k", name_fr="K")
    services.indicator_update(actor=editor, indicator=other, unit="percent", disaggregated_by_sex=False)


def test_indicator_cannot_become_a_count_under_parts_over_the_total(editor, indicator):
    """Percentages of women and men (50 and 60 of 70) are fine; as a count they
    would break the count rule and the measurement could no longer be edited."""
    services.indicator_update(
        actor=editor, indicator=indicator, expected_version=1, disaggregated_by_sex=True
    )
    indicator.refresh_from_db()
    services.measurement_record(
        actor=editor,
        indicator=indicator,
        measured_on=dt.date(2015, 1, 1),
        value=70,
        value_women=50,
        value_men=60,
    )
    with pytest.raises(ValidationError) as exc:
        services.indicator_update(actor=editor, indicator=indicator, expected_version=2, unit="count")
    assert messages(exc) == [
        "Measurements whose women and men together are more than the total are recorded: "
        "this indicator cannot become a count."
    ]
    indicator.refresh_from_db()
    assert (indicator.unit, indicator.version) == ("percent", 2)


def test_stalled_keeps_last_level_even_with_a_stale_commitment_object(editor, reviewer):
    commitment = f.make_commitment(actor=editor)
    stale = Commitment.objects.get(pk=commitment.pk)  # read before any publication
    f.make_published_assessment(
        commitment, author=editor, reviewer=reviewer, status="initiated", as_of=dt.date(2016, 1, 1)
    )
    f.make_published_assessment(
        commitment, author=editor, reviewer=reviewer, status="in_progress", as_of=dt.date(2018, 1, 1)
    )
    stalled = f.make_assessment(stale, author=editor, status="stalled", as_of=dt.date(2024, 1, 1))
    assert stalled.progress == 50
    backdated = f.make_assessment(stale, author=editor, status="unclear", as_of=dt.date(2017, 1, 1))
    assert backdated.progress == 25  # the last level before its own date


def test_changing_a_drafts_status_recomputes_its_progress(editor, commitment):
    draft = f.make_assessment(commitment, author=editor, status="completed")
    assert draft.progress == 100
    services.assessment_update(actor=editor, assessment=draft, status="initiated")
    draft.refresh_from_db()
    assert draft.progress == 25
