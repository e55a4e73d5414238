"""Editor pages (staff with a verified second factor) and the readers' pages
of the editorial app: a commitment's public change log, follow, confirm,
unsubscribe."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from tracker.models import Commitment, Institution, Pillar

from . import selectors, services
from .forms import FollowForm


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
    return render(request, "editorial/home.html", {"home": data})


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
        services.subscription_request(email=form.cleaned_data["email"], target=target)
        return render(request, "editorial/follow_sent.html", {"target": target})
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
