"""Who may do what, and on which organisation's records.

Roles are groups (migration 0002/0003): Editors draft and submit; Reviewers
also publish or return (never their own work); Administrators also manage
people and organisations; Partners use the API only (not staff).

Organisation scope: an assessment still being written (draft or returned) is
private to the author's organisation; confidential evidence is visible to the
organisation that added it and to reviewers (who must check what they
publish), and only its organisation may change it. Superusers see everything.
The admin's querysets and the services both apply these rules.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

PRIVATE_STATES = ("draft", "returned")


def require_perm(actor: AbstractBaseUser, perm: str) -> None:
    """Services check permissions themselves, so every entry point is covered."""
    if actor is None or not actor.is_active or not actor.has_perm(perm):
        raise PermissionDenied(_("You do not have permission to do this."))


def organisation_id_of(user: AbstractBaseUser | None) -> int | None:
    membership = getattr(user, "membership", None) if user is not None else None
    return membership.organisation_id if membership else None


def assessments_visible_to(user: AbstractBaseUser, queryset: QuerySet) -> QuerySet:
    if user.is_superuser:
        return queryset
    return queryset.filter(
        ~Q(review_state__in=PRIVATE_STATES)
        | Q(author_id=user.pk)
        | Q(organisation_id=organisation_id_of(user), organisation__isnull=False)
    )


def can_see_assessment(user: AbstractBaseUser, assessment) -> bool:
    if user.is_superuser or assessment.review_state not in PRIVATE_STATES:
        return True
    if assessment.author_id == user.pk:
        return True
    org = organisation_id_of(user)
    return org is not None and assessment.organisation_id == org


def evidence_visible_to(user: AbstractBaseUser, queryset: QuerySet) -> QuerySet:
    if user.is_superuser or user.has_perm("tracker.review_assessment"):
        return queryset
    return queryset.filter(
        Q(visibility="public") | Q(organisation_id=organisation_id_of(user), organisation__isnull=False)
    )


def can_see_evidence(user: AbstractBaseUser, evidence) -> bool:
    if evidence.visibility == "public" or user.is_superuser:
        return True
    if user.has_perm("tracker.review_assessment"):
        return True
    return can_change_evidence(user, evidence)


def can_change_evidence(user: AbstractBaseUser, evidence) -> bool:
    if evidence.visibility == "public" or user.is_superuser:
        return True
    org = organisation_id_of(user)
    return org is not None and evidence.organisation_id == org


def require_evidence_access(actor: AbstractBaseUser, evidence, *, change: bool = False) -> None:
    allowed = can_change_evidence(actor, evidence) if change else can_see_evidence(actor, evidence)
    if not allowed:
        raise PermissionDenied(_("This confidential evidence belongs to another organisation."))
