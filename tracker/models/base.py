from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext


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


def typographic_colon() -> str:
    """The colon between a title and its details, as the language writes it:
    "Title: detail" in English, "Titre : détail" in French (a no-break space
    before the colon, so it never starts a line)."""
    return pgettext("typographic colon after a title", ":")


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


# Mali's independence: no date in the record (a verdict, a source, a
# measurement, a commitment's start or due date) can be earlier.
EARLIEST_DATE = dt.date(1960, 1, 1)


def date_range_errors(instance: models.Model, names, *, future: bool, exclude=()) -> dict[str, list]:
    """Errors for the date fields `names` of `instance` (skipping those in
    `exclude`) that are before 1960 or, unless `future`, after today (the
    server's local date). Checked by the models' clean_fields(): no field
    validator, so no migration, and a form that leaves a field out is not
    sent an error for it."""
    from django.core.exceptions import ValidationError
    from django.utils import timezone
    from django.utils.formats import date_format

    errors: dict[str, list] = {}
    today = timezone.localdate()
    for name in names:
        value = getattr(instance, name, None)
        if name in exclude or not isinstance(value, dt.date):
            continue
        if value < EARLIEST_DATE:
            errors[name] = [
                ValidationError(
                    _("This date cannot be before 1 January 1960 (Mali's independence)."),
                    code="date_before_1960",
                )
            ]
        elif not future and value > today:
            errors[name] = [
                ValidationError(
                    _("This date cannot be in the future (today is %(today)s)."),
                    code="date_in_future",
                    params={"today": date_format(today, "j F Y")},
                )
            ]
    return errors


class DateRangeMixin:
    """Model mixin: `past_date_fields` cannot be after today nor before 1960;
    `any_date_fields` only not before 1960."""

    past_date_fields: tuple[str, ...] = ()
    any_date_fields: tuple[str, ...] = ()

    def date_errors(self, exclude=()) -> dict[str, list]:
        return {
            **date_range_errors(self, self.past_date_fields, future=False, exclude=exclude),
            **date_range_errors(self, self.any_date_fields, future=True, exclude=exclude),
        }

    def clean_fields(self, exclude=None) -> None:
        from django.core.exceptions import ValidationError

        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as exc:
            errors = exc.update_error_dict(errors)
        for name, messages in self.date_errors(exclude=set(exclude or ()) | set(errors)).items():
            errors.setdefault(name, []).extend(messages)
        if errors:
            raise ValidationError(errors)
