"""Readers' follows and the log of every notification sent."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tracker.models import Commitment, Institution, Pillar, TimeStampedModel


class Subscription(TimeStampedModel):
    """A reader follows one commitment, pillar or institution by e-mail.
    Nothing is sent until the address is confirmed (double opt-in)."""

    email = models.EmailField(_("e-mail address"))
    commitment = models.ForeignKey(
        Commitment,
        verbose_name=_("commitment"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    pillar = models.ForeignKey(
        Pillar,
        verbose_name=_("pillar"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    institution = models.ForeignKey(
        Institution,
        verbose_name=_("institution"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="subscriptions",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(commitment__isnull=False, pillar__isnull=True, institution__isnull=True)
                    | Q(commitment__isnull=True, pillar__isnull=False, institution__isnull=True)
                    | Q(commitment__isnull=True, pillar__isnull=True, institution__isnull=False)
                ),
                name="editorial_subscription_one_target",
            ),
            models.UniqueConstraint(
                fields=["email", "commitment"],
                condition=Q(commitment__isnull=False),
                name="editorial_subscription_unique_commitment",
            ),
            models.UniqueConstraint(
                fields=["email", "pillar"],
                condition=Q(pillar__isnull=False),
                name="editorial_subscription_unique_pillar",
            ),
            models.UniqueConstraint(
                fields=["email", "institution"],
                condition=Q(institution__isnull=False),
                name="editorial_subscription_unique_institution",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.target}"

    @property
    def target(self):
        return self.commitment or self.pillar or self.institution


class NotificationLog(TimeStampedModel):
    """One row per e-mail sent; the key makes a retried task send nothing twice."""

    class Kind(models.TextChoices):
        CONFIRM_FOLLOW = "confirm_follow", _("confirm a follow")
        FOLLOW_UPDATE = "follow_update", _("update to a follower")
        REVIEW_WAITING = "review_waiting", _("assessment waiting for review")
        RETURNED = "returned", _("assessment returned")
        PUBLISHED = "published", _("assessment published")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    recipient = models.EmailField(_("recipient"))
    key = models.CharField(_("key"), max_length=120)
    subject = models.CharField(_("subject"), max_length=300)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification sent")
        verbose_name_plural = _("notifications sent")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "recipient", "key"], name="editorial_notificationlog_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient}"
