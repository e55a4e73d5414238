"""Give a staff account its two-factor authentication: an authenticator app
secret (shown as a QR code and as text) and ten single-use recovery codes."""

import base64

import segno
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tracker.services.accounts import user_otp_provision


def otpauth_uri(device) -> str:
    return device.config_url


def show(stdout, device, codes) -> None:
    secret = base64.b32encode(device.bin_key).decode()
    stdout.write(f"  otpauth URI : {otpauth_uri(device)}")
    stdout.write(f"  secret (type it into the authenticator app if you cannot scan): {secret}")
    stdout.write("  recovery codes (each works once; keep them offline):")
    stdout.write("    " + "  ".join(codes))


class Command(BaseCommand):
    help = (
        "Set up (or reset) two-factor authentication for a staff account: prints the "
        "authenticator-app QR code and secret, and ten recovery codes. Run it with the person present."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--no-qr", action="store_true", help="Do not draw the QR code.")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No account named {options['username']!r}.")
        device, codes = user_otp_provision(user=user)
        self.stdout.write(f"Two-factor authentication for {user.get_username()}:")
        show(self.stdout, device, codes)
        if not options["no_qr"]:
            segno.make(device.config_url, error="m").terminal(out=self.stdout._out, compact=True)
