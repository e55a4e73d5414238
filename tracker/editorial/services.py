"""State changes of the editorial app: follows (double opt-in)."""

from __future__ import annotations

from django.core import signing
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
    it; an address already confirmed stays confirmed."""
    email = email.strip().lower()
    subscription, _created = Subscription.objects.get_or_create(
        email=email, **{_target_field(target): target}
    )
    if subscription.confirmed_at is None:
        enqueue_on_commit("tracker.editorial.notifications.send_follow_confirmation", subscription.pk)
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
