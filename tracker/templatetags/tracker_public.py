"""Template helpers of the public site (formatting and charts; no queries)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext, pgettext

from tracker import charts
from tracker.methodology import Status
from tracker.models.base import DatePrecision, format_partial_date, typographic_colon

register = template.Library()


def _full_date(value: dt.date) -> str:
    """ "1 January 2024"; in French the first of the month is "1er janvier 2024"
    (French typographic convention: the ordinal for the first day only)."""
    text = date_format(value, "j F Y")
    if value.day == 1 and (get_language() or "").split("-")[0] == "fr":
        return "1er" + text[1:]
    return text


@register.filter
def partial_date(value: dt.date | None, precision: str = "day") -> str:
    """`{{ c.due_date|partial_date:c.due_date_precision }}`: the date at its source's precision."""
    precision = precision or "day"
    if value is not None and precision == DatePrecision.DAY:
        return _full_date(value)
    return format_partial_date(value, precision)


@register.filter
def dated(value: dt.date | None, precision: str = "day") -> str:
    """`{{ a.as_of|dated:a.as_of_precision }}`: the whole phrase placing a
    fact in time, by precision: "as of 1 January 2024" / "au 1er janvier 2024",
    "in January 2024" / "en janvier 2024", "in 2018" / "en 2018", "date
    unclear" / "date incertaine" (French needs a different preposition for
    each precision, so the phrase is translated whole)."""
    precision = precision or "day"
    if value is None or precision == DatePrecision.UNCLEAR:
        return gettext("date unclear")
    if precision == DatePrecision.YEAR:
        return pgettext("dated phrase, year", "in %(date)s") % {"date": value.year}
    if precision == DatePrecision.MONTH:
        return pgettext("dated phrase, month", "in %(date)s") % {"date": date_format(value, "F Y")}
    return pgettext("dated phrase, day", "as of %(date)s") % {"date": _full_date(value)}


@register.simple_tag
def colon() -> str:
    """The language's colon after a title (tracker.models.base.typographic_colon)."""
    return typographic_colon()


@register.filter
def lang_attr(source) -> SafeString | str:
    """` lang="en"` for a source's quoted text (title, excerpt) in its own
    language, so a screen reader reads an English quote on a French page in
    English; ` lang=""` (unknown) for another language; nothing when none is set."""
    language = getattr(source, "language", "") or ""
    if not language:
        return ""
    return format_html(' lang="{}"', language if language in ("fr", "en") else "")


@register.filter
def status_label(code: str) -> str:
    try:
        return str(Status(code).label)
    except ValueError:
        return code


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key, "") if mapping else ""


@register.filter
def is_overdue(commitment, on: dt.date) -> bool:
    """Overdue on `on`, with the status shown on the page (now or as of a date)."""
    status = getattr(commitment, "shown_status", commitment.current_status)
    return bool(
        commitment.due_date
        and commitment.due_date < on
        and status not in (Status.COMPLETED, Status.ABANDONED)
    )


@register.simple_tag
def status_bar(counts: dict, title: str = "") -> SafeString:
    return charts.status_bar(counts, title)


@register.simple_tag
def trend_chart(points: list) -> SafeString:
    return charts.trend_chart(points)


@register.simple_tag
def indicator_chart(indicator) -> SafeString:
    return charts.indicator_chart(indicator, indicator.shown_measurements)


@register.simple_tag
def statuses() -> list[tuple[str, str]]:
    return list(Status.choices)
