"""Publishing writes the commitment's status under a row lock (issue #2, item 3).

The lock is what keeps two reviewers publishing on the same commitment at the
same time from leaving it with the older verdict; these tests fail if
assessment_publish stops taking it, or takes it after writing."""

import pytest
from django.db import connection
from django.db.models.query import QuerySet
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tracker import services
from tracker.models import Assessment, Commitment

pytestmark = pytest.mark.django_db


@pytest.fixture
def locks(monkeypatch) -> list:
    """The models of the querysets that asked for select_for_update(), in order."""
    seen: list = []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        seen.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    return seen


def test_publish_locks_the_commitment_then_the_assessment(editor, reviewer, commitment, locks):
    assessment = f.make_assessment(commitment, author=editor, status="in_progress")
    services.assessment_submit(actor=editor, assessment=assessment)
    locks.clear()
    services.assessment_publish(actor=reviewer, assessment=assessment)
    # The same order in every service (commitment first), so two publications never deadlock.
    assert locks[:2] == [Commitment, Assessment]
    commitment.refresh_from_db()
    assert (commitment.current_status, commitment.current_progress) == ("in_progress", 50)


def test_publish_reads_the_commitment_for_update_before_writing_its_status(editor, reviewer, commitment):
    assessment = f.make_assessment(commitment, author=editor, status="initiated")
    services.assessment_submit(actor=editor, assessment=assessment)
    with CaptureQueriesContext(connection) as captured:
        services.assessment_publish(actor=reviewer, assessment=assessment)
    sql = [query["sql"] for query in captured.captured_queries]
    write = next(i for i, s in enumerate(sql) if s.startswith('UPDATE "tracker_commitment"'))
    assert "current_status" in sql[write]
    if connection.features.has_select_for_update:  # PostgreSQL; SQLite locks the whole file instead
        lock = next(i for i, s in enumerate(sql) if 'FROM "tracker_commitment"' in s and "FOR UPDATE" in s)
        assert lock < write
    commitment.refresh_from_db()
    assert commitment.current_status == "initiated"
