"""Query counts and output of the hot read paths and the publish path
(issue 8; docs/performance.md, "Changes by perf-web")."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from tests import factories as f
from tracker import services
from tracker.models import Assessment
from tracker.services.assessments import _save_constrained

pytestmark = pytest.mark.django_db

SKIPPED = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def statements(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(SKIPPED)]


# --- publish path -------------------------------------------------------------------


def test_publish_runs_no_validation_queries(editor, reviewer, commitment):
    assessment = f.make_assessment(commitment, author=editor)
    services.assessment_submit(actor=editor, assessment=assessment)
    with CaptureQueriesContext(connection) as queries:
        services.assessment_publish(actor=reviewer, assessment=assessment)
    sql = statements(queries)
    # Was 26 statements (+ 10 savepoint statements): full_clean() re-read four
    # foreign keys and ran each CheckConstraint as a query in a savepoint.
    assert [s for s in sql if "_check" in s] == []
    assert len(sql) == 17
    assert len(queries.captured_queries) == 19  # + the service's own savepoint
    assessment.refresh_from_db()
    commitment.refresh_from_db()
    assert assessment.review_state == "published" and assessment.reviewer == reviewer
    assert commitment.current_status == "in_progress" and commitment.status_as_of == assessment.as_of


def test_publish_constraint_violation_is_the_constraints_message(editor, commitment):
    """The database checks the four-eyes rule; the service reports it as
    full_clean() did: a ValidationError with the constraint's translated message."""
    assessment = f.make_assessment(commitment, author=editor)
    services.assessment_submit(actor=editor, assessment=assessment)
    assessment.review_state = Assessment.ReviewState.PUBLISHED
    assessment.reviewer = editor  # the author: refused by the database
    assessment.published_at = timezone.now()
    with translation.override("en"), pytest.raises(ValidationError) as exc, transaction.atomic():
        _save_constrained(assessment, ["review_state", "reviewer", "published_at", "updated_at"])
    assert exc.value.messages == ["The reviewer cannot be the author."]
    assessment.refresh_from_db()
    assert assessment.review_state == "submitted" and assessment.reviewer is None
