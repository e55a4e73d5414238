"""Loading the YAML seed record (fixtures/FORMAT.md) through the services."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction

from tracker import services
from tracker.models import (
    Assessment,
    Commitment,
    DatePrecision,
    Evidence,
    Framework,
    Indicator,
    Institution,
    Measurement,
    Membership,
    Organisation,
    Pillar,
    Region,
)
from tracker.services.checks import to_decimal

SEED_ORGANISATION = "seed-record"
SEED_AUTHOR = "seed-author"
SEED_REVIEWER = "seed-reviewer"
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


class SeedError(Exception):
    pass


def parse_date(value, *, end: bool = False) -> tuple[dt.date | None, str]:
    """'2017-03-15' / '2017-03' / '2017' / 'unclear' -> (date, precision).
    With end=True an imprecise date means the end of its period (due dates)."""
    if value in (None, "", "unclear"):
        return None, DatePrecision.UNCLEAR
    if isinstance(value, dt.date):
        return value, DatePrecision.DAY
    match = _DATE.match(str(value))
    if not match:
        raise SeedError(f"bad date {value!r} (expected YYYY, YYYY-MM, YYYY-MM-DD or unclear)")
    year, month, day = (int(g) if g else None for g in match.groups())
    if day:
        return dt.date(year, month, day), DatePrecision.DAY
    if month:
        last = calendar.monthrange(year, month)[1]
        return dt.date(year, month, last if end else 1), DatePrecision.MONTH
    return (dt.date(year, 12, 31) if end else dt.date(year, 1, 1)), DatePrecision.YEAR


def _text(node, lang: str) -> str:
    return ((node or {}).get(lang) or "").strip()


def seed_users() -> tuple:
    """The accounts the seed record is attributed to (no password: nobody logs in as them)."""
    organisation, _ = Organisation.objects.get_or_create(
        slug=SEED_ORGANISATION,
        defaults={"name": "Seed record from public sources", "kind": Organisation.Kind.CIVIL_SOCIETY},
    )
    users = []
    for username, group in ((SEED_AUTHOR, "Editors"), (SEED_REVIEWER, "Reviewers")):
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": "Seed record", "is_active": True}
        )
        if created:
            user.set_unusable_password()
            user.save()
        user.groups.add(Group.objects.get(name=group))
        Membership.objects.get_or_create(user=user, defaults={"organisation": organisation})
        users.append(get_user_model().objects.get(pk=user.pk))  # fresh permission cache
    return tuple(users)


class Loader:
    def __init__(self, stdout=None) -> None:
        self.stdout = stdout
        self.counts: dict[str, int] = {}

    def count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    @transaction.atomic
    def load(self, paths: list[Path]) -> dict[str, int]:
        self.author, self.reviewer = seed_users()
        for path in paths:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            self.load_reference(data)
            self.load_record(data)
        return self.counts

    # --- reference data -------------------------------------------------------
    def load_reference(self, data: dict) -> None:
        for row in data.get("pillars", []):
            self._upsert(
                Pillar,
                {"slug": row["slug"]},
                {
                    "order": row.get("order", 0),
                    "name_fr": _text(row["name"], "fr"),
                    "name_en": _text(row["name"], "en"),
                    "description_fr": _text(row.get("description"), "fr"),
                    "description_en": _text(row.get("description"), "en"),
                },
            )
        for row in data.get("regions", []):
            self._upsert(
                Region, {"slug": row["slug"]}, {"name": row["name"], "kind": row.get("kind", "region")}
            )
        institutions = data.get("institutions", [])
        for row in institutions:  # first pass without parents
            self._upsert(
                Institution,
                {"slug": row["slug"]},
                {
                    "acronym": row.get("acronym") or "",
                    "name_fr": _text(row["name"], "fr"),
                    "name_en": _text(row["name"], "en"),
                    "kind": row.get("kind", "other"),
                    "source_document": row.get("source") or "",
                },
            )
        for row in institutions:
            if row.get("parent"):
                self._upsert(
                    Institution,
                    {"slug": row["slug"]},
                    {"parent": self._get(Institution, slug=row["parent"])},
                    counted=False,  # the same rows as the first pass
                )
        for row in data.get("frameworks", []):
            adopted, precision = parse_date(row.get("adopted_on"))
            start, _ = parse_date(row.get("period_start"))
            end, _ = parse_date(row.get("period_end"))
            issuer = row.get("issuing_body")
            self._upsert(
                Framework,
                {"code": row["code"]},
                {
                    "name_fr": _text(row["name"], "fr"),
                    "name_en": _text(row["name"], "en"),
                    "kind": row.get("kind", "other"),
                    "issuing_body": self._get(Institution, slug=issuer) if issuer else None,
                    "adopted_on": adopted,
                    "adopted_on_precision": precision,
                    "period_start": start.year if start else None,
                    "period_end": end.year if end else None,
                    "status": row.get("status", "unclear"),
                    "description_fr": _text(row.get("description"), "fr"),
                    "description_en": _text(row.get("description"), "en"),
                    "source_document": row.get("source") or "",
                },
            )

    def _get(self, model, **lookup):
        try:
            return model.objects.get(**lookup)
        except model.DoesNotExist as exc:
            raise SeedError(f"unknown {model._meta.model_name} {lookup}") from exc

    def _upsert(self, model, lookup: dict, values: dict, counted: bool = True):
        obj = model.objects.filter(**lookup).first()
        if obj is None:
            obj = model(**lookup, **values)
        elif all(getattr(obj, k) == v for k, v in values.items()):
            return obj
        else:
            for key, value in values.items():
                setattr(obj, key, value)
        obj.full_clean()
        obj.save()
        if counted:
            self.count(model._meta.model_name)
        return obj

    # --- the record -------------------------------------------------------------
    def load_record(self, data: dict) -> None:
        rows = data.get("commitments", [])
        pending = list(rows)
        while pending:  # parents before children, whatever the file order
            progressed = [
                r
                for r in pending
                if not r.get("parent") or Commitment.objects.filter(reference=r["parent"]).exists()
            ]
            if not progressed:
                raise SeedError(f"unknown parent for {[r['ref'] for r in pending]}")
            for row in progressed:
                self._wrap(row["ref"], self.load_commitment, row)
                pending.remove(row)
        for row in rows:
            self._wrap(row["ref"], self.load_related, row)
        for row in rows:
            self._wrap(row["ref"], self.load_evidence_and_assessments, row)

    def _wrap(self, ref: str, func, row: dict) -> None:
        try:
            func(row)
        except ValidationError as exc:
            raise SeedError(
                f"commitment {ref}: {exc.message_dict if hasattr(exc, 'error_dict') else exc.messages}"
            ) from exc
        except (SeedError, KeyError) as exc:
            raise SeedError(f"commitment {ref}: {exc}") from exc

    def load_commitment(self, row: dict) -> None:
        start, start_precision = parse_date(row.get("start"))
        due, due_precision = parse_date(row.get("due"), end=True)
        budget = row.get("budget") or {}
        fields = {
            "framework": self._get(Framework, code=row["framework"]),
            "pillar": self._get(Pillar, slug=row["pillar"]),
            "parent": self._get(Commitment, reference=row["parent"]) if row.get("parent") else None,
            "title_fr": _text(row["title"], "fr"),
            "title_en": _text(row["title"], "en"),
            "description_fr": _text(row.get("description"), "fr"),
            "description_en": _text(row.get("description"), "en"),
            "provision": row.get("provision") or "",
            "start_date": start,
            "start_date_precision": start_precision,
            "due_date": due,
            "due_date_precision": due_precision,
            "budget_amount": to_decimal(budget.get("amount"), "budget_amount"),
            "budget_currency": budget.get("currency") or "XOF",
            "wps_marker": bool(row.get("wps")),
        }
        lead = self._get(Institution, slug=row["lead"])
        supporting = [self._get(Institution, slug=s) for s in row.get("supporting") or []]
        regions = [self._get(Region, slug=s) for s in row.get("regions") or []]
        existing = Commitment.objects.filter(reference=row["ref"]).first()
        if existing is None:
            services.commitment_create(
                actor=self.author,
                reference=row["ref"],
                lead_institution=lead,
                supporting_institutions=supporting,
                regions=regions,
                **fields,
            )
            self.count("commitment")
            return
        roles = {(r.institution_id, r.role) for r in existing.responsibilities.all()}
        wanted_roles = {(lead.pk, "lead")} | {(s.pk, "supporting") for s in supporting if s.pk != lead.pk}
        same = (
            all(getattr(existing, k) == v for k, v in fields.items())
            and roles == wanted_roles
            and set(existing.regions.values_list("pk", flat=True)) == {r.pk for r in regions}
        )
        if not same:
            services.commitment_update(
                actor=self.author,
                commitment=existing,
                lead_institution=lead,
                supporting_institutions=supporting,
                regions=regions,
                **fields,
            )
            self.count("commitment")

    def load_related(self, row: dict) -> None:
        commitment = Commitment.objects.get(reference=row["ref"])
        wanted = {self._get(Commitment, reference=r).pk for r in row.get("related") or []}
        current = set(commitment.related.values_list("pk", flat=True))
        if not wanted <= current:
            # Through the service: both commitments' history records the link.
            services.commitment_update(
                actor=self.author,
                commitment=commitment,
                related=list(Commitment.objects.filter(pk__in=current | wanted)),
            )

    def load_evidence_and_assessments(self, row: dict) -> None:
        commitment = Commitment.objects.get(reference=row["ref"])
        evidence = {}
        for item in row.get("evidence") or []:
            evidence[item["key"]] = self.load_evidence(commitment, item)
        for item in row.get("assessments") or []:
            self.load_assessment(commitment, item, evidence)
        for item in row.get("indicators") or []:
            self.load_indicator(commitment, item, evidence)

    def load_evidence(self, commitment: Commitment, item: dict) -> Evidence:
        published_on, precision = parse_date(item.get("date"))
        fields = {
            "kind": item["kind"],
            "publisher": item["publisher"],
            "title": item["title"],
            "published_on": published_on,
            "published_on_precision": precision,
            "url": item.get("url") or "",
            "excerpt": (item.get("excerpt") or "").strip(),
            "language": item.get("language", "en"),
            "reliability": item.get("reliability", "credible"),
            "visibility": item.get("visibility", "public"),
            "source_document": item.get("source_document") or "",
        }
        existing = Evidence.objects.filter(key=item["key"]).first()
        if existing is None:
            self.count("evidence")
            return services.evidence_attach(
                actor=self.author, commitment=commitment, key=item["key"], **fields
            )
        if existing.commitment_id != commitment.pk:
            raise SeedError(f"evidence key {item['key']} is used by two commitments")
        if all(getattr(existing, k) == v for k, v in fields.items()):
            return existing
        self.count("evidence")
        return services.evidence_update(actor=self.author, evidence=existing, **fields)

    def load_assessment(self, commitment: Commitment, item: dict, evidence: dict) -> None:
        as_of, precision = parse_date(item["as_of"])
        if as_of is None:
            raise SeedError("an assessment needs an as_of date (at least the year)")
        if commitment.assessments.filter(as_of=as_of, status=item["status"], author=self.author).exists():
            return  # append-only: a published assessment is never rewritten
        try:
            cited = [evidence[key] for key in item.get("evidence") or []]
        except KeyError as exc:
            raise SeedError(f"assessment {item['as_of']}: unknown evidence key {exc}") from exc
        blocking = item.get("blocking_party")
        assessment = services.assessment_create(
            actor=self.author,
            commitment=commitment,
            status=item["status"],
            as_of=as_of,
            as_of_precision=precision,
            progress=item.get("progress"),
            summary_fr=_text(item.get("summary"), "fr"),
            summary_en=_text(item.get("summary"), "en"),
            delay_reason=item.get("delay_reason") or "",
            delay_note=item.get("delay_note") or "",
            blocking_party=self._get(Institution, slug=blocking) if blocking else None,
            evidence=cited,
        )
        # A bulk load e-mails no one: no reviewer alert, no "published" notice.
        services.assessment_submit(actor=self.author, assessment=assessment, notify=False)
        services.assessment_publish(actor=self.reviewer, assessment=assessment, notify=False)
        self.count("assessment")

    def load_indicator(self, commitment: Commitment, item: dict, evidence: dict) -> None:
        baseline = item.get("baseline") or {}
        target = item.get("target") or {}
        fields = {
            "name_fr": _text(item["name"], "fr"),
            "name_en": _text(item["name"], "en"),
            "unit": item.get("unit", "count"),
            "baseline_value": to_decimal(baseline.get("value"), "baseline_value", places=2),
            "baseline_date": parse_date(baseline.get("date"))[0],
            "target_value": to_decimal(target.get("value"), "target_value", places=2),
            "target_date": parse_date(target.get("date"), end=True)[0],
            "disaggregated_by_sex": bool(item.get("by_sex")),
        }
        indicator = Indicator.objects.filter(key=item["key"]).first()
        if indicator is None:
            indicator = services.indicator_create(
                actor=self.author, commitment=commitment, key=item["key"], **fields
            )
            self.count("indicator")
        elif not all(getattr(indicator, k) == v for k, v in fields.items()):
            indicator = services.indicator_update(actor=self.author, indicator=indicator, **fields)
            self.count("indicator")
        for m in item.get("measurements") or []:
            measured_on, precision = parse_date(m["date"])
            if measured_on is None:
                raise SeedError(f"indicator {item['key']}: a measurement needs a date")
            if m.get("evidence") and m["evidence"] not in evidence:
                raise SeedError(f"indicator {item['key']}: unknown evidence key {m['evidence']}")
            values = {
                "measured_on_precision": precision,
                "value": to_decimal(m["value"], "value", places=2),
                "value_women": to_decimal(m.get("women"), "value_women", places=2),
                "value_men": to_decimal(m.get("men"), "value_men", places=2),
                "evidence": evidence.get(m.get("evidence")),
                "note": m.get("note") or "",
            }
            existing = Measurement.objects.filter(indicator=indicator, measured_on=measured_on).first()
            if existing is None:
                services.measurement_record(
                    actor=self.author, indicator=indicator, measured_on=measured_on, **values
                )
                self.count("measurement")
            elif not all(getattr(existing, k) == v for k, v in values.items()):
                services.measurement_update(actor=self.author, measurement=existing, **values)
                self.count("measurement")


__all__ = ["Assessment", "Loader", "SeedError", "parse_date", "seed_users"]
