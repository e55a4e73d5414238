"""Checks several services share (one copy of each rule and its message)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _


def refuse_unknown_fields(fields: Iterable[str], allowed: Iterable[str], code: str = "not_editable") -> None:
    """Fields a caller may not set (status, version, author ...) are refused, never ignored."""
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
            code=code,
        )


def refuse_parent_cycle(obj: models.Model, parent: models.Model | None, message: str) -> None:
    """Walk up from `parent`: `obj` must not be found (no cycles in a tree)."""
    node = parent
    while node is not None:
        if obj.pk and node.pk == obj.pk:
            raise ValidationError({"parent": message}, code="parent_cycle")
        node = node.parent


def to_decimal(value: object, field: str, *, places: int | None = None) -> Decimal | None:
    """A number from a form, a file or JSON as a Decimal; None or "" is None.
    Through str(), so the float 0.1 is 0.1, not 0.1000000000000000055...
    `places` rounds to that many decimals (the seed's figures to the field's).
    Anything that is not a finite number is a ValidationError on `field`."""
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value))
        if places is not None:
            number = number.quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise ValidationError({field: ValidationError(_("Enter a number."), code="invalid")})
    return number
