"""The benchmark data generator: shape, denormalised fields, reproducibility."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F

from tests import factories
from tracker.models import Assessment, Commitment, CommitmentInstitution, Evidence, Indicator, Measurement
from tracker.services.commitments import search_document_for


def _reference_data():
    for _ in range(3):
        factories.make_framework()
        factories.make_pillar()
        factories.make_institution()
        factories.make_region()


def _generate(n=6, seed=7, prefix="GEN", batch_size=4):
    call_command(
        "generate_benchmark_data",
        commitments=n,
        seed=seed,
        prefix=prefix,
        batch_size=batch_size,
        no_vacuum=True,
        verbosity=0,
    )
    return Commitment.objects.filter(reference__startswith=f"{prefix}-").order_by("reference")


@pytest.mark.django_db
def test_generator_writes_the_requested_shape_in_batches():
    _reference_data()
    commitments = _generate(n=6, batch_size=4)  # two batches: 4 + 2
    assert [c.reference for c in commitments] == [f"GEN-{n:06d}" for n in range(1, 7)]
    counts = commitments.annotate(
        n_assessments=Count("assessments", distinct=True), n_evidence=Count("evidence", distinct=True)
    )
    assert {(c.n_assessments, c.n_evidence) for c in counts} == {(10, 3)}
    assert Assessment.objects.filter(review_state="published").count() == 6 * 8
    assert CommitmentInstitution.objects.filter(role="lead").count() == 6
    assert Indicator.objects.count() >= 6
    assert Measurement.objects.count() == 3 * Indicator.objects.count()


@pytest.mark.django_db
def test_generated_published_assessments_have_a_different_reviewer_and_cite_evidence():
    _reference_data()
    _generate()
    published = Assessment.objects.filter(review_state="published")
    assert not published.filter(reviewer__isnull=True).exists()
    assert not published.filter(reviewer=F("author")).exists()
    assert not published.filter(published_at__isnull=True).exists()
    assert not published.filter(evidence__isnull=True).exists()
    # Every published verdict cites public evidence, so readers see it.
    assert Evidence.objects.public().count() >= 6


@pytest.mark.django_db
def test_generated_status_and_search_document_match_the_services():
    _reference_data()
    for commitment in _generate():
        latest = commitment.assessments.published().latest_first().first()
        assert (commitment.current_status, commitment.current_progress, commitment.status_as_of) == (
            latest.status,
            latest.progress,
            latest.as_of,
        )
        assert commitment.search_document == search_document_for(commitment)
        assert commitment.title_fr and commitment.title_en and commitment.title_fr != commitment.title_en


@pytest.mark.django_db
def test_same_seed_gives_the_same_data_and_another_seed_does_not():
    _reference_data()

    def content(prefix, seed):
        return [
            (c.title_fr, c.current_status, c.status_as_of, c.due_date)
            for c in _generate(seed=seed, prefix=prefix)
        ]

    first = content("AAA", 7)
    assert content("BBB", 7) == first
    assert content("CCC", 8) != first


@pytest.mark.django_db
def test_generator_loads_the_seed_reference_data_when_the_database_has_none():
    commitments = _generate(n=2)
    assert commitments.count() == 2
    assert commitments.first().framework.code  # a real framework of the seed record


@pytest.mark.django_db
def test_generator_refuses_a_prefix_already_used():
    _reference_data()
    _generate(n=1)
    with pytest.raises(CommandError, match="prefix GEN- exist already"):
        _generate(n=1)
    assert Commitment.objects.count() == 1


@pytest.mark.django_db
def test_generator_rejects_a_count_below_one():
    with pytest.raises(CommandError, match="at least 1"):
        _generate(n=0)


@pytest.mark.django_db
def test_generated_statuses_spread_over_the_scale():
    _reference_data()
    statuses = {c.current_status for c in _generate(n=40, batch_size=40)}
    assert {"in_progress", "initiated"} <= statuses and len(statuses) >= 5


def _shape(prefix):
    """Everything generated under `prefix`, without primary keys or the prefix."""
    commitments = Commitment.objects.filter(reference__startswith=f"{prefix}-")
    fields = (
        "title_fr",
        "title_en",
        "search_document",
        "current_status",
        "current_progress",
        "status_as_of",
        "due_date",
        "budget_amount",
        "wps_marker",
        "framework_id",
        "pillar_id",
    )
    rows = {c["reference"][4:]: c for c in commitments.values("reference", "parent__reference", *fields)}
    for row in rows.values():
        row.pop("reference")
        row["search_document"] = re.sub(rf"\b{prefix.lower()}\b", "", row["search_document"])
        row["parent__reference"] = (row["parent__reference"] or "")[4:]
    assessments = Assessment.objects.filter(commitment__in=commitments)
    return {
        "commitments": rows,
        "assessments": sorted(
            assessments.annotate(cites=Count("evidence"))
            .values_list(
                "commitment__reference",
                "status",
                "progress",
                "as_of",
                "review_state",
                "published_at",
                "submitted_at",
                "summary_fr",
                "delay_reason",
                "author__username",
                "reviewer__username",
                "cites",
            )
            .iterator()
        ),
        "evidence": sorted(
            Evidence.objects.filter(commitment__in=commitments).values_list(
                "commitment__reference", "kind", "title", "published_on", "visibility", "language", "excerpt"
            )
        ),
        "links": sorted(
            CommitmentInstitution.objects.filter(commitment__in=commitments).values_list(
                "commitment__reference", "institution_id", "role"
            )
        ),
        "regions": sorted(
            Commitment.regions.through.objects.filter(commitment__in=commitments).values_list(
                "commitment__reference", "region_id"
            )
        ),
        "measurements": sorted(
            Measurement.objects.filter(indicator__commitment__in=commitments).values_list(
                "indicator__key",
                "indicator__unit",
                "indicator__target_value",
                "measured_on",
                "value",
                "value_women",
                "value_men",
                "evidence__title",
            )
        ),
    }


def _without_prefix(shape):
    """Commitment references in the tuples start with the prefix: drop it."""
    out = dict(shape)
    for key in ("assessments", "evidence", "links", "regions", "measurements"):
        out[key] = [(row[0][4:], *row[1:]) for row in shape[key]]
    return out


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_copy_path_writes_the_same_rows_as_bulk_create():
    """On PostgreSQL the generator COPYs; `--no-copy` takes the bulk_create path
    the tests use on SQLite. Same seed, same rows (keys and prefix aside)."""
    from django.db import connection

    _reference_data()
    call_command(
        "generate_benchmark_data",
        commitments=30,
        seed=5,
        prefix="CPY",
        batch_size=12,
        no_vacuum=True,
        verbosity=0,
    )
    call_command(
        "generate_benchmark_data",
        commitments=30,
        seed=5,
        prefix="ORM",
        batch_size=12,
        no_vacuum=True,
        no_copy=True,
        verbosity=0,
    )
    copied, created = _shape("CPY"), _shape("ORM")
    assert len(copied["commitments"]) == 30
    assert len(copied["assessments"]) == 300
    assert len(copied["evidence"]) == 90
    assert copied["commitments"] == created["commitments"]
    assert _without_prefix(copied) | {"commitments": None} == _without_prefix(created) | {"commitments": None}
    # Sequences moved past the copied keys: a normal insert still works.
    call_command(
        "generate_benchmark_data",
        commitments=2,
        seed=5,
        prefix="AFT",
        no_vacuum=True,
        no_copy=True,
        verbosity=0,
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM tracker_assessment WHERE created_at IS NULL OR updated_at IS NULL"
        )
        assert cursor.fetchone() == (0,)
