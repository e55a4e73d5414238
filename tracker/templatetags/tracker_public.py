"""Template helpers of the public site (formatting and charts; no queries)."""

from __future__ import annotations

import datetime as dt
import html

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils.formats import date_format, localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
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


class _Writer:
    """`write(value)`: what `{{ value }}` writes in this context, localized
    (numbers) and escaped unless safe. Plain text, most of it, goes straight to
    html.escape (as Django's escape does); an integer is formatted once per
    writer (the same language and context throughout)."""

    def __init__(self, context) -> None:
        self.autoescape = context.autoescape
        self.use_l10n = context.use_l10n
        self.numbers: dict[int, str] = {}

    def _format(self, value) -> str:
        value = localize(value, use_l10n=self.use_l10n)
        return conditional_escape(value) if self.autoescape else str(value)

    def __call__(self, value) -> str:
        kind = type(value)
        if kind is str:
            return html.escape(value) if self.autoescape else value
        if kind is int:
            text = self.numbers.get(value)
            if text is None:
                text = self.numbers[value] = self._format(value)
            return text
        return self._format(value)


# The dashboard's two big tables are written by the tags below rather than by
# template loops: about a hundred rows with a status bar each, and a count
# per status and quarter; in Python they cost a fraction of the time.
# tests/test_perf_dash_cold.py compares them byte for byte with the template
# loops they replace (tracker/includes/breakdown.html and the trend table's).


@register.simple_tag(takes_context=True)
def breakdown_table(context, rows: list[dict], caption: str, heading: str) -> SafeString:
    """`{% breakdown_table rows caption heading %}`: one table of the
    dashboard's breakdowns (by pillar, framework, institution, region), a row
    per group with its status bar, its link kept at the date looked back at
    (`as_of` in the context); the markup of tracker/includes/breakdown.html."""
    write = _Writer(context)
    as_of = context.get("as_of")
    query = f"?as_of={write(date_filter(as_of, 'Y-m-d'))}" if as_of else ""
    commitments = write(gettext("Commitments"))
    progress = write(gettext("Average progress"))
    parts = [
        f'<div class="scroll"><table class="rows">\n<caption>{write(caption)}</caption>\n'
        f'<thead><tr><th scope="col">{write(heading)}</th>'
        f'<th scope="col" class="num">{commitments}</th><th scope="col" class="num">{progress}</th>'
        f'<th scope="col">{write(gettext("By status"))}</th></tr></thead>\n<tbody>'
    ]
    rows = rows or []
    for row in rows:
        name = row["name"]
        url = write(row["url"]) + query
        parts.append(
            f'<tr><th scope="row"><a href="{url}">{write(name)}</a></th>\n'
            f'<td class="num" data-label="{commitments}">{write(row["total"])}</td>'
            f'<td class="num" data-label="{progress}">{write(row["average_progress"])} %</td>\n'
            f"<td>{charts.status_bar(row['counts'], name)}</td></tr>\n"
        )
    if not rows:
        parts.append(f'<tr><td colspan="4">{write(gettext("Nothing to show."))}</td></tr>')
    parts.append("</tbody></table></div>\n")
    # Every value above went through `write` (escaped); the status bars are safe.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


@register.simple_tag(takes_context=True)
def trend_rows(context, points: list[dict]) -> SafeString:
    """`{% trend_rows stats.trend %}`: the rows of the trend's figures table,
    a quarter per row and its count of each status (in the order of `statuses`)."""
    write = _Writer(context)
    codes = [code for code, _label in Status.choices]
    parts = []
    for point in points:
        counts = point["counts"]
        cells = "".join(f'<td class="num">{write(get_item(counts, code))}</td>' for code in codes)
        parts.append(f'<tr><th scope="row">{write(point["label"])}</th>{cells}</tr>')
    # Every value above went through `write` (escaped).
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703
