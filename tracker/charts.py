"""Server-rendered SVG charts: no JavaScript, a few hundred bytes each.

Every chart is an `<svg role="img">` with a `<title>` and `<desc>` (its text
alternative); the pages also show the same figures in a table. Text in the
SVG is escaped; numbers are formatted here, not by the browser.
"""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal
from typing import NamedTuple

from django.core.signals import setting_changed
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from tracker.methodology import Status
from tracker.models.base import format_partial_date, typographic_colon

# Colours with at least 3:1 contrast against white (WCAG 1.4.11 for graphics).
STATUS_COLOURS: dict[str, str] = {
    Status.NOT_STARTED: "#6b6b6b",
    Status.INITIATED: "#a65200",
    Status.IN_PROGRESS: "#0057b8",
    Status.NEARLY_COMPLETE: "#00756a",
    Status.COMPLETED: "#1a7a1a",
    Status.STALLED: "#b00020",
    Status.ABANDONED: "#3d3d3d",
    Status.UNCLEAR: "#7b4fa0",
}


class _Words(NamedTuple):
    """The status charts' words in one language, translated once."""

    labels: dict[str, str]  # status code -> label
    rect_titles: dict[str, str]  # status code -> `fill="…"><title>label` (escaped)
    pair: str  # "%(label)s: %(n)s"
    no_commitments: str
    by_status: str


# Per language (the active one when first asked): the dashboard draws about a
# hundred status bars per page, and translating their labels each time was a
# good part of its rendering. The words come from the code and the
# catalogues, which do not change while the process runs (a new release is a
# new process); the memo is emptied when a test changes the language settings.
_WORDS: dict[str | None, _Words] = {}


def _words() -> _Words:
    language = get_language()
    words = _WORDS.get(language)
    if words is None:
        labels = {status.value: str(status.label) for status in Status}
        words = _WORDS[language] = _Words(
            labels=labels,
            rect_titles={
                code: f'fill="{STATUS_COLOURS[code]}"><title>{html.escape(label)}'
                for code, label in labels.items()
            },
            pair=_("%(label)s: %(n)s"),
            no_commitments=_("no commitments"),
            by_status=_("Commitments by status"),
        )
    return words


def _forget_words(*, setting: str, **kwargs) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"):
        _WORDS.clear()


setting_changed.connect(_forget_words, dispatch_uid="tracker.charts._forget_words")


def _describe(counts: dict[str, int], words: _Words | None = None) -> str:
    words = words or _words()
    labels, pair = words.labels, words.pair
    parts = [pair % {"label": labels[s], "n": n} for s, n in counts.items() if n]
    return "; ".join(parts) or words.no_commitments


def _svg(width: float, height: float, title: str, desc: str, body: str, css: str = "chart") -> SafeString:
    # Bars stretch to the width; charts with text keep their proportions and
    # are drawn at most 1.5 times their natural size (CSS shrinks them on phones).
    if css == "bar":
        aspect = ' preserveAspectRatio="none"'
    else:
        aspect = f' width="{width * 1.5:g}" height="{height * 1.5:g}"'
    return mark_safe(  # noqa: S308  # nosec B308 B703  # every text below is escaped
        f'<svg class="{css}" viewBox="0 0 {width:g} {height:g}" role="img"{aspect} '
        f'xmlns="http://www.w3.org/2000/svg">'
        f"<title>{html.escape(str(title))}</title><desc>{html.escape(str(desc))}</desc>{body}</svg>"
    )


def status_bar(counts: dict[str, int], title: str = "") -> SafeString:
    """A horizontal bar split by status, proportional to the counts."""
    words = _words()
    total = sum(counts.values())
    title = title or words.by_status
    if not total:
        return _svg(
            100, 4, title, words.no_commitments, '<rect width="100" height="4" fill="#e6e6e6"/>', "bar"
        )
    x = 0.0
    rects = []
    rect_titles = words.rect_titles
    for status, n in counts.items():
        if not n:
            continue
        w = 100 * n / total
        rects.append(
            f'<rect x="{x:.2f}" width="{w:.2f}" height="4" {rect_titles[status]}: {n}</title></rect>'
        )
        x += w
    return _svg(100, 4, title, _describe(counts, words), "".join(rects), "bar")


def trend_chart(points: list[dict]) -> SafeString:
    """Stacked columns: status counts at the end of each quarter."""
    title = _("Commitments by status at the end of each quarter")
    if not points:
        return _svg(300, 20, title, _("no published assessment yet"), "")
    col, gap, height, label_h = 30, 8, 160, 28
    top = max(p["total"] for p in points) or 1
    width = len(points) * (col + gap) + gap
    words = _words()
    escaped = {code: html.escape(label) for code, label in words.labels.items()}
    body = []
    for i, point in enumerate(points):
        x = gap + i * (col + gap)
        y = height
        label = html.escape(str(point["label"]))
        for status, n in point["counts"].items():
            if not n:
                continue
            h = height * n / top
            y -= h
            body.append(
                f'<rect x="{x}" y="{y:.1f}" width="{col}" height="{h:.1f}" fill="{STATUS_COLOURS[status]}">'
                f"<title>{label} – {escaped[status]}: {n}</title></rect>"
            )
        # Years only (at their first quarter), legible on a phone; the figures
        # table and the <desc> give every quarter.
        if i == 0 or point["date"].month <= 3:
            body.append(f'<text x="{x}" y="{height + 18}" font-size="14">{point["date"].year}</text>')
    desc = " | ".join(f"{p['label']}: {_describe(p['counts'], words)}" for p in points)
    return _svg(width, height + label_h, title, desc, "".join(body), "chart trend")


def _number(value: Decimal | float | None) -> str:
    """Grouped the reader's way ("1 200 000" in French, "1,200,000" in English)."""
    if value is None:
        return "–"
    value = Decimal(value)
    places = 0 if value == value.to_integral() else 1
    return number_format(value, decimal_pos=places, force_grouping=True)


def _when(measurement) -> str:
    """A measurement's date at its source's precision ("2014", "janvier 2019")."""
    return format_partial_date(measurement.measured_on, measurement.measured_on_precision)


def _axis_dates(first: dt.date, last: dt.date, measurements: list, w: int, h: int, pad: int) -> str:
    """The time axis's two ends, each at its measurement's precision (the
    target's date, when it ends the axis, by its year); one date once, centred."""
    by_day = {m.measured_on: m for m in measurements}

    def label(day: dt.date) -> str:
        return escape(_when(by_day[day]) if day in by_day else str(day.year))

    if first == last:
        return f'<text x="{w / 2:g}" y="{h - 8}" font-size="9" text-anchor="middle">{label(first)}</text>'
    return (
        f'<text x="{pad}" y="{h - 8}" font-size="9">{label(first)}</text>'
        f'<text x="{w - pad}" y="{h - 8}" font-size="9" text-anchor="end">{label(last)}</text>'
    )


def indicator_chart(indicator, measurements: list) -> SafeString:
    """Measurements of an indicator over time, against its target (dashed)."""
    title = _("%(name)s: measurements against the target") % {"name": indicator.name}
    values = [m.value for m in measurements]
    scale_top = max([*values, indicator.target_value or 0, indicator.baseline_value or 0, Decimal(1)])
    scale_top = float(scale_top) * 1.1
    w, h, pad = 300, 120, 24
    dates = [m.measured_on for m in measurements]
    if indicator.target_date:
        dates.append(indicator.target_date)
    first, last = (min(dates), max(dates)) if dates else (timezone.localdate(), timezone.localdate())
    span = max((last - first).days, 1)

    def px(day: dt.date) -> float:
        return pad + (w - 2 * pad) * (day - first).days / span

    def py(value) -> float:
        return h - pad - (h - 2 * pad) * float(value) / scale_top

    body = [f'<line x1="{pad}" y1="{h - pad}" x2="{w - pad}" y2="{h - pad}" stroke="#595959"/>']
    desc = []
    colon = typographic_colon()
    if indicator.target_value is not None:
        y = py(indicator.target_value)
        body.append(
            f'<line x1="{pad}" y1="{y:.1f}" x2="{w - pad}" y2="{y:.1f}" stroke="#b00020" '
            f'stroke-dasharray="4 3"/><text x="{w - pad}" y="{y - 3:.1f}" font-size="9" '
            f'text-anchor="end">{escape(_("target"))} {_number(indicator.target_value)}</text>'
        )
        desc.append(f"{_('target')}{colon} {_number(indicator.target_value)}")
    if measurements:
        if first == last:  # one date: the point in the middle, the date once

            def px(day: dt.date) -> float:
                return w / 2

        pts = " ".join(f"{px(m.measured_on):.1f},{py(m.value):.1f}" for m in measurements)
        body.append(f'<polyline points="{pts}" fill="none" stroke="#0057b8" stroke-width="2"/>')
        # Values written above the points while they cannot crowd each other.
        labelled = measurements if len(measurements) <= 6 else [measurements[0], measurements[-1]]
        for m in measurements:
            point = f"{_when(m)}{colon} {_number(m.value)}"
            body.append(
                f'<circle cx="{px(m.measured_on):.1f}" cy="{py(m.value):.1f}" r="3" fill="#0057b8">'
                f"<title>{escape(point)}</title></circle>"
            )
            if m in labelled:
                body.append(
                    f'<text x="{px(m.measured_on):.1f}" y="{py(m.value) - 6:.1f}" font-size="9" '
                    f'text-anchor="middle">{escape(_number(m.value))}</text>'
                )
            desc.append(point)
        body.append(_axis_dates(first, last, measurements, w, h, pad))
    else:
        desc.append(_("no measurement yet"))
    return _svg(w, h, title, "; ".join(desc), "".join(body), "chart indicator")
