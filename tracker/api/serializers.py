"""One serializer per use: list (flat) and detail (nested), explicit fields.
Every object carries its stable identifier and absolute URLs (from SITE_URL).
Serializers never query: the selectors prefetch everything they read."""

from __future__ import annotations

import copy
from urllib.parse import quote

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import SkipField, empty
from rest_framework.relations import PKOnlyObject

from tracker.methodology import Status
from tracker.models import (
    Assessment,
    Commitment,
    DatePrecision,
    Evidence,
    Framework,
    Indicator,
    Institution,
    Language,
    Measurement,
    Pillar,
    Region,
)


def absolute(path: str) -> str:
    return settings.SITE_URL + path


PLACEHOLDER = "9876543210"  # matches every route's lookup pattern ([0-9]+, [^/]+, slugs)
_url_templates: dict[tuple, tuple[str, str]] = {}


def _url_template(name: str) -> tuple[str, str]:
    """The route's absolute URL around its one argument, reversed once per
    route, script prefix and URLconf (reverse() was ~230 calls per API page)."""
    key = (name, get_script_prefix(), get_urlconf(), settings.SITE_URL)
    template = _url_templates.get(key)
    if template is None:
        before, _sep, after = absolute(reverse(name, args=[PLACEHOLDER])).partition(PLACEHOLDER)
        template = _url_templates[key] = (before, after)
    return template


URL_SAFE = RFC3986_SUBDELIMS + "/~:@"  # what reverse() leaves unquoted in an argument


def url_for(name: str, value: object) -> str:
    """= absolute(reverse(name, args=[value])), quoted as reverse() quotes."""
    before, after = _url_template(name)
    return before + quote(str(value), safe=URL_SAFE) + after


class UrlBuilder:
    """url_for() for one route, the template looked up on first use: the
    script prefix and URLconf are read once per serializer instance (one
    request) instead of once per URL (two context-local reads each; ~220
    URLs per API page)."""

    __slots__ = ("name", "template")

    def __init__(self, name: str) -> None:
        self.name, self.template = name, None

    def __call__(self, value: object) -> str:
        if self.template is None:
            self.template = _url_template(self.name)
        before, after = self.template
        return before + quote(str(value), safe=URL_SAFE) + after


def api_url(name: str, *args: object) -> str:
    if len(args) == 1:
        return url_for(f"api:{name}", args[0])
    return absolute(reverse(f"api:{name}", args=args))


@extend_schema_field(OpenApiTypes.URI)
class ApiUrlField(serializers.Field):
    """Absolute API URL of the object, looked up by its stable identifier."""

    def __init__(self, view_name: str, lookup: str, **kwargs):
        self.view_name, self.lookup = f"api:{view_name}", lookup
        self.url = UrlBuilder(self.view_name)
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj):
        return self.url(getattr(obj, self.lookup))


# The public page of each model, by its stable identifier (= get_absolute_url()).
HTML_ROUTES = {
    "Commitment": ("tracker:commitment-detail", "reference"),
    "Framework": ("tracker:framework-detail", "code"),
    "Pillar": ("tracker:pillar-detail", "slug"),
    "Region": ("tracker:region-detail", "slug"),
    "Institution": ("tracker:institution-detail", "slug"),
}


@extend_schema_field(OpenApiTypes.URI)
class HtmlUrlField(serializers.Field):
    """Absolute address of the object's public page."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj):
        route = HTML_ROUTES.get(type(obj).__name__)
        if route is None:
            return absolute(obj.get_absolute_url())
        return url_for(route[0], getattr(obj, route[1]))


# --- the field sets, built once per class -----------------------------------------


# ModelSerializer builds its fields from the model's metadata (labels, choices,
# validators: ~20 field classes inspected) each time a serializer is made: 6
# times per commitment detail, ~65% of its serialization time. They depend
# only on the class (labels and choices stay lazy, so on no language): built
# once, then copied (Field.__deepcopy__ makes fresh, unbound fields from the
# same arguments). No docstring: the schema would show it on every serializer.
#
# to_representation is DRF's, except that a field reading one plain attribute
# of the model (`title_fr`, `framework`; not `parent.reference`, `*` or a
# default) reads it with getattr() instead of DRF's generic lookup (which
# walks the source path, tests for callables and maps errors): ~40% of a list
# row's time. A callable value or a missing attribute goes the generic way.
class FieldsOnceModelSerializer(serializers.ModelSerializer):
    def get_fields(self):
        built = type(self).__dict__.get("_built_fields")
        if built is None:
            built = super().get_fields()
            type(self)._built_fields = built
        return copy.deepcopy(built)

    def to_representation(self, instance):
        plan = self.__dict__.get("_plan")
        if plan is None:
            plan = self.__dict__["_plan"] = [
                (f.field_name, f, _plain_attribute(f)) for f in self._readable_fields
            ]
        ret = {}
        for name, field, attr in plan:
            attribute = getattr(instance, attr, _MISSING) if attr else _MISSING
            if attribute is _MISSING or callable(attribute):
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                if isinstance(attribute, PKOnlyObject):
                    ret[name] = None if attribute.pk is None else field.to_representation(attribute)
                    continue
            ret[name] = None if attribute is None else field.to_representation(attribute)
        return ret


_MISSING = object()
_PLAIN_FIELDS = (
    serializers.CharField,
    serializers.IntegerField,
    serializers.BooleanField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.DecimalField,
    serializers.FloatField,
    serializers.ChoiceField,
    serializers.BaseSerializer,
)


def _plain_attribute(field) -> str | None:
    """The attribute a field reads, when DRF's lookup reduces to getattr()."""
    if not isinstance(field, _PLAIN_FIELDS) or len(field.source_attrs) != 1:
        return None
    if field.default is not empty or isinstance(field, serializers.SerializerMethodField):
        return None
    return field.source_attrs[0]


# --- references (identifier + URL) ----------------------------------------------


# The stable identifier and the API URL. The fields (declared for the schema)
# give `{lookup: str(value), "url": ...}`; to_representation writes that dict
# directly instead of building and walking a field set for every nested
# reference (~150 per API page; tests/test_perf_cpu.py checks both give the
# same answer). No docstring: the schema would show it on every reference.
class RefSerializer(FieldsOnceModelSerializer):
    lookup: str
    view_name: str

    def to_representation(self, instance):
        url = self.__dict__.get("_url")
        if url is None:
            url = self.__dict__["_url"] = UrlBuilder(self.view_name)
        value = getattr(instance, self.lookup)
        return {self.lookup: str(value), "url": url(value)}


def _ref_serializer(model, lookup: str, view_name: str) -> type[RefSerializer]:
    """`<Model>RefSerializer`: the stable identifier and the API URL."""
    meta = type("Meta", (), {"model": model, "fields": [lookup, "url"]})
    attrs = {
        "url": ApiUrlField(view_name, lookup),
        "Meta": meta,
        "lookup": lookup,
        "view_name": f"api:{view_name}",
        "__module__": __name__,
    }
    return type(f"{model.__name__}RefSerializer", (RefSerializer,), attrs)


CommitmentRefSerializer = _ref_serializer(Commitment, "reference", "commitment-detail")
FrameworkRefSerializer = _ref_serializer(Framework, "code", "framework-detail")
PillarRefSerializer = _ref_serializer(Pillar, "slug", "pillar-detail")
RegionRefSerializer = _ref_serializer(Region, "slug", "region-detail")
InstitutionRefSerializer = _ref_serializer(Institution, "slug", "institution-detail")
IndicatorRefSerializer = _ref_serializer(Indicator, "key", "indicator-detail")


class ResponsibilitySerializer(serializers.Serializer):
    slug = serializers.CharField(source="institution.slug")
    url = serializers.SerializerMethodField()
    role = serializers.CharField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj) -> str:
        return url_for("api:institution-detail", obj.institution.slug)

    def to_representation(self, instance):
        # What the three fields give, without walking them for every row.
        url = self.__dict__.get("_url")
        if url is None:
            url = self.__dict__["_url"] = UrlBuilder("api:institution-detail")
        slug = instance.institution.slug
        return {"slug": str(slug), "url": url(slug), "role": str(instance.role)}


# --- reference data ---------------------------------------------------------------


class PillarSerializer(FieldsOnceModelSerializer):
    url = ApiUrlField("pillar-detail", "slug")
    html_url = HtmlUrlField()

    class Meta:
        model = Pillar
        fields = [
            "slug",
            "url",
            "html_url",
            "name_fr",
            "name_en",
            "description_fr",
            "description_en",
            "order",
            "updated_at",
        ]


class RegionSerializer(FieldsOnceModelSerializer):
    url = ApiUrlField("region-detail", "slug")
    html_url = HtmlUrlField()

    class Meta:
        model = Region
        fields = ["slug", "url", "html_url", "name", "kind", "updated_at"]


class InstitutionSerializer(FieldsOnceModelSerializer):
    url = ApiUrlField("institution-detail", "slug")
    html_url = HtmlUrlField()
    parent = InstitutionRefSerializer(allow_null=True)

    class Meta:
        model = Institution
        fields = [
            "slug",
            "url",
            "html_url",
            "acronym",
            "name_fr",
            "name_en",
            "kind",
            "parent",
            "website",
            "updated_at",
        ]


class FrameworkSerializer(FieldsOnceModelSerializer):
    url = ApiUrlField("framework-detail", "code")
    html_url = HtmlUrlField()
    issuing_body = InstitutionRefSerializer(allow_null=True)

    class Meta:
        model = Framework
        fields = [
            "code",
            "url",
            "html_url",
            "name_fr",
            "name_en",
            "kind",
            "issuing_body",
            "adopted_on",
            "adopted_on_precision",
            "period_start",
            "period_end",
            "status",
            "description_fr",
            "description_en",
            "updated_at",
        ]


def _nested(serializer: type[FieldsOnceModelSerializer]) -> type[FieldsOnceModelSerializer]:
    """`Nested<Serializer>`: the same without `commitment` (inside a commitment)."""
    fields = [f for f in serializer.Meta.fields if f != "commitment"]
    meta = type("Meta", (serializer.Meta,), {"fields": fields})
    return type(f"Nested{serializer.__name__}", (serializer,), {"Meta": meta, "__module__": __name__})


# --- evidence and assessments -------------------------------------------------------


class EvidenceSerializer(FieldsOnceModelSerializer):
    id = serializers.IntegerField(read_only=True)
    url = ApiUrlField("evidence-detail", "pk")
    commitment = CommitmentRefSerializer()
    source_url = serializers.CharField(source="url", help_text=_("Where the source can be read."))
    file_url = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = [
            "id",
            "url",
            "key",
            "commitment",
            "kind",
            "publisher",
            "title",
            "published_on",
            "published_on_precision",
            "source_url",
            "file_url",
            "file_sha256",
            "excerpt",
            "language",
            "reliability",
            "updated_at",
        ]

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_file_url(self, obj) -> str | None:
        if not obj.file:
            return None
        url = obj.file.url
        return url if url.startswith(("http://", "https://")) else absolute(url)


NestedEvidenceSerializer = _nested(EvidenceSerializer)


class AssessmentSerializer(FieldsOnceModelSerializer):
    id = serializers.IntegerField(read_only=True)
    url = ApiUrlField("assessment-detail", "pk")
    commitment = CommitmentRefSerializer()
    blocking_party = InstitutionRefSerializer(allow_null=True)
    evidence = NestedEvidenceSerializer(source="public_evidence", many=True)
    organisation = serializers.CharField(source="organisation.name", allow_null=True, default=None)
    supersedes = serializers.IntegerField(source="supersedes_id", allow_null=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "url",
            "commitment",
            "status",
            "progress",
            "as_of",
            "as_of_precision",
            "summary_fr",
            "summary_en",
            "delay_reason",
            "delay_note",
            "blocking_party",
            "organisation",
            "methodology_version",
            "published_at",
            "supersedes",
            "evidence",
            "updated_at",
        ]


NestedAssessmentSerializer = _nested(AssessmentSerializer)


# --- indicators ----------------------------------------------------------------------


class MeasurementSerializer(FieldsOnceModelSerializer):
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Measurement
        fields = [
            "measured_on",
            "measured_on_precision",
            "value",
            "value_women",
            "value_men",
            "note",
            "evidence",
            "updated_at",
        ]

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_evidence(self, obj) -> str | None:
        # Only public evidence is linked (annotated by the selector).
        if obj.evidence_id and obj.evidence_is_public:
            return api_url("evidence-detail", obj.evidence_id)
        return None


class IndicatorSerializer(FieldsOnceModelSerializer):
    url = ApiUrlField("indicator-detail", "key")
    commitment = CommitmentRefSerializer()
    measurements = MeasurementSerializer(many=True)

    class Meta:
        model = Indicator
        fields = [
            "key",
            "url",
            "commitment",
            "name_fr",
            "name_en",
            "unit",
            "baseline_value",
            "baseline_date",
            "target_value",
            "target_date",
            "disaggregated_by_sex",
            "measurements",
            "updated_at",
        ]


NestedIndicatorSerializer = _nested(IndicatorSerializer)


# --- commitments ------------------------------------------------------------------------


class CommitmentListSerializer(FieldsOnceModelSerializer):
    url = ApiUrlField("commitment-detail", "reference")
    html_url = HtmlUrlField()
    framework = FrameworkRefSerializer()
    pillar = PillarRefSerializer()
    parent = serializers.CharField(source="parent.reference", allow_null=True, default=None)
    overdue = serializers.SerializerMethodField()
    shown_status = serializers.SerializerMethodField(
        help_text=_("The status as of the `as_of` filter's date (the current status without it).")
    )
    shown_progress = serializers.SerializerMethodField(
        help_text=_("The progress as of the `as_of` filter's date (the current progress without it).")
    )
    # Sources: the selectors' prefetched lists (tracker.api.selectors).
    institutions = ResponsibilitySerializer(source="api_responsibilities", many=True)
    regions = RegionRefSerializer(source="api_regions", many=True)
    indicators = IndicatorRefSerializer(source="api_indicators", many=True)

    class Meta:
        model = Commitment
        fields = [
            "reference",
            "url",
            "html_url",
            "title_fr",
            "title_en",
            "framework",
            "pillar",
            "parent",
            "current_status",
            "current_progress",
            "status_as_of",
            "shown_status",
            "shown_progress",
            "start_date",
            "due_date",
            "overdue",
            "wps_marker",
            "institutions",
            "regions",
            "indicators",
            "updated_at",
        ]

    def get_overdue(self, obj) -> bool:
        return obj.is_overdue(timezone.localdate())

    @extend_schema_field(serializers.ChoiceField(choices=Status.choices))
    def get_shown_status(self, obj) -> str:
        return getattr(obj, "shown_status", obj.current_status)

    def get_shown_progress(self, obj) -> int:
        return getattr(obj, "shown_progress", obj.current_progress)


class CommitmentDetailSerializer(CommitmentListSerializer):
    children = CommitmentRefSerializer(source="api_children", many=True)
    related = CommitmentRefSerializer(source="api_related", many=True)
    assessments = NestedAssessmentSerializer(source="published_assessments", many=True)
    evidence = serializers.SerializerMethodField()
    indicators = NestedIndicatorSerializer(source="api_indicators", many=True)

    class Meta(CommitmentListSerializer.Meta):
        fields = CommitmentListSerializer.Meta.fields + [
            "description_fr",
            "description_en",
            "provision",
            "start_date_precision",
            "due_date_precision",
            "budget_amount",
            "budget_currency",
            "children",
            "related",
            "assessments",
            "evidence",
        ]

    @extend_schema_field(NestedEvidenceSerializer(many=True))
    def get_evidence(self, obj) -> list[dict]:
        """Every public piece of evidence cited by the published assessments."""
        seen: dict[int, Evidence] = {}
        for assessment in obj.published_assessments:
            for item in assessment.public_evidence:
                seen.setdefault(item.pk, item)
        items = sorted(
            seen.values(), key=lambda e: (e.published_on is None, e.published_on, e.pk), reverse=True
        )
        return NestedEvidenceSerializer(items, many=True).data


# --- stats ---------------------------------------------------------------------------


class GroupStatsSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("Slug or code of the pillar, framework, institution or region."))
    name = serializers.CharField()
    url = serializers.URLField()
    html_url = serializers.URLField()
    total = serializers.IntegerField()
    average_progress = serializers.IntegerField(help_text=_("Rounded to a whole percentage."))
    by_status = serializers.DictField(child=serializers.IntegerField())


class StatsSerializer(serializers.Serializer):
    as_of = serializers.DateField(allow_null=True)
    total = serializers.IntegerField()
    average_progress = serializers.IntegerField(help_text=_("Rounded to a whole percentage."))
    by_status = serializers.DictField(child=serializers.IntegerField())
    overdue = serializers.IntegerField()
    by_pillar = GroupStatsSerializer(many=True)
    by_framework = GroupStatsSerializer(many=True)
    by_institution = GroupStatsSerializer(many=True)
    by_region = GroupStatsSerializer(many=True)


# --- writes (partners) ------------------------------------------------------------------


class StrictSerializer(serializers.Serializer):
    """Unknown fields are an error (400), not silently ignored."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Unknown field.")] for name in unknown})
        return super().to_internal_value(data)


class PastDateField(serializers.DateField):
    """A date of the record (an assessment's as_of, a source's date): the
    models refuse one after today or before 1 January 1960; the schema says
    so (tracker.api.schema)."""


class WebhookUrlField(serializers.URLField):
    """The schema's URL pattern names the schemes check_webhook_url accepts."""

    @property
    def schemes(self) -> tuple[str, ...]:
        return ("http", "https") if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES else ("https",)


PROGRESS_HELP = _(
    "Defaults to the level's value (or, for stalled, abandoned and unclear, the last level's). "
    "A level's progress must lie in its band: not_started 0-24, initiated 25-49, in_progress 50-74, "
    "nearly_complete 75-99, completed 100."
)


class EvidenceInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices)
    publisher = serializers.CharField(max_length=300)
    title = serializers.CharField(max_length=500)
    published_on = PastDateField(
        required=False, allow_null=True, help_text=_("From 1 January 1960 to today.")
    )
    published_on_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    url = serializers.URLField(max_length=1000, required=False, allow_blank=True)
    excerpt = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    reliability = serializers.ChoiceField(choices=Evidence.Reliability.choices, required=False)
    visibility = serializers.ChoiceField(
        choices=Evidence.Visibility.choices,
        required=False,
        help_text=_("“confidential” keeps the evidence from the public (to protect a source)."),
    )


class AssessmentInputSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Status.choices)
    progress = serializers.IntegerField(
        min_value=0, max_value=100, required=False, allow_null=True, help_text=PROGRESS_HELP
    )
    as_of = PastDateField(help_text=_("The date of the verdict: from 1 January 1960 to today."))
    as_of_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    summary_fr = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    summary_en = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    delay_reason = serializers.ChoiceField(
        choices=Assessment.DelayReason.choices, required=False, allow_blank=True
    )
    delay_note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ReferenceField(serializers.SlugRelatedField):
    """A reference code: a string, or the lookup is not even tried (Django
    walks a nested list given as a lookup value recursively, and a list 500
    deep was a RecursionError: a 500)."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SubmissionInputSerializer(StrictSerializer):
    commitment = ReferenceField(
        slug_field="reference", queryset=Commitment.objects.all(), help_text=_("Reference code.")
    )
    assessment = AssessmentInputSerializer()
    evidence = serializers.ListField(child=EvidenceInputSerializer(), min_length=1, max_length=10)


class SubmittedEvidenceSerializer(FieldsOnceModelSerializer):
    id = serializers.IntegerField(read_only=True)
    source_url = serializers.CharField(source="url")

    class Meta:
        model = Evidence
        fields = ["id", "kind", "publisher", "title", "published_on", "source_url", "visibility"]


class SubmissionSerializer(FieldsOnceModelSerializer):
    id = serializers.IntegerField(read_only=True)
    url = ApiUrlField("submission-detail", "pk")
    commitment = CommitmentRefSerializer()
    evidence = SubmittedEvidenceSerializer(many=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "url",
            "commitment",
            "review_state",
            "review_comment",
            "status",
            "progress",
            "as_of",
            "summary_fr",
            "summary_en",
            "delay_reason",
            "delay_note",
            "submitted_at",
            "published_at",
            "evidence",
            "created_at",
            "updated_at",
        ]


class WebhookEndpointInputSerializer(StrictSerializer):
    url = WebhookUrlField(max_length=500, help_text=_("HTTPS, on a public address."))


class WebhookEndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text=_("Signing secret: shown only in this response."))


class OpenDataFileSerializer(serializers.Serializer):
    format = serializers.CharField()
    url = serializers.URLField()
    size = serializers.IntegerField()
    generated_at = serializers.DateTimeField()


class OpenDataSerializer(serializers.Serializer):
    licence = serializers.CharField()
    licence_url = serializers.URLField()
    files = OpenDataFileSerializer(many=True)
