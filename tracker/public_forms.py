"""Forms of the public site: the "as of" date and the "what changed" period."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

EARLIEST = dt.date(1990, 1, 1)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _check_date(value: dt.date | None) -> dt.date | None:
    if value is None:
        return None
    if value < EARLIEST:
        raise forms.ValidationError(_("Choose a date after 1 January 1990."), code="too_early")
    if value > timezone.localdate():
        raise forms.ValidationError(_("Choose a date that is not in the future."), code="future")
    return value


class AsOfForm(forms.Form):
    as_of = forms.DateField(
        label=_("As of"),
        required=False,
        widget=DateInput(),
        help_text=_("See the tracker as it stood on this date."),
        error_messages={"invalid": _("Enter a valid date (YYYY-MM-DD).")},
    )

    def clean_as_of(self) -> dt.date | None:
        return _check_date(self.cleaned_data.get("as_of"))


class ChangesForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Enter a valid date (YYYY-MM-DD).")},
    )
    end = forms.DateField(
        label=_("To"),
        required=False,
        widget=DateInput(),
        error_messages={"invalid": _("Enter a valid date (YYYY-MM-DD).")},
    )

    def clean_start(self) -> dt.date | None:
        return _check_date(self.cleaned_data.get("start"))

    def clean_end(self) -> dt.date | None:
        return _check_date(self.cleaned_data.get("end"))

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        end = data.get("end") or timezone.localdate()
        start = data.get("start") or end - dt.timedelta(days=90)
        if start > end:
            raise forms.ValidationError(_("The start date must be before the end date."), code="order")
        data["start"], data["end"] = start, end
        return data
