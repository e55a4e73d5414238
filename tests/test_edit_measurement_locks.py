"""A measurement's rules read its indicator's unit and split by sex; the
indicator's update checks its measurements the other way round. Both lock the
indicator first (then the measurement), so an indicator cannot become a count
while a measurement whose women and men exceed its total is being saved, and
the reverse."""

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models.query import QuerySet
from django.utils import translation

from tests import factories as f
from tests.test_concurrency_locking import groups_after_flush  # noqa: F401 (fixture)
from tracker import services
from tracker.models import Indicator, Measurement
from tracker.services import updates


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


def _percent_measurement(editor) -> Measurement:
    commitment = f.make_commitment(actor=editor)
    indicator = services.indicator_create(
        actor=editor,
        commitment=commitment,
        key="k",
        name_fr="Part des femmes",
        unit=Indicator.Unit.PERCENT,
        disaggregated_by_sex=True,
    )
    return services.measurement_record(
        actor=editor,
        indicator=indicator,
        measured_on=dt.date(2024, 5, 1),
        value=10,
        value_women=6,
        value_men=3,
    )


@pytest.mark.django_db
def test_the_measurement_services_lock_the_indicator_before_the_measurement(editor, locks):
    measurement = _percent_measurement(editor)
    locks.clear()
    services.measurement_record(
        actor=editor, indicator=measurement.indicator, measured_on=dt.date(2024, 6, 1), value=20
    )
    assert locks == [Indicator]
    locks.clear()
    services.measurement_update(
        actor=editor, measurement=Measurement.objects.get(pk=measurement.pk), value_men=8
    )
    assert locks == [Indicator, Measurement]
    locks.clear()
    with pytest.raises(ValidationError):
        services.indicator_update(actor=editor, indicator=measurement.indicator, unit=Indicator.Unit.COUNT)
    assert locks[:1] == [Indicator]  # before the measurements are checked


def _run(target, results: dict, key: str) -> threading.Thread:
    def worker():
        try:
            with translation.override("en"):
                results[key] = ("ok", target())
        except ValidationError as exc:
            results[key] = ("refused", exc)
        except Exception as exc:  # pragma: no cover - reported by the assertion
            results[key] = ("error", exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=worker)
    thread.start()
    return thread


def _paused_after(monkeypatch, name: str):
    """Replace updates.<name> by the same function that, once done, says so
    and waits to be released: the window a concurrent save would slip into."""
    checked, release = threading.Event(), threading.Event()
    original = getattr(updates, name)

    def paused(*args, **kwargs):
        result = original(*args, **kwargs)
        checked.set()
        release.wait(timeout=10)
        return result

    monkeypatch.setattr(updates, name, paused)
    return checked, release


def _assert_no_measurement_breaks_its_indicator(measurement: Measurement) -> None:
    measurement = Measurement.objects.select_related("indicator").get(pk=measurement.pk)
    parts = (measurement.value_women or Decimal(0)) + (measurement.value_men or Decimal(0))
    assert not (measurement.indicator.unit == Indicator.Unit.COUNT and parts > measurement.value)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
def test_an_indicator_cannot_become_a_count_while_a_measurement_is_saved_over_its_total(monkeypatch):
    editor = f.make_editor()
    measurement = _percent_measurement(editor)
    checked, release = _paused_after(monkeypatch, "measurement_check")
    results: dict = {}
    saving = _run(
        lambda: services.measurement_update(
            actor=editor, measurement=Measurement.objects.get(pk=measurement.pk), value_men=8
        ),
        results,
        "measurement",
    )
    assert checked.wait(timeout=10)
    changing = _run(
        lambda: services.indicator_update(
            actor=editor, indicator=Indicator.objects.get(pk=measurement.indicator_id), unit="count"
        ),
        results,
        "indicator",
    )
    time.sleep(0.5)  # the indicator's update waits for the measurement's lock (or, unlocked, is done)
    release.set()
    saving.join(timeout=30)
    changing.join(timeout=30)
    assert results["measurement"][0] == "ok", results
    assert results["indicator"][0] == "refused", results
    assert results["indicator"][1].message_dict["unit"] == [
        "Measurements whose women and men together are more than the total are recorded: "
        "this indicator cannot become a count."
    ]
    _assert_no_measurement_breaks_its_indicator(measurement)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("groups_after_flush")
def test_a_measurement_cannot_go_over_its_total_while_its_indicator_becomes_a_count(monkeypatch):
    editor = f.make_editor()
    measurement = _percent_measurement(editor)
    checked, release = _paused_after(monkeypatch, "_check_measurements_fit")
    results: dict = {}
    changing = _run(
        lambda: services.indicator_update(
            actor=editor, indicator=Indicator.objects.get(pk=measurement.indicator_id), unit="count"
        ),
        results,
        "indicator",
    )
    assert checked.wait(timeout=10)
    saving = _run(
        lambda: services.measurement_update(
            actor=editor, measurement=Measurement.objects.get(pk=measurement.pk), value_men=8
        ),
        results,
        "measurement",
    )
    time.sleep(0.5)
    release.set()
    changing.join(timeout=30)
    saving.join(timeout=30)
    assert results["indicator"][0] == "ok", results
    assert results["measurement"][0] == "refused", results
    assert results["measurement"][1].message_dict["value"] == [
        "The numbers of women and men together cannot be more than the total."
    ]
    _assert_no_measurement_breaks_its_indicator(measurement)
