"""API keys: `Authorization: Api-Key <key>` or `Authorization: Bearer <key>`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import authentication, exceptions

from tracker.partners.services import api_key_authenticate

# Also the OpenAPI schema's 401 example (tracker.api.schema).
INVALID_KEY = gettext_lazy("This API key is invalid, expired or revoked.")

SCHEMES = ("api-key", "bearer")


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request)
        if not header:
            return None
        try:
            scheme, _sep, token = header.decode("latin-1").partition(" ")
        except UnicodeDecodeError as exc:  # pragma: no cover - latin-1 decodes any byte
            raise exceptions.AuthenticationFailed(_("Malformed Authorization header.")) from exc
        if scheme.lower() not in SCHEMES:
            return None
        token = token.strip()
        if not token or " " in token:
            raise exceptions.AuthenticationFailed(_("Send the key as “Authorization: Api-Key <key>”."))
        key = api_key_authenticate(token)
        if key is None:
            raise exceptions.AuthenticationFailed(str(INVALID_KEY))
        return key.user, key

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) to unauthenticated requests.
        return 'Api-Key realm="api"'
