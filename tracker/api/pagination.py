"""Keyset ("cursor") pagination: each page is a range query on an indexed
sort key plus a unique tie-breaker, so page 1,000 costs what page 1 costs.

A view declares `keyset_orderings` ({public name: (field, value for NULL)}),
`keyset_default` and `keyset_tiebreak` (a unique field). The cursor is opaque
(base64 JSON) and bound to the ordering it was made for."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from decimal import Decimal
from urllib.parse import urlencode

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


def _encode(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode(raw: str) -> dict:
    try:
        data = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError({"cursor": [_("This cursor is not valid.")]}) from exc
    if not isinstance(data, dict) or set(data) != {"o", "v", "t"}:
        raise ValidationError({"cursor": [_("This cursor is not valid.")]})
    if not all(isinstance(data[k], str | int) for k in ("v", "t")):
        raise ValidationError({"cursor": [_("This cursor is not valid.")]})
    # PostgreSQL refuses NUL in a string literal (a 500 there, not on SQLite).
    if any(isinstance(data[k], str) and "\x00" in data[k] for k in ("v", "t")):
        raise ValidationError({"cursor": [_("This cursor is not valid.")]})
    return data


def _plain(value: object) -> str | int:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value if isinstance(value, int) else str(value)


def _typed(queryset, name: str, raw: str | int) -> object:
    """The cursor's value as the sort column's type. A forged cursor ("abc"
    for an integer column) made the query raise: a 500, or for dates a 400
    that did not name the cursor."""
    try:
        value = queryset.query.resolve_ref(name).output_field.to_python(raw)
    except (DjangoValidationError, ValueError, TypeError, OverflowError) as exc:
        raise ValidationError({"cursor": [_("This cursor is not valid.")]}) from exc
    if value is None:
        raise ValidationError({"cursor": [_("This cursor is not valid.")]})
    return value


def parse_page_size(request) -> int:
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValidationError(
            {"page_size": [_("Give a whole number from 1 to %(max)s.") % {"max": MAX_PAGE_SIZE}]}
        )
    return int(raw)


class KeysetPagination(BasePagination):
    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = parse_page_size(request)
        self.ordering_name = request.query_params.get("ordering") or view.keyset_default
        name = self.ordering_name.removeprefix("-")
        orderings = view.keyset_orderings
        if name not in orderings:
            allowed = ", ".join(sorted(orderings))
            raise ValidationError(
                {
                    "ordering": [
                        _("Sort by one of: %(fields)s (prefix “-” for descending).") % {"fields": allowed}
                    ]
                }
            )
        field, null_value = orderings[name]
        if null_value is not None:
            queryset = queryset.annotate(_sort=Coalesce(field, Value(null_value)))
            field = "_sort"
        self.field, self.tie = field, view.keyset_tiebreak
        descending = self.ordering_name.startswith("-")
        op = "lt" if descending else "gt"
        cursor = request.query_params.get("cursor")
        if cursor:
            data = _decode(cursor)
            if data["o"] != self.ordering_name:
                raise ValidationError({"cursor": [_("This cursor was made for another ordering.")]})
            value, tie = _typed(queryset, field, data["v"]), _typed(queryset, self.tie, data["t"])
            queryset = queryset.filter(
                Q(**{f"{field}__{op}": value}) | Q(**{field: value, f"{self.tie}__{op}": tie})
            )
        prefix = "-" if descending else ""
        rows = list(queryset.order_by(f"{prefix}{field}", f"{prefix}{self.tie}")[: self.page_size + 1])
        self.has_next = len(rows) > self.page_size
        self.rows = rows[: self.page_size]
        return self.rows

    def next_link(self) -> str | None:
        if not self.has_next:
            return None
        last = self.rows[-1]
        cursor = _encode(
            {
                "o": self.ordering_name,
                "v": _plain(getattr(last, self.field)),
                "t": _plain(getattr(last, self.tie)),
            }
        )
        params = self.request.query_params.copy()
        params["cursor"] = cursor
        return self.request.build_absolute_uri(self.request.path) + "?" + urlencode(params, doseq=True)

    def get_paginated_response(self, data):
        return Response({"next": self.next_link(), "page_size": self.page_size, "results": data})

    def get_paginated_response_schema(self, schema):
        return {
            "type": "object",
            "required": ["next", "page_size", "results"],
            "properties": {
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": _("Address of the next page; null on the last page."),
                },
                "page_size": {"type": "integer"},
                "results": schema,
            },
        }

    def get_schema_operation_parameters(self, view):
        params = [
            {
                "name": "cursor",
                "required": False,
                "in": "query",
                "description": _("Opaque cursor from the `next` link of the previous page."),
                "schema": {"type": "string"},
            },
            {
                "name": "page_size",
                "required": False,
                "in": "query",
                "description": _("Items per page (default %(default)s, at most %(max)s).")
                % {"default": DEFAULT_PAGE_SIZE, "max": MAX_PAGE_SIZE},
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
            },
        ]
        if not getattr(view, "ordering_in_filterset", False):
            names = sorted(view.keyset_orderings)
            params.append(
                {
                    "name": "ordering",
                    "required": False,
                    "in": "query",
                    "description": _("Sort order; prefix “-” for descending."),
                    "schema": {"type": "string", "enum": names + [f"-{n}" for n in names]},
                }
            )
        return params
