import base64
import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from tracker.models import Membership, Organisation
from tracker.services.accounts import user_otp_provision


def demo_totp_key(username: str) -> str:
    """A fixed, public authenticator secret per demo account (hex), so the
    README can say what to type into an authenticator app."""
    return hashlib.sha1(f"ssr-demo:{username}".encode(), usedforsecurity=False).hexdigest()


# Demo accounts for a local trial. Their passwords are public (README): never
# run this on a server that holds a real record.
DEMO_ACCOUNTS = [
    ("demo-editor", "editor-demo-2026!", "Editors", False),
    ("demo-reviewer", "reviewer-demo-2026!", "Reviewers", False),
    ("demo-admin", "admin-demo-2026!", None, True),
]


def _unused_recovery_codes(user, key: str) -> list[str]:
    """The account's remaining recovery codes when it already has exactly the
    demo authenticator; empty when it must be provisioned again."""
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    devices = list(TOTPDevice.objects.filter(user=user).values_list("key", "confirmed"))
    if devices != [(key, True)]:
        return []
    return list(
        StaticToken.objects.filter(device__user=user, device__confirmed=True)
        .order_by("pk")
        .values_list("token", flat=True)
    )


class Command(BaseCommand):
    help = (
        "Create the demo editor, reviewer and administrator, or put back what was changed. "
        "Idempotent: an account already as described keeps its sessions and recovery codes."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        organisation, _ = Organisation.objects.get_or_create(
            slug="demo-coalition",
            defaults={"name": "Coalition de démonstration", "kind": Organisation.Kind.CIVIL_SOCIETY},
        )
        User = get_user_model()
        for username, password, group, superuser in DEMO_ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = True
            user.is_superuser = superuser
            user.is_active = True
            user.email = f"{username}@example.org"
            if not user.check_password(password):
                user.set_password(password)  # (a new hash would end the account's sessions)
            user.save()
            if group:
                user.groups.add(Group.objects.get(name=group))
            Membership.objects.update_or_create(user=user, defaults={"organisation": organisation})
            key = demo_totp_key(username)
            codes = _unused_recovery_codes(user, key)
            if not codes:
                device, codes = user_otp_provision(user=user, key_hex=key)
            secret = base64.b32encode(bytes.fromhex(key)).decode()
            self.stdout.write(
                f"  {username:15} password: {password:22} authenticator secret: {secret}  "
                f"recovery code: {codes[0]}"
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Demo accounts ready (log in at /admin/). Staff need a second factor: add the secret "
                "to an authenticator app, or print the current code with "
                "`DJANGO_DEBUG=1 .venv/bin/python manage.py otp_code demo-editor`."
            )
        )
