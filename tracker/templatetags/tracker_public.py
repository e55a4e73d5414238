"""Template helpers of the public site (formatting and charts; no queries)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.safestring import SafeString

from tracker import charts
from tracker.methodology import Status
from tracker.models.base import format_partial_date

register = template.Library()


@register.filter
def partial_date(value: dt.date | None, precision: str = "day") -> str:
    """`{{ c.due_date|partial_date:c.due_date_precision }}`: the date at its source's precision."""
    return format_partial_date(value, precision or "day")


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
