"""One serializer per use: list (flat) and detail (nested), explicit fields.
Every object carries its stable identifier and absolute URLs (from SITE_URL).
Serializers never query: the selectors prefetch everything they read."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

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


def api_url(name: str, *args: object) -> str:
    return absolute(reverse(f"api:{name}", args=args))


@extend_schema_field(OpenApiTypes.URI)
class ApiUrlField(serializers.Field):
    """Absolute API URL of the object, looked up by its stable identifier."""

    def __init__(self, view_name: str, lookup: str, **kwargs):
        self.view_name, self.lookup = view_name, lookup
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj):
        return api_url(self.view_name, getattr(obj, self.lookup))


@extend_schema_field(OpenApiTypes.URI)
class HtmlUrlField(serializers.Field):
    """Absolute address of the object's public page."""

    def __init__(self, **kwargs):
        kwargs["source"] = "*"
        kwargs["read_only"] = True
        super().__init__(**kwargs)

    def to_representation(self, obj):
        return absolute(obj.get_absolute_url())


# --- references (identifier + URL) ----------------------------------------------


class CommitmentRefSerializer(serializers.ModelSerializer):
    url = ApiUrlField("commitment-detail", "reference")

    class Meta:
        model = Commitment
        fields = ["reference", "url"]


class FrameworkRefSerializer(serializers.ModelSerializer):
    url = ApiUrlField("framework-detail", "code")

    class Meta:
        model = Framework
        fields = ["code", "url"]


class PillarRefSerializer(serializers.ModelSerializer):
    url = ApiUrlField("pillar-detail", "slug")

    class Meta:
        model = Pillar
        fields = ["slug", "url"]


class RegionRefSerializer(serializers.ModelSerializer):
    url = ApiUrlField("region-detail", "slug")

    class Meta:
        model = Region
        fields = ["slug", "url"]


class InstitutionRefSerializer(serializers.ModelSerializer):
    url = ApiUrlField("institution-detail", "slug")

    class Meta:
        model = Institution
        fields = ["slug", "url"]


class ResponsibilitySerializer(serializers.Serializer):
    slug = serializers.CharField(source="institution.slug")
    url = serializers.SerializerMethodField()
    role = serializers.CharField()

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, obj) -> str:
        return api_url("institution-detail", obj.institution.slug)


class IndicatorRefSerializer(serializers.ModelSerializer):
    url = ApiUrlField("indicator-detail", "key")

    class Meta:
        model = Indicator
        fields = ["key", "url"]


# --- reference data ---------------------------------------------------------------


class PillarSerializer(serializers.ModelSerializer):
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


class RegionSerializer(serializers.ModelSerializer):
    url = ApiUrlField("region-detail", "slug")
    html_url = HtmlUrlField()

    class Meta:
        model = Region
        fields = ["slug", "url", "html_url", "name", "kind", "updated_at"]


class InstitutionSerializer(serializers.ModelSerializer):
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


class FrameworkSerializer(serializers.ModelSerializer):
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


# --- evidence and assessments -------------------------------------------------------


class EvidenceSerializer(serializers.ModelSerializer):
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


class NestedEvidenceSerializer(EvidenceSerializer):
    class Meta(EvidenceSerializer.Meta):
        fields = [f for f in EvidenceSerializer.Meta.fields if f != "commitment"]


class AssessmentSerializer(serializers.ModelSerializer):
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


class NestedAssessmentSerializer(AssessmentSerializer):
    class Meta(AssessmentSerializer.Meta):
        fields = [f for f in AssessmentSerializer.Meta.fields if f != "commitment"]


# --- indicators ----------------------------------------------------------------------


class MeasurementSerializer(serializers.ModelSerializer):
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


class IndicatorSerializer(serializers.ModelSerializer):
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


class NestedIndicatorSerializer(IndicatorSerializer):
    class Meta(IndicatorSerializer.Meta):
        fields = [f for f in IndicatorSerializer.Meta.fields if f != "commitment"]


# --- commitments ------------------------------------------------------------------------


class CommitmentListSerializer(serializers.ModelSerializer):
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
    institutions = ResponsibilitySerializer(source="responsibilities", many=True)
    regions = RegionRefSerializer(many=True)
    indicators = IndicatorRefSerializer(many=True)

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
    children = CommitmentRefSerializer(many=True)
    related = CommitmentRefSerializer(many=True)
    assessments = NestedAssessmentSerializer(source="published_assessments", many=True)
    evidence = serializers.SerializerMethodField()
    indicators = NestedIndicatorSerializer(many=True)

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


class EvidenceInputSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=Evidence.Kind.choices)
    publisher = serializers.CharField(max_length=300)
    title = serializers.CharField(max_length=500)
    published_on = serializers.DateField(required=False, allow_null=True)
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
    progress = serializers.IntegerField(min_value=0, max_value=100, required=False, allow_null=True)
    as_of = serializers.DateField()
    as_of_precision = serializers.ChoiceField(choices=DatePrecision.choices, required=False)
    summary_fr = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    summary_en = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    delay_reason = serializers.ChoiceField(
        choices=Assessment.DelayReason.choices, required=False, allow_blank=True
    )
    delay_note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class SubmissionInputSerializer(StrictSerializer):
    commitment = serializers.SlugRelatedField(
        slug_field="reference", queryset=Commitment.objects.all(), help_text=_("Reference code.")
    )
    assessment = AssessmentInputSerializer()
    evidence = serializers.ListField(child=EvidenceInputSerializer(), min_length=1, max_length=10)


class SubmittedEvidenceSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True)
    source_url = serializers.CharField(source="url")

    class Meta:
        model = Evidence
        fields = ["id", "kind", "publisher", "title", "published_on", "source_url", "visibility"]


class SubmissionSerializer(serializers.ModelSerializer):
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
    url = serializers.URLField(max_length=500)


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
