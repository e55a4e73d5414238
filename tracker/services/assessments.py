from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker import methodology
from tracker.models import Assessment, Commitment, DatePrecision, Evidence, Institution
from tracker.partners.events import emit_status_changed
from tracker.tasks import enqueue_on_commit

from .checks import refuse_unknown_fields
from .locking import check_saved_since
from .permissions import can_see_evidence, require_perm

State = Assessment.ReviewState

# What publishing changes (validated field by field; constraints by the database).
PUBLISH_FIELDS = ("review_state", "reviewer", "published_at")

# What an author may still change while the assessment is a draft or returned.
DRAFT_FIELDS = (
    "status",
    "progress",
    "as_of",
    "as_of_precision",
    "summary_fr",
    "summary_en",
    "delay_reason",
    "delay_note",
    "blocking_party",
)


def _organisation_of(user: AbstractBaseUser):
    membership = getattr(user, "membership", None)
    return membership.organisation if membership else None


def _last_level_progress(commitment: Commitment, as_of: dt.date | None) -> int:
    """Progress of the latest published assessment on or before `as_of`, read
    from the database (never from a possibly stale in-memory commitment)."""
    published = Assessment.objects.published().filter(commitment_id=commitment.pk)
    if as_of is not None:
        published = published.filter(as_of__lte=as_of)
    latest = published.latest_first().values_list("progress", flat=True).first()
    return latest if latest is not None else 0


def _resolve_progress(
    commitment: Commitment, status: str, progress: int | None, as_of: dt.date | None = None
) -> int:
    """Check the progress against the methodology's band for the status; with
    none given, a level takes its own value and a non-level state (stalled,
    abandoned, unclear) keeps the last level's progress."""
    if progress is None:
        if status in methodology.LEVEL_PROGRESS:
            return methodology.LEVEL_PROGRESS[status]
        return _last_level_progress(commitment, as_of)
    band = methodology.progress_band(status)
    if band is not None and not band[0] <= progress <= band[1]:
        raise ValidationError(
            {
                "progress": _(
                    "For the status “%(status)s” the progress must be between %(low)s%% and %(high)s%%."
                )
                % {"status": methodology.Status(status).label, "low": band[0], "high": band[1]}
            },
            code="progress_out_of_band",
        )
    return progress


def _check_evidence(
    commitment: Commitment, evidence: Iterable[Evidence], actor: AbstractBaseUser | None = None
) -> list[Evidence]:
    evidence = list(evidence)
    foreign = [e for e in evidence if e.commitment_id != commitment.pk]
    if foreign:
        raise ValidationError(
            {"evidence": _("Evidence must belong to the same commitment as the assessment.")},
            code="foreign_evidence",
        )
    if actor is not None and not all(can_see_evidence(actor, e) for e in evidence):
        raise ValidationError(
            {"evidence": _("This confidential evidence belongs to another organisation.")},
            code="hidden_evidence",
        )
    return evidence


@transaction.atomic
def assessment_create(
    *,
    actor: AbstractBaseUser,
    commitment: Commitment,
    status: str,
    as_of: dt.date,
    progress: int | None = None,
    as_of_precision: str = DatePrecision.DAY,
    summary_fr: str = "",
    summary_en: str = "",
    delay_reason: str = "",
    delay_note: str = "",
    blocking_party: Institution | None = None,
    evidence: Iterable[Evidence] = (),
    supersedes: Assessment | None = None,
) -> Assessment:
    """Create a draft assessment; its author is the actor."""
    require_perm(actor, "tracker.add_assessment")
    if status not in methodology.Status.values:
        raise ValidationError({"status": _("Unknown status.")}, code="unknown_status")
    evidence = _check_evidence(commitment, evidence, actor)
    assessment = Assessment(
        commitment=commitment,
        status=status,
        progress=_resolve_progress(commitment, status, progress, as_of),
        as_of=as_of,
        as_of_precision=as_of_precision,
        summary_fr=summary_fr,
        summary_en=summary_en,
        delay_reason=delay_reason,
        delay_note=delay_note,
        blocking_party=blocking_party,
        author=actor,
        organisation=_organisation_of(actor),
        review_state=State.DRAFT,
        methodology_version=methodology.CURRENT_VERSION,
        supersedes=supersedes,
    )
    assessment.full_clean()
    assessment._history_user = actor
    assessment.save()
    assessment.evidence.set(evidence)
    return assessment


def _lock(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("commitment").get(pk=assessment.pk)


@transaction.atomic
def assessment_update(
    *,
    actor: AbstractBaseUser,
    assessment: Assessment,
    evidence: Iterable[Evidence] | None = None,
    expected_updated_at: dt.datetime | None = None,
    **fields: object,
) -> Assessment:
    """Change a draft or returned assessment. Published assessments are
    append-only: a correction is a new assessment. With `expected_updated_at`
    (the `updated_at` the editor read), a save made meanwhile is refused."""
    require_perm(actor, "tracker.change_assessment")
    locked = _lock(assessment)
    if locked.review_state not in (State.DRAFT, State.RETURNED):
        raise ValidationError(
            _("Only a draft or returned assessment can be changed; write a new assessment instead."),
            code="not_editable",
        )
    if locked.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can change this assessment."))
    check_saved_since(locked, expected_updated_at)  # the author's other tab, on the locked row
    refuse_unknown_fields(fields, DRAFT_FIELDS, code="not_editable_field")
    for name, value in fields.items():
        setattr(locked, name, value)
    if "status" in fields or "progress" in fields:
        # No progress given: the methodology's value for the (new) status.
        locked.progress = _resolve_progress(
            locked.commitment, locked.status, fields.get("progress"), locked.as_of
        )
    locked.full_clean()
    locked._history_user = actor
    locked.save()
    if evidence is not None:
        locked.evidence.set(_check_evidence(locked.commitment, evidence, actor))
    return locked


@transaction.atomic
def assessment_submit(*, actor: AbstractBaseUser, assessment: Assessment, notify: bool = True) -> Assessment:
    """The author sends a draft (or a returned assessment) for review.
    notify=False (bulk loads: the seed record) queues no e-mail to reviewers."""
    require_perm(actor, "tracker.change_assessment")
    locked = _lock(assessment)
    if locked.author_id != actor.pk:
        raise PermissionDenied(_("Only the author can submit this assessment."))
    if locked.review_state not in (State.DRAFT, State.RETURNED):
        raise ValidationError(
            _("Only a draft or returned assessment can be submitted."), code="not_submittable"
        )
    locked.review_state = State.SUBMITTED
    locked.submitted_at = timezone.now()
    # Validating the state re-checks the verdict's date (Assessment.date_errors):
    # a draft dated 2099, written before the date rule, cannot be submitted.
    locked.clean_fields(exclude=[f.name for f in Assessment._meta.fields if f.name != "review_state"])
    locked._history_user = actor
    locked.save(update_fields=["review_state", "submitted_at", "updated_at"])
    if notify:
        enqueue_on_commit("tracker.editorial.notifications.notify_review_waiting", locked.pk)
    return locked


def _check_reviewable(actor: AbstractBaseUser, locked: Assessment) -> None:
    require_perm(actor, "tracker.review_assessment")
    if locked.review_state != State.SUBMITTED:
        raise ValidationError(_("Only a submitted assessment can be reviewed."), code="not_submitted")
    if locked.author_id == actor.pk:
        raise ValidationError(
            _("You cannot review your own assessment: another reviewer must do it."),
            code="own_assessment",
        )


def _save_constrained(instance, update_fields: list[str]) -> None:
    """Save, letting the database check the model's constraints; a violation
    becomes the ValidationError full_clean() would have raised (the
    constraint's own message), not an IntegrityError. Call inside the
    service's transaction (its atomic block rolls back)."""
    try:
        instance.save(update_fields=update_fields)
    except IntegrityError as exc:
        for constraint in type(instance)._meta.constraints:
            if constraint.name in str(exc):
                raise ValidationError(
                    constraint.get_violation_error_message(), code=constraint.violation_error_code
                ) from exc
        raise


@transaction.atomic
def assessment_publish(*, actor: AbstractBaseUser, assessment: Assessment, notify: bool = True) -> Assessment:
    """A reviewer (not the author) publishes a submitted assessment; the
    commitment's current status follows, under a row lock on the commitment.
    notify=False (bulk loads: the seed record) queues no e-mail to the author
    and followers; partners' webhooks are still written."""
    # Lock order: commitment, then assessment (the same in every service).
    commitment = Commitment.objects.select_for_update().get(pk=assessment.commitment_id)
    locked = _lock(assessment)
    _check_reviewable(actor, locked)
    if not locked.evidence.exists():
        raise ValidationError(
            _("A published assessment must cite at least one piece of evidence."),
            code="no_evidence",
        )
    locked.review_state = State.PUBLISHED
    locked.reviewer = actor
    locked.published_at = timezone.now()
    # Only these three fields change, and the rest was validated when the
    # assessment was written: check the changed fields here and leave the
    # four-eyes and published-has-reviewer constraints to the database
    # (full_clean() re-read four foreign keys and ran each constraint as a
    # query in a savepoint: 16 statements).
    checked = ("review_state", "published_at")  # the reviewer is the actor: no lookup
    locked.clean_fields(exclude=[f.name for f in Assessment._meta.fields if f.name not in checked])
    locked._history_user = actor
    _save_constrained(locked, [*PUBLISH_FIELDS, "updated_at"])
    # The commitment's status, on the row locked above (what
    # commitment_refresh_status(row_locked=True) does, without its savepoint:
    # a failure rolls this whole transaction back either way). The same
    # statement tells whether any partner endpoint is active.
    endpoints = _write_status(commitment, actor, endpoints=True)
    locked.commitment = commitment
    if endpoints:
        emit_status_changed(locked)  # partners' webhooks, written in this transaction
    if notify:
        enqueue_on_commit("tracker.editorial.notifications.notify_published", locked.pk)
    return locked


@transaction.atomic
def assessment_return(*, actor: AbstractBaseUser, assessment: Assessment, comment: str) -> Assessment:
    """A reviewer (not the author) sends a submitted assessment back with a comment."""
    locked = _lock(assessment)
    _check_reviewable(actor, locked)
    if not (comment or "").strip():
        raise ValidationError({"review_comment": _("Say why the assessment is returned.")}, code="no_comment")
    locked.review_state = State.RETURNED
    locked.reviewer = actor
    locked.review_comment = comment.strip()
    locked._history_user = actor
    locked.save(update_fields=["review_state", "reviewer", "review_comment", "updated_at"])
    enqueue_on_commit("tracker.editorial.notifications.notify_returned", locked.pk)
    return locked


@transaction.atomic
def commitment_refresh_status(
    *, commitment: Commitment, actor: AbstractBaseUser | None = None, row_locked: bool = False
) -> Commitment:
    """Write the commitment's denormalised status from its latest published
    assessment (latest by as-of date: a back-dated assessment published later
    does not override a newer verdict). Call inside the caller's transaction,
    with the commitment row locked. row_locked=True: `commitment` is the row
    the caller read with SELECT ... FOR UPDATE (written as is, not re-read)."""
    locked = commitment if row_locked else Commitment.objects.select_for_update().get(pk=commitment.pk)
    _write_status(locked, actor)
    commitment.current_status = locked.current_status
    commitment.current_progress = locked.current_progress
    commitment.status_as_of = locked.status_as_of
    return locked


def _write_status(locked: Commitment, actor: AbstractBaseUser | None, *, endpoints: bool = False) -> bool:
    """commitment_refresh_status on a commitment row already locked by the
    caller. With endpoints=True, returns whether any partner webhook endpoint
    is active, read in the same statement as the latest published assessment
    (the publication's webhook look-up folded in: one round trip less when
    there are none, as on most records), or True when that could not be told
    (no published assessment); otherwise False."""
    latest = Assessment.objects.published().filter(commitment_id=locked.pk).latest_first()
    if endpoints:
        from tracker.partners.webhooks import partner_endpoints  # import-safe, as events.py

        latest = latest.annotate(endpoints=Exists(partner_endpoints()))
        row = latest.values_list("status", "progress", "as_of", "endpoints").first()
    else:
        row = latest.values_list("status", "progress", "as_of").first()
    if row is None:
        locked.current_status = methodology.Status.NOT_STARTED
        locked.current_progress = 0
        locked.status_as_of = None
    else:
        locked.current_status, locked.current_progress, locked.status_as_of = row[:3]
    locked._change_reason = "status refreshed from the latest published assessment"
    locked._history_user = actor
    locked.save(update_fields=["current_status", "current_progress", "status_as_of", "updated_at"])
    return endpoints and (row is None or bool(row[3]))
