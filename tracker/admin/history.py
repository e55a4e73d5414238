"""History in the admin: every record's changes, field by field, with who
and when; history rows are never edited, reverted or deleted from here."""

from __future__ import annotations

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import ManyToManyField
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper
from simple_history.utils import get_m2m_reverse_field_name

from tracker.services.locking import (
    _by_number,
    _display,
    _target_text,
    changed_fields,
    m2m_changes,
    m2m_snapshots,
)

# Bookkeeping columns that say nothing to a reader.
HIDDEN_FIELDS = {"updated_at", "created_at", "search_document"}
MAX_ENTRIES = 200
_TYPES = {"+": gettext_lazy("created"), "~": gettext_lazy("changed"), "-": gettext_lazy("deleted")}

# The services store these reasons in English, as stable codes (history rows
# are never rewritten); they are translated when shown.
REASONS = {
    "created": gettext_lazy("created"),
    "updated": gettext_lazy("updated"),
    "related commitments changed": gettext_lazy("related commitments changed"),
    "status refreshed from the latest published assessment": gettext_lazy(
        "status refreshed from the latest published assessment"
    ),
}


def reason_display(reason: str | None) -> str:
    """A history row's reason in the active language (unknown ones as stored)."""
    return str(REASONS.get(reason or "", reason or ""))


def history_entries(records: list) -> list[dict]:
    """`records` newest first; each entry lists its changes against the
    record before it."""
    entries = []
    snapshots = m2m_snapshots(records)
    for index, record in enumerate(records):
        older = records[index + 1] if index + 1 < len(records) else None
        changes = []
        if older is not None:
            opts = record.instance_type._meta
            for name in changed_fields(older, record):
                old, new = _display(older, name), _display(record, name)
                changes.append({"field": str(opts.get_field(name).verbose_name), "old": old, "new": new})
            for name, old, new in m2m_changes(older, record, snapshots):
                changes.append({"field": str(opts.get_field(name).verbose_name), "old": old, "new": new})
        entries.append(
            {
                "date": record.history_date,
                "type": str(_TYPES.get(record.history_type, record.history_type)),
                "user": record.history_user.get_username() if record.history_user else "",
                "reason": reason_display(record.history_change_reason),
                "changes": changes,
                "first": older is None,
            }
        )
    return entries


class NumberedRelationsHelper(HistoricalRecordContextHelper):
    """The history list names many-to-many values as the diff view does
    (`_target_text`): public records by name, others by number. simple-history
    would print each related row, and an assessment's evidence may be a
    confidential source of another organisation."""

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if not isinstance(field, ManyToManyField):
            if _by_number(value):  # a measurement's evidence: by number, as below
                return _target_text(value)
            return super().prepare_delta_change_value(change, value)
        target = get_m2m_reverse_field_name(field)
        related = [row[target] for row in value]
        return [_target_text(obj) if hasattr(obj, "pk") else f"#{obj}" for obj in related]


class HistoryAdmin(SimpleHistoryAdmin):
    object_history_template = "editorial/object_history.html"

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        # Called with the history page's rows: their reasons in the reader's language.
        for record in historical_records:
            record.history_change_reason = reason_display(record.history_change_reason)
        super().set_history_delta_changes(request, historical_records, foreign_keys_are_objs)

    def get_historical_record_context_helper(self, request, historical_record):
        return NumberedRelationsHelper(self.model, historical_record)

    def history_scope(self, request, records):
        """The historical rows `request.user` may read: all of them here; a
        model whose versions can be private narrows it (AssessmentAdmin). Each
        view diffs a row against the previous row the user may read."""
        return records

    def get_history_queryset(self, request, history_manager, pk_name, object_id):
        return self.history_scope(
            request, super().get_history_queryset(request, history_manager, pk_name, object_id)
        )

    def get_urls(self):
        opts = self.model._meta
        urls = [
            path(
                "<path:object_id>/history/diff/",
                self.admin_site.admin_view(self.history_diff_view),
                name=f"{opts.app_label}_{opts.model_name}_history_diff",
            )
        ]
        return urls + super().get_urls()

    def history_view(self, request, object_id, extra_context=None):
        # simple-history falls back to the object's last historical row when
        # the user's queryset does not hold it, then answers 403: that told an
        # editor that another organisation's draft or confidential evidence
        # exists. Out of the user's scope is the same 404 as missing.
        if self.get_object(request, unquote(object_id)) is None and self._exists(object_id):
            raise Http404
        return super().history_view(request, object_id, extra_context)

    def _exists(self, object_id) -> bool:
        try:
            return self.model._default_manager.filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            return False

    def history_diff_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None:
            raise Http404
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        records = list(
            self.history_scope(request, obj.history.select_related("history_user")).order_by(
                "-history_date", "-history_id"
            )[: MAX_ENTRIES + 1]
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": obj,
            "title": _("Changes, field by field"),
            "entries": history_entries(records[:MAX_ENTRIES] + records[MAX_ENTRIES:][:1])[:MAX_ENTRIES],
            "truncated": len(records) > MAX_ENTRIES,
        }
        return TemplateResponse(request, "editorial/history_diff.html", context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # An old version can be looked at, never saved back ("revert"): a
        # correction is a new edit, through the services, with its own history row.
        if request.method != "GET":
            raise PermissionDenied
        # A version the user may not read is the same 404 as a missing one.
        history = getattr(self.model, self.model._meta.simple_history_manager_attribute)
        try:
            readable = self.history_scope(
                request,
                history.filter(**{self.model._meta.pk.attname: unquote(object_id), "history_id": version_id}),
            ).exists()
        except (ValueError, ValidationError):
            readable = False
        if not readable:
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)
