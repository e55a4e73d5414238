from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.models import Commitment, DatePrecision, Evidence, Indicator, Measurement

from .checks import to_decimal
from .permissions import can_see_evidence, require_perm


@transaction.atomic
def indicator_create(
    *,
    actor: AbstractBaseUser,
    commitment: Commitment,
    key: str,
    name_fr: str,
    name_en: str = "",
    unit: str = Indicator.Unit.COUNT,
    baseline_value: Decimal | None = None,
    baseline_date: dt.date | None = None,
    target_value: Decimal | None = None,
    target_date: dt.date | None = None,
    disaggregated_by_sex: bool = False,
) -> Indicator:
    require_perm(actor, "tracker.add_indicator")
    indicator = Indicator(
        commitment=commitment,
        key=key,
        name_fr=name_fr,
        name_en=name_en,
        unit=unit,
        baseline_value=baseline_value,
        baseline_date=baseline_date,
        target_value=target_value,
        target_date=target_date,
        disaggregated_by_sex=disaggregated_by_sex,
    )
    indicator.full_clean()
    indicator._history_user = actor
    indicator.save()
    return indicator


@transaction.atomic
def measurement_record(
    *,
    actor: AbstractBaseUser,
    indicator: Indicator,
    measured_on: dt.date,
    value: Decimal,
    measured_on_precision: str = DatePrecision.DAY,
    value_women: Decimal | None = None,
    value_men: Decimal | None = None,
    evidence: Evidence | None = None,
    note: str = "",
) -> Measurement:
    """Record a dated value of an indicator, citing evidence of the same commitment."""
    require_perm(actor, "tracker.add_measurement")
    # The rules read the indicator's unit and split: locked (before any
    # measurement, as in measurement_update) so indicator_update cannot change
    # them until this one is recorded.
    indicator = Indicator.objects.select_for_update().get(pk=indicator.pk)
    value, value_women, value_men = (
        to_decimal(v, name)
        for name, v in (("value", value), ("value_women", value_women), ("value_men", value_men))
    )
    measurement_check(
        indicator=indicator,
        value=value,
        value_women=value_women,
        value_men=value_men,
        evidence=evidence,
        actor=actor,
    )
    measurement = Measurement(
        indicator=indicator,
        measured_on=measured_on,
        measured_on_precision=measured_on_precision,
        value=value,
        value_women=value_women,
        value_men=value_men,
        evidence=evidence,
        note=note,
    )
    measurement.full_clean()
    measurement._history_user = actor
    measurement.save()
    return measurement


def measurement_check(
    *,
    indicator: Indicator,
    value: Decimal | None,
    value_women: Decimal | None = None,
    value_men: Decimal | None = None,
    evidence: Evidence | None = None,
    actor: AbstractBaseUser | None = None,
) -> None:
    """The rules of a measurement, for measurement_record and measurement_update alike
    (an edit must not let through what recording refuses). With an actor, the
    evidence cited must be one they may see (as for an assessment's evidence)."""
    if evidence is not None and evidence.commitment_id != indicator.commitment_id:
        raise ValidationError(
            {"evidence": _("The evidence must belong to the indicator's commitment.")},
            code="foreign_evidence",
        )
    if evidence is not None and actor is not None and not can_see_evidence(actor, evidence):
        raise ValidationError(
            {"evidence": _("This confidential evidence belongs to another organisation.")},
            code="hidden_evidence",
        )
    if (value_women is not None or value_men is not None) and not indicator.disaggregated_by_sex:
        raise ValidationError({"value_women": _("This indicator is not split by sex.")}, code="not_by_sex")
    if value is None:
        return  # full_clean() reports the missing value
    if indicator.unit == Indicator.Unit.PERCENT and value > 100:
        raise ValidationError({"value": _("A percentage cannot be more than 100.")}, code="percent_over_100")
    for name, part in (("value_women", value_women), ("value_men", value_men)):
        if part is not None and part < 0:
            raise ValidationError({name: _("A value cannot be negative.")}, code="negative_part")
        if part is not None and indicator.unit == Indicator.Unit.PERCENT and part > 100:
            raise ValidationError({name: _("A percentage cannot be more than 100.")}, code="percent_over_100")
    if indicator.unit == Indicator.Unit.COUNT and (value_women or 0) + (value_men or 0) > value:
        raise ValidationError(
            {"value": _("The numbers of women and men together cannot be more than the total.")},
            code="parts_over_total",
        )
