"""OpenAPI: every operation documents the shared error body for the error
statuses it can return, 304 for conditional GETs, and 414 for a request line
longer than the application server accepts (gunicorn answers that one itself,
before the API sees the request, so it has no JSON body)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema

from .errors import ErrorSerializer

ERRORS_ALL = ("400", "401", "403", "406", "429")
ERRORS_DETAIL = ("404",)
ERRORS_WRITE = ("404", "409", "415", "422")


class ApiAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = list(ERRORS_ALL)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes += ERRORS_WRITE
        elif "{" in self.path:
            codes += ERRORS_DETAIL
        for code in codes:
            responses.setdefault(
                code, self._get_response_for_code(ErrorSerializer, code, direction=direction)
            )
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
