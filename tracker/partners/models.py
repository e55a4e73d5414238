"""Partner API: keys, webhook endpoints and deliveries, idempotency records."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tracker.models import Organisation, TimeStampedModel


class ApiKey(TimeStampedModel):
    """A partner organisation's key. Only a SHA-256 hash of the secret is
    stored; the key itself is shown once, when it is created."""

    class Scope(models.TextChoices):
        READ = "read", _("read")
        SUBMIT = "submit", _("read and submit")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        related_name="api_keys",
        limit_choices_to={"kind": Organisation.Kind.PARTNER},
    )
    # The partner's service user: submissions are authored by it.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("service user"),
        on_delete=models.PROTECT,
        related_name="api_keys",
        editable=False,
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the key is for."))
    # Public part of the key, used to find the row without scanning hashes.
    prefix = models.CharField(_("prefix"), max_length=12, unique=True, editable=False)
    hashed_key = models.CharField(_("hash of the key"), max_length=64, editable=False)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope, default=Scope.READ)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True, editable=False)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["organisation__name", "-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        constraints = [
            models.CheckConstraint(
                condition=Q(scope__in=["read", "submit"]), name="partners_apikey_scope_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} – {self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def can_submit(self) -> bool:
        return self.scope == self.Scope.SUBMIT


class WebhookEndpoint(TimeStampedModel):
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("partner organisation"),
        on_delete=models.PROTECT,
        related_name="webhook_endpoints",
        limit_choices_to={"kind": Organisation.Kind.PARTNER},
    )
    url = models.URLField(_("URL"), max_length=500)
    # Needed in clear to sign each event (HMAC); shown to the partner once.
    secret = models.CharField(_("signing secret"), max_length=80, editable=False)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation__name", "url"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "url"], name="partners_webhookendpoint_unique_url"
            ),
        ]
        indexes = [
            # Fan-out of an event to every active endpoint.
            models.Index(fields=["is_active"], name="partners_endpoint_active"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.url}"


class WebhookDelivery(TimeStampedModel):
    """One event for one endpoint, and the log of its attempts."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("delivered")
        FAILED = "failed", _("failed (no more retries)")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event id"), default=uuid.uuid4, editable=False)
    event_type = models.CharField(_("event type"), max_length=60)
    payload = models.JSONField(_("payload"))
    state = models.CharField(_("state"), max_length=10, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["pending", "succeeded", "failed"]),
                name="partners_webhookdelivery_state_valid",
            ),
        ]
        indexes = [
            # deliver_webhooks: pending deliveries that are due.
            models.Index(fields=["state", "next_attempt_at"], name="partners_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint.url} ({self.get_state_display()})"


class IdempotencyRecord(TimeStampedModel):
    """The first successful response to a write sent with an Idempotency-Key:
    a retry with the same key and body gets this response again."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=255)
    method = models.CharField(_("method"), max_length=10)
    path = models.CharField(_("path"), max_length=300)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="partners_idempotency_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id}:{self.key}"
