"""People: disabling an account ends every one of its sessions."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .permissions import require_perm

logger = logging.getLogger("tracker.security")


def _end_sessions(user_pk: int) -> int:
    """Delete the database sessions of a user. (A session kept anywhere else
    dies too: Django refuses an inactive user on the next request.)"""
    ended = 0
    live = Session.objects.filter(expire_date__gt=timezone.now())
    for session in live.iterator():
        if session.get_decoded().get("_auth_user_id") == str(user_pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_deactivate(*, actor: AbstractBaseUser, user: AbstractBaseUser) -> AbstractBaseUser:
    """Disable an account and end all its sessions at once."""
    require_perm(actor, "auth.change_user")
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot disable your own account."), code="self_deactivate")
    User = get_user_model()
    locked = User.objects.select_for_update().get(pk=user.pk)
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    ended = _end_sessions(locked.pk)
    logger.warning(
        "account disabled: %s by %s (%s sessions ended)", locked.get_username(), actor.get_username(), ended
    )
    return locked


RECOVERY_CODES = 10


@transaction.atomic
def user_otp_provision(*, user: AbstractBaseUser, key_hex: str | None = None):
    """Give `user` a new confirmed TOTP device (replacing the old ones) and
    a fresh set of single-use recovery codes. Returns (device, codes).
    `key_hex` fixes the secret (the demo accounts only)."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    extra = {"key": key_hex} if key_hex else {}
    device = TOTPDevice.objects.create(user=user, name=_("authenticator app"), confirmed=True, **extra)
    recovery = StaticDevice.objects.create(user=user, name=_("recovery codes"), confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
    logger.warning("two-factor devices (re)provisioned for %s", user.get_username())
    return device, codes
