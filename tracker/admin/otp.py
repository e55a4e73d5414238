"""The admin's login: password, then a code from the authenticator app or a
recovery code, in one step."""

from __future__ import annotations

from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


class TrackerOTPAuthenticationForm(OTPAdminAuthenticationForm):
    """django-otp asks the person to pick a device first; here the code picks
    it: six digits are an authenticator code, anything else a recovery code.
    Only that one device is tried (no failed attempt is charged to the other)."""

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            token = (self.cleaned_data.get("otp_token") or "").strip()
            model = TOTPDevice if token.isdigit() else StaticDevice
            device = model.objects.filter(user=user, confirmed=True).first()
        return device
