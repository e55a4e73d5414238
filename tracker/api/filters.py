"""FilterSets shared by the public list and the API: one definition of each filter."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from tracker.methodology import Status
from tracker.models import (
    Assessment,
    Commitment,
    Evidence,
    Framework,
    Indicator,
    Institution,
    Language,
    Pillar,
    Region,
)
from tracker.public_forms import _check_date as check_public_date  # the dashboard's check
from tracker.querysets import search_commitments
from tracker.stats import overdue_q, with_status_as_of


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """Without django-filter's default DISTINCT: every multiple-choice filter
    here is on the model's own column or a forward foreign key, so it cannot
    duplicate rows, and DISTINCT over the list's wide rows and subqueries made
    the public list and the API sort and count every matching row (1.2 s at
    10,000 commitments instead of 19 ms; docs/performance.md)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.STR)  # OpenAPI: values are codes, slugs or reference codes
class ModelMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """Without DISTINCT, for the same reason (forward foreign keys only)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


# The values a boolean query parameter may take ("" is "no filter": the public
# list's "All" choice). django-filter reads any other value ("maybe") as "no
# filter" without a word; here it is a 400 like every other bad value.
BOOLEAN_VALUES = {"true", "false", "1", "0"}


class CommitmentFilterForm(forms.Form):
    """The checks the public list, its CSV and feed, and the API share: the
    `as_of` date as the dashboard and commitment pages check it (not in the
    future, not before 1990), a due-date range that can match something, and
    booleans that are true or false."""

    boolean_params = ("overdue", "wps", "top_level")

    def clean_as_of(self):
        return check_public_date(self.cleaned_data.get("as_of"))

    def clean(self):
        cleaned = super().clean()
        for name in self.boolean_params:
            raw = self.data.get(name)
            if raw and str(raw).lower() not in BOOLEAN_VALUES:
                self.add_error(name, _("Use true or false."))
        after, before = cleaned.get("due_after"), cleaned.get("due_before")
        if after and before and after > before:
            self.add_error(
                "due_before",
                _("This date is earlier than the “%(other)s” date, so no commitment can match.")
                % {"other": self.fields["due_after"].label},
            )
        return cleaned


class CommitmentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"), max_length=200)
    framework = ModelMultipleChoiceFilter(
        field_name="framework__code",
        to_field_name="code",
        queryset=Framework.objects.all(),
        label=_("Framework"),
    )
    pillar = ModelMultipleChoiceFilter(
        field_name="pillar__slug",
        to_field_name="slug",
        queryset=Pillar.objects.all(),
        label=_("Pillar"),
    )
    # Filters on `shown_status`: the current status, or the status as of the
    # `as_of` date when one is given (tracker.stats.with_status_as_of).
    status = MultipleChoiceFilter(field_name="shown_status", choices=Status.choices, label=_("Status"))
    institution = django_filters.ModelChoiceFilter(
        field_name="institutions",
        to_field_name="slug",
        queryset=Institution.objects.all(),
        label=_("Institution"),
        method="filter_institution",
    )
    region = django_filters.ModelChoiceFilter(
        field_name="regions",
        to_field_name="slug",
        queryset=Region.objects.all(),
        label=_("Region"),
        method="filter_region",
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    wps = django_filters.BooleanFilter(field_name="wps_marker", label=_("Women, peace and security"))
    due_after = django_filters.DateFilter(
        field_name="due_date", lookup_expr="gte", label=_("Due on or after")
    )
    due_before = django_filters.DateFilter(
        field_name="due_date", lookup_expr="lte", label=_("Due on or before")
    )
    as_of = django_filters.DateFilter(
        method="filter_as_of",
        label=_("As of"),
        help_text=_("The tracker as it stood on this date (from 1 January 1990 to today)."),
    )
    top_level = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label=_("Top-level commitments only")
    )
    ordering = django_filters.OrderingFilter(
        # Whitelisted: only these fields can be sorted on.
        fields=(
            ("reference", "reference"),
            ("due_date", "due_date"),
            ("shown_progress", "progress"),
            ("shown_as_of", "updated"),
            ("title_fr", "title"),
        ),
        # Translated labels, each direction its own string: without them
        # django-filter showed "Updated" and built "%s (descending)" once, in
        # the language active at import. The values (the API schema's enum)
        # stay the same. Keys: field names for ascending, "-param" for descending.
        field_labels={
            "reference": _("Reference (A–Z)"),
            "-reference": _("Reference (Z–A)"),
            "due_date": _("Due date (soonest first)"),
            "-due_date": _("Due date (latest first)"),
            "shown_progress": _("Progress (lowest first)"),
            "-progress": _("Progress (highest first)"),
            "shown_as_of": _("Last assessment (oldest first)"),
            "-updated": _("Last assessment (most recent first)"),
            "title_fr": _("Title (A–Z)"),
            "-title": _("Title (Z–A)"),
        },
        label=_("Sort by"),
    )

    class Meta:
        model = Commitment
        fields: list[str] = []
        form = CommitmentFilterForm

    def filter_queryset(self, queryset):
        # Status, progress and overdue are read as of the `as_of` date (or now)
        # before any filter or ordering uses them.
        # A caller may pass a queryset already annotated for the same date
        # (tracker.selectors.commitment_list_queryset).
        if "shown_status" not in queryset.query.annotations:
            queryset = with_status_as_of(queryset, self.form.cleaned_data.get("as_of"))
        return super().filter_queryset(queryset)

    def filter_as_of(self, queryset, name, value):
        return queryset  # applied in filter_queryset, before the other filters

    def filter_search(self, queryset, name, value):
        return search_commitments(queryset, value)

    def filter_institution(self, queryset, name, value):
        # A subquery rather than a join, so no duplicate rows and no DISTINCT.
        if value is None:
            return queryset
        return queryset.filter(pk__in=value.responsibilities.values("commitment_id"))

    def filter_region(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(pk__in=value.commitments.values("pk"))

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        on = self.form.cleaned_data.get("as_of") or timezone.localdate()
        return queryset.filter(overdue_q(on)) if value else queryset.exclude(overdue_q(on))


# --- FilterSets of the other API resources (tracker.api.views) ----------------------


class AssessmentFilter(django_filters.FilterSet):
    commitment = ModelMultipleChoiceFilter(
        field_name="commitment__reference",
        to_field_name="reference",
        queryset=Commitment.objects.all(),
        label=_("Commitment (reference code)"),
    )
    framework = ModelMultipleChoiceFilter(
        field_name="commitment__framework__code",
        to_field_name="code",
        queryset=Framework.objects.all(),
        label=_("Framework"),
    )
    pillar = ModelMultipleChoiceFilter(
        field_name="commitment__pillar__slug",
        to_field_name="slug",
        queryset=Pillar.objects.all(),
        label=_("Pillar"),
    )
    status = MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    as_of_after = django_filters.DateFilter(field_name="as_of", lookup_expr="gte", label=_("As of, from"))
    as_of_before = django_filters.DateFilter(field_name="as_of", lookup_expr="lte", label=_("As of, until"))
    published_after = django_filters.IsoDateTimeFilter(
        field_name="published_at", lookup_expr="gte", label=_("Published at or after")
    )

    class Meta:
        model = Assessment
        fields: list[str] = []


class EvidenceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"), max_length=200)
    commitment = ModelMultipleChoiceFilter(
        field_name="commitment__reference",
        to_field_name="reference",
        queryset=Commitment.objects.all(),
        label=_("Commitment (reference code)"),
    )
    kind = MultipleChoiceFilter(choices=Evidence.Kind.choices, label=_("Kind"))
    reliability = MultipleChoiceFilter(choices=Evidence.Reliability.choices, label=_("Reliability"))
    language = django_filters.ChoiceFilter(choices=Language.choices, label=_("Language"))
    published_after = django_filters.DateFilter(
        field_name="published_on", lookup_expr="gte", label=_("Dated on or after")
    )
    published_before = django_filters.DateFilter(
        field_name="published_on", lookup_expr="lte", label=_("Dated on or before")
    )

    class Meta:
        model = Evidence
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        for term in value.split()[:10]:
            queryset = queryset.filter(
                Q(title__icontains=term) | Q(publisher__icontains=term) | Q(excerpt__icontains=term)
            )
        return queryset


class InstitutionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_search", label=_("Search"), max_length=200)
    kind = MultipleChoiceFilter(choices=Institution.Kind.choices, label=_("Kind"))

    class Meta:
        model = Institution
        fields: list[str] = []

    def filter_search(self, queryset, name, value):
        for term in value.split()[:10]:
            queryset = queryset.filter(
                Q(name_fr__icontains=term) | Q(name_en__icontains=term) | Q(acronym__icontains=term)
            )
        return queryset


class FrameworkFilter(django_filters.FilterSet):
    kind = MultipleChoiceFilter(choices=Framework.Kind.choices, label=_("Kind"))
    status = MultipleChoiceFilter(choices=Framework.FrameworkStatus.choices, label=_("Status"))

    class Meta:
        model = Framework
        fields: list[str] = []


class IndicatorFilter(django_filters.FilterSet):
    commitment = ModelMultipleChoiceFilter(
        field_name="commitment__reference",
        to_field_name="reference",
        queryset=Commitment.objects.all(),
        label=_("Commitment (reference code)"),
    )
    unit = MultipleChoiceFilter(choices=Indicator.Unit.choices, label=_("Unit"))
    sex_disaggregated = django_filters.BooleanFilter(
        field_name="disaggregated_by_sex", label=_("Split by sex")
    )

    class Meta:
        model = Indicator
        fields: list[str] = []
