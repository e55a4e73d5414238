"""One error shape for the whole API:

    {"error": {"code": "invalid", "message": "…", "details": {...}}}

`details` holds per-field messages for validation errors (else {})."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, serializers, status
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("tracker.api")


class ErrorBodySerializer(serializers.Serializer):
    code = serializers.CharField(help_text=gettext_lazy("Stable machine-readable code, e.g. `invalid`."))
    message = serializers.CharField(help_text=gettext_lazy("Human-readable message (French or English)."))
    details = serializers.DictField(
        help_text=gettext_lazy("Per-field messages for invalid input; otherwise empty."),
    )


class ErrorSerializer(serializers.Serializer):
    error = ErrorBodySerializer()


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("The request conflicts with another one.")
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = gettext_lazy("The request cannot be processed.")
    default_code = "unprocessable"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "payload_too_large"


def too_large_message() -> str:
    """The 413 message, with the limit in force (DATA_UPLOAD_MAX_MEMORY_SIZE)."""
    limit = filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
    return _("The request body is too large: the API accepts at most %(size)s.") % {"size": limit}


def error_body(code: str, message: str, details: object = None) -> dict:
    return {"error": {"code": code, "message": str(message), "details": details or {}}}


def _as_drf(exc: Exception) -> Exception:
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return exceptions.ValidationError(get_error_detail(DjangoValidationError(detail)))
    if isinstance(exc, Http404):
        return exceptions.NotFound()
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    # Django refuses an oversized body (DATA_UPLOAD_MAX_MEMORY_SIZE) when the
    # parser reads it; DRF does not catch that, which made a 500.
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge(too_large_message())
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError()
    return exc


def _flatten(detail: object) -> object:
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def api_exception_handler(exc: Exception, context: dict):
    exc = _as_drf(exc)
    response = exception_handler(exc, context)
    if response is None:
        return _unexpected(exc)
    if isinstance(exc, exceptions.ValidationError):
        details = _flatten(exc.detail)
        if isinstance(details, list):
            details = {"non_field_errors": details}
        response.data = error_body("invalid", _("The request is not valid."), details)
    else:
        code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        code = code if isinstance(code, str) else "error"
        response.data = error_body(code, _flatten(getattr(exc, "detail", exc)))
    return response


def _unexpected(exc: Exception):
    """A bug: logged with its traceback, answered in the API's error shape.
    A lost database is left to DatabaseUnavailableMiddleware (503)."""
    try:
        from tracker.middleware import is_database_outage
    except ImportError:  # pragma: no cover - the middleware is optional
        is_database_outage = None
    if is_database_outage is not None and is_database_outage(exc):
        return None
    logger.error("Unhandled API error", exc_info=exc)
    return Response(error_body("server_error", _("Server error.")), status=500)


def api_not_found(request, *args, **kwargs) -> JsonResponse:
    """Unknown URLs under /api/: the same JSON shape, not an HTML page."""
    return JsonResponse(error_body("not_found", _("No API endpoint at this address.")), status=404)


def api_server_error(request, *args, **kwargs) -> JsonResponse:
    return JsonResponse(error_body("server_error", _("Server error.")), status=500)
