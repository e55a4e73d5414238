"""The admin's login: password, then a code from the authenticator app or a
recovery code, in one step. A staff account with no second factor yet logs
in by password only to reach the self-service set-up page, and nothing else
(tracker.editorial.views.otp_setup)."""

from __future__ import annotations

from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.services.accounts import needs_otp_setup


class TrackerOTPAuthenticationForm(OTPAdminAuthenticationForm):
    """django-otp asks the person to pick a device first; here the code picks
    it: six digits are an authenticator code, anything else a recovery code.
    Only that one device is tried (no failed attempt is charged to the other)."""

    # The page calls it a "code" (django-otp says "OTP token": jargon, and
    # "jeton OTP" in French).
    otp_error_messages = {
        **OTPAdminAuthenticationForm.otp_error_messages,
        "token_required": _(
            "Enter the six-digit code of your authenticator app, or one of your recovery codes."
        ),
        "invalid_token": _(
            "This code is not valid: type the six digits your authenticator app shows now, "
            "or a recovery code you have not used yet."
        ),
    }

    def _chosen_device(self, user):
        device = super()._chosen_device(user)
        if device is None:
            token = (self.cleaned_data.get("otp_token") or "").strip()
            model = TOTPDevice if token.isdigit() else StaticDevice
            device = model.objects.filter(user=user, confirmed=True).first()
        return device

    def clean_otp(self, user) -> None:
        # No confirmed device at all and no code typed: the password opens an
        # unverified session, which the admin refuses (OTPAdminSite) and the
        # login page sends to the set-up page.
        token = (self.cleaned_data.get("otp_token") or "").strip()
        if user is not None and not token and needs_otp_setup(user):
            user.otp_device = None
            return
        super().clean_otp(user)


class TrackerAdminSite(OTPAdminSite):
    """Every admin page needs a verified second factor (OTPAdminSite); a
    logged-in staff account that has none yet is sent to set one up."""

    def autocomplete_view(self, request):
        from .autocomplete import TrackerAutocompleteJsonView

        return TrackerAutocompleteJsonView.as_view(admin_site=self)(request)

    def login(self, request, extra_context=None):
        if request.user.is_authenticated and needs_otp_setup(request.user):
            return redirect("editorial:otp-setup")
        return super().login(request, extra_context)
