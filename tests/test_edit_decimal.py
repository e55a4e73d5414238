"""One conversion of numbers to Decimal (tracker.services.checks.to_decimal)
for measurement_record, measurement_update and the seed loader: bad input is
the same clear, translated error on the field, wherever it comes from."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from tracker import services
from tracker.management.seed import Loader, SeedError, seed_users
from tracker.models import Indicator, Measurement
from tracker.services.checks import to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("", None), ("12.5", Decimal("12.5")), (0.1, Decimal("0.1")), (7, Decimal(7))],
)
def test_numbers_and_blanks(value, expected):
    assert to_decimal(value, "value") == expected


def test_places_round_as_the_seed_did():
    assert to_decimal("12.345", "value", places=2) == Decimal("12.34")  # half-even, as quantize
    assert to_decimal(3, "value", places=2) == Decimal("3.00")


@pytest.mark.parametrize("value", ["abc", "1,5", "NaN", "Infinity", True, "  "])
def test_anything_else_is_an_error_on_the_field_in_the_readers_language(value):
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        to_decimal(value, "value_women")
    assert caught.value.error_dict["value_women"][0].code == "invalid"
    assert caught.value.message_dict == {"value_women": ["Enter a number."]}
    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        to_decimal(value, "value_women")
    assert caught.value.message_dict == {"value_women": ["Saisissez un nombre."]}


@pytest.mark.django_db
def test_recording_a_measurement_that_is_no_number_is_a_form_error_not_a_crash(editor, commitment):
    indicator = services.indicator_create(actor=editor, commitment=commitment, key="k", name_fr="Recrues")
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.measurement_record(
            actor=editor, indicator=indicator, measured_on=dt.date(2024, 5, 1), value="beaucoup"
        )
    assert caught.value.message_dict == {"value": ["Enter a number."]}
    assert not Measurement.objects.exists()


@pytest.mark.django_db
def test_updating_a_measurement_with_no_number_is_the_same_error(editor, commitment):
    indicator = services.indicator_create(
        actor=editor, commitment=commitment, key="k", name_fr="Part", unit=Indicator.Unit.PERCENT
    )
    measurement = services.measurement_record(
        actor=editor, indicator=indicator, measured_on=dt.date(2024, 5, 1), value="40"
    )
    for bad in ("beaucoup", "NaN"):  # NaN was compared with 100: an InvalidOperation, a 500
        with translation.override("en"), pytest.raises(ValidationError) as caught:
            services.measurement_update(actor=editor, measurement=measurement, value=bad)
        assert caught.value.message_dict == {"value": ["Enter a number."]}
    measurement.refresh_from_db()
    assert measurement.value == 40


@pytest.mark.django_db
def test_the_seed_rounds_to_cents_and_refuses_a_figure_that_is_no_number(commitment):
    loader = Loader()
    loader.author, loader.reviewer = seed_users()
    item = {
        "key": "recrues",
        "name": {"fr": "Recrues"},
        "baseline": {"value": "10.005", "date": "2020"},
        "measurements": [{"date": "2021", "value": 12.5}],
    }
    loader.load_indicator(commitment, item, {})
    indicator = Indicator.objects.get(key="recrues")
    assert indicator.baseline_value == Decimal("10.00")
    assert indicator.measurements.get().value == Decimal("12.50")
    item["measurements"] = [{"date": "2022", "value": "douze"}]
    with translation.override("en"), pytest.raises(SeedError) as caught:
        loader._wrap(commitment.reference, lambda row: loader.load_indicator(commitment, row, {}), item)
    assert str(caught.value) == f"commitment {commitment.reference}: {{'value': ['Enter a number.']}}"
    assert indicator.measurements.count() == 1
