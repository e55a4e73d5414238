"""The current authenticator code of a DEMO account, for a local trial
without a phone. Refuses unless DEBUG is on and the account is a demo one."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current TOTP code of a demo account (DEBUG only; demo-* accounts only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        username = options["username"]
        if not settings.DEBUG or not username.startswith("demo-"):
            raise CommandError("Only for the demo-* accounts, with DJANGO_DEBUG=1.")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"{username} has no authenticator device: run create_demo_accounts.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
