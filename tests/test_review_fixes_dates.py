"""Impossible dates are refused on every write path: a verdict, a source or a
measurement dated after today or before 1 January 1960 (Mali's independence),
a commitment starting or due before 1960. Checked by the models' validation
(clean_fields, no migration), so services, admin forms, imports and partners'
API submissions all answer with the same message on the field."""

import datetime as dt
import json

import pytest
import tablib
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from tests import factories as f
from tracker import services
from tracker.admin.imports import CommitmentResource, EvidenceResource
from tracker.models import Assessment, Commitment, Evidence, Measurement

pytestmark = pytest.mark.django_db

BEFORE_1960 = "This date cannot be before 1 January 1960 (Mali's independence)."


def future_message():
    today = timezone.localdate()
    return f"This date cannot be in the future (today is {today.day} {today:%B %Y})."


def tomorrow():
    return timezone.localdate() + dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()
    with translation.override("en"):
        yield
    cache.clear()


@pytest.fixture
def commitment():
    return f.make_commitment(reference="LPS-2017-04")


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- services -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "as_of, message",
    [(dt.date(2099, 1, 1), None), (dt.date(1066, 10, 14), BEFORE_1960), (dt.date(1959, 12, 31), BEFORE_1960)],
)
def test_assessment_create_refuses_impossible_as_of(commitment, as_of, message):
    with pytest.raises(ValidationError) as excinfo:
        f.make_assessment(commitment, as_of=as_of)
    assert errors_of(excinfo) == {"as_of": [message or future_message()]}
    assert not Assessment.objects.exists()


def test_assessment_dated_today_and_1960_are_accepted(commitment):
    f.make_assessment(commitment, as_of=timezone.localdate())
    f.make_assessment(commitment, as_of=dt.date(1960, 1, 1))
    assert Assessment.objects.count() == 2


def test_assessment_update_refuses_tomorrow(commitment):
    assessment = f.make_assessment(commitment)
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_update(actor=assessment.author, assessment=assessment, as_of=tomorrow())
    assert errors_of(excinfo) == {"as_of": [future_message()]}


def test_a_future_dated_assessment_written_before_the_rule_cannot_be_published(commitment):
    author, reviewer = f.make_editor(), f.make_reviewer()
    assessment = f.make_assessment(commitment, author=author, status="completed")
    services.assessment_submit(actor=author, assessment=assessment)
    Assessment.objects.filter(pk=assessment.pk).update(as_of=dt.date(2099, 1, 1))  # a row from before
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_publish(actor=reviewer, assessment=assessment)
    assert errors_of(excinfo) == {"as_of": [future_message()]}
    assessment.refresh_from_db()
    commitment.refresh_from_db()
    assert assessment.review_state == "submitted"
    assert (commitment.current_status, commitment.status_as_of) == ("not_started", None)


def test_a_pre_1960_assessment_written_before_the_rule_cannot_be_published(commitment):
    author, reviewer = f.make_editor(), f.make_reviewer()
    assessment = f.make_assessment(commitment, author=author)
    services.assessment_submit(actor=author, assessment=assessment)
    Assessment.objects.filter(pk=assessment.pk).update(as_of=dt.date(1066, 10, 14))
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_publish(actor=reviewer, assessment=assessment)
    assert errors_of(excinfo) == {"as_of": [BEFORE_1960]}


def test_a_future_dated_draft_written_before_the_rule_cannot_be_submitted(commitment):
    author = f.make_editor()
    assessment = f.make_assessment(commitment, author=author)
    Assessment.objects.filter(pk=assessment.pk).update(as_of=dt.date(2099, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.assessment_submit(actor=author, assessment=assessment)
    assert errors_of(excinfo) == {"as_of": [future_message()]}
    assessment.refresh_from_db()
    assert assessment.review_state == "draft"


@pytest.mark.parametrize("published_on", [dt.date(2099, 5, 5), dt.date(1, 1, 1)])
def test_evidence_attach_refuses_impossible_dates(commitment, published_on):
    with pytest.raises(ValidationError) as excinfo:
        f.make_evidence(commitment, published_on=published_on)
    expected = future_message() if published_on.year == 2099 else BEFORE_1960
    assert errors_of(excinfo) == {"published_on": [expected]}
    assert not Evidence.objects.exists()


def test_evidence_without_a_date_is_still_accepted(commitment):
    assert f.make_evidence(commitment, published_on=None).published_on is None


def test_evidence_update_refuses_a_future_date(commitment):
    evidence = f.make_evidence(commitment)
    with pytest.raises(ValidationError) as excinfo:
        services.evidence_update(
            actor=evidence.added_by, evidence=evidence, expected_version=1, published_on=tomorrow()
        )
    assert errors_of(excinfo) == {"published_on": [future_message()]}


def test_measurement_record_and_update_refuse_impossible_dates(commitment):
    editor = f.make_editor()
    indicator = services.indicator_create(
        actor=editor, commitment=commitment, key="recruits", name_fr="Recrues"
    )
    with pytest.raises(ValidationError) as excinfo:
        services.measurement_record(actor=editor, indicator=indicator, measured_on=tomorrow(), value=5)
    assert errors_of(excinfo) == {"measured_on": [future_message()]}
    with pytest.raises(ValidationError) as excinfo:
        services.measurement_record(
            actor=editor, indicator=indicator, measured_on=dt.date(1959, 1, 1), value=5
        )
    assert errors_of(excinfo) == {"measured_on": [BEFORE_1960]}
    measurement = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2020, 1, 1), value=5
    )
    with pytest.raises(ValidationError) as excinfo:
        services.measurement_update(actor=editor, measurement=measurement, measured_on=dt.date(2099, 1, 1))
    assert errors_of(excinfo) == {"measured_on": [future_message()]}
    assert list(Measurement.objects.values_list("measured_on", flat=True)) == [dt.date(2020, 1, 1)]


def test_commitment_dates_cannot_be_before_1960_but_may_be_due_in_the_future():
    with pytest.raises(ValidationError) as excinfo:
        f.make_commitment(start_date=dt.date(1959, 12, 31), due_date=dt.date(1900, 1, 1))
    assert errors_of(excinfo) == {"start_date": [BEFORE_1960], "due_date": [BEFORE_1960]}
    commitment = f.make_commitment(start_date=dt.date(1960, 1, 1), due_date=dt.date(2099, 1, 1))
    with pytest.raises(ValidationError) as excinfo:
        services.commitment_update(
            actor=f.make_editor(), commitment=commitment, expected_version=1, start_date=dt.date(1066, 1, 1)
        )
    assert errors_of(excinfo) == {"start_date": [BEFORE_1960]}


def test_the_message_is_translated(commitment):
    with translation.override("fr"):
        with pytest.raises(ValidationError) as excinfo:
            f.make_assessment(commitment, as_of=dt.date(1066, 10, 14))
        assert errors_of(excinfo) == {
            "as_of": ["Cette date ne peut pas être antérieure au 1er janvier 1960 (indépendance du Mali)."]
        }
        with pytest.raises(ValidationError) as excinfo:
            f.make_assessment(commitment, as_of=dt.date(2099, 1, 1))
        today = date_format(timezone.localdate(), "j F Y")
        assert errors_of(excinfo) == {
            "as_of": [f"Cette date ne peut pas être dans le futur (nous sommes le {today})."]
        }


# --- admin form, import, API ----------------------------------------------------------------------


def test_admin_form_shows_the_error_on_the_field(client, commitment):
    editor = f.make_editor()
    evidence = f.make_evidence(commitment, actor=editor)
    f.login_staff(client, editor)
    response = client.post(
        reverse("admin:tracker_assessment_add"),
        {
            "commitment": commitment.pk,
            "status": "completed",
            "as_of": "2099-01-01",
            "as_of_precision": "day",
            "summary_en": "Done.",
            "evidence": [evidence.pk],
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"as_of": [future_message()]}
    assert not Assessment.objects.exists()


def test_admin_publish_of_an_old_future_dated_assessment_is_refused(client, commitment):
    author, reviewer = f.make_editor(), f.make_reviewer()
    assessment = f.make_assessment(commitment, author=author)
    services.assessment_submit(actor=author, assessment=assessment)
    Assessment.objects.filter(pk=assessment.pk).update(as_of=dt.date(2099, 1, 1))
    f.login_staff(client, reviewer)
    response = client.post(reverse("admin:tracker_assessment_publish", args=[assessment.pk]), follow=True)
    assert future_message() in response.content.decode()
    assessment.refresh_from_db()
    assert assessment.review_state == "submitted"


def test_import_rows_with_impossible_dates_are_refused():
    editor = f.make_user("Administrators")
    f.make_framework(code="lps"), f.make_pillar(slug="police"), f.make_institution(slug="pn")
    commitment = f.make_commitment(actor=editor, reference="LPS-1")
    header = (
        "reference,framework,pillar,parent,title_fr,title_en,description_fr,description_en,provision,"
        "start_date,start_date_precision,due_date,due_date_precision,budget_amount,budget_currency,"
        "wps_marker,lead_institution,supporting_institutions,regions,current_status,version\n"
    )
    dataset = tablib.Dataset().load(
        header + "LPS-9,lps,police,,Vieux,,,,,1959-06-01,day,,day,,XOF,0,pn,,,,\n", format="csv"
    )
    result = CommitmentResource().import_data(dataset, dry_run=True, use_transactions=True, user=editor)
    assert result.invalid_rows[0].error_dict == {"start_date": [BEFORE_1960]}

    dataset = tablib.Dataset(
        headers=["key", "commitment", "kind", "publisher", "title", "published_on", "version"]
    )
    dataset.append(["ev-9", commitment.reference, "official_text", "JO", "Décret", "2099-05-05", ""])
    result = EvidenceResource().import_data(dataset, dry_run=True, use_transactions=True, user=editor)
    assert result.invalid_rows[0].error_dict == {"published_on": [future_message()]}
    assert not Commitment.objects.filter(reference="LPS-9").exists() and not Evidence.objects.exists()


@pytest.mark.parametrize(
    "assessment_date, evidence_date, field",
    [("2099-01-01", "2025-02-20", "as_of"), ("2025-03-01", "0001-01-01", "published_on")],
)
def test_api_submission_with_an_impossible_date_is_400(
    client, commitment, assessment_date, evidence_date, field
):
    _key, raw = f.make_api_key(f.make_partner(slug="partner-a"), scope="submit")
    data = {
        "commitment": "LPS-2017-04",
        "assessment": {"status": "completed", "as_of": assessment_date, "summary_en": "Done."},
        "evidence": [
            {"kind": "official_text", "publisher": "JO", "title": "Décret", "published_on": evidence_date}
        ],
    }
    response = client.post(
        "/api/v1/submissions/",
        data=json.dumps(data),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Api-Key {raw}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400, response.content
    message = BEFORE_1960 if field == "published_on" else future_message()
    assert message in json.dumps(response.json()["error"]["details"], ensure_ascii=False)
    assert not Assessment.objects.exists() and not Evidence.objects.exists()
