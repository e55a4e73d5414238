"""Derived figures kept for the dashboard: never part of the record itself.

`TrendQuarter` holds the quarterly trend's figures for a closed quarter
(tracker/insights/trend.py computes, stores and invalidates them);
`TrendEpoch` is the one row every invalidation bumps, so that figures
computed while a publication was being committed are never stored.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tracker.models.base import TimeStampedModel


class TrendQuarter(TimeStampedModel):
    """The commitments per status at the end of one closed quarter, counting
    only those with a published assessment by then (the others are "not
    started", filled in from the current number of commitments when read)."""

    quarter_end = models.DateField(_("quarter end"), unique=True)
    counts = models.JSONField(_("commitments per status"))
    progress_total = models.BigIntegerField(_("sum of progress"))

    class Meta:
        ordering = ["quarter_end"]
        verbose_name = _("trend quarter")
        verbose_name_plural = _("trend quarters")

    def __str__(self) -> str:
        return self.quarter_end.isoformat()


class TrendEpoch(TimeStampedModel):
    """One row (pk 1). Invalidating quarters bumps it inside the writing
    transaction; storing computed quarters locks it and gives up when it
    moved since the computation began (tracker/insights/trend.py)."""

    value = models.PositiveBigIntegerField(_("value"), default=0)

    class Meta:
        verbose_name = _("trend epoch")
        verbose_name_plural = _("trend epochs")

    def __str__(self) -> str:
        return str(self.value)


class StatusTally(TimeStampedModel):
    """A change to the dashboard's breakdowns by institution and by region:
    `n` commitments (negative: fewer) of one status, `progress_total` their
    progress, added to (`kind`, `key`): an institution (any role) or a region.

    Rows are only ever inserted, by PostgreSQL triggers on the commitments and
    their institution and region links (migration 0002), in the writing
    statement's transaction; the figures are the sums per (kind, key, status)
    (tracker/insights/tally.py). `compact` folds them, `rebuild` recounts."""

    class Kind(models.TextChoices):
        INSTITUTION = "institution", _("institution")
        REGION = "region", _("region")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    key = models.BigIntegerField(_("institution or region"))
    status = models.CharField(_("status"), max_length=20)
    n = models.BigIntegerField(_("change in commitments"))
    progress_total = models.BigIntegerField(_("change in the sum of progress"))

    class Meta:
        verbose_name = _("status tally")
        verbose_name_plural = _("status tallies")

    def __str__(self) -> str:
        return f"{self.kind} {self.key} {self.status} {self.n:+d}"
