"""State changes of the editorial app: follows (double opt-in)."""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.models import Commitment, Institution, Pillar
from tracker.tasks import enqueue_on_commit

from .models import Subscription

CONFIRM_SALT = "editorial.follow.confirm"
UNSUBSCRIBE_SALT = "editorial.follow.unsubscribe"
CONFIRM_MAX_AGE = 7 * 24 * 3600

# The public follow form sends e-mail to any address typed into it: at most
# one confirmation per follow every FOLLOW_RESEND_AFTER_SECONDS, and at most
# FOLLOW_REQUESTS_PER_IP follow requests per client address (and
# FOLLOW_CONFIRMATIONS_PER_ADDRESS confirmations per e-mail address) every
# FOLLOW_REQUESTS_PER_IP_WINDOW_SECONDS: settings from the environment
# (config/settings.py), read at each request. Counted in the cache (shared by
# every server when it is Redis).


def resend_after() -> int:
    return settings.FOLLOW_RESEND_AFTER_SECONDS


class FollowRateLimited(Exception):
    """Too many follow requests from one client address."""


def _hit(key: str, window: int) -> int:
    """Count one request in `key` (expires `window` seconds after the first)."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def check_follow_rate(client_ip: str) -> None:
    """Count a follow request from `client_ip`; raise FollowRateLimited over the limit."""
    window = settings.FOLLOW_REQUESTS_PER_IP_WINDOW_SECONDS
    if _hit(f"editorial:follow:ip:{_digest(client_ip)}", window) > settings.FOLLOW_REQUESTS_PER_IP:
        raise FollowRateLimited


def confirm_token(subscription: Subscription) -> str:
    return signing.dumps(subscription.pk, salt=CONFIRM_SALT)


def unsubscribe_token(subscription: Subscription) -> str:
    return signing.dumps(subscription.pk, salt=UNSUBSCRIBE_SALT)


def _target_field(target) -> str:
    for model, name in ((Commitment, "commitment"), (Pillar, "pillar"), (Institution, "institution")):
        if isinstance(target, model):
            return name
    raise ValueError(f"Cannot follow {target!r}")


@transaction.atomic
def subscription_request(*, email: str, target) -> Subscription:
    """Record a follow and send the confirmation e-mail. Asking again resends
    it, but not within FOLLOW_RESEND_AFTER_SECONDS of the last one, and one
    address gets at most FOLLOW_CONFIRMATIONS_PER_ADDRESS confirmations (all
    pages together) every FOLLOW_REQUESTS_PER_IP_WINDOW_SECONDS: nobody can
    flood an inbox. An address already
    confirmed stays confirmed and gets nothing. Silent either way: the answer
    must not tell who follows what."""
    email = email.strip().lower()
    subscription, _created = Subscription.objects.get_or_create(
        email=email, **{_target_field(target): target}
    )
    if subscription.confirmed_at is not None:
        return subscription
    # Keyed by the row's id and creation time: a new follow reusing a deleted
    # one's id is not held back.
    sent_key = f"editorial:follow:sent:{subscription.pk}:{subscription.created_at.timestamp()}"
    address_key = f"editorial:follow:address:{_digest(email)}"
    window = settings.FOLLOW_REQUESTS_PER_IP_WINDOW_SECONDS
    if (
        cache.add(sent_key, 1, timeout=resend_after())
        and _hit(address_key, window) <= settings.FOLLOW_CONFIRMATIONS_PER_ADDRESS
    ):
        # A fresh sending key: the notification log sends each sending once
        # (a retried task does not send twice), and a later resend again.
        enqueue_on_commit(
            "tracker.editorial.notifications.send_follow_confirmation", subscription.pk, uuid.uuid4().hex
        )
    return subscription


@transaction.atomic
def subscription_confirm(*, token: str) -> Subscription:
    try:
        pk = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise ValidationError(_("This link has expired: follow the page again."), code="expired") from exc
    except signing.BadSignature as exc:
        raise ValidationError(_("This link is not valid."), code="bad_token") from exc
    subscription = Subscription.objects.select_for_update().filter(pk=pk).first()
    if subscription is None:
        raise ValidationError(_("This follow no longer exists."), code="gone")
    if subscription.confirmed_at is None:
        subscription.confirmed_at = timezone.now()
        subscription.save(update_fields=["confirmed_at", "updated_at"])
    return subscription


def subscription_from_token(token: str) -> Subscription:
    try:
        pk = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise ValidationError(_("This link is not valid."), code="bad_token") from exc
    subscription = Subscription.objects.filter(pk=pk).first()
    if subscription is None:
        raise ValidationError(_("You no longer follow this page."), code="gone")
    return subscription


@transaction.atomic
def subscription_cancel(*, subscription: Subscription) -> None:
    Subscription.objects.filter(pk=subscription.pk).delete()
