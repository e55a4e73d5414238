"""The partner API, /api/v1/. Thin views: each calls one selector (reads) or
one service (writes); permissions, throttles, conditional GET and the error
shape are shared by every view through ApiView."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.http import FileResponse, Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_filters import BooleanFilter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from tracker.models import Assessment
from tracker.partners import opendata
from tracker.partners import services as partner_services
from tracker.partners.models import WebhookEndpoint
from tracker.public_forms import AsOfForm

from . import selectors
from . import serializers as s
from .authentication import ApiKeyAuthentication
from .conditional import ConditionalGetMixin
from .errors import Conflict, Unprocessable
from .filters import (
    AssessmentFilter,
    CommitmentFilter,
    EvidenceFilter,
    FrameworkFilter,
    IndicatorFilter,
    InstitutionFilter,
)
from .pagination import KeysetPagination
from .permissions import CanManageWebhooks, CanSubmit, partner_key
from .schema import IDEMPOTENCY_KEY_SCHEMA, SUBMISSION_EXAMPLES, WEBHOOK_EXAMPLES
from .throttling import AnonymousThrottle, KeyedThrottle

PAGINATION_PARAMS = {"cursor", "page_size", "ordering"}
BOOLEAN_VALUES = {"true", "false", "1", "0"}


class ApiView(ConditionalGetMixin):
    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    throttle_classes = [AnonymousThrottle, KeyedThrottle]
    extra_query_params: tuple[str, ...] = ()

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self.check_query_params(request)

    def check_query_params(self, request) -> None:
        """Unknown query parameters are an error, not silently ignored (a typo
        in a filter name would otherwise return everything)."""
        allowed = set(self.extra_query_params)
        if getattr(self, "action", None) == "list":
            allowed |= PAGINATION_PARAMS
            filterset = getattr(self, "filterset_class", None)
            if filterset is not None:
                allowed |= set(filterset.base_filters)
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise ValidationError({name: [_("Unknown query parameter.")] for name in unknown})
        self.check_boolean_params(request)

    def check_boolean_params(self, request) -> None:
        # django-filter reads an unknown boolean ("maybe") as "no filter";
        # the API says so instead.
        filterset = getattr(self, "filterset_class", None)
        if filterset is None or getattr(self, "action", None) != "list":
            return
        for name, spec in filterset.base_filters.items():
            if isinstance(spec, BooleanFilter) and name in request.query_params:
                if request.query_params[name].lower() not in BOOLEAN_VALUES:
                    raise ValidationError({name: [_("Use true or false.")]})


class ReadOnlyViewSet(ApiView, viewsets.ReadOnlyModelViewSet):
    pagination_class = KeysetPagination
    filter_backends = [DjangoFilterBackend]
    keyset_tiebreak = "pk"

    # Public resources: anonymous reads are cached per record version
    # (ConditionalGetMixin.cached_read, tracker/pagecache.py).
    def list(self, request, *args, **kwargs):
        return self.cached_read(request, super().list, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self.cached_read(request, super().retrieve, *args, **kwargs)


@extend_schema_view(
    list=extend_schema(
        summary=_("Commitments"), description=_("Filter, search and sort like the public list.")
    ),
    retrieve=extend_schema(
        summary=_("One commitment"),
        description=_("With its published assessments, public evidence and indicators."),
    ),
)
class CommitmentViewSet(ReadOnlyViewSet):
    lookup_field = "reference"
    lookup_value_regex = "[^/]+"
    filterset_class = CommitmentFilter
    ordering_in_filterset = True
    keyset_default = "reference"
    keyset_tiebreak = "reference"

    @property
    def keyset_orderings(self) -> dict:
        # The same whitelist as the public list (CommitmentFilter's ordering).
        nulls = {"due_date": dt.date(9999, 12, 31), "updated": dt.date(1, 1, 1)}
        param_map = CommitmentFilter.base_filters["ordering"].param_map
        return {name: (field, nulls.get(name)) for name, field in param_map.items()}

    def get_queryset(self):
        return selectors.commitments()

    def get_serializer_class(self):
        return s.CommitmentDetailSerializer if self.action == "retrieve" else s.CommitmentListSerializer

    def get_object(self):
        return selectors.commitment_detail(self.kwargs["reference"])


@extend_schema_view(list=extend_schema(summary=_("Published assessments")))
class AssessmentViewSet(ReadOnlyViewSet):
    serializer_class = s.AssessmentSerializer
    filterset_class = AssessmentFilter
    lookup_value_regex = "[0-9]+"
    keyset_orderings = {"as_of": ("as_of", None), "published": ("published_at", None)}
    keyset_default = "-as_of"

    def get_queryset(self):
        return selectors.assessments()


@extend_schema_view(list=extend_schema(summary=_("Public evidence")))
class EvidenceViewSet(ReadOnlyViewSet):
    serializer_class = s.EvidenceSerializer
    filterset_class = EvidenceFilter
    lookup_value_regex = "[0-9]+"
    keyset_orderings = {"published_on": ("published_on", dt.date(1, 1, 1)), "id": ("pk", None)}
    keyset_default = "-published_on"

    def get_queryset(self):
        return selectors.evidence()


def _keyed_viewset(
    name: str, *, selector: str, serializer, lookup: str, orderings: dict, default: str = "", filterset=None
) -> type[ReadOnlyViewSet]:
    """A read-only resource looked up by a stable identifier (`lookup`), which
    is also the keyset tie-breaker and, unless `default` says otherwise, the
    default order. `selector`: the name of its function in tracker.api.selectors
    (looked up at each request)."""
    attrs = {
        "__module__": __name__,
        "serializer_class": serializer,
        "filterset_class": filterset,
        "lookup_field": lookup,
        "keyset_orderings": orderings,
        "keyset_default": default or lookup,
        "keyset_tiebreak": lookup,
        "get_queryset": lambda self: getattr(selectors, selector)(),
    }
    return type(name, (ReadOnlyViewSet,), attrs)


InstitutionViewSet = _keyed_viewset(
    "InstitutionViewSet",
    selector="institutions",
    serializer=s.InstitutionSerializer,
    filterset=InstitutionFilter,
    lookup="slug",
    orderings={"slug": ("slug", None), "name": ("name_fr", None)},
)
FrameworkViewSet = _keyed_viewset(
    "FrameworkViewSet",
    selector="frameworks",
    serializer=s.FrameworkSerializer,
    filterset=FrameworkFilter,
    lookup="code",
    orderings={"code": ("code", None), "adopted_on": ("adopted_on", dt.date(1, 1, 1))},
)
PillarViewSet = _keyed_viewset(
    "PillarViewSet",
    selector="pillars",
    serializer=s.PillarSerializer,
    lookup="slug",
    orderings={"order": ("order", None), "slug": ("slug", None)},
    default="order",
)
RegionViewSet = _keyed_viewset(
    "RegionViewSet",
    selector="regions",
    serializer=s.RegionSerializer,
    lookup="slug",
    orderings={"slug": ("slug", None), "name": ("name", None)},
)
IndicatorViewSet = _keyed_viewset(
    "IndicatorViewSet",
    selector="indicators",
    serializer=s.IndicatorSerializer,
    filterset=IndicatorFilter,
    lookup="key",
    orderings={"key": ("key", None)},
)


class StatsView(ApiView, APIView):
    extra_query_params = ("as_of",)

    @extend_schema(
        summary=_("Dashboard aggregates"),
        parameters=[
            OpenApiParameter(
                "as_of",
                OpenApiTypes.DATE,
                description=_("The tracker as it stood on this date (from 1 January 1990 to today)."),
            )
        ],
        responses=s.StatsSerializer,
    )
    def get(self, request):
        return self.cached_read(request, self._get)

    def _get(self, request):
        # The dashboard's own check (not in the future, not before 1990): 2999-01-01
        # and 0001-01-01 were answered 200 with made-up aggregates.
        params = AsOfForm(request.query_params)
        if not params.is_valid():
            raise ValidationError(params.errors)
        return Response(s.StatsSerializer(selectors.stats(params.cleaned_data.get("as_of"))).data)


# --- partners: submissions and webhooks ------------------------------------------------

IDEMPOTENCY_PARAM = OpenApiParameter(
    "Idempotency-Key",
    IDEMPOTENCY_KEY_SCHEMA,
    OpenApiParameter.HEADER,
    description=_(
        "Any unique string (1-255 characters). A retry with the same key and body returns the first "
        "response and creates nothing; the same key with another body is refused (422)."
    ),
)


@extend_schema_view(
    list=extend_schema(summary=_("Your organisation's submissions, in every review state")),
    create=extend_schema(
        summary=_("Submit evidence and a proposed assessment for review"),
        request=s.SubmissionInputSerializer,
        responses={201: s.SubmissionSerializer},
        parameters=[IDEMPOTENCY_PARAM],
        examples=SUBMISSION_EXAMPLES,
    ),
)
class SubmissionViewSet(
    ApiView,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [CanSubmit]
    serializer_class = s.SubmissionSerializer
    pagination_class = KeysetPagination
    lookup_value_regex = "[0-9]+"
    keyset_orderings = {"created": ("created_at", None)}
    keyset_default = "-created"
    keyset_tiebreak = "pk"
    cache_control = "private, no-cache"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assessment.objects.none()
        return selectors.submissions(partner_key(self.request).organisation)

    def create(self, request, *args, **kwargs):
        key = partner_key(request)
        idempotency_key = request.headers.get("Idempotency-Key")
        fingerprint = partner_services.request_fingerprint(request.method, request.path, request.data)
        with transaction.atomic():
            try:
                replay = partner_services.idempotency_replay(
                    organisation=key.organisation, key=idempotency_key, fingerprint=fingerprint
                )
            except partner_services.IdempotencyKeyReused as exc:
                raise Unprocessable(str(exc), code="idempotency_key_reused") from exc
            if replay is not None:
                return Response(
                    replay.response_body,
                    status=replay.response_status,
                    headers={"Idempotent-Replayed": "true"},
                )
            data = self._submit(request, key)
            try:
                partner_services.idempotency_store(
                    organisation=key.organisation,
                    key=idempotency_key,
                    method=request.method,
                    path=request.path,
                    fingerprint=fingerprint,
                    status=201,
                    body=data,
                )
            except partner_services.IdempotencyInFlight as exc:
                raise Conflict(str(exc), code="idempotency_in_flight") from exc
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"]})

    def _submit(self, request, key) -> dict:
        incoming = s.SubmissionInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        assessment = partner_services.submission_create(api_key=key, **incoming.validated_data)
        return s.SubmissionSerializer(self.get_queryset().get(pk=assessment.pk)).data


@extend_schema_view(
    list=extend_schema(summary=_("Your organisation's webhook endpoints")),
    create=extend_schema(
        summary=_("Register an HTTPS webhook endpoint"),
        request=s.WebhookEndpointInputSerializer,
        responses={201: s.WebhookEndpointCreatedSerializer},
        examples=WEBHOOK_EXAMPLES,
    ),
    destroy=extend_schema(summary=_("Deactivate a webhook endpoint")),
)
class WebhookViewSet(
    ApiView, mixins.ListModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin, viewsets.GenericViewSet
):
    permission_classes = [CanManageWebhooks]
    serializer_class = s.WebhookEndpointSerializer
    pagination_class = KeysetPagination
    lookup_value_regex = "[0-9]+"
    keyset_orderings = {"created": ("created_at", None)}
    keyset_default = "created"
    keyset_tiebreak = "pk"
    cache_control = "private, no-cache"

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookEndpoint.objects.none()
        return selectors.webhook_endpoints(partner_key(self.request).organisation)

    def create(self, request, *args, **kwargs):
        key = partner_key(request)
        incoming = s.WebhookEndpointInputSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        endpoint = partner_services.webhook_endpoint_register(
            api_key=key, organisation=key.organisation, url=incoming.validated_data["url"]
        )
        return Response(s.WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        partner_services.webhook_endpoint_deactivate(api_key=partner_key(request), endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- open data and the index --------------------------------------------------------------


class OpenDataView(ApiView, APIView):
    @extend_schema(summary=_("The open-data dumps (JSON, zip of CSV files)"), responses=s.OpenDataSerializer)
    def get(self, request):
        files = [
            {**f, "url": settings.SITE_URL + reverse("api:open-data-file", args=[f["format"]])}
            for f in opendata.available()
        ]
        return Response(
            s.OpenDataSerializer(
                {"licence": opendata.LICENCE, "licence_url": opendata.LICENCE_URL, "files": files}
            ).data
        )


OPEN_DATA_FILES = _(
    "json: one JSON document with every resource; csv: a zip of one CSV file per resource, "
    "with a README and the licence."
)


class OpenDataFileView(ApiView, APIView):
    @extend_schema(
        summary=_("Download the latest dump"),
        operation_id="open_data_download",
        parameters=[OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=sorted(opendata.FILES))],
        responses={
            (200, "application/json"): OpenApiResponse(OpenApiTypes.OBJECT, description=OPEN_DATA_FILES),
            (200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY, description=OPEN_DATA_FILES),
        },
    )
    def get(self, request, fmt: str):
        found = opendata.open_latest(fmt)
        if found is None:
            raise Http404
        handle, filename = found
        return FileResponse(handle, as_attachment=True, filename=filename)


class ApiRootView(ApiView, APIView):
    @extend_schema(summary=_("Index of the API"), responses=OpenApiTypes.OBJECT)
    def get(self, request):
        names = [
            "commitment",
            "assessment",
            "evidence",
            "institution",
            "framework",
            "pillar",
            "region",
            "indicator",
            "submission",
            "webhook",
        ]
        links = {f"{n}s" if n != "evidence" else n: s.api_url(f"{n}-list") for n in names}
        links.update(stats=s.api_url("stats"), open_data=s.api_url("open-data"))
        links.update(
            schema=settings.SITE_URL + reverse("api-schema"), docs=settings.SITE_URL + reverse("api-docs")
        )
        return Response(links)
