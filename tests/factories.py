"""Small factories for tests; tests never depend on the seed record."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tracker import services
from tracker.models import (
    Commitment,
    Evidence,
    Framework,
    Institution,
    Membership,
    Organisation,
    Pillar,
    Region,
)

_seq = itertools.count(1)


def make_organisation(**kw) -> Organisation:
    n = next(_seq)
    kw.setdefault("slug", f"org-{n}")
    kw.setdefault("name", f"Organisation {n}")
    return Organisation.objects.create(**kw)


def make_user(group: str | None = "Editors", organisation: Organisation | None = None, **kw):
    n = next(_seq)
    kw.setdefault("username", f"user{n}")
    kw.setdefault("is_staff", True)
    user = get_user_model().objects.create_user(password="a-long-test-password-123", **kw)
    if group:
        user.groups.add(Group.objects.get(name=group))
    Membership.objects.create(user=user, organisation=organisation or make_organisation())
    return get_user_model().objects.get(pk=user.pk)


def make_editor(**kw):
    return make_user("Editors", **kw)


def make_reviewer(**kw):
    return make_user("Reviewers", **kw)


def make_pillar(**kw) -> Pillar:
    n = next(_seq)
    kw.setdefault("slug", f"pillar-{n}")
    kw.setdefault("name_fr", f"Pilier {n}")
    kw.setdefault("name_en", f"Pillar {n}")
    return Pillar.objects.create(**kw)


def make_region(**kw) -> Region:
    n = next(_seq)
    kw.setdefault("slug", f"region-{n}")
    kw.setdefault("name", f"Région {n}")
    return Region.objects.create(**kw)


def make_institution(**kw) -> Institution:
    n = next(_seq)
    kw.setdefault("slug", f"inst-{n}")
    kw.setdefault("acronym", f"I{n}")
    kw.setdefault("name_fr", f"Institution {n}")
    kw.setdefault("name_en", f"Institution {n}")
    return Institution.objects.create(**kw)


def make_framework(**kw) -> Framework:
    n = next(_seq)
    kw.setdefault("code", f"FW-{n}")
    kw.setdefault("name_fr", f"Cadre {n}")
    kw.setdefault("name_en", f"Framework {n}")
    return Framework.objects.create(**kw)


def make_commitment(actor=None, **kw) -> Commitment:
    n = next(_seq)
    actor = actor or make_editor()
    kw.setdefault("reference", f"TEST-{n:04d}")
    kw.setdefault("framework", make_framework())
    kw.setdefault("pillar", make_pillar())
    kw.setdefault("title_fr", f"Engagement {n}")
    kw.setdefault("title_en", f"Commitment {n}")
    kw.setdefault("lead_institution", make_institution())
    return services.commitment_create(actor=actor, **kw)


def make_evidence(commitment: Commitment, actor=None, **kw) -> Evidence:
    actor = actor or make_editor()
    kw.setdefault("kind", Evidence.Kind.NEWS_REPORT)
    kw.setdefault("publisher", "Le Journal")
    kw.setdefault("title", "Un article")
    kw.setdefault("published_on", dt.date(2024, 5, 1))
    return services.evidence_attach(actor=actor, commitment=commitment, **kw)


def make_assessment(commitment: Commitment, author=None, evidence=None, **kw):
    author = author or make_editor()
    kw.setdefault("status", "in_progress")
    kw.setdefault("as_of", dt.date(2024, 6, 1))
    kw.setdefault("summary_fr", "Résumé")
    kw.setdefault("summary_en", "Summary")
    if evidence is None:
        evidence = [make_evidence(commitment, actor=author)]
    return services.assessment_create(actor=author, commitment=commitment, evidence=evidence, **kw)


def make_published_assessment(commitment: Commitment, author=None, reviewer=None, **kw):
    author = author or make_editor()
    reviewer = reviewer or make_reviewer()
    assessment = make_assessment(commitment, author=author, **kw)
    services.assessment_submit(actor=author, assessment=assessment)
    return services.assessment_publish(actor=reviewer, assessment=assessment)


def make_public_record(
    n: int,
    *,
    framework: Framework | None = None,
    pillar: Pillar | None = None,
    institution: Institution | None = None,
    region: Region | None = None,
    editor=None,
    reviewer=None,
    prefix: str = "PUB",
) -> list[Commitment]:
    """`n` commitments sharing reference data, each with: a published assessment
    (in progress, 2024-06-01) citing one public and one confidential piece of
    evidence, and a draft assessment (completed, 2024-09-01) citing unpublished
    evidence. For the public-site tests (content, permissions, query counts)."""
    editor = editor or make_editor()
    reviewer = reviewer or make_reviewer()
    framework = framework or make_framework()
    pillar = pillar or make_pillar()
    institution = institution or make_institution()
    region = region or make_region()
    commitments = []
    for i in range(n):
        c = make_commitment(
            actor=editor,
            reference=f"{prefix}-{next(_seq):04d}-{i}",
            framework=framework,
            pillar=pillar,
            lead_institution=institution,
            regions=[region],
            due_date=dt.date(2025, 1, 1),
        )
        public = make_evidence(c, actor=editor, title=f"Public source {c.reference}")
        secret = make_evidence(
            c, actor=editor, title=f"Confidential source {c.reference}", visibility="confidential"
        )
        make_published_assessment(
            c,
            author=editor,
            reviewer=reviewer,
            evidence=[public, secret],
            summary_fr="Publié",
            summary_en="Published",
        )
        hidden = make_evidence(c, actor=editor, title=f"Unpublished source {c.reference}")
        make_assessment(
            c,
            author=editor,
            evidence=[hidden],
            status="completed",
            as_of=dt.date(2024, 9, 1),
            summary_fr="Brouillon secret",
            summary_en="Secret draft",
        )
        c.refresh_from_db()
        commitments.append(c)
    return commitments


# --- Two-factor authentication (issue 6) ---------------------------------------


def make_totp_device(user, confirmed: bool = True):
    """A TOTP device for `user` (its secret is `device.bin_key`)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name="test phone", confirmed=confirmed)


def verify_otp_session(client, user) -> None:
    """Mark the test client's session as having passed two-factor
    authentication with a (new or existing) confirmed TOTP device of `user`."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or make_totp_device(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def login_staff(client, user):
    """Log `user` in to the admin as a real staff member would: password
    (skipped) and a verified second factor."""
    client.force_login(user)
    verify_otp_session(client, user)
    return client


# --- Partner API (issue 5) ----------------------------------------------------------


def make_partner(**kw) -> Organisation:
    kw.setdefault("kind", Organisation.Kind.PARTNER)
    return make_organisation(**kw)


def make_api_key(organisation: Organisation | None = None, scope: str = "read", **kw):
    """(ApiKey, raw key) for a partner organisation, created by a superuser."""
    from tracker.partners.services import api_key_create

    admin_user = get_user_model().objects.filter(is_superuser=True).first()
    if admin_user is None:
        n = next(_seq)
        admin_user = get_user_model().objects.create_superuser(f"keyadmin{n}", password="x-long-password-123")
    return api_key_create(
        actor=admin_user, organisation=organisation or make_partner(), name="test key", scope=scope, **kw
    )


def staff_session_hook(client, user) -> None:
    """The `session_hook` of staff_client/login_cookie helpers: a session past
    two-factor authentication, in the language the test has activated (the
    admin follows the request's language, not translation.override)."""
    from django.conf import settings
    from django.utils import translation

    verify_otp_session(client, user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = translation.get_language() or settings.LANGUAGE_CODE


def submission_body(reference: str = "LPS-2017-04", **overrides) -> dict:
    """A partner's submission (POST /api/v1/submissions/): evidence and a
    proposed assessment for one commitment."""
    data = {
        "commitment": reference,
        "assessment": {"status": "initiated", "as_of": "2025-03-01", "summary_en": "Decree drafted."},
        "evidence": [
            {
                "kind": "official_text",
                "publisher": "Journal officiel",
                "title": "Décret 2025-12",
                "published_on": "2025-02-20",
                "url": "https://example.org/decret",
            },
        ],
    }
    data.update(overrides)
    return data
