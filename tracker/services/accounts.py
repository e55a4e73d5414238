"""People: disabling an account ends every one of its sessions."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
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
    if locked.is_superuser and not actor.is_superuser:
        raise PermissionDenied(_("Only a superuser can disable a superuser's account."))
    locked.is_active = False
    locked.save(update_fields=["is_active"])
    ended = _end_sessions(locked.pk)
    logger.warning(
        "account disabled: %s by %s (%s sessions ended)", locked.get_username(), actor.get_username(), ended
    )
    return locked


RECOVERY_CODES = 10


def _new_recovery_codes(user: AbstractBaseUser) -> list[str]:
    """Replace `user`'s recovery codes with a fresh set; returns them (they
    are shown once and stored by django-otp only to be checked)."""
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    StaticDevice.objects.filter(user=user).delete()
    recovery = StaticDevice.objects.create(user=user, name=_("recovery codes"), confirmed=True)
    codes = [StaticToken.random_token() for _i in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=recovery, token=code) for code in codes])
    return codes


@transaction.atomic
def user_otp_provision(*, user: AbstractBaseUser, key_hex: str | None = None):
    """Give `user` a new confirmed TOTP device (replacing the old ones) and
    a fresh set of single-use recovery codes. Returns (device, codes).
    `key_hex` fixes the secret (the demo accounts only). An administrator's
    act (manage.py otp_setup): it also resets a lost device."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    extra = {"key": key_hex} if key_hex else {}
    device = TOTPDevice.objects.create(user=user, name=_("authenticator app"), confirmed=True, **extra)
    codes = _new_recovery_codes(user)
    logger.warning("two-factor devices (re)provisioned for %s", user.get_username())
    return device, codes


def needs_otp_setup(user: AbstractBaseUser) -> bool:
    """A staff account with no confirmed second factor at all sets one up
    itself at its first login. One with any confirmed device (even recovery
    codes only) never can: replacing a device is an administrator's act."""
    from django_otp import user_has_device

    return bool(user.is_active and user.is_staff and not user_has_device(user, confirmed=True))


def _refuse_if_set_up(user: AbstractBaseUser) -> None:
    if not needs_otp_setup(user):
        raise PermissionDenied(
            _(
                "Two-factor authentication is already set up for this account. "
                "To replace a lost device, ask an administrator."
            )
        )


@transaction.atomic
def user_otp_setup_device(*, user: AbstractBaseUser):
    """The unconfirmed authenticator device a staff account without two-factor
    authentication sets up itself: created once, the same secret on reload."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    _refuse_if_set_up(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=_("authenticator app"), confirmed=False)


def user_otp_confirm(*, user: AbstractBaseUser, token: str):
    """Confirm the set-up device with a code from the app; returns (device,
    recovery codes). A wrong code raises ValidationError; its failure count
    is kept (django-otp's throttling), so it is not inside the rollback."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=user.pk)  # one confirmation at a time
        _refuse_if_set_up(user)
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        verified = device is not None and device.verify_token((token or "").strip())
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            codes = _new_recovery_codes(user)
            logger.warning("two-factor authentication set up by %s", user.get_username())
    if not verified:
        logger.info("two-factor set-up: wrong code for %s", user.get_username())
        raise ValidationError(
            _(
                "This code is not valid. Check that your phone's clock is right "
                "and type the code the app shows now."
            ),
            code="bad_token",
        )
    return device, codes
