"""Every state change of the record goes through a function in this package.

The admin, the public views, the API and the management commands all call
these; none re-implements a rule. Errors a user can cause raise
`django.core.exceptions.ValidationError` with a translated message.
"""

from .accounts import user_deactivate
from .assessments import (
    assessment_create,
    assessment_publish,
    assessment_return,
    assessment_submit,
    assessment_update,
    commitment_refresh_status,
)
from .commitments import commitment_create, commitment_update, search_document_for
from .evidence import evidence_attach
from .indicators import indicator_create, measurement_record
from .reference import (
    framework_create,
    framework_update,
    institution_create,
    institution_update,
    membership_create,
    membership_update,
    organisation_create,
    organisation_update,
    pillar_create,
    pillar_update,
    region_create,
    region_update,
)
from .updates import evidence_update, indicator_update, measurement_update

__all__ = [
    "assessment_create",
    "assessment_publish",
    "assessment_return",
    "assessment_submit",
    "assessment_update",
    "commitment_create",
    "commitment_refresh_status",
    "commitment_update",
    "evidence_attach",
    "evidence_update",
    "framework_create",
    "framework_update",
    "institution_create",
    "institution_update",
    "indicator_update",
    "measurement_update",
    "membership_create",
    "membership_update",
    "organisation_create",
    "organisation_update",
    "pillar_create",
    "pillar_update",
    "region_create",
    "region_update",
    "indicator_create",
    "measurement_record",
    "search_document_for",
    "user_deactivate",
]
