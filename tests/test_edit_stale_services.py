"""The "someone else saved this since you opened it" check of records with no
`version` column (a measurement, an assessment draft) is the services' own:
measurement_update and assessment_update take the `updated_at` the editor
read and refuse, on the locked row, a save made meanwhile (fields or cited
evidence); the admin forms only pass the stamp they carried."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db.models.query import QuerySet
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tracker import services
from tracker.models import Assessment, Measurement
from tracker.services.locking import NEVER_SAVED, parse_read_stamp

pytestmark = pytest.mark.django_db

STALE = (
    "Someone else saved this {model} while you were editing it (its fields or the evidence it "
    "cites). Reload it to see the changes, then make yours again."
)


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def locks(monkeypatch) -> list:
    """The models of the querysets that asked for select_for_update(), in order."""
    seen: list = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        seen.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    return seen


def _measurement(editor):
    indicator = services.indicator_create(
        actor=editor, commitment=f.make_commitment(actor=editor), key="k", name_fr="Recrues"
    )
    return services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2024, 5, 1), value=100
    )


def test_measurement_update_refuses_a_save_made_since_the_stamp_it_was_read_at(editor, locks):
    colleague = f.make_editor()
    measurement = _measurement(editor)
    read_at = measurement.updated_at
    services.measurement_update(actor=colleague, measurement=measurement, note="Colleague's note")
    locks.clear()
    with pytest.raises(ValidationError) as caught:
        services.measurement_update(
            actor=editor, measurement=measurement, expected_updated_at=read_at, value=150
        )
    assert caught.value.code == "stale_version"
    assert caught.value.messages == [STALE.format(model="measurement")]
    assert f"Saved meanwhile by {colleague.username}" in caught.value.details
    assert "Note: “—” → “Colleague's note”" in caught.value.details
    assert Measurement in locks  # checked on the locked row
    measurement.refresh_from_db()
    assert (measurement.value, measurement.note) == (100, "Colleague's note")  # nothing written
    # At the current stamp the same edit goes through.
    services.measurement_update(
        actor=editor, measurement=measurement, expected_updated_at=measurement.updated_at, value=150
    )
    measurement.refresh_from_db()
    assert (measurement.value, measurement.note) == (150, "Colleague's note")


def test_assessment_update_refuses_a_save_made_since_the_stamp(editor, commitment):
    assessment = f.make_assessment(commitment, author=editor, summary_fr="Avant")
    read_at = assessment.updated_at
    services.assessment_update(actor=editor, assessment=assessment, summary_fr="Onglet 1")
    with pytest.raises(ValidationError) as caught:
        services.assessment_update(
            actor=editor, assessment=assessment, expected_updated_at=read_at, summary_fr="Onglet 2"
        )
    assert caught.value.code == "stale_version"
    assert caught.value.messages == [STALE.format(model="assessment")]
    assert "Summary (French): “Avant” → “Onglet 1”" in caught.value.details
    assessment.refresh_from_db()
    assert assessment.summary_fr == "Onglet 1"


def test_a_change_of_cited_evidence_alone_is_seen_and_named(editor, commitment):
    """Evidence is many-to-many: its changes go through assessment_update,
    which saves the row first, so the stamp moves and the details list them."""
    first = f.make_evidence(commitment, actor=editor)
    second = f.make_evidence(commitment, actor=editor)
    assessment = f.make_assessment(commitment, author=editor, evidence=[first])
    read_at = assessment.updated_at
    services.assessment_update(actor=editor, assessment=assessment, evidence=[first, second])
    assessment.refresh_from_db()
    assert assessment.updated_at > read_at
    with pytest.raises(ValidationError) as caught:
        services.assessment_update(
            actor=editor, assessment=assessment, expected_updated_at=read_at, evidence=[first]
        )
    assert caught.value.messages == [STALE.format(model="assessment")]
    assert f"Evidence: “#{first.pk}” → “#{first.pk}, #{second.pk}”" in caught.value.details
    assert set(assessment.evidence.all()) == {first, second}  # nothing written


def test_no_stamp_keeps_the_services_unchecked_for_other_callers(editor, commitment):
    # The seed loader and the editorial pages call the services without a stamp.
    assessment = f.make_assessment(commitment, author=editor)
    services.assessment_update(actor=editor, assessment=assessment, summary_fr="Un")
    services.assessment_update(actor=editor, assessment=assessment, summary_fr="Deux")
    assert Assessment.objects.get(pk=assessment.pk).summary_fr == "Deux"


@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00+05:00", "not a date", "2024-05-01T10:00:00", "9999-12-31T23:59:59-05:00"]
)
def test_a_stamp_that_is_no_save_time_reads_as_never_saved(stamp):
    assert parse_read_stamp(stamp) == NEVER_SAVED


def test_a_real_stamp_round_trips():
    now = dt.datetime(2026, 12, 2, 18, 0, 0, 123456, tzinfo=dt.UTC)
    assert parse_read_stamp(now.isoformat()) == now


def test_the_admin_shows_an_evidence_change_made_in_another_tab_as_a_form_error(client, editor, commitment):
    first = f.make_evidence(commitment, actor=editor)
    second = f.make_evidence(commitment, actor=editor)
    assessment = f.make_assessment(commitment, author=editor, evidence=[first], summary_fr="Avant")
    url = reverse("admin:tracker_assessment_change", args=[assessment.pk])
    f.login_staff(client, editor)
    read_stamp = client.get(url).context["adminform"].form.initial["read_stamp"]
    services.assessment_update(actor=editor, assessment=assessment, evidence=[first, second])
    data = {
        "status": assessment.status,
        "as_of": assessment.as_of.isoformat(),
        "as_of_precision": "day",
        "summary_fr": "Après",
        "delay_reason": assessment.delay_reason,
        "evidence": [first.pk],
        "read_stamp": read_stamp,
    }
    response = client.post(url, data)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert errors[0] == STALE.format(model="assessment")
    assert f"Evidence: “#{first.pk}” → “#{first.pk}, #{second.pk}”" in errors[1]
    assessment.refresh_from_db()
    assert (assessment.summary_fr, set(assessment.evidence.all())) == ("Avant", {first, second})
