"""A small record with two editors' organisations (A and B), a coordinator,
an administrator and two partner organisations, for the parameterised
permission matrix (tests/test_security_matrix.py).

Every admin model gets at least one row, so every object URL of the admin
can be opened; the organisation-scoped ones (assessments, evidence,
partners' submissions and webhooks) get one row of A and one of B.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tests import factories
from tests.security_support import staff_login
from tracker import services

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ROLES = ("anonymous", "editor_a", "editor_b", "reviewer", "key_a", "key_b", "admin")


@dataclass
class World:
    users: dict = field(default_factory=dict)
    # (app_label, model_name) -> {label: object}
    objects: dict = field(default_factory=dict)
    raw_keys: dict = field(default_factory=dict)
    commitment: object = None

    def clients(self) -> dict[str, Client]:
        result = {role: staff_login(Client(), user) for role, user in self.users.items()}
        result["anonymous"] = Client()
        for role in ("key_a", "key_b"):
            result[role] = Client(headers={"Authorization": f"Api-Key {self.raw_keys[role]}"})
        return result

    def add(self, app_model: str, label: str, obj) -> None:
        self.objects.setdefault(tuple(app_model.split(".")), {})[label] = obj


def _submission(api_key, commitment, title: str):
    from tracker.partners.services import submission_create

    return submission_create(
        api_key=api_key,
        commitment=commitment,
        assessment={"status": "in_progress", "as_of": dt.date(2024, 7, 1), "summary_fr": title},
        evidence=[{"kind": "news_report", "publisher": "Partenaire", "title": title}],
    )


def build_world() -> World:  # noqa: PLR0915 - one linear recipe
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice
    from django_q.models import Failure, OrmQ, Schedule, Success

    from tracker.editorial.models import NotificationLog, Subscription
    from tracker.partners.models import IdempotencyRecord, WebhookDelivery, WebhookEndpoint

    w = World()
    org_a = factories.make_organisation(name="Org A")
    org_b = factories.make_organisation(name="Org B")
    org_c = factories.make_organisation(name="Coordination")
    editor_a = factories.make_editor(organisation=org_a)
    editor_b = factories.make_editor(organisation=org_b)
    reviewer = factories.make_reviewer(organisation=org_c)
    admin = factories.make_user(group=None, is_superuser=True, organisation=org_c)
    w.users = {"editor_a": editor_a, "editor_b": editor_b, "reviewer": reviewer, "admin": admin}

    commitment = factories.make_commitment(actor=editor_a, reference="MATRIX-0001")
    w.commitment = commitment

    def evidence(actor, title: str, visibility: str = "public"):
        upload = SimpleUploadedFile(f"{title.lower()}.pdf", PDF)
        return factories.make_evidence(
            commitment, actor=actor, title=title, visibility=visibility, file=upload
        )

    public = evidence(editor_a, "PUBLIC-SOURCE")
    secret_a = evidence(editor_a, "SECRET-A", "confidential")
    secret_b = evidence(editor_b, "SECRET-B", "confidential")
    published = factories.make_published_assessment(
        commitment, author=editor_a, reviewer=reviewer, evidence=[public, secret_a]
    )
    unreviewed_a = evidence(editor_a, "UNREVIEWED-A")
    draft_a = factories.make_assessment(
        commitment, author=editor_a, evidence=[unreviewed_a], summary_en="DRAFT-A", summary_fr="DRAFT-A"
    )
    unreviewed_b = factories.make_evidence(commitment, actor=editor_b, title="UNREVIEWED-B")
    draft_b = factories.make_assessment(
        commitment, author=editor_b, evidence=[unreviewed_b], summary_en="DRAFT-B", summary_fr="DRAFT-B"
    )
    submitted_b = factories.make_assessment(commitment, author=editor_b, evidence=[unreviewed_b])
    services.assessment_submit(actor=editor_b, assessment=submitted_b)
    w.add("tracker.commitment", "A", commitment)
    w.add("tracker.evidence", "public", public)
    w.add("tracker.evidence", "secret_a", secret_a)
    w.add("tracker.evidence", "secret_b", secret_b)
    w.add("tracker.evidence", "unreviewed_a", unreviewed_a)
    w.add("tracker.assessment", "published", published)
    w.add("tracker.assessment", "draft_a", draft_a)
    w.add("tracker.assessment", "draft_b", draft_b)
    w.add("tracker.assessment", "submitted_b", submitted_b)

    indicator = services.indicator_create(
        actor=editor_a, commitment=commitment, key="matrix-ind", name_fr="I"
    )
    w.add("tracker.indicator", "A", indicator)
    w.add(
        "tracker.measurement",
        "A",
        services.measurement_record(
            actor=editor_a, indicator=indicator, measured_on=dt.date(2024, 1, 1), value=1
        ),
    )
    w.add("tracker.framework", "A", commitment.framework)
    w.add("tracker.pillar", "A", commitment.pillar)
    w.add("tracker.institution", "A", commitment.responsibilities.get(role="lead").institution)
    w.add("tracker.region", "A", factories.make_region())
    w.add("tracker.organisation", "A", org_a)
    w.add("tracker.membership", "A", editor_a.membership)

    # Partners: key A reads (org PA), key B submits (org PB); each org has a
    # submission (sent with another key of PA for A) and a webhook endpoint.
    partner_a, partner_b = factories.make_partner(name="Partner A"), factories.make_partner(name="Partner B")
    key_a, w.raw_keys["key_a"] = factories.make_api_key(organisation=partner_a, scope="read")
    key_b, w.raw_keys["key_b"] = factories.make_api_key(organisation=partner_b, scope="submit")
    submit_key_a, _raw = factories.make_api_key(organisation=partner_a, scope="submit")
    w.add("partners.submission", "A", _submission(submit_key_a, commitment, "PARTNER-A-SUBMISSION"))
    w.add("partners.submission", "B", _submission(key_b, commitment, "PARTNER-B-SUBMISSION"))
    w.add("partners.apikey", "A", key_a)
    w.add("partners.apikey", "B", key_b)
    hook_a = WebhookEndpoint.objects.create(organisation=partner_a, url="https://a.example/hook", secret="s")
    hook_b = WebhookEndpoint.objects.create(organisation=partner_b, url="https://b.example/hook", secret="s")
    w.add("partners.webhookendpoint", "A", hook_a)
    w.add("partners.webhookendpoint", "B", hook_b)
    w.add(
        "partners.webhookdelivery",
        "A",
        WebhookDelivery.objects.create(endpoint=hook_a, event_type="assessment.published", payload={}),
    )
    w.add(
        "partners.idempotencyrecord",
        "A",
        IdempotencyRecord.objects.create(
            organisation=partner_a,
            key="k",
            method="POST",
            path="/api/v1/submissions/",
            fingerprint="0" * 64,
            response_status=201,
            response_body={},
        ),
    )

    w.add(
        "editorial.subscription",
        "A",
        Subscription.objects.create(email="f@example.org", commitment=commitment),
    )
    w.add(
        "editorial.notificationlog",
        "A",
        NotificationLog.objects.create(kind="published", recipient="r@example.org", key="k", subject="s"),
    )
    w.add("auth.group", "A", Group.objects.get(name="Editors"))
    w.add("auth.user", "A", editor_a)
    w.add("auth.user", "admin", admin)
    w.add("otp_totp.totpdevice", "A", TOTPDevice.objects.create(user=editor_a, name="phone"))
    w.add("otp_static.staticdevice", "A", StaticDevice.objects.create(user=editor_a, name="backup"))
    attempt = {"username": "x", "ip_address": "192.0.2.1", "user_agent": "ua", "http_accept": "*/*"}
    w.add(
        "axes.accessattempt",
        "A",
        AccessAttempt.objects.create(**attempt, path_info="/admin/login/", failures_since_start=1),
    )
    w.add("axes.accesslog", "A", AccessLog.objects.create(**attempt, path_info="/admin/login/"))
    w.add("axes.accessfailurelog", "A", AccessFailureLog.objects.create(**attempt, path_info="/admin/login/"))
    now = timezone.now()
    w.add("django_q.schedule", "A", Schedule.objects.create(func="math.floor", name="matrix"))
    task = {"name": "t", "func": "math.floor", "started": now, "stopped": now}
    w.add("django_q.success", "A", Success.objects.create(id="a" * 32, success=True, **task))
    w.add("django_q.failure", "A", Failure.objects.create(id="b" * 32, success=False, **task))
    w.add("django_q.ormq", "A", OrmQ.objects.create(key="default", payload="x", lock=now))
    return w
