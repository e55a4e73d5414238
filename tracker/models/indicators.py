"""Indicators (measurable targets of a commitment) and dated measurements."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .assessments import Evidence
from .base import Bilingual, DatePrecision, DateRangeMixin, TimeStampedModel
from .commitments import Commitment


class Indicator(TimeStampedModel):
    name = Bilingual("name")

    class Unit(models.TextChoices):
        COUNT = "count", _("number")
        PERCENT = "percent", _("percent")
        FCFA = "fcfa", _("FCFA")
        OTHER = "other", _("other")

    commitment = models.ForeignKey(
        Commitment, verbose_name=_("commitment"), on_delete=models.PROTECT, related_name="indicators"
    )
    key = models.SlugField(_("key"), max_length=80, unique=True)
    name_fr = models.CharField(_("name (French)"), max_length=300)
    name_en = models.CharField(_("name (English)"), max_length=300, blank=True)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit, default=Unit.COUNT)
    baseline_value = models.DecimalField(
        _("baseline"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    baseline_date = models.DateField(_("baseline date"), null=True, blank=True)
    target_value = models.DecimalField(_("target"), max_digits=18, decimal_places=2, null=True, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)
    disaggregated_by_sex = models.BooleanField(_("split by sex"), default=False)
    # Optimistic locking: bumped by every update (tracker.services.locking).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["commitment", "key"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.CheckConstraint(
                condition=~Q(unit="percent")
                | Q(target_value__isnull=True)
                | (Q(target_value__gte=0) & Q(target_value__lte=100)),
                name="tracker_indicator_percent_target_range",
                violation_error_message=_("A percentage target must be between 0 and 100."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Measurement(DateRangeMixin, TimeStampedModel):
    past_date_fields = ("measured_on",)

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT, related_name="measurements"
    )
    measured_on = models.DateField(_("date"))
    measured_on_precision = models.CharField(
        _("precision of the date"), max_length=10, choices=DatePrecision, default=DatePrecision.DAY
    )
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=2)
    value_women = models.DecimalField(
        _("value for women"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    value_men = models.DecimalField(
        _("value for men"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    evidence = models.ForeignKey(
        Evidence,
        verbose_name=_("evidence"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measurements",
    )
    note = models.CharField(_("note"), max_length=500, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "measured_on"]
        verbose_name = _("measurement")
        verbose_name_plural = _("measurements")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "measured_on"],
                name="tracker_measurement_one_per_date",
                violation_error_message=_("This indicator already has a measurement on this date."),
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="tracker_measurement_value_not_negative"),
            models.CheckConstraint(
                condition=(Q(value_women__isnull=True) | Q(value_women__gte=0))
                & (Q(value_men__isnull=True) | Q(value_men__gte=0)),
                name="tracker_measurement_parts_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator}: {self.value} ({self.measured_on})"
