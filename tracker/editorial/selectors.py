"""Reads for the editor pages: one function per page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from tracker.models import Assessment, Commitment, Organisation
from tracker.services.locking import _display, changed_fields, m2m_changes, m2m_snapshots
from tracker.services.permissions import assessments_visible_to

STALE_AFTER_DAYS = 90
LIST_LIMIT = 25

# Fields a reader sees on the public commitment page; the public change log
# shows changes to these only.
PUBLIC_COMMITMENT_FIELDS = (
    "title_fr",
    "title_en",
    "description_fr",
    "description_en",
    "provision",
    "framework",
    "pillar",
    "parent",
    "start_date",
    "due_date",
    "budget_amount",
    "budget_currency",
    "wps_marker",
    "current_status",
    "current_progress",
    "status_as_of",
    "regions",
    "related",
    "institutions",
)


@dataclass
class Section:
    rows: list
    total: int
    # The assessments' admin list showing the same rows ("see them all"): its
    # filters, next to the queryset they mirror (tracker/admin/filters.py).
    list_filters: dict = field(default_factory=dict)

    @property
    def list_query(self) -> str:
        return urlencode(self.list_filters)


@dataclass
class EditorHome:
    drafts: Section
    returned: Section
    review_queue: Section | None
    partner_waiting: Section
    past_due: Section
    not_assessed: Section
    today: dt.date
    stale_days: int = STALE_AFTER_DAYS
    extra: dict = field(default_factory=dict)


def _section(queryset: QuerySet, **list_filters: str) -> Section:
    return Section(rows=list(queryset[:LIST_LIMIT]), total=queryset.count(), list_filters=list_filters)


def _assessments(user) -> QuerySet[Assessment]:
    queryset = Assessment.objects.select_related("commitment", "author", "organisation")
    return assessments_visible_to(user, queryset)


def editor_home(user, today: dt.date | None = None) -> EditorHome:
    today = today or timezone.localdate()
    mine = _assessments(user).filter(author=user)
    submitted = _assessments(user).filter(review_state=Assessment.ReviewState.SUBMITTED)
    review_queue = None
    if user.has_perm("tracker.review_assessment"):
        review_queue = _section(
            submitted.exclude(author=user).order_by("submitted_at", "pk"),
            review_state__exact="submitted",
            written_by="others",
        )
    # "Not assessed for 90 days or more": by the date the verdict describes
    # (as_of), not by when it was published: a verdict published today on the
    # situation in 2014 is not a recent assessment. Stale: no published
    # assessment, or the latest one describes a date 90 or more days ago.
    recent = Assessment.objects.published().filter(
        commitment=OuterRef("pk"), as_of__gt=today - dt.timedelta(days=STALE_AFTER_DAYS)
    )
    commitments = Commitment.objects.select_related("framework", "pillar")
    return EditorHome(
        drafts=_section(
            mine.filter(review_state=Assessment.ReviewState.DRAFT).order_by("-updated_at"),
            review_state__exact="draft",
            written_by="me",
        ),
        returned=_section(
            mine.filter(review_state=Assessment.ReviewState.RETURNED).order_by("-updated_at"),
            review_state__exact="returned",
            written_by="me",
        ),
        review_queue=review_queue,
        partner_waiting=_section(
            submitted.filter(organisation__kind=Organisation.Kind.PARTNER).order_by("submitted_at", "pk"),
            review_state__exact="submitted",
            organisation_kind="partner",
        ),
        past_due=_section(commitments.overdue(today).order_by("due_date", "reference")),
        not_assessed=_section(
            commitments.exclude(Exists(recent))
            .exclude(current_status__in=["completed", "abandoned"])
            .order_by("status_as_of", "reference")
        ),
        today=today,
    )


def commitment_changelog(reference: str) -> tuple[Commitment, list[dict]]:
    """The public change log: each saved version that changed a public field,
    newest first, with the old and new values. Editors' names are not shown."""
    from django.shortcuts import get_object_or_404

    commitment = get_object_or_404(Commitment, reference=reference)
    records = list(
        commitment.history.select_related("framework", "pillar", "parent").order_by(
            "history_date", "history_id"
        )
    )
    snapshots = m2m_snapshots(records, PUBLIC_COMMITMENT_FIELDS)
    entries = []
    previous = None
    for record in records:
        if previous is None:
            entries.append({"date": record.history_date, "created": True, "changes": []})
        else:
            changes = [
                _public_change(name, _display(previous, name), _display(record, name))
                for name in changed_fields(previous, record, PUBLIC_COMMITMENT_FIELDS)
            ]
            changes += [
                _public_change(name, old, new)
                for name, old, new in m2m_changes(previous, record, snapshots, PUBLIC_COMMITMENT_FIELDS)
            ]
            if changes:
                entries.append({"date": record.history_date, "created": False, "changes": changes})
        previous = record
    entries.reverse()
    return commitment, entries


def _public_change(name: str, old: str, new: str) -> dict:
    label = Commitment._meta.get_field(name).verbose_name
    return {"field": str(label), "old": old, "new": new}
