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
