"""Simple field updates for records with no workflow of their own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from tracker.models import Evidence, Indicator, Measurement

from .checks import refuse_unknown_fields, to_decimal
from .indicators import measurement_check
from .locking import check_saved_since, check_version
from .permissions import require_evidence_access, require_perm

EVIDENCE_FIELDS = (
    "kind",
    "publisher",
    "title",
    "published_on",
    "published_on_precision",
    "url",
    "excerpt",
    "language",
    "reliability",
    "visibility",
    "source_document",
)
INDICATOR_FIELDS = (
    "name_fr",
    "name_en",
    "unit",
    "baseline_value",
    "baseline_date",
    "target_value",
    "target_date",
    "disaggregated_by_sex",
)
MEASUREMENT_FIELDS = (
    "measured_on",
    "measured_on_precision",
    "value",
    "value_women",
    "value_men",
    "evidence",
    "note",
)


def versioned_update(
    actor: AbstractBaseUser,
    instance: models.Model,
    allowed: tuple[str, ...],
    fields: dict,
    expected_version: int | None = None,
) -> models.Model:
    """Lock the row, refuse a stale save (records with a `version`), set the
    fields, validate and save; the history row names the actor. Call inside
    the caller's transaction."""
    opts = instance._meta
    require_perm(actor, f"{opts.app_label}.change_{opts.model_name}")
    refuse_unknown_fields(fields, allowed)
    locked = type(instance).objects.select_for_update().get(pk=instance.pk)
    versioned = hasattr(locked, "version")
    if versioned:
        check_version(locked, expected_version)
        locked.version += 1
    return _save_fields(actor, locked, fields)


def _save_fields(actor: AbstractBaseUser, locked: models.Model, fields: dict) -> models.Model:
    """Set the fields on a row the caller locked, validate and save it; the
    history row names the actor."""
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked._history_user = actor
    locked.save()
    return locked


_update = versioned_update


@transaction.atomic
def evidence_update(
    *, actor: AbstractBaseUser, evidence: Evidence, expected_version: int | None = None, **fields: object
) -> Evidence:
    """Change a piece of evidence; confidential evidence only by its own organisation."""
    require_evidence_access(actor, Evidence.objects.get(pk=evidence.pk), change=True)
    return _update(actor, evidence, EVIDENCE_FIELDS, fields, expected_version)


@transaction.atomic
def indicator_update(
    *, actor: AbstractBaseUser, indicator: Indicator, expected_version: int | None = None, **fields: object
) -> Indicator:
    require_perm(actor, "tracker.change_indicator")  # before any rule: no hints to the unauthorised
    # Locked before its measurements are checked: measurement_record and
    # measurement_update lock the indicator first too, so none is written
    # between the check and the new unit (same lock order: indicator, then measurement).
    locked = Indicator.objects.select_for_update().get(pk=indicator.pk)
    _check_measurements_fit(locked, fields)
    return _update(actor, locked, INDICATOR_FIELDS, fields, expected_version)


def _check_measurements_fit(indicator: Indicator, fields: dict) -> None:
    """An indicator's unit or split by sex cannot change under measurements
    recorded for the old one (measurement_check's rules, seen from the indicator)."""
    measurements = Measurement.objects.filter(indicator_id=indicator.pk)
    if fields.get("unit") == Indicator.Unit.PERCENT and measurements.filter(value__gt=100).exists():
        raise ValidationError(
            {
                "unit": _(
                    "Measurements of more than 100 are recorded: this indicator cannot become a percentage."
                )
            },
            code="measurements_over_100",
        )
    over_total = measurements.annotate(
        parts=Coalesce("value_women", Value(Decimal(0))) + Coalesce("value_men", Value(Decimal(0)))
    ).filter(parts__gt=F("value"))
    if (
        fields.get("unit") == Indicator.Unit.COUNT
        and indicator.unit != Indicator.Unit.COUNT
        and over_total.exists()
    ):
        raise ValidationError(
            {
                "unit": _(
                    "Measurements whose women and men together are more than the total are recorded: "
                    "this indicator cannot become a count."
                )
            },
            code="measurements_parts_over_total",
        )
    split = measurements.filter(Q(value_women__isnull=False) | Q(value_men__isnull=False))
    if fields.get("disaggregated_by_sex") is False and split.exists():
        raise ValidationError(
            {
                "disaggregated_by_sex": _(
                    "Measurements split by sex are recorded: the split cannot be removed."
                )
            },
            code="measurements_split",
        )


@transaction.atomic
def measurement_update(
    *,
    actor: AbstractBaseUser,
    measurement: Measurement,
    expected_updated_at: dt.datetime | None = None,
    **fields: object,
) -> Measurement:
    """Change a measurement under the rules of measurement_record, checked on
    the values it will have. With `expected_updated_at` (the `updated_at` the
    editor read), a save made meanwhile is refused."""
    require_perm(actor, "tracker.change_measurement")  # before any rule: no hints to the unauthorised
    refuse_unknown_fields(fields, MEASUREMENT_FIELDS)
    # Lock order: indicator, then measurement (as indicator_update and
    # measurement_record): the rules below read the indicator's unit and split,
    # which indicator_update cannot change until this transaction ends. A
    # measurement's indicator is never changed (not in MEASUREMENT_FIELDS).
    indicator = Indicator.objects.select_for_update().get(pk=measurement.indicator_id)
    locked = Measurement.objects.select_for_update().get(pk=measurement.pk)
    locked.indicator = indicator
    check_saved_since(locked, expected_updated_at)
    values = {name: fields.get(name, getattr(locked, name)) for name in ("value", "value_women", "value_men")}
    evidence = fields.get("evidence", locked.evidence)
    measurement_check(
        indicator=indicator,
        evidence=evidence,
        # A newly cited piece must be one the editor may see; the one already
        # cited stays, so another organisation's editor can still fix a typo.
        actor=actor if evidence is not None and evidence.pk != locked.evidence_id else None,
        **{name: to_decimal(v, name) for name, v in values.items()},
    )
    return _save_fields(actor, locked, fields)
