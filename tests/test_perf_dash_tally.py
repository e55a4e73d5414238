"""Issue 8, dashboard cold: today's breakdowns by institution and by region
come from the tally PostgreSQL's triggers keep (tracker/insights/tally.py,
migration insights 0002). After any sequence of writes, by any path (the
services, the ORM's m2m and bulk methods, `QuerySet.update()`, raw SQL,
deletions, a rolled-back transaction), the tally must equal the live
grouping of the links, and the dashboard's figures must be the same."""

from __future__ import annotations

import random
import threading

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.test_perf_dashboard import generate
from tracker import stats
from tracker.insights import tally
from tracker.insights.models import StatusTally
from tracker.models import Commitment, CommitmentInstitution, Institution, Region

STATUSES = ("initiated", "in_progress", "stalled", "completed", "abandoned", "not_started")
pytestmark = [pytest.mark.postgres]


def live() -> tuple[dict, dict]:
    inst = stats._grouped(
        CommitmentInstitution.objects.all(), "institution_id", None, "commitment_id", "commitment__"
    )
    reg = stats._grouped(
        Commitment.regions.through.objects.all(), "region_id", None, "commitment_id", "commitment__"
    )
    return inst, reg


def assert_tally_is_live(step: str = "") -> None:
    assert stats._link_breakdowns(None) == live(), step


def _new_link(rng: random.Random) -> None:
    commitment = rng.choice(list(Commitment.objects.all()))
    taken = set(commitment.responsibilities.values_list("institution_id", flat=True))
    free = [i for i in Institution.objects.all() if i.pk not in taken]
    if free:
        CommitmentInstitution.objects.create(commitment=commitment, institution=rng.choice(free))


def _write(rng: random.Random, editor, reviewer) -> str:
    """One random write; returns its name."""
    commitments = list(Commitment.objects.order_by("pk"))
    commitment = rng.choice(commitments)
    regions = list(Region.objects.all())
    kind = rng.randrange(12)
    if kind == 0:  # publishing through the services
        f.make_published_assessment(
            commitment, author=editor, reviewer=reviewer, status=rng.choice(STATUSES[:5])
        )
        return "publish"
    if kind == 1:  # a status written behind the services' back
        Commitment.objects.filter(pk=commitment.pk).update(
            current_status=rng.choice(STATUSES), current_progress=rng.randint(0, 100)
        )
        return "update status"
    if kind == 2:  # several at once, progress only
        Commitment.objects.filter(pk__in=[c.pk for c in commitments[::3]]).update(
            current_progress=rng.randint(0, 100)
        )
        return "bulk progress"
    if kind == 3:
        commitment.regions.add(*rng.sample(regions, k=min(2, len(regions))))
        return "regions add"
    if kind == 4:
        commitment.regions.remove(*commitment.regions.all()[:1])
        return "regions remove"
    if kind == 5:
        commitment.regions.set(rng.sample(regions, k=rng.randint(0, len(regions))))
        return "regions set"
    if kind == 6:
        _new_link(rng)
        return "institution link"
    if kind == 7:  # a supporting institution removed (the lead stays)
        supporting = CommitmentInstitution.objects.filter(commitment=commitment, role="supporting")
        CommitmentInstitution.objects.filter(pk__in=supporting.values("pk")[:1]).delete()
        return "institution unlink"
    if kind == 8:  # a link moved to another institution (UPDATE of the link)
        link = CommitmentInstitution.objects.filter(commitment=commitment).first()
        taken = set(commitment.responsibilities.values_list("institution_id", flat=True))
        free = [i for i in Institution.objects.all() if i.pk not in taken]
        if link and free:
            CommitmentInstitution.objects.filter(pk=link.pk).update(institution=rng.choice(free))
        return "link moved"
    if kind == 9:  # a new commitment through the service, with its links
        f.make_commitment(
            actor=editor,
            lead_institution=rng.choice(list(Institution.objects.all())),
            regions=rng.sample(regions, k=min(2, len(regions))),
        )
        return "commitment create"
    if kind == 10:  # a commitment deleted with its links (one without assessments)
        victim = Commitment.objects.filter(assessments__isnull=True).order_by("?").first()
        if victim is None:
            victim = f.make_commitment(actor=editor, regions=rng.sample(regions, k=1))
        victim.delete()
        return "commitment delete"
    # A transaction that writes and rolls back changes nothing.
    try:
        with transaction.atomic():
            Commitment.objects.update(current_status="stalled")
            commitment.regions.clear()
            raise RuntimeError
    except RuntimeError:
        pass
    return "rolled back"


def _random_sequence(seed: int, steps: int) -> None:
    generate(12, seed=seed)
    rng = random.Random(seed)
    editor, reviewer = f.make_editor(), f.make_reviewer()
    assert StatusTally.objects.exists()
    assert_tally_is_live("generated")
    for step in range(steps):
        try:
            name = _write(rng, editor, reviewer)
        except Exception as error:  # a write refused by the record's rules is still a test of nothing
            if "ProtectedError" not in type(error).__name__ and "Validation" not in type(error).__name__:
                raise
            name = f"refused: {type(error).__name__}"
        assert_tally_is_live(f"step {step}: {name}")
        if rng.random() < 0.2:
            tally.compact()
            assert_tally_is_live(f"step {step}: compacted")
    rows = StatusTally.objects.count()
    tally.compact()
    assert StatusTally.objects.count() <= rows
    assert_tally_is_live("compacted")
    tally.rebuild()
    assert_tally_is_live("rebuilt")


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [21, 22, 23])
def test_the_tally_equals_the_live_grouping_after_random_writes(seed):
    _random_sequence(seed, steps=40)


@pytest.mark.django_db
def test_the_dashboard_figures_are_those_of_the_live_grouping(monkeypatch):
    generate(10, seed=31)
    with_tally = stats.dashboard_stats()
    monkeypatch.setattr(tally, "available", lambda: False)
    assert stats.dashboard_stats() == with_tally


@pytest.mark.django_db
def test_cold_breakdowns_read_the_tally_in_one_query():
    generate(10, seed=32)
    with CaptureQueriesContext(connection) as queries:
        stats._link_breakdowns(None)
    assert len(queries) == 1
    assert "insights_statustally" in queries[0]["sql"]


@pytest.mark.django_db
def test_rebuild_after_a_truncation_and_the_command_recounts():
    generate(8, seed=33)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE insights_statustally")  # what the triggers cannot see
    assert stats._link_breakdowns(None) != live()
    call_command("rebuild_dashboard_trend")
    assert_tally_is_live()


def _in_thread(work) -> threading.Thread:
    def run():
        try:
            work()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_link_added_while_the_status_changes_is_counted_with_the_new_status():
    """The link's trigger locks its commitment FOR SHARE: it waits for the
    uncommitted status change and then reads it (READ COMMITTED)."""
    generate(4, seed=34)
    commitment = Commitment.objects.order_by("pk").first()
    region = f.make_region()
    new_status = "abandoned" if commitment.current_status != "abandoned" else "stalled"
    updated, linked = threading.Event(), threading.Event()

    def add_link():
        updated.wait(10)
        commitment.regions.add(region)  # waits for the update's commit
        linked.set()

    thread = _in_thread(add_link)
    with transaction.atomic():
        Commitment.objects.filter(pk=commitment.pk).update(current_status=new_status)
        updated.set()
        assert not linked.wait(1)  # held back by the row lock
    thread.join(10)
    assert linked.is_set()
    assert_tally_is_live()
    tally.rebuild()
    assert_tally_is_live()


@pytest.mark.django_db(transaction=True)
def test_a_status_change_while_a_link_is_added_sees_the_link():
    generate(4, seed=35)
    commitment = Commitment.objects.order_by("pk").first()
    region = f.make_region()
    new_status = "abandoned" if commitment.current_status != "abandoned" else "stalled"
    linked, updated = threading.Event(), threading.Event()

    def change_status():
        linked.wait(10)
        Commitment.objects.filter(pk=commitment.pk).update(current_status=new_status)  # waits
        updated.set()

    thread = _in_thread(change_status)
    with transaction.atomic():
        commitment.regions.add(region)
        linked.set()
        assert not updated.wait(1)  # held back by the link's FOR SHARE lock
    thread.join(10)
    assert updated.is_set()
    assert_tally_is_live()


@pytest.mark.django_db(transaction=True)
def test_a_write_under_another_isolation_level_fails_rather_than_drifting():
    generate(3, seed=36)
    commitment = Commitment.objects.order_by("pk").first()
    with pytest.raises(DatabaseError, match="READ COMMITTED"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        Commitment.objects.filter(pk=commitment.pk).update(current_status="stalled")
    assert_tally_is_live()
