"""E-mails, sent by the task queue (tracker.tasks.enqueue). Each task re-reads
the database and logs what it sent; a retried task sends nothing twice."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from tracker.models import Assessment

from . import services
from .models import NotificationLog, Subscription

logger = logging.getLogger(__name__)


def _absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def _send(kind: str, recipient: str, key: str, subject: str, body: str, headers: dict | None = None) -> bool:
    """Send once per (kind, recipient, key); False when it was already sent."""
    if not recipient:
        return False
    try:
        with transaction.atomic():
            NotificationLog.objects.create(kind=kind, recipient=recipient, key=key, subject=subject)
            EmailMessage(subject, body, to=[recipient], headers=headers or {}).send()
    except IntegrityError:
        return False
    return True


def send_follow_confirmation(subscription_pk: int, sending: str = "") -> None:
    """`sending` names one sending (tracker.editorial.services.subscription_request
    rate-limits them): a retried task does not send twice, a resend does."""
    subscription = Subscription.objects.filter(pk=subscription_pk, confirmed_at__isnull=True).first()
    if subscription is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        link = _absolute(reverse("editorial:follow-confirm", args=[services.confirm_token(subscription)]))
        subject = _("Confirm that you want to follow “%(target)s”") % {"target": subscription.target}
        body = render_to_string(
            "editorial/email/confirm_follow.txt", {"subscription": subscription, "link": link}
        )
    _send(
        NotificationLog.Kind.CONFIRM_FOLLOW,
        subscription.email,
        f"subscription:{subscription.pk}:{sending}" if sending else f"subscription:{subscription.pk}",
        subject,
        body,
    )


def _admin_link(assessment: Assessment) -> str:
    return _absolute(reverse("admin:tracker_assessment_change", args=[assessment.pk]))


def notify_review_waiting(assessment_pk: int) -> None:
    """Tell every active reviewer but the author that an assessment waits."""
    assessment = Assessment.objects.select_related("commitment", "author").get(pk=assessment_pk)
    reviewers = (
        get_user_model()
        .objects.with_perm(
            "tracker.review_assessment",
            is_active=True,
            include_superusers=True,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .exclude(pk=assessment.author_id)
        .exclude(email="")
    )
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("An assessment of %(ref)s waits for review") % {"ref": assessment.commitment.reference}
        body = render_to_string(
            "editorial/email/review_waiting.txt", {"assessment": assessment, "link": _admin_link(assessment)}
        )
    key = f"assessment:{assessment.pk}:submitted:{assessment.submitted_at:%Y%m%d%H%M%S%f}"
    for reviewer in reviewers:
        _send(NotificationLog.Kind.REVIEW_WAITING, reviewer.email, key, subject, body)


def notify_returned(assessment_pk: int) -> None:
    assessment = Assessment.objects.select_related("commitment", "author", "reviewer").get(pk=assessment_pk)
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your assessment of %(ref)s was returned") % {"ref": assessment.commitment.reference}
        body = render_to_string(
            "editorial/email/returned.txt", {"assessment": assessment, "link": _admin_link(assessment)}
        )
    key = f"assessment:{assessment.pk}:returned:{assessment.updated_at:%Y%m%d%H%M%S%f}"
    _send(NotificationLog.Kind.RETURNED, assessment.author.email, key, subject, body)


def notify_published(assessment_pk: int) -> None:
    """Tell the author, then every confirmed follower of the commitment, its
    pillar or one of its responsible institutions (once each)."""
    assessment = Assessment.objects.select_related("commitment", "commitment__pillar", "author").get(
        pk=assessment_pk
    )
    commitment = assessment.commitment
    key = f"assessment:{assessment.pk}:published"
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Your assessment of %(ref)s was published") % {"ref": commitment.reference}
        body = render_to_string(
            "editorial/email/published.txt", {"assessment": assessment, "link": _admin_link(assessment)}
        )
        _send(NotificationLog.Kind.PUBLISHED, assessment.author.email, key, subject, body)
        followers = Subscription.objects.filter(confirmed_at__isnull=False).filter(
            Q(commitment=commitment)
            | Q(pillar_id=commitment.pillar_id)
            | Q(institution__in=commitment.institutions.all())
        )
        page = _absolute(commitment.get_absolute_url())
        subject = _("New assessment: %(ref)s is now “%(status)s”") % {
            "ref": commitment.reference,
            "status": assessment.get_status_display(),
        }
        for subscription in followers.order_by("email", "pk"):
            stop = _absolute(
                reverse("editorial:unsubscribe", args=[services.unsubscribe_token(subscription)])
            )
            body = render_to_string(
                "editorial/email/follow_update.txt",
                {
                    "assessment": assessment,
                    "commitment": commitment,
                    "page": page,
                    "stop": stop,
                    "subscription": subscription,
                },
            )
            headers = {"List-Unsubscribe": f"<{stop}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
            _send(NotificationLog.Kind.FOLLOW_UPDATE, subscription.email, key, subject, body, headers)
