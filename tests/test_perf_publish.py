"""The status-publish write path (`assessment_publish`): its statements, one
by one, and that taking out the redundant ones changed nothing it writes.

Was 19 statements plus 2 savepoint pairs (here, inside the test's
transaction), 21-25 per call in bench/publish.py: simple-history re-read the
commitment's `search_document` once per many-to-many field, SELECTed the
through rows and inserted copies; the stored trend's DELETE SELECTed the rows
first; the status refresh ran in a savepoint; the webhook look-up was a
statement of its own. See tracker/models/history.py, tracker/insights/trend.py,
tracker/services/assessments.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from simple_history.signals import pre_create_historical_m2m_records

from tests import factories as f
from tracker import services
from tracker.insights.models import TrendEpoch, TrendQuarter
from tracker.models import Assessment, Commitment
from tracker.models.commitments import commitment_history
from tracker.partners.models import WebhookDelivery, WebhookEndpoint
from tracker.services.assessments import _write_status

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"
FOR_UPDATE = "FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite: none
SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")

# Each statement of a publication, in order (the actor's permissions already
# read: Django caches them on the user object).
PUBLISH_STATEMENTS = [
    ('SELECT "tracker_commitment"', FOR_UPDATE),  # the commitment's row lock
    ('SELECT "tracker_assessment"', FOR_UPDATE),  # then the assessment's
    ("SELECT 1", "tracker_assessment_evidence"),  # it cites evidence
    ('UPDATE "tracker_assessment"', "published"),
    ('INSERT INTO "tracker_historicalassessment"', ""),
    ('INSERT INTO "tracker_historicalassessment_evidence"', 'FROM "tracker_assessment_evidence"'),
    ('INSERT INTO "insights_trendepoch"', "ON CONFLICT"),  # the stored trend: epoch
    ('DELETE FROM "insights_trendquarter"', '"quarter_end" >='),  # and quarters from as_of on
    ('SELECT "tracker_assessment"."status"', '"partners_webhookendpoint"'),  # latest + endpoints
    ('UPDATE "tracker_commitment"', "current_status"),
    ('INSERT INTO "tracker_historicalcommitment"', ""),
]
# Then the commitment's regions and related commitments are copied into its
# new history row: one statement on PostgreSQL, one per field elsewhere (in
# simple-history's order of the fields, which comes from a set).
M2M_HISTORY = ('"tracker_historicalcommitment_regions"', '"tracker_historicalcommitment_related"')
M2M_STATEMENTS = 1 if POSTGRES else 2


def _publish(reviewer, assessment) -> tuple[list[str], list[str]]:
    """(statements, savepoint statements) of one publication."""
    reviewer.has_perm("tracker.review_assessment")  # the permission cache, as on a second call
    with CaptureQueriesContext(connection) as captured:
        services.assessment_publish(actor=reviewer, assessment=assessment)
    sql = [q["sql"] for q in captured.captured_queries]
    return [s for s in sql if not s.startswith(SAVEPOINTS)], [s for s in sql if s.startswith(SAVEPOINTS)]


@pytest.fixture
def submitted(editor, commitment):
    regions, other = [f.make_region(), f.make_region()], f.make_commitment()
    services.commitment_update(actor=editor, commitment=commitment, regions=regions, related=[other])
    commitment.refresh_from_db()
    evidence = [f.make_evidence(commitment, actor=editor) for _ in range(2)]
    assessment = f.make_assessment(commitment, author=editor, evidence=evidence, as_of=dt.date(2024, 6, 1))
    services.assessment_submit(actor=editor, assessment=assessment)
    return assessment


def test_publish_statements_one_by_one(reviewer, submitted):
    sql, savepoints = _publish(reviewer, submitted)
    assert len(sql) == len(PUBLISH_STATEMENTS) + M2M_STATEMENTS, "\n".join(sql)
    for statement, (start, part) in zip(sql, PUBLISH_STATEMENTS, strict=False):
        assert statement.startswith(start) and part in statement, statement
    copies = sql[len(PUBLISH_STATEMENTS) :]
    assert all(s.startswith(("INSERT INTO", "WITH m0 AS (INSERT INTO")) for s in copies)
    assert all(sum(table in s for s in copies) == 1 for table in M2M_HISTORY)
    # Only the publication's own atomic block (a savepoint inside the test's
    # transaction; BEGIN/COMMIT otherwise): the status refresh has none of its own.
    assert len(savepoints) == 2
    assert savepoints[0].startswith("SAVEPOINT") and savepoints[1].startswith("RELEASE SAVEPOINT")
    # The commitment's search_document (excluded from its history) is never re-read.
    assert not [s for s in sql if '"search_document" AS' in s or s.startswith('SELECT "tracker_commitment_')]


def test_publish_writes_the_same_history_rows(reviewer, submitted):
    commitment = submitted.commitment
    services.assessment_publish(actor=reviewer, assessment=submitted)
    commitment.refresh_from_db()
    assert (commitment.current_status, commitment.status_as_of) == ("in_progress", dt.date(2024, 6, 1))
    row = commitment.history.first()  # the status refresh's history row
    assert row.current_status == "in_progress" and row.history_user == reviewer
    assert row.history_change_reason == "status refreshed from the latest published assessment"
    # Its many-to-many rows are the commitment's links, with the links' own ids.
    through = Commitment.regions.through.objects.filter(commitment=commitment)
    assert sorted(row.regions.values_list("id", "region_id")) == sorted(
        through.values_list("id", "region_id")
    )
    related = Commitment.related.through.objects.filter(from_commitment=commitment)
    assert sorted(row.related.values_list("id", "to_commitment_id")) == sorted(
        related.values_list("id", "to_commitment_id")
    )
    assert row.related.count() == 1 and row.regions.count() == 2
    published = submitted.history.first()
    assert published.review_state == "published" and published.history_user == reviewer
    assert sorted(published.evidence.values_list("evidence_id", flat=True)) == sorted(
        submitted.evidence.values_list("pk", flat=True)
    )


def test_m2m_history_falls_back_to_the_library_when_its_signal_is_listened_to(reviewer, submitted):
    """Something listening to simple-history's m2m signal gets the row objects
    as before (the library's own loop), and the rows are the same."""
    seen = []

    def listener(sender, rows, **kwargs):
        seen.append([r.region_id for r in rows])

    model = commitment_history.m2m_models[Commitment._meta.get_field("regions")]
    pre_create_historical_m2m_records.connect(listener, sender=model)
    try:
        services.assessment_publish(actor=reviewer, assessment=submitted)
    finally:
        pre_create_historical_m2m_records.disconnect(listener, sender=model)
    row = submitted.commitment.history.first()
    assert seen and sorted(seen[-1]) == sorted(row.regions.values_list("region_id", flat=True))
    assert row.regions.count() == 2 and row.related.count() == 1


def test_stored_trend_invalidation_deletes_from_the_date_on_and_bumps_the_epoch(reviewer, submitted):
    for day in (dt.date(2024, 3, 31), dt.date(2024, 6, 30), dt.date(2024, 9, 30)):
        TrendQuarter.objects.create(quarter_end=day, counts={}, progress_total=0)
    before = TrendEpoch.objects.filter(pk=1).values_list("value", flat=True).first() or 0
    services.assessment_publish(actor=reviewer, assessment=submitted)  # as of 2024-06-01
    assert list(TrendQuarter.objects.values_list("quarter_end", flat=True)) == [dt.date(2024, 3, 31)]
    assert TrendEpoch.objects.get(pk=1).value == before + 1


def test_publish_with_endpoints_reads_them_with_the_previous_status(editor, reviewer, submitted):
    org = f.make_partner()
    endpoints = [
        WebhookEndpoint.objects.create(organisation=org, url=f"https://93.184.216.{i}/hook", secret="s")
        for i in (1, 2)
    ]
    WebhookEndpoint.objects.create(
        organisation=org, url="https://93.184.216.9/hook", secret="s", is_active=False
    )
    civil = f.make_organisation()
    WebhookEndpoint.objects.create(organisation=civil, url="https://93.184.216.8/hook", secret="s")
    f.make_published_assessment(submitted.commitment, status="initiated", as_of=dt.date(2024, 1, 1))
    reviewer.has_perm("tracker.review_assessment")
    with CaptureQueriesContext(connection) as captured:
        services.assessment_publish(actor=reviewer, assessment=submitted)
    sql = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith(SAVEPOINTS)]
    lookups = [s for s in sql if s.startswith('SELECT "partners_webhookendpoint"')]
    assert len(lookups) == 1 and "previous_status" in lookups[0]  # endpoints and previous status: one
    # + that look-up and the deliveries' INSERT
    assert len(sql) == len(PUBLISH_STATEMENTS) + M2M_STATEMENTS + 2
    deliveries = WebhookDelivery.objects.filter(payload__data__assessment__id=submitted.pk)
    assert sorted(d.endpoint_id for d in deliveries) == sorted(e.pk for e in endpoints)
    assert {d.payload["data"]["commitment"]["previous_status"] for d in deliveries} == {"initiated"}
    assert {d.payload["data"]["commitment"]["current_status"] for d in deliveries} == {"in_progress"}


def test_publish_without_endpoints_writes_no_delivery(reviewer, submitted):
    services.assessment_publish(actor=reviewer, assessment=submitted)
    assert not WebhookDelivery.objects.exists()


def test_write_status_with_nothing_published_cannot_tell_the_endpoints(commitment):
    """No published assessment: no row to carry the endpoints' answer, so the
    caller is told to look them up (True), and the status is `not_started`."""
    locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
    assert _write_status(locked, None, endpoints=True) is True
    assert _write_status(locked, None) is False
    commitment.refresh_from_db()
    assert (commitment.current_status, commitment.current_progress) == ("not_started", 0)
    assert not Assessment.objects.filter(commitment=commitment).exists()
