"""Puts hostile text into every field readers or editors see, renders the
public pages and the admin change pages, and reports any executable markup
that survived (tests/test_security_xss.py)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from django.test import Client

from tests import factories
from tests.security_support import executable_markup, staff_login
from tracker.models import (
    Assessment,
    Commitment,
    Evidence,
    Framework,
    Institution,
    Organisation,
    Pillar,
    Region,
)

PAYLOAD_FILE = Path(__file__).parent / "data" / "xss_payloads.txt"
EVIDENCE_PER_RECORD = 30
_seq = itertools.count(1)


def known_payloads() -> list[str]:
    lines = PAYLOAD_FILE.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("# ")]


def _cut(model, field: str, value: str) -> str:
    return value[: model._meta.get_field(field).max_length or 100_000]


class Slots:
    """Hands out payloads one per field, cycling if there are fewer."""

    def __init__(self, payloads: list[str]) -> None:
        self.payloads = payloads or ["x"]
        self.used = 0

    def __call__(self, model, field: str) -> str:
        value = self.payloads[self.used % len(self.payloads)]
        self.used += 1
        return _cut(model, field, value) or "x"


SLOTS_PER_RECORD = 5 + 3 + 2 + 2 + 1 + 1 + 3 * EVIDENCE_PER_RECORD + 3 * 2


def build_hostile_record(payloads: list[str], editor, reviewer) -> dict:
    """One commitment and everything around it, each text field holding a payload."""
    n = next(_seq)
    slot = Slots(payloads)
    institution = factories.make_institution(
        slug=f"xss-inst-{n}",
        name_fr=slot(Institution, "name_fr"),
        name_en=slot(Institution, "name_en"),
        acronym=slot(Institution, "acronym"),
    )
    framework = factories.make_framework(
        code=f"XSS-{n}", name_fr=slot(Framework, "name_fr"), name_en=slot(Framework, "name_en")
    )
    pillar = factories.make_pillar(
        slug=f"xss-pillar-{n}", name_fr=slot(Pillar, "name_fr"), name_en=slot(Pillar, "name_en")
    )
    region = factories.make_region(slug=f"xss-region-{n}", name=slot(Region, "name"))
    Organisation.objects.filter(memberships__user=editor).update(name=slot(Organisation, "name"))
    commitment = factories.make_commitment(
        actor=editor,
        reference=f"XSS-{n:05d}",
        framework=framework,
        pillar=pillar,
        lead_institution=institution,
        regions=[region],
        title_fr=slot(Commitment, "title_fr"),
        title_en=slot(Commitment, "title_en"),
        description_fr=slot(Commitment, "description_fr"),
        description_en=slot(Commitment, "description_en"),
        provision=slot(Commitment, "provision"),
    )
    evidence = [
        factories.make_evidence(
            commitment,
            actor=editor,
            title=slot(Evidence, "title"),
            publisher=slot(Evidence, "publisher"),
            excerpt=slot(Evidence, "excerpt"),
        )
        for _ in range(EVIDENCE_PER_RECORD)
    ]
    assessments = []
    for i, cited in enumerate((evidence[: EVIDENCE_PER_RECORD // 2], evidence[EVIDENCE_PER_RECORD // 2 :])):
        assessments.append(
            factories.make_published_assessment(
                commitment,
                author=editor,
                reviewer=reviewer,
                evidence=cited,
                as_of=dt.date(2024, 1 + i, 1),
                summary_fr=slot(Assessment, "summary_fr"),
                summary_en=slot(Assessment, "summary_en"),
                delay_reason="other",
                delay_note=slot(Assessment, "delay_note"),
            )
        )
    return {
        "commitment": commitment,
        "institution": institution,
        "framework": framework,
        "pillar": pillar,
        "region": region,
        "evidence": evidence,
        "assessments": assessments,
    }


def public_pages(record: dict) -> list[str]:
    commitment = record["commitment"]
    return [
        "/",
        "/commitments/",
        f"/commitments/?q={commitment.reference}",
        commitment.get_absolute_url(),
        record["institution"].get_absolute_url(),
        record["framework"].get_absolute_url(),
        record["pillar"].get_absolute_url(),
        record["region"].get_absolute_url(),
        "/changes/",
    ]


def admin_pages(record: dict) -> list[str]:
    return [
        f"/admin/tracker/commitment/{record['commitment'].pk}/change/",
        "/admin/tracker/commitment/",
        f"/admin/tracker/evidence/{record['evidence'][0].pk}/change/",
        "/admin/tracker/evidence/",
        f"/admin/tracker/assessment/{record['assessments'][0].pk}/change/",
        f"/admin/tracker/institution/{record['institution'].pk}/change/",
        f"/admin/tracker/framework/{record['framework'].pk}/change/",
    ]


def surviving_markup(record: dict, editor, languages=("fr", "en")) -> dict[str, list[str]]:
    """Executable markup found per page (empty when every payload was neutralised)."""
    found: dict[str, list[str]] = {}
    anonymous = Client()
    staff = staff_login(Client(), editor)
    for client, urls in ((anonymous, public_pages(record)), (staff, admin_pages(record))):
        for url in urls:
            for language in languages:
                response = client.get(url, headers={"Accept-Language": language})
                if response.status_code == 404 and client is anonymous:
                    continue  # a public page not built yet
                assert response.status_code == 200, (url, response.status_code)
                bad = executable_markup(response.content.decode())
                if bad:
                    found[f"{language} {url}"] = bad
    return found
