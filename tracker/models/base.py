from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class DatePrecision(models.TextChoices):
    """How precisely a source gives a date ("2017" is a year, not 1 January)."""

    DAY = "day", _("day")
    MONTH = "month", _("month")
    YEAR = "year", _("year")
    UNCLEAR = "unclear", _("unclear")


class Language(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")
    OTHER = "other", _("Other")


def localized(obj: object, field: str, language: str | None = None) -> str:
    """Readers' text in the active language, falling back to the other one."""
    language = (language or translation.get_language() or "fr")[:2]
    order = ("en", "fr") if language == "en" else ("fr", "en")
    for code in order:
        value = getattr(obj, f"{field}_{code}", "")
        if value:
            return value
    return ""


class Bilingual:
    """`title = Bilingual("title")`: reads `title_fr`/`title_en` in the active
    language, falling back to the other one."""

    def __init__(self, field: str) -> None:
        self.field = field

    def __get__(self, obj: object, objtype: type | None = None):
        if obj is None:
            return self
        return localized(obj, self.field)


def format_partial_date(value: dt.date | None, precision: str) -> str:
    """Render a date at the precision its source gives."""
    from django.utils.formats import date_format

    if value is None or precision == DatePrecision.UNCLEAR:
        return str(_("date unclear"))
    if precision == DatePrecision.YEAR:
        return str(value.year)
    if precision == DatePrecision.MONTH:
        return date_format(value, "F Y")
    return date_format(value, "j F Y")
