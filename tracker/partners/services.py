"""State changes of the partner API: keys, submissions, webhooks, idempotency.

Each function checks its own permissions, like tracker.services."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from collections.abc import Iterable

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker import services
from tracker.models import Assessment, Commitment, Membership, Organisation
from tracker.services.permissions import require_perm

from .models import ApiKey, IdempotencyRecord, WebhookEndpoint
from .urlcheck import check_webhook_url

PARTNERS_GROUP = "Partners"
KEY_PREFIX = "ssr"
# Last use is written at most this often per key (not a write per request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def hash_key(raw_key: str) -> str:
    # Keys are 256-bit random strings: a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(raw_key.encode()).hexdigest()


def split_key(raw_key: str) -> tuple[str, str] | None:
    """`ssr_<prefix>_<secret>` -> (prefix, raw key), or None if malformed."""
    parts = (raw_key or "").split("_")
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1], raw_key


def service_user_for(organisation: Organisation) -> AbstractBaseUser:
    """The partner's service user, created on first need: it authors the
    partner's submissions and cannot log in."""
    User = get_user_model()
    username = f"partner-{organisation.slug}"[:150]
    user, created = User.objects.get_or_create(username=username, defaults={"is_staff": False})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=PARTNERS_GROUP))
        Membership.objects.create(user=user, organisation=organisation)
    elif getattr(user, "membership", None) is None or user.membership.organisation_id != organisation.pk:
        raise ValidationError(
            _("The user name %(username)s is taken by someone outside this organisation.")
            % {"username": username},
            code="service_user_taken",
        )
    return user


@transaction.atomic
def api_key_create(
    *,
    actor: AbstractBaseUser,
    organisation: Organisation,
    name: str,
    scope: str = ApiKey.Scope.READ,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the key itself, which is never stored."""
    require_perm(actor, "partners.add_apikey")
    if organisation.kind != Organisation.Kind.PARTNER:
        raise ValidationError(
            {"organisation": _("API keys are only for partner organisations.")}, code="not_partner"
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry date must be in the future.")}, code="expired")
    prefix = secrets.token_hex(4)
    raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32).replace('_', '-')}"
    key = ApiKey(
        organisation=organisation,
        user=service_user_for(organisation),
        name=name,
        prefix=prefix,
        hashed_key=hash_key(raw_key),
        scope=scope,
        expires_at=expires_at,
        created_by=actor,
    )
    key.full_clean()
    key.save()
    return key, raw_key


@transaction.atomic
def api_key_revoke(*, actor: AbstractBaseUser, api_key: ApiKey) -> ApiKey:
    require_perm(actor, "partners.change_apikey")
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at", "updated_at"])
    return locked


def api_key_authenticate(raw_key: str) -> ApiKey | None:
    """The usable key matching `raw_key`, its last use recorded; else None."""
    parts = split_key(raw_key)
    if parts is None:
        return None
    key = (
        ApiKey.objects.select_related("organisation", "user", "user__membership")
        .filter(prefix=parts[0])
        .first()
    )
    if key is None or not hmac.compare_digest(key.hashed_key, hash_key(raw_key)):
        return None
    now = timezone.now()
    if not key.is_usable(now) or not key.user.is_active:
        return None
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        # A plain UPDATE: no lock, no history row, at most once a minute per key.
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


@transaction.atomic
def submission_create(
    *,
    api_key: ApiKey,
    commitment: Commitment,
    assessment: dict,
    evidence: Iterable[dict],
) -> Assessment:
    """A partner's evidence and proposed assessment, sent to the editors'
    review queue (submitted, never published), authored by the partner's
    service user and attributed to the partner organisation."""
    if not api_key.is_usable() or not api_key.can_submit:
        raise PermissionDenied(_("This API key cannot submit."))
    actor = api_key.user
    attached = [
        services.evidence_attach(
            actor=actor, commitment=commitment, organisation=api_key.organisation, **item
        )
        for item in evidence
    ]
    if not attached:
        raise ValidationError({"evidence": _("Send at least one piece of evidence.")}, code="no_evidence")
    proposed = services.assessment_create(actor=actor, commitment=commitment, evidence=attached, **assessment)
    return services.assessment_submit(actor=actor, assessment=proposed)


def new_webhook_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


@transaction.atomic
def webhook_endpoint_register(
    *, api_key: ApiKey | None, actor: AbstractBaseUser | None = None, organisation: Organisation, url: str
) -> WebhookEndpoint:
    """Register a partner's endpoint (by the partner's key, or by a reviewer
    in the admin). The URL must be HTTPS on a public address."""
    if api_key is None:
        require_perm(actor, "partners.add_webhookendpoint")
    elif api_key.organisation_id != organisation.pk or not api_key.is_usable() or not api_key.can_submit:
        raise PermissionDenied(_("This API key cannot register endpoints for this organisation."))
    if organisation.kind != Organisation.Kind.PARTNER:
        raise ValidationError(
            {"organisation": _("Webhooks are only for partner organisations.")}, code="not_partner"
        )
    check_webhook_url(url)
    if WebhookEndpoint.objects.filter(organisation=organisation, url=url).exists():
        raise ValidationError({"url": _("This endpoint is already registered.")}, code="duplicate")
    endpoint = WebhookEndpoint(organisation=organisation, url=url, secret=new_webhook_secret())
    endpoint.full_clean()
    endpoint.save()
    return endpoint


@transaction.atomic
def webhook_endpoint_deactivate(*, api_key: ApiKey, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    if api_key.organisation_id != endpoint.organisation_id:
        raise PermissionDenied(_("This endpoint belongs to another organisation."))
    if not api_key.is_usable() or not api_key.can_submit:
        raise PermissionDenied(_("This API key cannot remove endpoints of this organisation."))
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    locked.is_active = False
    locked.save(update_fields=["is_active", "updated_at"])
    return locked


# --- idempotency ---------------------------------------------------------------------


# Also the OpenAPI schema's examples (tracker.api.schema).
KEY_REUSED = gettext_lazy("This Idempotency-Key was already used for a different request; use a new key.")
KEY_IN_FLIGHT = gettext_lazy(
    "A request with this Idempotency-Key is already being processed; retry in a moment."
)


class IdempotencyKeyReused(Exception):
    pass


class IdempotencyInFlight(Exception):
    pass


def request_fingerprint(method: str, path: str, body: object) -> str:
    canonical = json.dumps([method, path, body], sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_idempotency_key(key: str) -> None:
    if not 1 <= len(key) <= 255 or not key.isprintable() or not key.isascii():
        raise ValidationError(
            {"Idempotency-Key": _("Use 1 to 255 printable ASCII characters.")}, code="bad_idempotency_key"
        )


def idempotency_replay(*, organisation: Organisation, key: str | None, fingerprint: str):
    """The stored first response for this key, or None to go ahead. The same
    key with a different request is refused."""
    if key is None:
        return None
    _check_idempotency_key(key)
    record = IdempotencyRecord.objects.filter(organisation=organisation, key=key).first()
    if record is not None and record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(str(KEY_REUSED))
    return record


def idempotency_store(
    *,
    organisation: Organisation,
    key: str | None,
    method: str,
    path: str,
    fingerprint: str,
    status: int,
    body: dict,
) -> None:
    """Keep the response of a successful write (inside the write's transaction:
    both are kept or neither). A concurrent request with the same key loses."""
    if key is None:
        return
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                organisation=organisation,
                key=key,
                method=method,
                path=path[:300],
                fingerprint=fingerprint,
                response_status=status,
                response_body=json.loads(json.dumps(body, cls=DjangoJSONEncoder)),
            )
    except IntegrityError as exc:
        raise IdempotencyInFlight(str(KEY_IN_FLIGHT)) from exc
