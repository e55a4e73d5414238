"""Public reads: one function per page or endpoint, with every join it needs.

Only published things reach readers: assessments in the published state,
evidence that is public *and* cited by a published assessment
(`EvidenceQuerySet.public`). Status and progress are read "as of" a date when
one is given (see tracker.stats for the rule).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection
from django.db.models import CharField, F, Min, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf
from django.http import Http404
from django.utils import translation

from tracker import stats
from tracker.models import (
    Assessment,
    Commitment,
    CommitmentInstitution,
    Evidence,
    Framework,
    Indicator,
    Institution,
    Measurement,
    Pillar,
    Region,
)


def commitment_list_queryset(as_of: dt.date | None = None) -> QuerySet[Commitment]:
    """Rows of the public list: framework, pillar and lead institution (its
    acronym, slug and name in the active language, falling back to the other)
    in the same query, status as of the date (or now), derived progress of parents."""
    # order_by(): one lead per commitment; the model's default ordering would add a join.
    lead = CommitmentInstitution.objects.filter(commitment=OuterRef("pk"), role="lead").order_by()
    first, other = ("en", "fr") if (translation.get_language() or "fr")[:2] == "en" else ("fr", "en")
    lead_name = lead.annotate(
        lead_name=Coalesce(NullIf(f"institution__name_{first}", Value("")), f"institution__name_{other}")
    ).values("lead_name")[:1]
    queryset = (
        Commitment.objects.select_related("framework", "pillar")
        .annotate(
            lead_acronym=Subquery(lead.values("institution__acronym")[:1], output_field=CharField()),
            lead_slug=Subquery(lead.values("institution__slug")[:1], output_field=CharField()),
            lead_name=Subquery(lead_name, output_field=CharField()),
        )
        .order_by("reference")
    )
    return stats.with_derived_progress(stats.with_status_as_of(queryset, as_of), as_of)


# The filter form's option lists: {(reference fingerprint, language): {field: [(value, label)]}}.
_OPTIONS: dict[tuple, dict] = {}
REFERENCE_FIELDS = {"framework": Framework, "pillar": Pillar, "institution": Institution, "region": Region}


def _reference_fingerprint() -> tuple:
    """One statement: rows, latest change and versions of each reference table,
    so that any change to an option (by a service, an import or another
    program) gives a new fingerprint."""
    parts = []
    for model in REFERENCE_FIELDS.values():
        table = connection.ops.quote_name(model._meta.db_table)
        parts.append(f"(SELECT COUNT(*) || '/' || SUM(version) || '/' || MAX(updated_at) FROM {table})")  # nosec B608
    with connection.cursor() as cursor:
        # Only the models' own quoted table names are formatted in.
        cursor.execute("SELECT " + ", ".join(parts))  # noqa: S608  # nosec B608
        return tuple(cursor.fetchone())


def reference_options(fields: dict) -> dict[str, list[tuple[str, str]]]:
    """The public list's framework, pillar, institution and region options as
    (value, label) pairs, built once per version of the reference data and
    language (4 queries and ~130 model instances per request before; now one
    small statement). The options' HTML is unchanged (tests/test_perf_web.py)."""
    key = (_reference_fingerprint(), translation.get_language())
    options = _OPTIONS.get(key)
    if options is None:
        options = {
            name: [("" if value is None else str(value), str(label)) for value, label in fields[name].choices]
            for name in REFERENCE_FIELDS
        }
        _OPTIONS.clear()  # only the current version is kept (per language)
        _OPTIONS[key] = options
    return options


def csv_rows_queryset(queryset: QuerySet[Commitment]) -> QuerySet[Commitment]:
    """The filtered set for the CSV export: the lead institution's name in the
    same query, no prefetch, so the export streams in one query."""
    # order_by(): one lead per commitment; the model's default ordering would add a join.
    lead = CommitmentInstitution.objects.filter(commitment=OuterRef("pk"), role="lead").order_by()
    return queryset.annotate(
        lead_name_fr=Subquery(lead.values("institution__name_fr")[:1], output_field=CharField()),
        parent_reference=F("parent__reference"),
    )


def public_evidence() -> QuerySet[Evidence]:
    return Evidence.objects.public().order_by("-published_on", "pk")


# The commitment page's related rows read only the columns the page shows
# (fewer columns to compile into SQL and to load); tests/test_perf_detail.py
# checks that the page is the same, byte for byte, and reads no deferred field.
_EVIDENCE_SHOWN = (
    "publisher",
    "title",
    "url",
    "file",
    "excerpt",
    "language",
    "kind",
    "reliability",
    "published_on",
    "published_on_precision",
)
_ASSESSMENT_SHOWN = (
    "commitment",
    "status",
    "progress",
    "as_of",
    "as_of_precision",
    "summary_fr",
    "summary_en",
    "delay_reason",
    "blocking_party",
    "methodology_version",
)
_CHILD_SHOWN = ("reference", "title_fr", "title_en")


def public_assessments(as_of: dt.date | None = None) -> QuerySet[Assessment]:
    queryset = Assessment.objects.published()
    if as_of is not None:
        queryset = queryset.as_of(as_of)
    return (
        queryset.latest_first()
        .select_related("blocking_party")
        .only(
            *_ASSESSMENT_SHOWN,
            "blocking_party__acronym",
            "blocking_party__name_fr",
            "blocking_party__name_en",
        )
        .prefetch_related(
            Prefetch("evidence", queryset=public_evidence().only(*_EVIDENCE_SHOWN), to_attr="public_evidence")
        )
    )


def _children(as_of: dt.date | None) -> QuerySet[Commitment]:
    return stats.with_status_as_of(
        Commitment.objects.order_by("reference").only(*_CHILD_SHOWN, "parent"), as_of
    )


def _indicators(as_of: dt.date | None) -> QuerySet[Indicator]:
    measurements = (
        Measurement.objects.order_by("measured_on")
        .only(
            "indicator",
            "measured_on",
            "measured_on_precision",
            "value",
            "value_women",
            "value_men",
            "evidence",
        )
        .prefetch_related(
            # An evidence link is shown only when that evidence is public.
            Prefetch("evidence", queryset=Evidence.objects.public().only("url", "publisher"))
        )
    )
    if as_of is not None:
        measurements = measurements.filter(measured_on__lte=as_of)
    return Indicator.objects.order_by("key").prefetch_related(
        Prefetch("measurements", queryset=measurements, to_attr="shown_measurements")
    )


def _unused(prefix: str, model, shown: tuple[str, ...]) -> list[str]:
    return [f"{prefix}{f.name}" for f in model._meta.concrete_fields if f.name not in ("id", *shown)]


# What the page does not read of the commitment (its search document) and of
# its framework, pillar and parent (all but their names and the keys of their links).
_DETAIL_UNUSED = (
    "search_document",
    *_unused("framework__", Framework, ("code", "name_fr", "name_en")),
    *_unused("pillar__", Pillar, ("slug", "name_fr", "name_en")),
    *_unused("parent__", Commitment, ("reference",)),
)


def commitment_detail(reference: str, as_of: dt.date | None = None) -> Commitment:
    """One commitment with everything its public page shows: status as of
    the date (or now), derived progress, and its related rows. Not the list's
    lead-institution subqueries (the page does not read them; compiling them
    was a good part of the query's cost), nor the columns in _DETAIL_UNUSED.
    The API has its own (tracker.api.selectors)."""
    commitments = Commitment.objects.select_related("framework", "pillar", "parent").defer(*_DETAIL_UNUSED)
    queryset = stats.with_derived_progress(
        stats.with_status_as_of(commitments, as_of), as_of
    ).prefetch_related(
        Prefetch(
            "responsibilities",
            queryset=CommitmentInstitution.objects.select_related("institution").order_by(
                "role", "institution__name_fr"
            ),
        ),
        Prefetch("regions", queryset=Region.objects.order_by("name")),
        Prefetch("assessments", queryset=public_assessments(as_of), to_attr="published_assessments"),
        Prefetch("children", queryset=_children(as_of), to_attr="shown_children"),
        Prefetch(
            "related",
            queryset=_children(as_of).select_related("framework").only(*_CHILD_SHOWN, "framework__code"),
            to_attr="shown_related",
        ),
        Prefetch("indicators", queryset=_indicators(as_of), to_attr="shown_indicators"),
    )
    try:
        return queryset.get(reference=reference)
    except Commitment.DoesNotExist as exc:
        raise Http404(reference) from exc


@dataclass
class Scope:
    """A framework, pillar, institution or region page: the object and its commitments."""

    kind: str
    object: object
    commitments: QuerySet[Commitment]


def _get(queryset: QuerySet, **lookup):
    try:
        return queryset.get(**lookup)
    except queryset.model.DoesNotExist as exc:
        raise Http404(str(lookup)) from exc


def framework_scope(code: str) -> Scope:
    framework = _get(Framework.objects.select_related("issuing_body"), code=code)
    return Scope("framework", framework, Commitment.objects.filter(framework=framework))


def pillar_scope(slug: str) -> Scope:
    pillar = _get(Pillar.objects.all(), slug=slug)
    return Scope("pillar", pillar, Commitment.objects.filter(pillar=pillar))


def institution_scope(slug: str) -> Scope:
    institution = _get(Institution.objects.select_related("parent"), slug=slug)
    ids = CommitmentInstitution.objects.filter(institution=institution).values("commitment_id")
    return Scope("institution", institution, Commitment.objects.filter(pk__in=ids))


def region_scope(slug: str) -> Scope:
    region = _get(Region.objects.all(), slug=slug)
    return Scope("region", region, Commitment.objects.filter(pk__in=region.commitments.values("pk")))


def feed_assessments(commitments: QuerySet[Commitment] | None = None, limit: int = 50) -> list[Assessment]:
    """Published assessments, latest published first, for the Atom feeds."""
    queryset = Assessment.objects.published().select_related("commitment")
    if commitments is not None:
        queryset = queryset.filter(commitment__in=commitments.values("pk"))
    return list(queryset.order_by("-published_at", "-pk")[:limit])


def published_span(earliest: dt.date) -> dict:
    """For an empty "what changed" period: the latest published assessment's
    date (with its precision) and the day before the first one, not before
    `earliest` (two small queries), so the page can explain that assessments
    are dated by the facts they report and offer the whole history instead."""
    published = Assessment.objects.published()
    span = {"latest": published.order_by("-as_of").values("as_of", "as_of_precision").first()}
    first = published.aggregate(first=Min("as_of"))["first"]
    if first is not None:
        # The period excludes its start date: start the day before the first assessment.
        span["since"] = max(first - dt.timedelta(days=1), earliest)
    return span
