"""Reference data: pillars, regions, institutions, frameworks."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .base import Bilingual, DatePrecision, TimeStampedModel


class Pillar(TimeStampedModel):
    name = Bilingual("name")
    description = Bilingual("description")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    # Optimistic locking: bumped by every update (tracker.services.locking).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "slug"]
        verbose_name = _("pillar")
        verbose_name_plural = _("pillars")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tracker:pillar-detail", args=[self.slug])


class Region(TimeStampedModel):
    class Kind(models.TextChoices):
        REGION = "region", _("region")
        DISTRICT = "district", _("district")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind, default=Kind.REGION)
    # Optimistic locking: bumped by every update (tracker.services.locking).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("tracker:region-detail", args=[self.slug])


class Institution(TimeStampedModel):
    name = Bilingual("name")

    class Kind(models.TextChoices):
        MINISTRY = "ministry", _("ministry")
        SECURITY_FORCE = "security_force", _("security force")
        OVERSIGHT_BODY = "oversight_body", _("oversight body")
        COURT = "court", _("court")
        PARLIAMENT_COMMITTEE = "parliament_committee", _("parliament committee")
        LOCAL_COMMITTEE = "local_committee", _("local committee")
        INTERNATIONAL_PARTNER = "international_partner", _("international partner")
        ARMED_GROUP = "armed_group", _("armed group")
        OTHER = "other", _("other")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    acronym = models.CharField(_("acronym"), max_length=40, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind, default=Kind.OTHER)
    # PROTECT: history and commitments refer to institutions.
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent institution"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    website = models.URLField(_("website"), blank=True)
    source_document = models.CharField(_("source document"), max_length=200, blank=True)
    # Optimistic locking: bumped by every update (tracker.services.locking).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name_fr"]
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=models.F("pk")), name="tracker_institution_not_own_parent"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.acronym} – {self.name}" if self.acronym else self.name

    def get_absolute_url(self) -> str:
        return reverse("tracker:institution-detail", args=[self.slug])


class Framework(TimeStampedModel):
    name = Bilingual("name")
    description = Bilingual("description")

    class Kind(models.TextChoices):
        PEACE_AGREEMENT = "peace_agreement", _("peace agreement")
        PROGRAMMING_LAW = "programming_law", _("programming law")
        ACTION_PLAN = "action_plan", _("government action plan")
        NATIONAL_ACTION_PLAN = "national_action_plan", _("national action plan")
        POLICY = "policy", _("policy")
        PLEDGE = "pledge", _("public pledge")
        PROGRAMME = "programme", _("programme")
        LAW = "law", _("law")
        OTHER = "other", _("other")

    class FrameworkStatus(models.TextChoices):
        DRAFT = "draft", _("draft")
        IN_FORCE = "in_force", _("in force")
        EXPIRED = "expired", _("expired")
        TERMINATED = "terminated", _("terminated")
        UNCLEAR = "unclear", _("unclear")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind, default=Kind.OTHER)
    issuing_body = models.ForeignKey(
        Institution,
        verbose_name=_("issuing body"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_frameworks",
    )
    adopted_on = models.DateField(_("adopted on"), null=True, blank=True)
    adopted_on_precision = models.CharField(
        _("precision of the adoption date"),
        max_length=10,
        choices=DatePrecision,
        default=DatePrecision.DAY,
    )
    period_start = models.PositiveSmallIntegerField(_("first year"), null=True, blank=True)
    period_end = models.PositiveSmallIntegerField(_("last year"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=FrameworkStatus, default=FrameworkStatus.IN_FORCE
    )
    description_fr = models.TextField(_("description (French)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    source_document = models.CharField(_("source document"), max_length=200, blank=True)
    # Optimistic locking: bumped by every update (tracker.services.locking).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        verbose_name = _("framework")
        verbose_name_plural = _("frameworks")
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__isnull=True)
                | Q(period_end__isnull=True)
                | Q(period_end__gte=models.F("period_start")),
                name="tracker_framework_period_ordered",
                violation_error_message=_("The last year cannot be before the first year."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} – {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("tracker:framework-detail", args=[self.code])
