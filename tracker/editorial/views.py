"""Editor pages (staff with a verified second factor) and the readers' pages
of the editorial app: a commitment's public change log, follow, confirm,
unsubscribe."""

from __future__ import annotations

import base64
from functools import wraps

import segno
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_safe
from django_otp import login as otp_login

from tracker.models import Commitment, Institution, Pillar
from tracker.services import accounts

from . import selectors, services
from .forms import FollowForm, OTPConfirmForm
from .security import client_ip


def editor_required(view):
    """Staff who passed two-factor authentication; others go to the login."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff and user.is_verified()):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        return view(request, *args, **kwargs)

    return wrapper


@editor_required
def home(request: HttpRequest) -> HttpResponse:
    data = selectors.editor_home(request.user)
    # Inside the admin's frame: its header, user links (view site, change
    # password, log out) and the project's site title.
    context = {**admin.site.each_context(request), "title": _("Editor home"), "home": data}
    return render(request, "editorial/home.html", context)


@require_http_methods(["GET", "POST"])
def otp_setup(request: HttpRequest) -> HttpResponse:
    """Self-service two-factor set-up, for a staff account with no confirmed
    device (logged in by password only): the authenticator secret as a QR code
    and as text, a code to confirm it, then the recovery codes, shown once.
    Anyone else is sent away: replacing a device is an administrator's act."""
    user = request.user
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if not accounts.needs_otp_setup(user):
        return redirect("admin:index")
    try:
        device = accounts.user_otp_setup_device(user=user)
    except PermissionDenied:  # pragma: no cover - checked just above
        return redirect("admin:index")
    form = OTPConfirmForm(request.POST or None)
    context = {**admin.site.each_context(request), "title": _("Set up two-factor authentication")}
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = accounts.user_otp_confirm(user=user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            form.add_error("token", exc)
        else:
            otp_login(request, device)  # this session has now passed the second factor
            context["title"] = _("Your recovery codes")
            return render(request, "editorial/otp_setup_done.html", {**context, "codes": codes})
    uri = device.config_url
    context.update(
        form=form,
        otpauth_uri=uri,
        secret=base64.b32encode(device.bin_key).decode(),
        # Server-drawn SVG (no script, no image request): segno escapes nothing
        # user-controlled into it but the URI it encodes as black modules.
        qr_svg=mark_safe(  # nosec B308 B703  (segno's own SVG markup, see above)
            segno.make(uri, error="m").svg_inline(scale=5, title=_("QR code to scan"))
        ),
    )
    return render(request, "editorial/otp_setup.html", context, status=400 if form.errors else 200)


@require_safe
def commitment_changelog(request: HttpRequest, reference: str) -> HttpResponse:
    commitment, entries = selectors.commitment_changelog(reference)
    return render(request, "editorial/changelog.html", {"commitment": commitment, "entries": entries})


_TARGETS = {
    "commitment": (Commitment, "reference"),
    "pillar": (Pillar, "slug"),
    "institution": (Institution, "slug"),
}


@require_http_methods(["GET", "POST"])
def follow(request: HttpRequest, kind: str, key: str) -> HttpResponse:
    if kind not in _TARGETS:
        return render(request, "editorial/follow.html", {"unknown": True}, status=404)
    model, lookup = _TARGETS[kind]
    target = get_object_or_404(model, **{lookup: key})
    form = FollowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # The same answer whether or not the address already follows the page.
        try:
            services.check_follow_rate(client_ip(request))
        except services.FollowRateLimited:
            context = {"form": form, "target": target, "rate_limited": True}
            return render(request, "editorial/follow.html", context, status=429)
        services.subscription_request(email=form.cleaned_data["email"], target=target)
        context = {"target": target, "resend_minutes": services.resend_after() // 60}
        return render(request, "editorial/follow_sent.html", context)
    return render(
        request, "editorial/follow.html", {"form": form, "target": target}, status=400 if form.errors else 200
    )


def follow_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscription = services.subscription_confirm(token=token)
    except ValidationError as exc:
        return render(request, "editorial/follow_result.html", {"error": " ".join(exc.messages)}, status=400)
    return render(request, "editorial/follow_result.html", {"subscription": subscription, "confirmed": True})


@csrf_exempt  # mail clients' one-click POST carries no CSRF token; the signed token is the proof
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a one-button page (link scanners must not unsubscribe
    anyone); POST, from that button or a mail client's one-click
    List-Unsubscribe-Post, ends the follow."""
    try:
        subscription = services.subscription_from_token(token)
    except ValidationError as exc:
        return render(request, "editorial/follow_result.html", {"error": " ".join(exc.messages)}, status=400)
    if request.method == "POST":
        services.subscription_cancel(subscription=subscription)
        return render(request, "editorial/follow_result.html", {"unsubscribed": True})
    return render(request, "editorial/unsubscribe.html", {"subscription": subscription})
