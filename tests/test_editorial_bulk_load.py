"""Bulk loads notify no one (issue 6): the seed record publishes many
assessments through the services with notify=False, an explicit argument of
the one call that loads, not a global switch; everyday saves still notify."""

import pytest
from django.core.management import call_command

from tests import factories as f
from tracker import services
from tracker.models import Assessment

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The task paths the assessment services queue."""
    paths = []
    monkeypatch.setattr(
        "tracker.services.assessments.enqueue_on_commit", lambda path, *args, **kw: paths.append(path)
    )
    return paths


def test_load_seed_queues_no_notification(queued):
    call_command("load_seed", verbosity=0)
    published = Assessment.objects.filter(review_state=Assessment.ReviewState.PUBLISHED).count()
    assert published > 10
    assert [path for path in queued if ".notifications." in path] == []


def test_notify_false_is_per_call_and_the_default_still_notifies(queued):
    editor, reviewer = f.make_editor(), f.make_reviewer()
    commitment = f.make_commitment(actor=editor)
    quiet = f.make_assessment(commitment, author=editor, evidence=[f.make_evidence(commitment, actor=editor)])
    services.assessment_submit(actor=editor, assessment=quiet, notify=False)
    services.assessment_publish(actor=reviewer, assessment=quiet, notify=False)
    assert queued == []

    loud = f.make_assessment(commitment, author=editor, evidence=[f.make_evidence(commitment, actor=editor)])
    services.assessment_submit(actor=editor, assessment=loud)
    services.assessment_publish(actor=reviewer, assessment=loud)
    assert queued == [
        "tracker.editorial.notifications.notify_review_waiting",
        "tracker.editorial.notifications.notify_published",
    ]
