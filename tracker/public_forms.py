"""Forms of the public site: the "as of" date and the "what changed" period."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BaseCSVWidget

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


# --- choice widgets rendered in Python ---------------------------------------------
# The public list's filter form has ~140 options (institutions, frameworks,
# regions, pillars, statuses); Django renders each option through its own
# template include (select_option.html + attrs.html), which was about 3/4 of
# the list page's CPU (docs/performance.md). These widgets write exactly the
# HTML of Django's default templates (select.html, select_option.html,
# multiple_input.html, input_option.html, attrs.html), with the same
# escaping, from the same widget context; tests/test_perf_web.py compares
# them with Django's own rendering byte for byte.


def _flat_attrs(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: in order, False skipped, True bare."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(out)


def _select_option(option: dict) -> str:
    return (
        f'<option value="{conditional_escape(option["value"])}"{_flat_attrs(option["attrs"])}>'
        f"{conditional_escape(str(option['label']))}</option>\n"
    )


def _input_option(option: dict) -> str:
    attrs = option["attrs"]
    value = "" if option["value"] is None else f' value="{conditional_escape(option["value"])}"'
    html = (
        f'<input type="{conditional_escape(option["type"])}" name="{conditional_escape(option["name"])}"'
        f"{value}{_flat_attrs(attrs)}>\n"
    )
    if option.get("wrap_label"):
        label_for = f' for="{conditional_escape(attrs["id"])}"' if attrs.get("id") else ""
        html = f"<label{label_for}>{html} {conditional_escape(str(option['label']))}</label>"
    return html + "\n\n"


class _PythonRendered:
    """Render the widget's context in Python instead of through templates."""

    def _render(self, template_name, context, renderer=None):
        # Every value and label in it went through conditional_escape (above).
        return mark_safe(self.render_python(context["widget"]).strip())  # nosec B308 B703


class Select(_PythonRendered, forms.Select):
    def render_python(self, widget: dict) -> str:
        out = [f'<select name="{conditional_escape(widget["name"])}"{_flat_attrs(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            out.extend("\n  " + _select_option(option) for option in options)
            if group_name:
                out.append("\n  </optgroup>")
        out.append("\n</select>")
        return "".join(out)


class SelectMultiple(Select, forms.SelectMultiple):
    pass


class CheckboxSelectMultiple(_PythonRendered, forms.CheckboxSelectMultiple):
    def render_python(self, widget: dict) -> str:
        attrs = widget["attrs"]
        out = ["<div"]
        if attrs.get("id"):
            out.append(f' id="{conditional_escape(attrs["id"])}"')
        if attrs.get("class"):
            out.append(f' class="{conditional_escape(attrs["class"])}"')
        out.append(">")
        for group, options, _index in widget["optgroups"]:
            if group:
                out.append(f"\n  <div><label>{conditional_escape(group)}</label>")
            out.extend("<div>\n    " + _input_option(option) + "</div>" for option in options)
            if group:
                out.append("\n  </div>")
        out.append("\n</div>")
        return "".join(out)


class CSVSelect(_PythonRendered, BaseCSVWidget, forms.Select):
    """django-filter's ordering widget (one value: a select; several: a text input)."""

    render_python = Select.render_python


def python_rendered(field: forms.Field, widget_class: type[forms.Widget]) -> None:
    """Give a choice field a Python-rendered widget with the same attrs and choices."""
    old = field.widget
    new = widget_class(attrs=old.attrs)
    new.choices = old.choices
    new.is_required = old.is_required
    field.widget = new
