"""The dashboard's cold render, made faster, writes the same page byte for
byte: the charts' words translated once per language (tracker/charts.py),
the breakdown tables and the trend's figures written by tags instead of
template loops (tracker/templatetags/tracker_public.py), fewer columns read
(tracker/stats.py). Each is compared with the straightforward version it
replaces, in French and in English, today and as of a date."""

from __future__ import annotations

import datetime as dt
import html
import random

import pytest
from django.core.management import call_command
from django.db import connection
from django.template import Context, engines
from django.template.loader import get_template, render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from tests import factories as f
from tracker import charts, dashboard, stats
from tracker.insights import trend
from tracker.methodology import Status
from tracker.models import Assessment, Commitment, Framework, Institution, Pillar, Region
from tracker.services.assessments import commitment_refresh_status
from tracker.templatetags import tracker_public

AS_OF = dt.date(2022, 6, 30)
# Names that need escaping, in the page and in the charts' titles.
TRICKY = 'Défense & "sécurité" <armées> l\'État'


# --- the straightforward implementations -------------------------------------------------


def reference_describe(counts):
    parts = [_("%(label)s: %(n)s") % {"label": Status(s).label, "n": n} for s, n in counts.items() if n]
    return "; ".join(parts) or _("no commitments")


def reference_status_bar(counts, title=""):
    """tracker.charts.status_bar as it was: every word translated and escaped each time."""
    total = sum(counts.values())
    title = title or _("Commitments by status")
    if not total:
        return charts._svg(
            100, 4, title, _("no commitments"), '<rect width="100" height="4" fill="#e6e6e6"/>', "bar"
        )
    x = 0.0
    rects = []
    for status, n in counts.items():
        if not n:
            continue
        w = 100 * n / total
        rects.append(
            f'<rect x="{x:.2f}" width="{w:.2f}" height="4" fill="{charts.STATUS_COLOURS[status]}">'
            f"<title>{html.escape(str(Status(status).label))}: {n}</title></rect>"
        )
        x += w
    return charts._svg(100, 4, title, reference_describe(counts), "".join(rects), "bar")


def reference_trend_chart(points):
    title = _("Commitments by status at the end of each quarter")
    if not points:
        return charts._svg(300, 20, title, _("no published assessment yet"), "")
    col, gap, height, label_h = 30, 8, 160, 28
    top = max(p["total"] for p in points) or 1
    width = len(points) * (col + gap) + gap
    body = []
    for i, point in enumerate(points):
        x = gap + i * (col + gap)
        y = height
        for status, n in point["counts"].items():
            if not n:
                continue
            h = height * n / top
            y -= h
            fill, label = charts.STATUS_COLOURS[status], html.escape(str(Status(status).label))
            body.append(
                f'<rect x="{x}" y="{y:.1f}" width="{col}" height="{h:.1f}" fill="{fill}">'
                f"<title>{html.escape(point['label'])} – {label}: {n}</title></rect>"
            )
        if i == 0 or point["date"].month <= 3:
            body.append(f'<text x="{x}" y="{height + 18}" font-size="14">{point["date"].year}</text>')
    desc = " | ".join(f"{p['label']}: {reference_describe(p['counts'])}" for p in points)
    return charts._svg(width, height + label_h, title, desc, "".join(body), "chart trend")


TREND_LOOP = (
    '{% for point in stats.trend %}<tr><th scope="row">{{ point.label }}</th>'
    '{% for code, label in all_statuses %}<td class="num">{{ point.counts|get_item:code }}</td>'
    "{% endfor %}</tr>{% endfor %}"
)


def reference_template() -> str:
    """tracker/templates/tracker/home_content.html with its template loops
    back: the breakdowns included from tracker/includes/breakdown.html, the
    trend's figures looped over."""
    source = open(get_template("tracker/home_content.html").origin.name, encoding="utf-8").read()
    for kind in ("pillar", "framework", "institution", "region"):
        tag = f"{{% breakdown_table b.{kind} caption heading %}}"
        assert source.count(tag) == 1
        source = source.replace(tag, f'{{% include "tracker/includes/breakdown.html" with rows=b.{kind} %}}')
    assert source.count("{% trend_rows stats.trend %}") == 1
    return source.replace("{% trend_rows stats.trend %}", TREND_LOOP)


def reference_content(as_of, monkeypatch) -> str:
    with monkeypatch.context() as patch:
        patch.setattr(charts, "status_bar", reference_status_bar)
        patch.setattr(charts, "trend_chart", reference_trend_chart)
        template = engines["django"].from_string(reference_template())
        context = {"as_of": as_of, "stats": reference_stats(as_of), "today": stats.today()}
        return template.render(context)


def reference_stats(as_of):
    """stats.dashboard_stats with every row read whole, as before."""
    figures = stats.dashboard_stats(as_of)
    groups = stats.commitment_groups(as_of)
    inst, reg = stats._link_breakdowns(as_of)
    figures["breakdowns"] = {
        "pillar": stats._rows(stats._grouped_from(groups, "pillar_id"), Pillar.objects.all(), "slug"),
        "framework": stats._rows(
            stats._grouped_from(groups, "framework_id"), Framework.objects.all(), "code"
        ),
        "institution": stats._rows(inst, Institution.objects.filter(pk__in=list(inst)), "slug"),
        "region": stats._rows(reg, Region.objects.all(), "slug"),
    }
    on = as_of or stats.today()
    overdue = stats.with_status_as_of(Commitment.objects.all(), as_of).filter(stats.overdue_q(on))
    figures["overdue"]["commitments"] = [
        stats._commitment_row(c) for c in overdue.order_by("due_date", "reference")[: stats.OVERDUE_SHOWN]
    ]
    latest = Assessment.objects.published().select_related("commitment")
    if as_of is not None:
        latest = latest.as_of(as_of)
    figures["latest_changes"] = [
        {
            "reference": a.commitment.reference,
            "title": a.commitment.title,
            "url": a.commitment.get_absolute_url(),
            "status": a.status,
            "status_label": a.get_status_display(),
            "progress": a.progress,
            "as_of": a.as_of,
            "as_of_precision": a.as_of_precision,
            "summary": a.summary,
            "published_at": a.published_at,
        }
        for a in latest.latest_first()[: stats.LATEST_CHANGES]
    ]
    figures["trend"] = [
        {"date": day, "label": stats.quarter_label(day), **stats.status_counts(Commitment.objects.all(), day)}
        for day in [point["date"] for point in figures["trend"]]
    ]
    return figures


# --- the record ---------------------------------------------------------------------------


@pytest.fixture
def record(db):
    """Generated commitments over two of each kind of reference data, one of
    each named with characters to escape; a commitment whose latest
    published assessment is dated after today (the trend's live point swaps it)."""
    f.make_pillar(name_fr=TRICKY, name_en=TRICKY + " (en)")
    f.make_pillar()
    f.make_framework(name_fr=TRICKY, name_en="<b>Framework</b>")
    f.make_framework()
    f.make_institution(name_fr=TRICKY, name_en="Ministry & Co")
    f.make_institution()
    f.make_region(name=TRICKY)
    f.make_region()
    call_command(
        "generate_benchmark_data", commitments=40, seed=7, batch_size=10, no_vacuum=True, verbosity=0
    )
    Commitment.objects.filter(pk=Commitment.objects.order_by("pk").first().pk).update(title_fr=TRICKY)


def date_ahead():
    future = Assessment.objects.published().order_by("pk").first()
    Assessment.objects.filter(pk=future.pk).update(
        as_of=stats.today() + dt.timedelta(days=30), status="abandoned"
    )
    commitment_refresh_status(commitment=future.commitment)
    trend.invalidate_from(None)  # written behind the services' back


# --- the page -----------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_the_page_is_the_reference_rendering_byte_for_byte(record, monkeypatch, language, as_of):
    date_ahead()
    with translation.override(language):
        expected = reference_content(as_of, monkeypatch)
        assert dashboard._content(as_of) == expected
    assert TRICKY not in expected and html.escape(TRICKY) in expected
    assert expected.count("<svg") > 8  # status bars, the trend chart


def test_french_and_english_never_mix(record):
    with translation.override("fr"):
        french = dashboard._content(None)
    with translation.override("en"):
        english = dashboard._content(None)
    with translation.override("fr"):
        assert dashboard._content(None) == french
    assert french != english
    # The overall bar's title and a status label in its segments' titles.
    assert "<title>Engagements par statut</title>" in french
    assert "<title>Commitments by status</title>" in english
    assert "<title>Non commencé: " in french and "Not started" not in french
    assert "<title>Not started: " in english and "Non commencé" not in english
    assert {"fr", "en"} <= set(charts._WORDS)


def test_the_words_are_forgotten_when_the_language_settings_change(settings):
    with translation.override("en"):
        charts.status_bar({"completed": 1})
    assert charts._WORDS
    settings.LANGUAGES = [("fr", "Français"), ("en", "English")]
    assert not charts._WORDS


def test_the_cold_render_reads_as_many_queries_and_one_more_for_a_date_ahead(record):
    # Commitments grouped; by institution and region (the tally on
    # PostgreSQL, two live groupings elsewhere); the four names; the overdue
    # list; the latest changes; the trend's first date, stored quarters, the
    # commitments dated ahead of today.
    expected = 11 if connection.vendor == "postgresql" else 12
    with translation.override("fr"):
        dashboard._content(None)  # the closed quarters stored
        with CaptureQueriesContext(connection) as queries:
            dashboard._content(None)
    assert len(queries) == expected
    date_ahead()
    with translation.override("fr"):
        dashboard._content(None)
        with CaptureQueriesContext(connection) as queries:
            dashboard._content(None)
    # ... and their status on the day, only when there are some.
    assert len(queries) == expected + 1


# --- the charts and the tables alone -----------------------------------------------------


def test_the_charts_are_the_reference_charts_in_both_languages():
    rng = random.Random(5)
    statuses = list(stats.STATUSES)
    samples = [stats.empty_counts(), {"completed": 3}]
    for _sample in range(60):
        samples.append({s: rng.choice([0, 0, 1, 7, 1234]) for s in statuses})
    points = []
    for i, counts in enumerate(samples[:9]):
        day = dt.date(2020 + i // 4, i % 4 * 3 + 1, 1)
        label = TRICKY if i == 4 else stats.quarter_label(day)
        points.append({"date": day, "label": label, "counts": counts, "total": sum(counts.values())})
    for language in ("fr", "en", "fr"):
        with translation.override(language):
            for counts in samples:
                for title in ("", TRICKY, mark_safe("<i>x</i>")):
                    assert charts.status_bar(counts, title) == reference_status_bar(counts, title)
            assert charts.trend_chart(points) == reference_trend_chart(points)
            assert charts.trend_chart([]) == reference_trend_chart([])


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("as_of", [None, AS_OF])
def test_breakdown_table_is_the_template_include(language, as_of):
    rows = [
        {
            "name": name,
            "url": f"/piliers/{slug}/",
            "counts": {**stats.empty_counts(), "completed": total // 2, "stalled": total - total // 2},
            "total": total,
            "average_progress": total % 101,
        }
        for name, slug, total in ((TRICKY, "a&b", 3), ("Gao", "gao", 12345), ("", "x", 0))
    ]
    with translation.override(language):
        for group in (rows, [], rows[:1]):
            context = {"rows": group, "as_of": as_of, "caption": TRICKY, "heading": mark_safe("<i>H</i>")}
            expected = render_to_string("tracker/includes/breakdown.html", context)
            assert (
                tracker_public.breakdown_table(Context(context), group, TRICKY, context["heading"])
                == expected
            )


def test_trend_rows_are_the_template_loop():
    points = [
        {"label": "2024 T1", "counts": {**stats.empty_counts(), "completed": 12345}},
        {"label": TRICKY, "counts": {"stalled": 2}},
    ]
    template = engines["django"].from_string(
        "{% load tracker_public %}{% statuses as all_statuses %}" + TREND_LOOP
    )
    for language in ("fr", "en"):
        with translation.override(language):
            expected = template.render({"stats": {"trend": points}})
            assert tracker_public.trend_rows(Context({}), points) == expected
