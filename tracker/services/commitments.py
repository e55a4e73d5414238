from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.models import (
    Commitment,
    CommitmentInstitution,
    DatePrecision,
    Framework,
    Institution,
    Pillar,
    Region,
)
from tracker.models.commitments import commitment_history

from .checks import refuse_parent_cycle, refuse_unknown_fields
from .locking import check_version
from .permissions import require_perm

# Fields commitment_update may change; everything else (status, progress,
# version, search document) is owned by services.
EDITABLE_FIELDS = (
    "framework",
    "pillar",
    "parent",
    "title_fr",
    "title_en",
    "description_fr",
    "description_en",
    "provision",
    "start_date",
    "start_date_precision",
    "due_date",
    "due_date_precision",
    "budget_amount",
    "budget_currency",
    "wps_marker",
)


def fold(text: str) -> str:
    """Lower-case and strip accents: "Ségou" and "SEGOU" both become "segou"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def search_document_for(commitment: Commitment) -> str:
    parts = [
        commitment.reference,
        commitment.reference.replace("-", " "),
        commitment.title_fr,
        commitment.title_en,
        commitment.description_fr,
        commitment.description_en,
        commitment.provision,
    ]
    return fold(" ".join(p for p in parts if p))


def _check_parent(commitment: Commitment, parent: Commitment | None) -> None:
    refuse_parent_cycle(commitment, parent, _("A commitment cannot be its own ancestor."))


def _set_institutions(
    commitment: Commitment,
    lead: Institution,
    supporting: Iterable[Institution],
    actor: AbstractBaseUser | None = None,
) -> None:
    supporting = [i for i in supporting if i.pk != lead.pk]
    for old in CommitmentInstitution.objects.filter(commitment=commitment):
        old._history_user = actor  # the deletion's history row names the actor
        old.delete()
    rows = [CommitmentInstitution(commitment=commitment, institution=lead, role="lead")]
    rows += [
        CommitmentInstitution(commitment=commitment, institution=i, role="supporting")
        for i in dict.fromkeys(supporting)
    ]
    for row in rows:
        row._history_user = actor
        row.save()


def _set_relations(
    commitment: Commitment,
    regions: Iterable[Region] | None,
    related: Iterable[Commitment] | None,
) -> set[int]:
    """Set regions and related commitments without the one-history-row-per-
    signal simple-history would write; the caller's save (or explicit history
    row) then records the new sets once. Returns the pks of the other
    commitments whose related set changed (the relation is symmetrical)."""
    others: set[int] = set()
    commitment.skip_history_when_saving = True
    try:
        if regions is not None:
            commitment.regions.set(list(regions))
        if related is not None:
            related = list(related)
            if any(other.pk == commitment.pk for other in related):
                raise ValidationError(
                    {"related": _("A commitment cannot be related to itself.")}, code="related_self"
                )
            before = set(commitment.related.values_list("pk", flat=True))
            commitment.related.set(related)
            others = before ^ {other.pk for other in related}
    finally:
        del commitment.skip_history_when_saving
    return others


def _record_related_change(others: set[int], actor: AbstractBaseUser) -> None:
    """A link added or removed from the other side changes that commitment too:
    lock it, bump its version (an editor who has it open cannot save an older
    related list over it) and record its history row."""
    for other in Commitment.objects.select_for_update().filter(pk__in=others).order_by("pk"):
        other.version += 1
        other._change_reason = "related commitments changed"
        other._history_user = actor
        other.save(update_fields=["version", "updated_at"])


@transaction.atomic
def commitment_create(
    *,
    actor: AbstractBaseUser,
    reference: str,
    framework: Framework,
    pillar: Pillar,
    title_fr: str,
    lead_institution: Institution,
    title_en: str = "",
    description_fr: str = "",
    description_en: str = "",
    provision: str = "",
    parent: Commitment | None = None,
    supporting_institutions: Iterable[Institution] = (),
    regions: Iterable[Region] = (),
    related: Iterable[Commitment] = (),
    start_date: dt.date | None = None,
    start_date_precision: str = DatePrecision.DAY,
    due_date: dt.date | None = None,
    due_date_precision: str = DatePrecision.DAY,
    budget_amount: Decimal | None = None,
    budget_currency: str = "XOF",
    wps_marker: bool = False,
) -> Commitment:
    require_perm(actor, "tracker.add_commitment")
    if lead_institution is None:
        raise ValidationError(
            {"lead_institution": _("A commitment needs a lead institution.")}, code="no_lead"
        )
    commitment = Commitment(
        reference=reference.strip(),
        framework=framework,
        pillar=pillar,
        parent=parent,
        title_fr=title_fr,
        title_en=title_en,
        description_fr=description_fr,
        description_en=description_en,
        provision=provision,
        start_date=start_date,
        start_date_precision=start_date_precision,
        due_date=due_date,
        due_date_precision=due_date_precision,
        budget_amount=budget_amount,
        budget_currency=budget_currency,
        wps_marker=wps_marker,
    )
    commitment.search_document = search_document_for(commitment)
    commitment.full_clean()
    commitment._change_reason = "created"
    commitment._history_user = actor
    # One "created" history row, written once regions and related are set.
    commitment.skip_history_when_saving = True
    commitment.save()
    del commitment.skip_history_when_saving
    _set_institutions(commitment, lead_institution, supporting_institutions, actor)
    others = _set_relations(commitment, regions, related)
    commitment_history.create_historical_record(commitment, "+")
    _record_related_change(others, actor)
    return commitment


@transaction.atomic
def commitment_update(
    *,
    actor: AbstractBaseUser,
    commitment: Commitment,
    expected_version: int | None = None,
    lead_institution: Institution | None = None,
    supporting_institutions: Iterable[Institution] | None = None,
    regions: Iterable[Region] | None = None,
    related: Iterable[Commitment] | None = None,
    **fields: object,
) -> Commitment:
    """Change a commitment's editable fields.

    With `expected_version`, the save is refused when someone else saved the
    commitment since that version was read (checked under a row lock, so two
    concurrent saves cannot both pass)."""
    require_perm(actor, "tracker.change_commitment")
    refuse_unknown_fields(fields, EDITABLE_FIELDS)
    locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
    check_version(locked, expected_version)
    for name, value in fields.items():
        setattr(locked, name, value)
    if "parent" in fields:
        _check_parent(locked, locked.parent)
    locked.search_document = search_document_for(locked)
    locked.version += 1
    locked.full_clean()
    locked._change_reason = "updated"
    locked._history_user = actor
    # Relations first: the save's history row records the new regions and
    # related sets, and comes after the responsibilities' own history rows.
    if lead_institution is not None or supporting_institutions is not None:
        current = locked.responsibilities.select_related("institution")
        lead = lead_institution or next((r.institution for r in current if r.role == "lead"), None)
        supporting = (
            supporting_institutions
            if supporting_institutions is not None
            else [r.institution for r in current if r.role == "supporting"]
        )
        _set_institutions(locked, lead, supporting, actor)
    others = _set_relations(locked, regions, related)
    locked.save(update_fields=[*fields, "search_document", "version", "updated_at"])
    _record_related_change(others, actor)
    return locked
