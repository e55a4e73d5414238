"""Optimistic locking: no edit is silently lost.

A record with a `version` column is read by an editor at some version; when
the editor saves, the service locks the row (`select_for_update`) and refuses
the save if the version moved meanwhile. The refusal names every field that
changed since, who changed it and when, read from the record's history.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.dateformat import format as date_format
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from simple_history import utils

logger = logging.getLogger("tracker.security")

# Columns every versioned model has that say nothing to a reader.
_NOISE = {"updated_at", "created_at", "version", "search_document"}


def _display(record, field_name: str) -> str:
    field = record.instance_type._meta.get_field(field_name)
    value = getattr(record, field.attname, None)
    if getattr(field, "choices", None):
        value = dict(field.flatchoices).get(value, value)
    elif field.is_relation and value is not None:
        related = getattr(record, field.name, None)
        if related is not None:
            # A measurement's evidence may be another organisation's
            # confidential source: by number, as in many-to-many lists.
            value = _target_text(related) if _by_number(related) else related
    return "—" if value in (None, "") else str(value)


def changed_fields(old, new, names=None) -> list[str]:
    """Names of the concrete fields whose values differ between two history
    records (editable or not: simple-history's own diff skips non-editable
    fields such as a commitment's status)."""
    result = []
    for field in new.instance_type._meta.concrete_fields:
        if (names is not None and field.name not in names) or field.name in _NOISE:
            continue
        if getattr(old, field.attname, None) != getattr(new, field.attname, None):
            result.append(field.name)
    return result


def _by_number(obj) -> bool:
    from tracker.models import Evidence

    return isinstance(obj, Evidence)


def _target_text(obj) -> str:
    # Public records are named (a commitment by its reference code); others,
    # such as an assessment's evidence (possibly confidential), by number.
    from tracker.models import Commitment, Region

    if isinstance(obj, Commitment):
        return obj.reference
    if isinstance(obj, Region):
        return str(obj)
    return f"#{obj.pk}"


def m2m_snapshots(records: list, names=None) -> dict[int, dict[str, str]]:
    """The many-to-many sets each history record saved, as text
    ("Mopti, Ségou"): {history_id: {field name: text}}. One query per
    many-to-many field, whatever the number of records."""
    if not records:
        return {}
    result: dict[int, dict[str, str]] = {r.history_id: {} for r in records}
    history_model = type(records[0])
    for field in getattr(history_model, "_history_m2m_fields", []):
        if names is not None and field.name not in names:
            continue
        m2m_model = getattr(history_model, field.name).model
        target = utils.get_m2m_reverse_field_name(field)
        values: dict[int, list[str]] = {r.history_id: [] for r in records}
        rows = m2m_model.objects.filter(history__in=[r.history_id for r in records]).select_related(target)
        for row in rows:
            obj = getattr(row, target, None)
            values[row.history_id].append(
                _target_text(obj) if obj is not None else f"#{getattr(row, target + '_id')}"
            )
        for history_id, texts in values.items():
            result[history_id][field.name] = ", ".join(sorted(texts)) or "—"
    if history_model.instance_type._meta.label == "tracker.Commitment" and (
        names is None or "institutions" in names
    ):
        for history_id, text in _responsibilities_as_of(records).items():
            result[history_id]["institutions"] = text
    return result


def _responsibilities_as_of(records: list) -> dict[int, str]:
    """A commitment's responsible institutions (lead first) at the time of each
    of its history records, read from the responsibilities' own history (the
    services write them before the commitment's row). One query."""
    from tracker.models import CommitmentInstitution

    rows = (
        CommitmentInstitution.history.filter(commitment_id__in={r.id for r in records})
        .select_related("institution")
        .order_by("history_date", "history_id")
    )
    by_commitment: dict[int, list] = {}
    for row in rows:
        by_commitment.setdefault(row.commitment_id, []).append(row)
    lead = CommitmentInstitution.Role.LEAD
    result = {}
    for commitment_id, changes in by_commitment.items():
        current: dict[int, tuple[str, str]] = {}
        index = 0
        mine = sorted((r for r in records if r.id == commitment_id), key=lambda r: r.history_date)
        for record in mine:
            while index < len(changes) and changes[index].history_date <= record.history_date:
                row = changes[index]
                if row.history_type == "-":
                    current.pop(row.institution_id, None)
                else:
                    name = str(row.institution) if row.institution else f"#{row.institution_id}"
                    current[row.institution_id] = (row.role, name)
                index += 1
            ordered = sorted(current.values(), key=lambda item: (item[0] != lead, item[1]))
            roles = dict(CommitmentInstitution.Role.choices)
            result[record.history_id] = (
                ", ".join(f"{name} ({roles.get(role, role)})" for role, name in ordered) or "—"
            )
    return result


def m2m_changes(old, new, snapshots: dict, names=None) -> list[tuple[str, str, str]]:
    """(field name, old text, new text) for each many-to-many set that
    differs between two history records (snapshots from m2m_snapshots)."""
    before, after = snapshots.get(old.history_id, {}), snapshots.get(new.history_id, {})
    return [
        (name, before.get(name, "—"), after[name])
        for name in after
        if (names is None or name in names) and before.get(name, "—") != after[name]
    ]


def changes_since(instance: models.Model, version: int) -> list[str]:
    """One line per field changed since `version`: "Title: 'a' → 'b'"
    (many-to-many sets too: "Regions: 'Mopti' → 'Mopti, Ségou'")."""
    history = instance.history.order_by("-history_date", "-history_id")
    return _changes_between(instance, history.filter(version=version).first(), history.first())


def _changes_between(instance: models.Model, base, newest) -> list[str]:
    """The lines of changes_since between two history records (none when
    either is missing or they are the same record)."""
    if base is None or newest is None or base.pk == newest.pk:
        return []
    changes = [(name, _display(base, name), _display(newest, name)) for name in changed_fields(base, newest)]
    changes += m2m_changes(base, newest, m2m_snapshots([base, newest]))
    return [
        _("%(field)s: “%(old)s” → “%(new)s”")
        % {"field": capfirst(str(instance._meta.get_field(name).verbose_name)), "old": old, "new": new}
        for name, old, new in changes
    ]


def _authors(rows) -> str:
    """Who saved the history records `rows`, and when, oldest first."""
    names = []
    for row in rows.select_related("history_user").order_by("history_date"):
        who = row.history_user.get_username() if row.history_user else _("an automatic process")
        names.append(
            _("%(who)s on %(when)s")
            % {"who": who, "when": date_format(localtime(row.history_date), "Y-m-d H:i")}
        )
    return ", ".join(dict.fromkeys(names))


def _authors_since(instance: models.Model, version: int) -> str:
    return _authors(instance.history.filter(version__gt=version))


class StaleVersionError(ValidationError):
    """The refusal; `.details` says who saved meanwhile and what changed, for
    the admin form (and any other caller) to show under the message."""

    def __init__(self, message: str, details: str) -> None:
        super().__init__(message, code="stale_version")
        self.details = details


def check_version(locked: models.Model, expected_version: int | None) -> None:
    """Call with the row locked. Raises StaleVersionError (a ValidationError,
    code "stale_version") when someone saved the record after
    `expected_version` was read."""
    if expected_version is None or locked.version == expected_version:
        return
    label = locked._meta.verbose_name
    message = _(
        "Someone else saved this %(model)s while you were editing it "
        "(your version %(mine)s, now %(theirs)s). Reload it to see their "
        "changes, then make yours again."
    ) % {"model": label, "mine": expected_version, "theirs": locked.version}
    changed = changes_since(locked, expected_version)
    details = ""
    if changed:
        details = _("Saved meanwhile by %(authors)s. What changed: %(changes)s.") % {
            "authors": _authors_since(locked, expected_version),
            "changes": "; ".join(changed),
        }
    logger.info(
        "edit conflict: %s %s version %s refused (now %s)",
        locked._meta.label,
        locked.pk,
        expected_version,
        locked.version,
    )
    raise StaleVersionError(message, details)


def check_saved_since(locked: models.Model, expected_updated_at: dt.datetime | None) -> None:
    """For records with no `version` column (a measurement, an assessment
    draft): call with the row locked. Raises StaleVersionError when the row
    was saved after the editor read it at `expected_updated_at` (its
    `updated_at` then). Evidence cited by an assessment is part of the check:
    the only way to change it, assessment_update, saves the row first (a new
    `updated_at`), and the details list it ("Evidence: 'a' → 'a, b'")."""
    if expected_updated_at is None or locked.updated_at == expected_updated_at:
        return
    message = _(
        "Someone else saved this %(model)s while you were editing it (its fields or the evidence it "
        "cites). Reload it to see the changes, then make yours again."
    ) % {"model": locked._meta.verbose_name}
    history = locked.history.order_by("-history_date", "-history_id")
    # The last record written with the stamp the editor read (an assessment's
    # evidence changes are records of their own, written with the same stamp).
    base = history.filter(updated_at=expected_updated_at).first()
    changed = _changes_between(locked, base, history.first())
    details = ""
    if changed:
        details = _("Saved meanwhile by %(authors)s. What changed: %(changes)s.") % {
            "authors": _authors(history.filter(updated_at__gt=expected_updated_at)),
            "changes": "; ".join(changed),
        }
    logger.info("edit conflict: %s %s read at %s refused", locked._meta.label, locked.pk, expected_updated_at)
    raise StaleVersionError(message, details)


def parse_read_stamp(stamp: str) -> dt.datetime:
    """The `updated_at` an editor read, as a form sends it back (ISO 8601).
    A stamp that is no time, or none the database can hold (a forged
    "0001-01-01T00:00:00+05:00" is out of range once in UTC), becomes a time
    no record was saved at: check_saved_since refuses it as stale."""
    try:
        parsed = dt.datetime.fromisoformat(stamp)
        if parsed.tzinfo is None:
            raise ValueError(stamp)
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return NEVER_SAVED


# Before any record's first save (and within every database's range).
NEVER_SAVED = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
