from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from tracker.partners.models import ApiKey


def partner_key(request) -> ApiKey | None:
    return request.auth if isinstance(request.auth, ApiKey) else None


class IsPartner(permissions.BasePermission):
    """Requests made with a partner organisation's API key."""

    message = _("This endpoint needs a partner organisation's API key.")

    def has_permission(self, request, view) -> bool:
        return partner_key(request) is not None


class CanSubmit(IsPartner):
    """Writes need a key with the submit scope; reads any partner key."""

    message = _("This API key has the read scope; submitting needs a key with the submit scope.")

    def has_permission(self, request, view) -> bool:
        key = partner_key(request)
        if key is None:
            self.message = IsPartner.message
            return False
        return request.method in permissions.SAFE_METHODS or key.can_submit


class CanManageWebhooks(CanSubmit):
    """Registering or removing an endpoint is a write: it makes the tracker
    send requests to an address the key holder chooses. A read-scope key (the
    kind embedded in a dashboard or a script) may list its organisation's
    endpoints but not change them."""

    message = _(
        "This API key has the read scope; registering or removing webhooks needs a key with the submit scope."
    )
