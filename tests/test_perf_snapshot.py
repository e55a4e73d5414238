"""Issue 8, dashboard cold: the trend's closed quarters are stored
(tracker/insights/trend.py) and must always equal the live definition, on
random records, as of any date, after back-dated publications and deletions;
the one grouped query over the commitments gives the old per-query figures;
the dashboard is warmed after each write's commit."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from tests import factories as f
from tests.test_perf_dashboard import generate, reference_trend
from tracker import services, stats
from tracker.insights import tasks, trend, version
from tracker.insights.models import TrendEpoch, TrendQuarter
from tracker.models import Assessment, Commitment

HOME = reverse("tracker:home")
STATUSES = ("initiated", "in_progress", "stalled", "completed", "abandoned")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
    # A request in English leaves English active in the thread (LocaleMiddleware
    # does not switch back): give the next test the default language.
    translation.activate(django_settings.LANGUAGE_CODE)


def _random_record(seed: int) -> random.Random:
    generate(15, seed=seed)
    f.make_commitment(reference=f"EMPTY-{seed}")  # nothing published, ever
    return random.Random(seed)


def _publish_backdated(rng: random.Random, editor, reviewer, n: int) -> list[Assessment]:
    commitments = list(Commitment.objects.order_by("pk"))
    today = stats.today()
    published = []
    for _ in range(n):
        day = today - dt.timedelta(days=rng.randint(1, 9 * 365))
        published.append(
            f.make_published_assessment(
                rng.choice(commitments),
                author=editor,
                reviewer=reviewer,
                as_of=day,
                status=rng.choice(STATUSES),
            )
        )
    return published


def _random_days(rng: random.Random) -> list[dt.date | None]:
    today = stats.today()
    days = [None, stats.quarter_end(today - dt.timedelta(days=400))]
    days += [today - dt.timedelta(days=rng.randint(1, 10 * 365)) for _ in range(4)]
    return days


def _assert_trend_is_live(rng: random.Random) -> None:
    for as_of in _random_days(rng):
        expected = reference_trend(as_of)
        assert stats.trend(as_of) == expected, as_of  # computes and stores what is missing
        assert stats.trend(as_of) == expected, as_of  # from the stored quarters
        assert stats.trend(as_of, quarters=5) == reference_trend(as_of, quarters=5), as_of


def _check_random_record(seed: int) -> None:
    rng = _random_record(seed)
    assert TrendQuarter.objects.exists()  # the generator rebuilt the stored trend
    _assert_trend_is_live(rng)
    editor, reviewer = f.make_editor(), f.make_reviewer()
    _publish_backdated(rng, editor, reviewer, 6)  # through the service: stored quarters forgotten
    _assert_trend_is_live(rng)
    victim = Assessment.objects.published().order_by("as_of").first()
    victim.evidence.clear()
    victim.delete()  # the oldest published one: every stored quarter is affected
    services.commitment_refresh_status(commitment=victim.commitment)
    _assert_trend_is_live(rng)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_trend_equals_the_live_definition_on_random_records(seed):
    _check_random_record(seed)


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("seed", [4, 5])
def test_stored_trend_equals_the_live_definition_on_random_records_on_postgresql(seed):
    _check_random_record(seed)


def _old_figures(as_of):
    """The figures as the dashboard computed them before the one grouped query."""
    on = as_of or stats.today()
    commitments = Commitment.objects.all()
    return {
        "overall": stats.status_counts(commitments, as_of),
        "pillar": stats._grouped(commitments, "pillar_id", as_of, "pk", ""),
        "framework": stats._grouped(commitments, "framework_id", as_of, "pk", ""),
        "overdue": stats.with_status_as_of(commitments, as_of).filter(stats.overdue_q(on)).count(),
    }


@pytest.mark.django_db
def test_one_grouped_query_gives_the_overall_pillar_framework_and_overdue_figures():
    rng = _random_record(7)
    _publish_backdated(rng, f.make_editor(), f.make_reviewer(), 4)
    for as_of in _random_days(rng):
        with CaptureQueriesContext(connection) as queries:
            groups = stats.commitment_groups(as_of)
        assert len(queries) == 1
        old = _old_figures(as_of)
        assert stats._counts_of(groups) == old["overall"], as_of
        assert stats._grouped_from(groups, "pillar_id") == old["pillar"], as_of
        assert stats._grouped_from(groups, "framework_id") == old["framework"], as_of
        assert stats._overdue_count(groups) == old["overdue"], as_of
        assert stats.dashboard_stats(as_of)["trend"] == reference_trend(as_of), as_of


@pytest.mark.django_db
def test_today_is_right_even_with_an_assessment_dated_in_the_future():
    """The live point reads the denormalised status except where the latest
    published assessment is dated after the day shown."""
    rng = _random_record(8)
    future = Assessment.objects.published().order_by("pk").first()
    Assessment.objects.filter(pk=future.pk).update(
        as_of=stats.today() + dt.timedelta(days=30), status="abandoned"
    )
    services.commitment_refresh_status(commitment=future.commitment)
    trend.invalidate_from(None)  # written behind the services' back
    assert Commitment.objects.get(pk=future.commitment_id).current_status == "abandoned"
    assert stats.dashboard_stats()["trend"] == reference_trend(None)
    _assert_trend_is_live(rng)


@pytest.mark.django_db
def test_a_backdated_publication_forgets_only_the_quarters_from_its_date():
    _random_record(9)
    stats.trend(None)
    stored = dict(TrendQuarter.objects.values_list("quarter_end", "updated_at"))
    assert len(stored) >= 8
    epoch = TrendEpoch.objects.get().value
    day = sorted(stored)[4] - dt.timedelta(days=10)
    commitment = Commitment.objects.order_by("pk").first()
    f.make_published_assessment(commitment, as_of=day, status="stalled")
    left = dict(TrendQuarter.objects.values_list("quarter_end", "updated_at"))
    assert left == {end: moment for end, moment in stored.items() if end < day}
    assert TrendEpoch.objects.get().value == epoch + 1


@pytest.mark.django_db
def test_figures_computed_while_a_publication_came_in_are_not_stored(monkeypatch):
    """The epoch moved between the start of the computation and the store:
    what was computed may miss that publication, so it is used, not stored."""
    _random_record(10)
    TrendQuarter.objects.all().delete()
    computed = stats.shown_on

    def pass_during_a_publication(days):
        figures = computed(days)
        trend.invalidate_from(days[0])  # what a publication committing now does
        return figures

    monkeypatch.setattr(stats, "shown_on", pass_during_a_publication)
    assert stats.trend(None) == reference_trend(None)
    assert not TrendQuarter.objects.exists()
    monkeypatch.setattr(stats, "shown_on", computed)
    assert stats.trend(None) == reference_trend(None)
    assert TrendQuarter.objects.exists()


@pytest.mark.django_db
def test_rebuild_command_stores_every_closed_quarter_and_dry_run_writes_nothing(capsys):
    _random_record(11)
    TrendQuarter.objects.all().delete()
    call_command("rebuild_dashboard_trend", dry_run=True)
    assert not TrendQuarter.objects.exists()
    assert "Would store" in capsys.readouterr().out
    call_command("rebuild_dashboard_trend")
    ends = list(TrendQuarter.objects.values_list("quarter_end", flat=True))
    today = stats.today()
    assert ends and all(trend.is_closed(end, today) for end in ends)
    first = Assessment.objects.published().order_by("as_of").values_list("as_of", flat=True).first()
    assert ends[0] == stats.quarter_end(first)
    assert len(ends) == len(stats.quarter_days(ends[-1], first, 10_000))
    expected = reference_trend(None)
    with CaptureQueriesContext(connection) as queries:
        assert stats.trend(None) == expected
    assert len(queries) == 4  # first published date, the stored quarters, today live (2)


# --- warming ---------------------------------------------------------------------------


@pytest.fixture
def queued(monkeypatch, settings):
    settings.TASKS_EAGER = False
    calls = []
    monkeypatch.setattr("tracker.tasks.enqueue", lambda path, *a, **kw: calls.append((path, version.token())))
    return calls


def test_warming_is_queued_once_and_fills_the_cache_for_every_language(client, queued, db):
    f.make_published_assessment(f.make_commitment(), status="initiated", as_of=dt.date(2023, 2, 1))
    version.schedule_warming()
    version.schedule_warming()  # already waiting: not queued again
    assert [path for path, _ in queued] == ["tracker.insights.tasks.warm_dashboard"]
    assert tasks.warm_dashboard() == 2  # French and English
    version.schedule_warming()  # the task ran: a later write queues it again
    assert len(queued) == 2
    for language in ("fr", "en"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(HOME, headers={"Accept-Language": language})
        assert response.status_code == 200
        assert len(queries) == 1  # the version's fingerprint: the figures were warm


def test_no_warming_when_tasks_run_eagerly(db, monkeypatch, settings):
    settings.TASKS_EAGER = True
    calls = []
    monkeypatch.setattr("tracker.tasks.enqueue", lambda *a, **kw: calls.append(a))
    version.schedule_warming()
    assert calls == []


@pytest.mark.django_db(transaction=True)
def test_a_publication_queues_warming_after_its_commit_and_the_token_bump(queued):
    reviewer = f.make_reviewer()
    assessment = f.make_assessment(f.make_commitment(), as_of=dt.date(2024, 2, 1))
    services.assessment_submit(actor=assessment.author, assessment=assessment)
    cache.delete(version.warming_key())
    queued.clear()
    before = version.token()
    services.assessment_publish(actor=reviewer, assessment=assessment)
    warming = [token for path, token in queued if path == "tracker.insights.tasks.warm_dashboard"]
    assert len(warming) == 1  # two tracker rows written (assessment, commitment): queued once
    token_when_queued = warming[0]
    assert token_when_queued == version.token() != before  # queued after the commit's bump
