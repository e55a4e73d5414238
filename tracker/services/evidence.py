from __future__ import annotations

import datetime as dt
import hashlib

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.models import Commitment, DatePrecision, Evidence, Organisation
from tracker.uploads import sniff_upload

from .permissions import require_perm

# The checks on uploaded files live in tracker/uploads.py (re-exported here).
__all__ = ["evidence_attach", "sha256_of", "sniff_upload"]


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def evidence_attach(
    *,
    actor: AbstractBaseUser,
    commitment: Commitment,
    kind: str,
    publisher: str,
    title: str,
    published_on: dt.date | None = None,
    published_on_precision: str = DatePrecision.DAY,
    url: str = "",
    file: UploadedFile | None = None,
    excerpt: str = "",
    language: str = "fr",
    reliability: str = Evidence.Reliability.CREDIBLE,
    visibility: str = Evidence.Visibility.PUBLIC,
    source_document: str = "",
    key: str | None = None,
    organisation: Organisation | None = None,
) -> Evidence:
    """Attach a piece of evidence to a commitment; an uploaded file is
    checked by content and its SHA-256 kept."""
    require_perm(actor, "tracker.add_evidence")
    if published_on is None:
        published_on_precision = DatePrecision.UNCLEAR
    membership = getattr(actor, "membership", None)
    evidence = Evidence(
        commitment=commitment,
        key=key or None,
        kind=kind,
        publisher=publisher,
        title=title,
        published_on=published_on,
        published_on_precision=published_on_precision,
        url=url,
        excerpt=excerpt,
        language=language,
        reliability=reliability,
        visibility=visibility,
        source_document=source_document,
        organisation=organisation or (membership.organisation if membership else None),
        added_by=actor,
    )
    if file is not None:
        suffix = sniff_upload(file)
        evidence.file_sha256 = sha256_of(file)
        # The stored name is random (see evidence_upload_to); only the
        # checked type's extension is kept.
        file.name = f"upload{suffix}"
        evidence.file = file
    evidence.full_clean()
    evidence._history_user = actor
    try:
        evidence.save()
    except OSError as exc:
        # Disk full or storage unreachable: nothing is kept, and the editor is told.
        _delete_stored_file(evidence)
        message = _(
            "The file could not be stored (the server's storage is full or unavailable). "
            "Nothing was saved: try again later or tell an administrator."
        )
        raise ValidationError({"file": ValidationError(message, code="storage_failed")}) from exc
    except Exception:
        # The row was not written: do not leave its file behind.
        _delete_stored_file(evidence)
        raise
    return evidence


def _delete_stored_file(evidence: Evidence) -> None:
    name = evidence.file.name if evidence.file else ""
    if name and name.startswith("evidence/") and evidence.file.storage.exists(name):
        evidence.file.storage.delete(name)
