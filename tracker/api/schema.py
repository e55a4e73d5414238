"""OpenAPI: every operation documents the shared error body (with an example)
for the error statuses it can return, 304 for conditional GETs, and 414 for a
request line longer than the application server accepts (gunicorn answers that
one itself, before the API sees the request, so it has no JSON body).

Request bodies document what validation really accepts, so that a client (or
schemathesis) generating from the schema sends what the API takes: text that
is not blank and has no NUL character, URL schemes, the 1960-to-this-year range
of the record's dates, the length of a reference code."""

from __future__ import annotations

from django.utils import timezone, translation
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiExample
from rest_framework import serializers

from tracker.models.base import EARLIEST_DATE
from tracker.partners.services import KEY_IN_FLIGHT, KEY_REUSED

from .authentication import INVALID_KEY
from .errors import ErrorSerializer, too_large_message
from .permissions import CanSubmit

# tracker.api.serializers is imported inside the methods: this module is loaded
# through REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"] while the views import it.

ERRORS_ALL = ("400", "401", "403", "406", "429")
ERRORS_DETAIL = ("404",)
ERRORS_WRITE = ("404", "409", "413", "415", "422")

# One example body per error status, in English. Messages the API defines are
# taken from where it raises them (a callable: read when the schema is made).
ERROR_EXAMPLES = {
    "400": (
        "invalid",
        "The request is not valid.",
        {"framework": ["Select a valid choice. NOPE is not one of the available choices."]},
    ),
    "401": ("authentication_failed", lambda: INVALID_KEY, {}),
    "403": ("permission_denied", lambda: CanSubmit.message, {}),
    "404": ("not_found", "Not found.", {}),
    "406": ("not_acceptable", "Could not satisfy the request Accept header.", {}),
    "409": ("idempotency_in_flight", lambda: KEY_IN_FLIGHT, {}),
    "413": ("payload_too_large", too_large_message, {}),
    "415": ("unsupported_media_type", 'Unsupported media type "text/plain" in request.', {}),
    "422": ("idempotency_key_reused", lambda: KEY_REUSED, {}),
    "429": ("throttled", "Request was throttled. Expected available in 27 seconds.", {}),
}

# DRF's CharField trims whitespace, refuses blank (unless allow_blank) and NUL.
# (For a field that may be blank, drf-spectacular adds the blank string as a
# oneOf branch, so the pattern must not match "" itself.)
NO_NUL = "^[^\\u0000]+$"
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"
# Django's URLValidator: these schemes, then a host.
URL_SCHEMES = ("http", "https", "ftp", "ftps")
# Idempotency-Key: 1-255 printable ASCII characters, none at either end a space
# (HTTP strips those, so they would not be part of the key).
IDEMPOTENCY_KEY_SCHEMA = {
    "type": "string",
    "minLength": 1,
    "maxLength": 255,
    "pattern": "^[\\u0021-\\u007e]([\\u0020-\\u007e]*[\\u0021-\\u007e])?$",
}

SUBMISSION_EXAMPLES = [
    OpenApiExample(
        "submission",
        summary="A proposed assessment with one source",
        request_only=True,
        value={
            "commitment": "LPS-2017-01",
            "assessment": {
                "status": "initiated",
                "as_of": "2025-03-01",
                "summary_fr": "Décret adopté en conseil des ministres.",
                "delay_reason": "funding",
            },
            "evidence": [
                {
                    "kind": "official_text",
                    "publisher": "Journal officiel",
                    "title": "Décret n° 2025-0123",
                    "published_on": "2025-02-20",
                    "url": "https://example.org/decret-2025-0123",
                    "reliability": "confirmed",
                }
            ],
        },
    ),
    OpenApiExample(
        "submitted",
        summary="In the review queue",
        response_only=True,
        status_codes=["201"],
        value={
            "id": 812,
            "url": "https://tracker.example.org/api/v1/submissions/812/",
            "commitment": {
                "reference": "LPS-2017-01",
                "url": "https://tracker.example.org/api/v1/commitments/LPS-2017-01/",
            },
            "review_state": "submitted",
            "review_comment": "",
            "status": "initiated",
            "progress": 25,
            "as_of": "2025-03-01",
            "summary_fr": "Décret adopté en conseil des ministres.",
            "summary_en": "",
            "delay_reason": "funding",
            "delay_note": "",
            "submitted_at": "2025-03-04T10:12:00Z",
            "published_at": None,
            "evidence": [
                {
                    "id": 2201,
                    "kind": "official_text",
                    "publisher": "Journal officiel",
                    "title": "Décret n° 2025-0123",
                    "published_on": "2025-02-20",
                    "source_url": "https://example.org/decret-2025-0123",
                    "visibility": "public",
                }
            ],
            "created_at": "2025-03-04T10:12:00Z",
            "updated_at": "2025-03-04T10:12:00Z",
        },
    ),
]
WEBHOOK_EXAMPLES = [
    OpenApiExample(
        "endpoint",
        request_only=True,
        value={"url": "https://partner.example.net/hooks/ssr-tracker"},
    ),
    OpenApiExample(
        "registered",
        summary="The signing secret is shown only here",
        response_only=True,
        status_codes=["201"],
        value={
            "id": 7,
            "url": "https://partner.example.net/hooks/ssr-tracker",
            "is_active": True,
            "created_at": "2025-03-04T10:12:00Z",
            "secret": "whsec_3q2-7dY…",
        },
    ),
]


def year_pattern(first: int, last: int) -> str:
    """A regular expression for the years first..last, decade by decade
    (1960-2026: 196[0-9]|197[0-9]|...|202[0-6])."""
    parts = []
    for decade in range(first // 10, last // 10 + 1):
        low, high = max(first, decade * 10) % 10, min(last, decade * 10 + 9) % 10
        parts.append(f"{decade}[{low}-{high}]")
    return "|".join(parts)


def past_date_pattern() -> str:
    """Dates of the record: from 1 January 1960 to this year (the model also
    refuses a day after today, which a pattern cannot say)."""
    years = year_pattern(EARLIEST_DATE.year, timezone.localdate().year)
    return f"^({years})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


class ApiAutoSchema(AutoSchema):
    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if direction == "request":
            self._constrain_input(field, schema)
        return schema

    def _map_basic_serializer(self, serializer, direction):
        schema = super()._map_basic_serializer(serializer, direction)
        from .serializers import StrictSerializer

        if direction == "request" and isinstance(serializer, StrictSerializer):
            schema["additionalProperties"] = False  # unknown fields are a 400
        return schema

    def _constrain_input(self, field, schema: dict) -> None:
        """What the input validation accepts, beyond DRF's own constraints."""
        from .serializers import PastDateField

        if type(field) is serializers.CharField:
            schema["pattern"] = NO_NUL if field.allow_blank else NOT_BLANK
        elif isinstance(field, serializers.URLField):
            schemes = getattr(field, "schemes", URL_SCHEMES)
            pattern = f"^({'|'.join(schemes)})://[^\\s/?#]+[^\\s]*$"
            target = schema["oneOf"][0] if "oneOf" in schema else schema
            target["pattern"] = pattern
        elif isinstance(field, PastDateField):
            schema["pattern"] = past_date_pattern()
        elif isinstance(field, serializers.SlugRelatedField) and field.queryset is not None:
            model_field = field.queryset.model._meta.get_field(field.slug_field)
            if getattr(model_field, "max_length", None):
                schema["maxLength"] = model_field.max_length

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = list(ERRORS_ALL)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ERRORS_WRITE
        elif "{" in self.path:
            codes += ERRORS_DETAIL
        for code in codes:
            if code not in responses:
                responses[code] = self._error_response(code, direction)
        if self.method == "GET":
            responses.setdefault("304", {"description": "Not modified (conditional GET)."})
        responses.setdefault(
            "414",
            {
                "description": (
                    "Request line too long: the application server refuses URLs "
                    "over 8,190 bytes before the API sees them (plain-text body)."
                )
            },
        )
        return responses

    def _error_response(self, code: str, direction: str) -> dict:
        response = self._get_response_for_code(ErrorSerializer, code, direction=direction)
        error_code, message, details = ERROR_EXAMPLES[code]
        if callable(message):
            with translation.override("en"):
                message = str(message())
        example = {"error": {"code": error_code, "message": message, "details": details}}
        for media in response.get("content", {}).values():
            media["examples"] = {error_code: {"value": example}}
        if code == "429":
            response["headers"] = {
                "Retry-After": {
                    "description": "Seconds to wait before the next request.",
                    "schema": {"type": "integer", "minimum": 0},
                }
            }
        return response


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "tracker.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>` (or `Bearer <key>`). Optional for reads.",
        }
