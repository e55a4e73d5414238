from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.models import Commitment, DatePrecision, Evidence, Indicator, Measurement

from .permissions import require_perm


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
    value, value_women, value_men = (
        None if v is None else Decimal(str(v)) for v in (value, value_women, value_men)
    )
    if evidence is not None and evidence.commitment_id != indicator.commitment_id:
        raise ValidationError(
            {"evidence": _("The evidence must belong to the indicator's commitment.")},
            code="foreign_evidence",
        )
    if (value_women is not None or value_men is not None) and not indicator.disaggregated_by_sex:
        raise ValidationError({"value_women": _("This indicator is not split by sex.")}, code="not_by_sex")
    if indicator.unit == Indicator.Unit.PERCENT and Decimal(value) > 100:
        raise ValidationError({"value": _("A percentage cannot be more than 100.")}, code="percent_over_100")
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
