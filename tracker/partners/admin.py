"""Reviewers manage partners' API keys and webhook endpoints here. A key is
shown once, on the page that follows its creation; only its hash is kept."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tracker.admin.forms import ServiceModelForm

from . import services
from .models import ApiKey, IdempotencyRecord, WebhookDelivery, WebhookEndpoint


class ApiKeyForm(ServiceModelForm):
    class Meta:
        model = ApiKey
        fields = ["organisation", "name", "scope", "expires_at"]

    def save_through_service(self, user):
        key, raw_key = services.api_key_create(actor=user, **self.model_fields(self.Meta.fields))
        key._raw_key = raw_key
        return key


class NoDeleteAdmin(admin.ModelAdmin):
    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def save_model(self, request, obj, form, change) -> None:
        pass  # saved by the form's service call


@admin.register(ApiKey)
class ApiKeyAdmin(NoDeleteAdmin):
    form = ApiKeyForm
    list_display = ["name", "organisation", "prefix", "scope", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["scope", "organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name", "prefix", "organisation__name"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["prefix"]
        # A key is never edited: revoke it and create another.
        return [
            "organisation",
            "name",
            "scope",
            "expires_at",
            "prefix",
            "user",
            "revoked_at",
            "last_used_at",
            "created_by",
            "created_at",
        ]

    def has_change_permission(self, request, obj=None) -> bool:
        # Never edited: the change page is read-only; revocation is an action.
        return False

    def response_add(self, request, obj, post_url_continue=None):
        return TemplateResponse(
            request,
            "admin/partners/apikey/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "key": obj,
                "raw_key": obj._raw_key,
                "title": _("API key created"),
            },
        )

    @admin.action(description=_("Revoke the selected keys"), permissions=["revoke"])
    def revoke(self, request, queryset) -> None:
        try:
            for key in queryset:
                services.api_key_revoke(actor=request.user, api_key=key)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        count = len(queryset)
        self.message_user(
            request, ngettext("%(n)d key revoked.", "%(n)d keys revoked.", count) % {"n": count}
        )

    def has_revoke_permission(self, request) -> bool:
        return request.user.has_perm("partners.change_apikey")


class WebhookEndpointForm(ServiceModelForm):
    class Meta:
        model = WebhookEndpoint
        fields = ["organisation", "url"]

    def save_through_service(self, user):
        return services.webhook_endpoint_register(
            api_key=None,
            actor=user,
            organisation=self.cleaned_data["organisation"],
            url=self.cleaned_data["url"],
        )


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(NoDeleteAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "organisation", "is_active", "created_at"]
    list_filter = ["is_active", "organisation"]
    list_select_related = ["organisation"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["organisation", "url", "is_active", "secret", "created_at"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log (read-only)."""

    list_display = [
        "event_type",
        "endpoint",
        "state",
        "attempts",
        "last_status_code",
        "last_attempt_at",
        "next_attempt_at",
        "created_at",
    ]
    list_filter = ["state", "event_type"]
    list_select_related = ["endpoint", "endpoint__organisation"]
    search_fields = ["endpoint__url", "event_id"]
    readonly_fields = [
        "endpoint",
        "event_id",
        "event_type",
        "payload",
        "state",
        "attempts",
        "next_attempt_at",
        "last_attempt_at",
        "last_status_code",
        "last_error",
        "delivered_at",
        "created_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(WebhookDeliveryAdmin):
    list_display = ["key", "organisation", "method", "path", "response_status", "created_at"]
    list_filter = ["method"]
    list_select_related = ["organisation"]
    search_fields = ["key"]
    readonly_fields = [
        "organisation",
        "key",
        "method",
        "path",
        "fingerprint",
        "response_status",
        "response_body",
        "created_at",
    ]
