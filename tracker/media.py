"""Serving uploaded evidence files.

Files are always sent as attachments with `nosniff` and a sandboxing CSP, so a
browser never renders one as a page. A file is served to the public only when
its evidence is public and cited by a published assessment (the rule of
`EvidenceQuerySet.public`); confidential and unreviewed files go only to staff
who may view evidence, and a confidential file only to those who may see
that evidence (its organisation, reviewers, administrators: the admin's
rule). Anything else is a 404, so the existence of a confidential file is
not revealed.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from tracker.models import Evidence
from tracker.services.permissions import can_see_evidence
from tracker.uploads import CONTENT_TYPES

SANDBOX_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def _may_see_all(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_authenticated and user.is_staff and user.has_perm("tracker.view_evidence"))


@require_safe
def serve_media(request: HttpRequest, path: str) -> FileResponse:
    name = PurePosixPath(path)
    if name.is_absolute() or ".." in name.parts or not path.startswith("evidence/"):
        raise Http404
    evidence = Evidence.objects.filter(file=path).first()
    if evidence is None:
        raise Http404
    staff = _may_see_all(request) and can_see_evidence(request.user, evidence)
    if not staff and not Evidence.objects.public().filter(pk=evidence.pk).exists():
        raise Http404
    suffix = name.suffix.lower()
    try:
        handle = evidence.file.storage.open(path, "rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"evidence-{evidence.pk}{suffix}",
        content_type=CONTENT_TYPES.get(".jpg" if suffix == ".jpeg" else suffix, "application/octet-stream"),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = (
        "no-store, private" if staff or not evidence.is_public else "public, max-age=3600"
    )
    return response
