"""Reference records (institutions, frameworks, pillars, regions) and
organisations and memberships: created and changed only here. Every update
is checked against the version the editor read, under a row lock
(tracker.services.locking), and recorded in the history with its actor."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import models, transaction
from django.utils.translation import gettext as _

from tracker.models import Framework, Institution, Membership, Organisation, Pillar, Region

from .checks import refuse_parent_cycle, refuse_unknown_fields
from .permissions import require_perm
from .updates import versioned_update

INSTITUTION_FIELDS = (
    "acronym",
    "name_fr",
    "name_en",
    "kind",
    "parent",
    "website",
    "source_document",
)
FRAMEWORK_FIELDS = (
    "name_fr",
    "name_en",
    "kind",
    "issuing_body",
    "adopted_on",
    "adopted_on_precision",
    "period_start",
    "period_end",
    "status",
    "description_fr",
    "description_en",
    "source_document",
)
PILLAR_FIELDS = ("order", "name_fr", "name_en", "description_fr", "description_en")
REGION_FIELDS = ("name", "kind")
ORGANISATION_FIELDS = ("name", "kind", "website")
MEMBERSHIP_FIELDS = ("organisation",)


def _create(actor: AbstractBaseUser, model: type[models.Model], allowed, keys: dict, fields: dict):
    """Create a record from its creation-only keys (slug, code, user) and
    its editable fields; the history row names the actor."""
    opts = model._meta
    require_perm(actor, f"{opts.app_label}.add_{opts.model_name}")
    refuse_unknown_fields(fields, allowed)
    obj = model(**keys, **fields)
    obj.full_clean()
    obj._history_user = actor
    obj.save()
    return obj


def _check_institution_parent(institution: Institution, parent: Institution | None) -> None:
    refuse_parent_cycle(institution, parent, _("An institution cannot be its own ancestor."))


@transaction.atomic
def institution_create(*, actor: AbstractBaseUser, slug: str, name_fr: str, **fields: object) -> Institution:
    return _create(actor, Institution, INSTITUTION_FIELDS, {"slug": slug}, {"name_fr": name_fr, **fields})


@transaction.atomic
def institution_update(
    *,
    actor: AbstractBaseUser,
    institution: Institution,
    expected_version: int | None = None,
    **fields: object,
) -> Institution:
    if "parent" in fields:
        _check_institution_parent(institution, fields["parent"])
    return versioned_update(actor, institution, INSTITUTION_FIELDS, fields, expected_version)


@transaction.atomic
def framework_create(*, actor: AbstractBaseUser, code: str, name_fr: str, **fields: object) -> Framework:
    return _create(actor, Framework, FRAMEWORK_FIELDS, {"code": code}, {"name_fr": name_fr, **fields})


@transaction.atomic
def framework_update(
    *,
    actor: AbstractBaseUser,
    framework: Framework,
    expected_version: int | None = None,
    **fields: object,
) -> Framework:
    return versioned_update(actor, framework, FRAMEWORK_FIELDS, fields, expected_version)


@transaction.atomic
def pillar_create(*, actor: AbstractBaseUser, slug: str, **fields: object) -> Pillar:
    return _create(actor, Pillar, PILLAR_FIELDS, {"slug": slug}, fields)


@transaction.atomic
def pillar_update(
    *, actor: AbstractBaseUser, pillar: Pillar, expected_version: int | None = None, **fields: object
) -> Pillar:
    return versioned_update(actor, pillar, PILLAR_FIELDS, fields, expected_version)


@transaction.atomic
def region_create(*, actor: AbstractBaseUser, slug: str, **fields: object) -> Region:
    return _create(actor, Region, REGION_FIELDS, {"slug": slug}, fields)


@transaction.atomic
def region_update(
    *, actor: AbstractBaseUser, region: Region, expected_version: int | None = None, **fields: object
) -> Region:
    return versioned_update(actor, region, REGION_FIELDS, fields, expected_version)


@transaction.atomic
def organisation_create(*, actor: AbstractBaseUser, slug: str, **fields: object) -> Organisation:
    return _create(actor, Organisation, ORGANISATION_FIELDS, {"slug": slug}, fields)


@transaction.atomic
def organisation_update(
    *,
    actor: AbstractBaseUser,
    organisation: Organisation,
    expected_version: int | None = None,
    **fields: object,
) -> Organisation:
    return versioned_update(actor, organisation, ORGANISATION_FIELDS, fields, expected_version)


@transaction.atomic
def membership_create(*, actor: AbstractBaseUser, user: AbstractBaseUser, **fields: object) -> Membership:
    """A person's organisation (one per person)."""
    return _create(actor, Membership, MEMBERSHIP_FIELDS, {"user": user}, fields)


@transaction.atomic
def membership_update(
    *,
    actor: AbstractBaseUser,
    membership: Membership,
    expected_version: int | None = None,
    **fields: object,
) -> Membership:
    """Move a person to another organisation."""
    return versioned_update(actor, membership, MEMBERSHIP_FIELDS, fields, expected_version)
