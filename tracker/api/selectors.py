"""Reads for the API: one function per endpoint, with every join it needs
(serializers never query). Only public data: published assessments, and
evidence through Evidence.objects.public()."""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    QuerySet,
)
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tracker import stats as dashboard
from tracker.models import (
    Assessment,
    Commitment,
    CommitmentInstitution,
    Evidence,
    Framework,
    Indicator,
    Institution,
    Measurement,
    Organisation,
    Pillar,
    Region,
)


def measurements() -> QuerySet[Measurement]:
    public = Evidence.objects.public().filter(pk=OuterRef("evidence_id"))
    return Measurement.objects.annotate(evidence_is_public=Exists(public)).order_by("measured_on")


def indicators() -> QuerySet[Indicator]:
    return Indicator.objects.select_related("commitment").prefetch_related(
        Prefetch("measurements", queryset=measurements())
    )


# Prefetches go to plain lists (to_attr): reading `obj.regions.all()` builds a
# manager and a queryset per row and relation even when the rows are cached.
#
# Objects the API shows only as references (identifier + URL) are loaded with
# only that identifier (`.only()`): each of their columns, above all the two
# timestamps (parsed in Python), cost CPU on every row; ~260 objects per list
# page. The commitment's own columns: all but the search document for the
# detail, the list serializer's for the list (CommitmentListSerializer).
REFERENCES = ("framework", "framework__code", "pillar", "pillar__slug", "parent", "parent__reference")
LIST_FIELDS = (
    "reference",
    "title_fr",
    "title_en",
    "current_status",
    "current_progress",
    "status_as_of",
    "start_date",
    "due_date",
    "wps_marker",
    "updated_at",
)


def _detail_fields() -> list[str]:
    return [f.name for f in Commitment._meta.concrete_fields if f.name != "search_document"]


def _commitments_base() -> QuerySet[Commitment]:
    return Commitment.objects.select_related("framework", "pillar", "parent").prefetch_related(
        Prefetch(
            "responsibilities",
            queryset=CommitmentInstitution.objects.select_related("institution").only(
                "commitment", "role", "institution", "institution__slug"
            ),
            to_attr="api_responsibilities",
        ),
        Prefetch("regions", queryset=Region.objects.order_by("slug").only("slug"), to_attr="api_regions"),
    )


def commitments() -> QuerySet[Commitment]:
    return (
        _commitments_base()
        .only(*LIST_FIELDS, *REFERENCES)
        .prefetch_related(
            Prefetch(
                "indicators",
                queryset=Indicator.objects.order_by("key").only("commitment", "key"),
                to_attr="api_indicators",
            )
        )
    )


def _assessments_with_refs() -> QuerySet[Assessment]:
    # Evidence cited by a published assessment is public once its visibility
    # is: filtering on visibility alone keeps the prefetch a plain index
    # lookup (Evidence.objects.public()'s EXISTS re-checks every published
    # assessment per row; 20 s on SQLite at 100k assessments).
    public_evidence = Evidence.objects.filter(visibility=Evidence.Visibility.PUBLIC).order_by(
        "-published_on", "pk"
    )
    return (
        Assessment.objects.published()
        .latest_first()
        .select_related("commitment", "blocking_party", "organisation")
        .prefetch_related(Prefetch("evidence", queryset=public_evidence, to_attr="public_evidence"))
    )


def commitment_detail(reference: str) -> Commitment:
    references = Commitment.objects.order_by("reference")
    queryset = (
        _commitments_base()
        .only(*_detail_fields(), *REFERENCES)
        .prefetch_related(
            Prefetch("children", queryset=references.only("reference", "parent"), to_attr="api_children"),
            Prefetch("related", queryset=references.only("reference"), to_attr="api_related"),
            # Not the assessments' commitment: the prefetch sets it to this one.
            Prefetch(
                "assessments",
                queryset=_assessments_with_refs()
                .select_related(None)
                .select_related("blocking_party", "organisation"),
                to_attr="published_assessments",
            ),
            Prefetch(
                "indicators",
                queryset=Indicator.objects.order_by("key").prefetch_related(
                    Prefetch("measurements", queryset=measurements())
                ),
                to_attr="api_indicators",
            ),
        )
    )
    return get_object_or_404(queryset, reference=reference)


def assessments() -> QuerySet[Assessment]:
    return _assessments_with_refs()


def evidence() -> QuerySet[Evidence]:
    return Evidence.objects.public().select_related("commitment")


def institutions() -> QuerySet[Institution]:
    return Institution.objects.select_related("parent")


def frameworks() -> QuerySet[Framework]:
    return Framework.objects.select_related("issuing_body")


def pillars() -> QuerySet[Pillar]:
    return Pillar.objects.all()


def regions() -> QuerySet[Region]:
    return Region.objects.all()


def submissions(organisation: Organisation) -> QuerySet[Assessment]:
    """A partner's own submissions, in every review state (never another's)."""
    return (
        Assessment.objects.filter(organisation=organisation)
        .select_related("commitment")
        .prefetch_related(Prefetch("evidence", queryset=Evidence.objects.order_by("pk")))
    )


# --- stats -------------------------------------------------------------------------
# The dashboard's own aggregates (tracker.stats): one rule for "as of" a date,
# shared with the public site.

GROUPS = (
    ("pillar", "pillar-detail"),
    ("framework", "framework-detail"),
    ("institution", "institution-detail"),
    ("region", "region-detail"),
)


def _group_row(row: dict, view_name: str) -> dict:
    from .serializers import absolute, api_url

    return {
        "key": row["key"],
        "name": str(row["name"]),
        "url": api_url(view_name, row["key"]),
        "html_url": absolute(row["url"]),
        "total": row["total"],
        "average_progress": row["average_progress"],
        "by_status": row["counts"],
    }


def stats(as_of: dt.date | None = None) -> dict:
    """Overall and per pillar, framework, institution and region; constant queries."""
    overall = dashboard.status_counts(Commitment.objects.all(), as_of)
    on = as_of or timezone.localdate()
    overdue = dashboard.with_status_as_of(Commitment.objects.all(), as_of).filter(dashboard.overdue_q(on))
    breakdowns = dashboard.breakdowns(as_of)
    return {
        "as_of": as_of,
        "total": overall["total"],
        "average_progress": overall["average_progress"],
        "by_status": overall["counts"],
        "overdue": overdue.count(),
        **{f"by_{name}": [_group_row(row, view) for row in breakdowns[name]] for name, view in GROUPS},
    }


def webhook_endpoints(organisation: Organisation):
    from tracker.partners.models import WebhookEndpoint

    return WebhookEndpoint.objects.filter(organisation=organisation)
