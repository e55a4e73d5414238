"""Indicator charts (tracker/charts.py): dates at their source's precision in
the reader's language (not ISO), one date written once, figures grouped."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

from django.utils import translation

from tracker.charts import indicator_chart


def measurement(day: dt.date, value: int, precision: str = "day"):
    return SimpleNamespace(measured_on=day, measured_on_precision=precision, value=Decimal(value))


def indicator(**kw):
    return SimpleNamespace(name="Recrues", target_value=None, target_date=None, baseline_value=None, **kw)


def test_one_measurement_is_centred_and_its_date_written_once_in_the_language():
    with translation.override("en"):
        svg = str(indicator_chart(indicator(), [measurement(dt.date(2019, 1, 1), 5, "month")]))
    assert svg.count("January 2019") == 3  # axis label, point title, desc
    assert "2019-01-01" not in svg
    assert '<circle cx="150.0"' in svg


def test_axis_ends_at_the_measurements_precision_and_figures_are_grouped():
    points = [measurement(dt.date(2014, 1, 1), 1200, "year"), measurement(dt.date(2017, 3, 5), 2500)]
    target = indicator()
    target.target_value = Decimal(3000)
    with translation.override("en"):
        svg = str(indicator_chart(target, points))
    assert ">2014</text>" in svg and ">5 March 2017</text>" in svg
    assert "target 3,000" in svg and "5 March 2017: 2,500" in svg
    with translation.override("fr"):
        svg = str(indicator_chart(target, points))
    assert "cible 3\xa0000" in svg and ">5 mars 2017</text>" in svg
