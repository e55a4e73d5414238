"""Issue 8, dashboard: the one-pass quarterly trend gives exactly the old
per-quarter figures; the dashboard is cached under the record version and
answers conditional GETs with 304; query counts of cold and cached requests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests import factories as f
from tracker import stats
from tracker.insights import trend, version
from tracker.models import Assessment, Commitment, Pillar
from tracker.services.assessments import commitment_refresh_status

HOME = reverse("tracker:home")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


# --- the trend -------------------------------------------------------------------------


def reference_trend(as_of, quarters=stats.MAX_TREND_QUARTERS):
    """The definition the trend had before issue 8: one status-as-of aggregate
    per quarter end (`with_status_as_of`, the correlated subquery)."""
    end = as_of or stats.today()
    first = Assessment.objects.published().filter(as_of__lte=end).order_by("as_of").values("as_of").first()
    if first is None:
        return []
    return [
        {"date": day, "label": stats.quarter_label(day), **stats.status_counts(Commitment.objects.all(), day)}
        for day in stats.quarter_days(end, first["as_of"], quarters)
    ]


def generate(commitments: int, seed: int) -> None:
    """Two of each kind of reference data, then generated commitments."""
    for _ in range(2):
        f.make_framework()
        f.make_pillar()
        f.make_institution()
        f.make_region()
    call_command(
        "generate_benchmark_data",
        commitments=commitments,
        seed=seed,
        batch_size=10,
        no_vacuum=True,
        verbosity=0,
    )


def _tricky_record():
    """Generated commitments (10 assessments each, 8 published, dates spread
    over ten years), then edge cases written straight into the rows:
    ties on `as_of` broken by `published_at`, ties on both broken by id,
    back-dated corrections published later, a tie on a quarter end, a
    commitment whose assessments are all unpublished, one with none."""
    generate(24, seed=3)
    commitments = list(Commitment.objects.order_by("reference"))
    published = lambda c: list(  # noqa: E731
        Assessment.objects.filter(commitment=c, review_state="published").order_by("as_of", "id")
    )
    moment = dt.datetime(2025, 1, 1, 12, tzinfo=dt.UTC)
    # Tie on as_of: the earlier-published one must lose, whatever its id.
    a, b = published(commitments[0])[2:4]
    Assessment.objects.filter(pk=a.pk).update(
        as_of=b.as_of, published_at=b.published_at + dt.timedelta(days=1)
    )
    # Tie on as_of and published_at: the higher id wins.
    a, b = published(commitments[1])[4:6]
    Assessment.objects.filter(pk__in=[a.pk, b.pk]).update(as_of=dt.date(2021, 3, 31), published_at=moment)
    Assessment.objects.filter(pk=b.pk).update(status="stalled")
    # Back-dated correction: the latest publication describes an early date.
    late = published(commitments[2])[-1]
    Assessment.objects.filter(pk=late.pk).update(
        as_of=dt.date(2018, 6, 30), published_at=moment, status="abandoned"
    )
    # Three assessments on the same quarter-end day.
    for index, assessment in enumerate(published(commitments[3])[:3]):
        Assessment.objects.filter(pk=assessment.pk).update(
            as_of=dt.date(2019, 12, 31), published_at=moment - dt.timedelta(hours=index)
        )
    # Nothing published for this one; and one commitment with no assessment.
    Assessment.objects.filter(commitment=commitments[4]).update(
        review_state="draft", reviewer=None, published_at=None, submitted_at=None
    )
    f.make_commitment(reference="NONE-1")
    # The rows were edited behind the services' back: write what they would
    # have (the denormalised status) and forget the stored trend, as the
    # module says such writes must (tracker/insights/trend.py).
    for commitment in commitments[:5]:
        commitment_refresh_status(commitment=commitment)
    trend.invalidate_from(None)


@pytest.mark.django_db
def test_one_pass_trend_equals_the_per_quarter_definition():
    _tricky_record()
    for as_of in (
        None,
        dt.date(2019, 12, 31),
        dt.date(2021, 3, 31),
        dt.date(2021, 5, 17),
        dt.date(2017, 2, 1),
    ):
        expected = reference_trend(as_of)
        assert expected, as_of
        assert stats.trend(as_of) == expected, as_of
    assert stats.trend(dt.date(2023, 8, 1), quarters=5) == reference_trend(dt.date(2023, 8, 1), quarters=5)
    assert stats.trend(dt.date(2010, 1, 1)) == [] == reference_trend(dt.date(2010, 1, 1))


@pytest.mark.postgres
@pytest.mark.django_db
def test_one_pass_trend_equals_the_per_quarter_definition_on_postgresql():
    test_one_pass_trend_equals_the_per_quarter_definition()


@pytest.mark.django_db
def test_trend_is_four_queries_once_the_closed_quarters_are_stored():
    _tricky_record()
    with CaptureQueriesContext(connection) as queries:
        first = stats.trend(None)
    assert len(first) == stats.MAX_TREND_QUARTERS
    # First date, stored quarters (none), epoch, the pass over the published
    # assessments, the store (savepoint, epoch lock, upsert, release), today
    # live (the grouped query over the commitments, the ones dated ahead).
    assert len(queries) == 10
    with CaptureQueriesContext(connection) as queries:
        again = stats.trend(None)
    assert again == first
    assert len(queries) == 4  # first published date, the stored quarters, today live (2)
    # The dashboard passes its grouped query's rows: today's point is then one query.
    groups = stats.commitment_groups(None)
    with CaptureQueriesContext(connection) as queries:
        assert stats.trend(None, groups=groups) == first
    assert len(queries) == 3


# --- the cached, conditional dashboard --------------------------------------------------


@pytest.fixture
def record(db):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    pillar = f.make_pillar(slug="police", name_fr="Police nationale", name_en="National police")
    kw = dict(actor=editor, pillar=pillar)
    a = f.make_commitment(reference="A-1", due_date=dt.date(2023, 1, 1), **kw)
    b = f.make_commitment(reference="B-1", **kw)
    f.make_published_assessment(
        a, author=editor, reviewer=reviewer, status="initiated", as_of=dt.date(2022, 2, 1)
    )
    return {"a": a, "b": b, "editor": editor, "reviewer": reviewer, "pillar": pillar}


@pytest.fixture
def client(client, record):
    """A reader who has visited once: the CSRF cookie the page sets (part of
    the ETag) is there, and the cache is empty again."""
    client.get(HOME)
    assert client.cookies["csrftoken"].value
    cache.clear()
    return client


def _get(client, path=HOME, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, headers=headers)
    return response, len(queries)


# Version fingerprint; commitments grouped by pillar, framework, status and
# overdue; by institution and by region (PostgreSQL: one query over the tally
# its triggers keep, tracker/insights/tally.py; elsewhere two live groupings);
# the four names; the overdue list; the latest changes; the trend's first
# date, stored quarters and live point.
COLD_QUERIES = 12 if connection.vendor == "postgresql" else 13
# A publication dated in a closed quarter forgets the stored quarters from
# then on: the next computation also reads the epoch, makes the pass over the
# published assessments and stores them (savepoint, epoch lock, upsert, release).
COLD_AFTER_BACKDATED_QUERIES = COLD_QUERIES + 6
COLD_AS_OF_QUERIES = 11  # as of 2021-01-01: nothing published yet, no trend
CACHED_QUERIES = 1  # the version fingerprint alone


def test_cold_then_cached_query_counts_and_the_same_page(client, record):
    cold, cold_queries = _get(client)
    assert cold.status_code == 200
    assert cold_queries == COLD_QUERIES
    cached, cached_queries = _get(client)
    assert cached.status_code == 200
    assert cached_queries == CACHED_QUERIES
    assert cached.content.decode().count("A-1") == cold.content.decode().count("A-1") > 0
    assert "Police nationale" in cached.content.decode()
    assert cold["ETag"] == cached["ETag"]


def test_conditional_get_answers_304_without_a_body(client, record):
    first, _ = _get(client)
    etag = first["ETag"]
    assert etag
    assert "no-cache" in first["Cache-Control"] and "private" in first["Cache-Control"]
    assert {"accept-language", "cookie"} <= {v.strip().lower() for v in first["Vary"].split(",")}
    again, queries = (
        _get(client, HTTP_IF_NONE_MATCH=etag) if False else _get(client, **{"If-None-Match": etag})
    )
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert queries == CACHED_QUERIES
    other, _ = _get(client, **{"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_publishing_gives_a_new_etag_and_new_figures(client, record):
    first, _ = _get(client)
    before = first.content.decode()
    f.make_published_assessment(
        record["b"],
        author=record["editor"],
        reviewer=record["reviewer"],
        status="completed",
        as_of=dt.date(2024, 5, 1),
    )
    after, queries = _get(client, **{"If-None-Match": first["ETag"]})
    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert queries == COLD_AFTER_BACKDATED_QUERIES  # dated 2024: quarters from then recomputed
    assert after.content.decode() != before
    assert stats.dashboard_stats()["overall"]["counts"]["completed"] == 1


def test_an_edit_shown_on_the_dashboard_is_never_served_stale(client, record):
    _get(client)
    pillar = Pillar.objects.get(pk=record["pillar"].pk)
    pillar.name_fr = "Police renommée"
    pillar.save()
    response, _ = _get(client)
    assert "Police renommée" in response.content.decode()


def test_a_write_without_signals_still_changes_the_version(client, record):
    """Bulk inserts send no signal: the database fingerprint catches them."""
    first, _ = _get(client)
    token = version.token()
    copy = Commitment.objects.get(pk=record["a"].pk)
    copy.pk, copy.reference = None, "BULK-1"
    Commitment.objects.bulk_create([copy])
    assert version.token() == token  # no signal was sent...
    response, queries = _get(client, **{"If-None-Match": first["ETag"]})
    assert response.status_code == 200 and queries == COLD_QUERIES  # ...and the page is fresh
    assert response["ETag"] != first["ETag"]
    assert stats.dashboard_stats()["overall"]["total"] == 3


def test_another_server_bumping_the_token_invalidates(client, record):
    """Servers share the token through the cache: a bump anywhere is seen here."""
    first, _ = _get(client)
    cache.set(version.token_key(), "written-by-another-server", None)
    again, queries = _get(client, **{"If-None-Match": first["ETag"]})
    assert again.status_code == 200 and queries == COLD_QUERIES


@pytest.mark.django_db(transaction=True)
def test_the_token_changes_again_when_the_write_commits(record):
    """A figure computed between the write and its commit is never reused."""
    from django.db import transaction

    with transaction.atomic():
        pillar = Pillar.objects.get(pk=record["pillar"].pk)
        pillar.name_en = "Renamed"
        pillar.save()
        during = version.token()
    assert version.token() != during


def test_language_and_as_of_are_part_of_the_key_and_etag(client, record):
    fr, _ = _get(client, **{"Accept-Language": "fr"})
    en, _ = _get(client, **{"Accept-Language": "en"})
    assert fr["ETag"] != en["ETag"]
    assert "Police nationale" in fr.content.decode()
    assert "National police" in en.content.decode()
    en_again, queries = _get(client, **{"Accept-Language": "en"})
    assert queries == CACHED_QUERIES and "National police" in en_again.content.decode()
    past, past_queries = _get(client, HOME + "?as_of=2021-01-01")
    assert past_queries == COLD_AS_OF_QUERIES  # its own cache entry
    assert past["ETag"] not in (fr["ETag"], en["ETag"])
    assert "2021" in past.content.decode()


def test_a_new_release_never_serves_the_previous_releases_figures(client, record, settings):
    """After a deploy the day's cached figures of the old code (its labels,
    its statistics) are not served: the release is part of the key and ETag."""
    from tracker import dashboard

    dashboard.release.cache_clear()
    try:
        settings.RELEASE = "release-1"
        first, _ = _get(client)
        cached, queries = _get(client)
        assert queries == CACHED_QUERIES
        settings.RELEASE = "release-2"
        dashboard.release.cache_clear()
        after, queries = _get(client, **{"If-None-Match": first["ETag"]})
        assert after.status_code == 200 and queries == COLD_QUERIES
        assert after["ETag"] != first["ETag"]
    finally:
        dashboard.release.cache_clear()


def test_without_a_release_setting_the_digest_follows_the_rendering_files(settings, tmp_path, monkeypatch):
    from tracker import dashboard, pagecache

    settings.RELEASE = ""
    dashboard.release.cache_clear()
    try:
        here = dashboard.release()
        assert len(here) == 12 and here == dashboard.release()
        (tmp_path / "templates" / "tracker").mkdir(parents=True)
        (tmp_path / "dashboard.py").write_text("one")
        monkeypatch.setattr(pagecache, "__file__", str(tmp_path / "pagecache.py"))
        dashboard.release.cache_clear()
        before = dashboard.release()
        assert before != here
        (tmp_path / "templates" / "tracker" / "home_content.html").write_text("{% translate 'new label' %}")
        dashboard.release.cache_clear()
        assert dashboard.release() != before
    finally:
        dashboard.release.cache_clear()


def test_a_bad_as_of_is_a_400_without_etag(client, record):
    response, _ = _get(client, HOME + "?as_of=not-a-date")
    assert response.status_code == 400
    assert not response.has_header("ETag")


def test_the_csrf_cookie_is_part_of_the_etag(client, record):
    first, _ = _get(client)
    client.cookies["csrftoken"] = "x" * 32
    second, _ = _get(client, **{"If-None-Match": first["ETag"]})
    assert second.status_code == 200 and second["ETag"] != first["ETag"]


def test_the_record_version_query_is_one_statement(record):
    with CaptureQueriesContext(connection) as queries:
        version.record_version()
    assert len(queries) == 1
    assert timezone.now()  # the fingerprint reads the latest publication time


@pytest.mark.django_db
def test_latest_changes_shortcut_gives_the_plain_latest_published():
    """Today's latest changes are looked for among the commitments with the
    most recent status dates: the same ten as sorting every published
    assessment, with back-dated corrections, ties and unpublished ones."""
    editor, reviewer = f.make_editor(), f.make_reviewer()
    commitments = [f.make_commitment(actor=editor, reference=f"L-{n}") for n in range(14)]
    for n, commitment in enumerate(commitments):
        for k, day in enumerate((dt.date(2020, 1, 1 + n), dt.date(2023, 6, 1 + n % 3), dt.date(2021, 2, 2))):
            f.make_published_assessment(
                commitment,
                author=editor,
                reviewer=reviewer,
                as_of=day,
                status=("initiated", "in_progress")[k % 2],
            )
    f.make_assessment(commitments[0], author=editor, as_of=dt.date(2025, 1, 1))  # a draft: never shown

    def plain(limit):
        return [
            (a.commitment.reference, a.as_of, a.pk)
            for a in Assessment.objects.published().select_related("commitment").latest_first()[:limit]
        ]

    for limit in (1, 3, 10, 20, 60):
        shown = stats.latest_changes(None, limit=limit)
        expected = plain(limit)
        assert [(row["reference"], row["as_of"]) for row in shown] == [(r, d) for r, d, _ in expected], limit
    assert len(stats.latest_changes(None, limit=60)) == 14 * 3
