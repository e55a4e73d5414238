"""Database constraints that back the services' rules: a write that goes
around the services (raw update, a bug) is refused by the database itself."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests import factories as f
from tracker.models import Assessment, Indicator, Measurement


@pytest.fixture
def assessment(db):
    commitment = f.make_commitment()
    return f.make_assessment(commitment)


def _refused(queryset, **values):
    with pytest.raises(IntegrityError), transaction.atomic():
        queryset.update(**values)


def test_constraint_lists_match_the_choices():
    constraint = next(c for c in Assessment._meta.constraints if c.name == "tracker_assessment_states_valid")
    review_states, delay_reasons = (child[1] for child in constraint.condition.children)
    assert sorted(review_states) == sorted(Assessment.ReviewState.values)
    assert sorted(delay_reasons) == sorted(Assessment.DelayReason.values)


def test_unknown_review_state_or_delay_reason_is_refused(assessment):
    rows = Assessment.objects.filter(pk=assessment.pk)
    _refused(rows, review_state="approved")
    _refused(rows, delay_reason="weather")
    assessment.refresh_from_db()
    assert (assessment.review_state, assessment.delay_reason) == ("draft", "")


def test_an_assessment_cannot_supersede_itself(assessment):
    _refused(Assessment.objects.filter(pk=assessment.pk), supersedes=assessment.pk)
    assessment.refresh_from_db()
    assert assessment.supersedes_id is None


def test_negative_parts_of_a_measurement_are_refused(db):
    indicator = Indicator.objects.create(
        commitment=f.make_commitment(),
        key="women-recruited",
        name_fr="Femmes recrutées",
        disaggregated_by_sex=True,
    )
    measurement = Measurement.objects.create(
        indicator=indicator, measured_on=dt.date(2020, 1, 1), value=Decimal(10), value_women=Decimal(4)
    )
    rows = Measurement.objects.filter(pk=measurement.pk)
    _refused(rows, value_women=Decimal(-1))
    _refused(rows, value_men=Decimal(-3))
    measurement.refresh_from_db()
    assert (measurement.value_women, measurement.value_men) == (Decimal(4), None)
