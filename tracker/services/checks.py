"""Checks several services share (one copy of each rule and its message)."""

from __future__ import annotations

from collections.abc import Iterable

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
