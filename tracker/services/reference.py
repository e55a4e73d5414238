"""Institutions and frameworks: created and changed only here."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.models import Framework, Institution

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


def _check_institution_parent(institution: Institution, parent: Institution | None) -> None:
    refuse_parent_cycle(institution, parent, _("An institution cannot be its own ancestor."))


@transaction.atomic
def institution_create(*, actor: AbstractBaseUser, slug: str, name_fr: str, **fields: object) -> Institution:
    require_perm(actor, "tracker.add_institution")
    refuse_unknown_fields(fields, INSTITUTION_FIELDS)
    institution = Institution(slug=slug, name_fr=name_fr, **fields)
    institution.full_clean()
    institution._history_user = actor
    institution.save()
    return institution


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
    require_perm(actor, "tracker.add_framework")
    refuse_unknown_fields(fields, FRAMEWORK_FIELDS)
    framework = Framework(code=code, name_fr=name_fr, **fields)
    framework.full_clean()
    framework._history_user = actor
    framework.save()
    return framework


@transaction.atomic
def framework_update(
    *,
    actor: AbstractBaseUser,
    framework: Framework,
    expected_version: int | None = None,
    **fields: object,
) -> Framework:
    return versioned_update(actor, framework, FRAMEWORK_FIELDS, fields, expected_version)
