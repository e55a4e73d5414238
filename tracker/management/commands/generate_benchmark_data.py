"""Synthetic commitments at scale, for benchmarks (bench/) and load tests.

    manage.py generate_benchmark_data --commitments 10000 --seed 1

Writes, per commitment: its responsible institutions and regions, 3 pieces of
evidence, 10 assessments (the last 8 published by a reviewer who is not the
author, then one submitted and one draft), 1-2 indicators with 3 measurements
each. The commitment's denormalised status (current_status, current_progress,
status_as_of) is the latest published assessment's, as
`commitment_refresh_status` would write it, and `search_document` is built by
the services' own `search_document_for`.

Rows are inserted in batches (one transaction per batch), so memory stays
flat whatever --commitments is. On PostgreSQL every table goes in with `COPY
... FROM STDIN` (psycopg 3 `cursor.copy`), primary keys reserved from the
table's sequence first; elsewhere (SQLite, the tests) with `bulk_create`.
Commitments are model instances (`search_document_for` needs one); the other
rows are plain dicts of column values from the same random draws, turned into
model instances for `bulk_create` and written as they are by COPY, fields left
out taking the model's default and auto_now fields the batch's time, so both
paths give the same rows (a PostgreSQL test compares them); `--no-copy`
forces `bulk_create` on PostgreSQL too. History rows (django-simple-history) are not
written: generated data has no edit history. The same --seed gives the same
text, statuses and dates (primary keys depend on what the database holds).
The reference data (pillars, regions, institutions, frameworks) is the real
one: `load_seed fixtures/mali/reference.yaml` runs first when the database has
none (the Mali record's own 62 commitments are not needed for benchmarks).
Bulk inserts send no signals, so the dashboard's stored trend is rebuilt at
the end (tracker.insights.trend.rebuild).
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from tracker import methodology
from tracker.insights import tally, trend
from tracker.models import (
    Assessment,
    Commitment,
    CommitmentInstitution,
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
from tracker.services.commitments import search_document_for

Status = methodology.Status
ASSESSMENTS_PER_COMMITMENT = 10
PUBLISHED_PER_COMMITMENT = 8
EVIDENCE_PER_COMMITMENT = 3
BENCH_ORGANISATION = "benchmark-monitors"
AUTHORS = [f"bench-author-{n}" for n in range(1, 6)]
REVIEWERS = [f"bench-reviewer-{n}" for n in range(1, 4)]
# The real reference data (pillars, regions, institutions, frameworks), loaded when missing.
REFERENCE_FIXTURE = "fixtures/mali/reference.yaml"
# A word put in about one commitment in a thousand: the benchmark's "rare" search term.
RARE_WORD = ("transhumance", "transhumance")

# (French, English) phrases from the security-sector-reform domain.
ACTIONS = [
    ("Renforcer", "Strengthen"),
    ("Adopter", "Adopt"),
    ("Recruter", "Recruit"),
    ("Former", "Train"),
    ("Déployer", "Deploy"),
    ("Réhabiliter", "Rehabilitate"),
    ("Créer", "Establish"),
    ("Évaluer", "Evaluate"),
    ("Équiper", "Equip"),
    ("Financer", "Fund"),
    ("Réviser", "Revise"),
    ("Intégrer", "Integrate"),
]
OBJECTS = [
    ("les effectifs des forces de défense et de sécurité", "the strength of the defence and security forces"),
    ("le cadre juridique de la gendarmerie", "the legal framework of the gendarmerie"),
    ("la formation des officiers de police judiciaire", "training of judicial police officers"),
    ("le contrôle parlementaire du budget de la défense", "parliamentary oversight of the defence budget"),
    ("les comités consultatifs locaux de sécurité", "the local security advisory committees"),
    ("la chaîne pénale et les tribunaux de grande instance", "the penal chain and the high courts"),
    ("les ex-combattants cantonnés", "cantoned ex-combatants"),
    ("la représentation des femmes dans les forces armées", "women's representation in the armed forces"),
    ("les unités mixtes de la police territoriale", "the mixed units of the territorial police"),
    ("l'inspection générale des armées", "the armed forces' general inspectorate"),
    ("les établissements pénitentiaires", "the prisons"),
    ("la lutte contre les violences basées sur le genre", "the fight against gender-based violence"),
    ("le désarmement et la démobilisation", "disarmament and demobilisation"),
    ("la gestion des armes légères", "small-arms management"),
    ("le commissariat de la réforme du secteur de la sécurité", "the security-sector reform commission"),
]
PLACES = [
    ("à Bamako", "in Bamako"),
    ("dans la région de Mopti", "in the Mopti region"),
    ("à Gao et Ménaka", "in Gao and Ménaka"),
    ("à Tombouctou", "in Timbuktu"),
    ("dans la région de Ségou", "in the Ségou region"),
    ("à Kidal", "in Kidal"),
    ("dans le centre du pays", "in the centre of the country"),
    ("sur l'ensemble du territoire", "nationwide"),
]
DETAILS = [
    (
        "conformément à l'accord pour la paix et la réconciliation",
        "as provided by the peace and reconciliation agreement",
    ),
    ("dans le cadre de la loi de programmation militaire", "under the military programming law"),
    (
        "avec l'appui des partenaires techniques et financiers",
        "with the support of technical and financial partners",
    ),
    ("selon un calendrier publié", "on a published timetable"),
    ("en concertation avec la société civile", "in consultation with civil society"),
]
PUBLISHERS = ["Journal officiel", "L'Essor", "Studio Tamani", "ISS Africa", "MINUSMA", "Conseil de sécurité"]
LEVELS = [Status.NOT_STARTED, Status.INITIATED, Status.IN_PROGRESS, Status.NEARLY_COMPLETE, Status.COMPLETED]
# Where commitments stand now (weights): most are under way, some stuck.
FINAL_STATUSES = {
    Status.NOT_STARTED: 8,
    Status.INITIATED: 20,
    Status.IN_PROGRESS: 30,
    Status.NEARLY_COMPLETE: 10,
    Status.COMPLETED: 10,
    Status.STALLED: 12,
    Status.UNCLEAR: 5,
    Status.ABANDONED: 5,
}


EVIDENCE_KINDS = Evidence.Kind.values
RELIABILITIES = Evidence.Reliability.values
UNITS = Indicator.Unit.values


class Command(BaseCommand):
    help = "Generate synthetic commitments (bulk inserts) for benchmarks; VACUUM ANALYZE on PostgreSQL."

    def add_arguments(self, parser):
        parser.add_argument("--commitments", type=int, required=True, help="How many commitments to add.")
        parser.add_argument("--seed", type=int, default=1, help="Random seed (same seed, same data).")
        parser.add_argument("--batch-size", type=int, default=1000, help="Commitments per transaction.")
        parser.add_argument("--prefix", default="GEN", help="Reference prefix of generated commitments.")
        parser.add_argument("--no-vacuum", action="store_true", help="Skip VACUUM ANALYZE (PostgreSQL).")
        parser.add_argument(
            "--no-copy", action="store_true", help="Use bulk_create instead of COPY on PostgreSQL."
        )

    def handle(self, *args, **options):
        count, batch_size = options["commitments"], options["batch_size"]
        if count < 1 or batch_size < 1:
            raise CommandError("--commitments and --batch-size must be at least 1.")
        prefix = options["prefix"].strip().upper()
        if Commitment.objects.filter(reference__startswith=f"{prefix}-").exists():
            raise CommandError(
                f"Commitments with the prefix {prefix}- exist already; choose another --prefix "
                "or start from an empty database."
            )
        started = time.monotonic()
        use_copy = connection.vendor == "postgresql" and not options["no_copy"]
        generator = Generator(seed=options["seed"], prefix=prefix, use_copy=use_copy)
        done = 0
        try:
            while done < count:
                size = min(batch_size, count - done)
                with transaction.atomic():
                    generator.write_batch(start=done, size=size)
                done += size
                if options["verbosity"] > 1:
                    self.stdout.write(f"{done}/{count} commitments ({time.monotonic() - started:.0f} s)")
        finally:
            # Bulk inserts send no signals: the stored trend is rebuilt from the
            # rows written, even when the command stops half-way. The
            # breakdowns' tally was kept by the triggers (COPY fires them):
            # recounted into one row per group rather than one per batch.
            trend.rebuild()
            tally.rebuild()
        if connection.vendor == "postgresql" and not options["no_vacuum"]:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(f"Generated {count} commitments in {time.monotonic() - started:.1f} s.")
        )


class Generator:
    def __init__(self, *, seed: int, prefix: str, use_copy: bool = False) -> None:
        self.rng = random.Random(seed)
        self.prefix = prefix
        self.store = copy_rows if use_copy else bulk_create
        if not Pillar.objects.exists():
            call_command("load_seed", REFERENCE_FIXTURE, verbosity=0)
        # Only the keys are needed (and only they are read, so the generator
        # does not depend on the reference models' other columns).
        self.frameworks = list(Framework.objects.order_by("code").only("pk"))
        self.pillars = list(Pillar.objects.order_by("slug").only("pk"))
        self.institutions = list(Institution.objects.order_by("slug").only("pk"))
        self.regions = list(Region.objects.order_by("slug").only("pk"))
        if not (self.frameworks and self.pillars and self.institutions):
            raise CommandError("Reference data is missing: run `manage.py load_seed` first.")
        self.organisation, self.authors, self.reviewers = bench_users()
        self.today = timezone.localdate()

    # --- text ---------------------------------------------------------------
    def sentence(self, rare: bool = False) -> tuple[str, str]:
        rng = self.rng
        action, obj, place = rng.choice(ACTIONS), rng.choice(OBJECTS), rng.choice(PLACES)
        fr = f"{action[0]} {obj[0]} {place[0]}"
        en = f"{action[1]} {obj[1]} {place[1]}"
        if rare:
            fr, en = f"{fr} ({RARE_WORD[0]})", f"{en} ({RARE_WORD[1]})"
        return fr, en

    def paragraph(self) -> tuple[str, str]:
        parts = [self.sentence() for _ in range(self.rng.randint(2, 3))]
        detail = self.rng.choice(DETAILS)
        fr = ". ".join(p[0] for p in parts) + f", {detail[0]}."
        en = ". ".join(p[1] for p in parts) + f", {detail[1]}."
        return fr, en

    def date(self, start_year: int = 2015, end_year: int = 2026) -> dt.date:
        start = dt.date(start_year, 1, 1).toordinal()
        end = min(dt.date(end_year, 12, 31), self.today).toordinal()
        return dt.date.fromordinal(self.rng.randint(start, end))

    # --- rows ---------------------------------------------------------------
    def write_batch(self, *, start: int, size: int) -> None:
        rng = self.rng
        commitments, plans = [], []
        for offset in range(size):
            number = start + offset + 1
            title_fr, title_en = self.sentence(rare=rng.random() < 0.001)
            description_fr, description_en = self.paragraph()
            start_date = self.date(2015, 2022)
            commitment = Commitment(
                reference=f"{self.prefix}-{number:06d}",
                framework=rng.choice(self.frameworks),
                pillar=rng.choice(self.pillars),
                title_fr=title_fr,
                title_en=title_en,
                description_fr=description_fr,
                description_en=description_en,
                provision=f"Art. {rng.randint(1, 80)}",
                start_date=start_date,
                due_date=start_date + dt.timedelta(days=rng.randint(180, 2500)),
                budget_amount=Decimal(rng.randint(1, 500) * 10_000_000) if rng.random() < 0.4 else None,
                wps_marker=rng.random() < 0.15,
            )
            plan = self.plan_assessments(start_date)
            latest = max((a for a in plan if a["state"] == "published"), key=lambda a: a["as_of"])
            commitment.current_status = latest["status"]
            commitment.current_progress = latest["progress"]
            commitment.status_as_of = latest["as_of"]
            commitment.search_document = search_document_for(commitment)
            commitments.append(commitment)
            plans.append(plan)
        self.store(Commitment, commitments)
        self.write_children(commitments)
        self.write_links(commitments)
        evidence = self.write_evidence(commitments)
        self.write_assessments(commitments, plans, evidence)
        self.write_indicators(commitments, evidence)

    def plan_assessments(self, start_date: dt.date) -> list[dict]:
        """Ten dated verdicts climbing the scale to where the commitment stands
        now (the 8th, the latest published); the last two are not published."""
        rng = self.rng
        first = max(start_date.toordinal(), dt.date(2016, 1, 1).toordinal())
        last = max(first + ASSESSMENTS_PER_COMMITMENT, self.today.toordinal())
        days = sorted(rng.sample(range(first, last), ASSESSMENTS_PER_COMMITMENT))
        final = rng.choices(list(FINAL_STATUSES), weights=list(FINAL_STATUSES.values()))[0]
        top = LEVELS.index(final) if final in LEVELS else rng.randint(1, 3)
        statuses = [
            LEVELS[round(i * top / (PUBLISHED_PER_COMMITMENT - 1))] for i in range(PUBLISHED_PER_COMMITMENT)
        ]
        statuses[-1] = final
        statuses += [LEVELS[min(top + 1, len(LEVELS) - 1)]] * (
            ASSESSMENTS_PER_COMMITMENT - PUBLISHED_PER_COMMITMENT
        )
        plan, progress = [], 0
        for index, (day, status) in enumerate(zip(days, statuses, strict=True)):
            band = methodology.progress_band(status)
            progress = rng.randint(*band) if band else progress
            state = "published" if index < PUBLISHED_PER_COMMITMENT else ("submitted", "draft")[index % 2]
            plan.append(
                {"as_of": dt.date.fromordinal(day), "status": status, "progress": progress, "state": state}
            )
        return plan

    def write_children(self, commitments: list[Commitment]) -> None:
        """About one in ten is a milestone of an earlier commitment of the same batch."""
        children = []
        for index, commitment in enumerate(commitments):
            if index and self.rng.random() < 0.1:
                commitment.parent_id = commitments[self.rng.randrange(index)].pk
                if commitment.parent_id != commitment.pk:
                    children.append(commitment)
        Commitment.objects.bulk_update(children, ["parent"])

    def write_links(self, commitments: list[Commitment]) -> None:
        rng = self.rng
        responsibilities, region_links = [], []
        for commitment in commitments:
            chosen = rng.sample(self.institutions, min(len(self.institutions), rng.randint(1, 3)))
            for index, institution in enumerate(chosen):
                responsibilities.append(
                    {
                        "commitment_id": commitment.pk,
                        "institution_id": institution.pk,
                        "role": "lead" if index == 0 else "supporting",
                    }
                )
            for region in rng.sample(self.regions, min(len(self.regions), rng.randint(0, 3))):
                region_links.append({"commitment_id": commitment.pk, "region_id": region.pk})
        self.store(CommitmentInstitution, responsibilities)
        self.store(Commitment.regions.through, region_links)

    def write_evidence(self, commitments: list[Commitment]) -> dict[int, list[dict]]:
        rng = self.rng
        rows = []
        for commitment in commitments:
            for n in range(EVIDENCE_PER_COMMITMENT):
                title_fr, title_en = self.sentence()
                language = rng.choice(("fr", "fr", "en"))
                rows.append(
                    {
                        "commitment_id": commitment.pk,
                        "kind": rng.choice(EVIDENCE_KINDS),
                        "publisher": rng.choice(PUBLISHERS),
                        "title": title_fr if language == "fr" else title_en,
                        "published_on": self.date(2016),
                        "url": f"https://example.org/{commitment.reference.lower()}/{n + 1}",
                        "excerpt": self.paragraph()[0 if language == "fr" else 1],
                        "language": language,
                        "reliability": rng.choice(RELIABILITIES),
                        # The first piece is always public: published assessments cite it.
                        "visibility": "public" if n == 0 or rng.random() < 0.9 else "confidential",
                        "organisation_id": self.organisation.pk,
                        "added_by_id": rng.choice(self.authors).pk,
                    }
                )
        self.store(Evidence, rows)
        by_commitment: dict[int, list[dict]] = {}
        for row in rows:
            by_commitment.setdefault(row["commitment_id"], []).append(row)
        return by_commitment

    def write_assessments(self, commitments, plans, evidence) -> None:
        rng = self.rng
        rows = []
        for commitment, plan in zip(commitments, plans, strict=True):
            for step in plan:
                author = rng.choice(self.authors)
                summary_fr, summary_en = self.paragraph()
                moment = dt.datetime.combine(step["as_of"], dt.time(10), tzinfo=dt.UTC)
                published = step["state"] == "published"
                stalled = step["status"] == Status.STALLED
                rows.append(
                    {
                        "commitment_id": commitment.pk,
                        "status": step["status"],
                        "progress": step["progress"],
                        "as_of": step["as_of"],
                        "summary_fr": summary_fr,
                        "summary_en": summary_en,
                        "delay_reason": rng.choice(("funding", "insecurity", "capacity")) if stalled else "",
                        "author_id": author.pk,
                        "organisation_id": self.organisation.pk,
                        "review_state": step["state"],
                        "reviewer_id": rng.choice(self.reviewers).pk if published else None,
                        "submitted_at": moment if step["state"] != "draft" else None,
                        "published_at": moment + dt.timedelta(days=rng.randint(1, 20)) if published else None,
                    }
                )
        self.store(Assessment, rows)
        cites = []
        for assessment in rows:
            pieces = evidence[assessment["commitment_id"]]
            chosen = [pieces[0]] + [p for p in pieces[1:] if rng.random() < 0.3]
            cites += [{"assessment_id": assessment["id"], "evidence_id": p["id"]} for p in chosen]
        self.store(Assessment.evidence.through, cites)

    def write_indicators(self, commitments, evidence) -> None:
        rng = self.rng
        indicators = []
        for commitment in commitments:
            for n in range(rng.randint(1, 2)):
                unit = rng.choice(UNITS)
                target = Decimal(rng.randint(10, 100) if unit == "percent" else rng.randint(10, 50_000))
                name_fr, name_en = rng.choice(OBJECTS)
                indicators.append(
                    {
                        "commitment_id": commitment.pk,
                        "key": f"{commitment.reference.lower()}-{n + 1}",
                        "name_fr": f"Indicateur : {name_fr}",
                        "name_en": f"Indicator: {name_en}",
                        "unit": unit,
                        "baseline_value": Decimal(0),
                        "baseline_date": commitment.start_date,
                        "target_value": target,
                        "target_date": commitment.due_date,
                        "disaggregated_by_sex": rng.random() < 0.2,
                    }
                )
        self.store(Indicator, indicators)
        measurements = []
        for indicator in indicators:
            days = sorted(rng.sample(range(1, 3000), 3))
            for day in days:
                value = (indicator["target_value"] * Decimal(rng.randint(0, 100)) / 100).quantize(
                    Decimal("0.01")
                )
                women = (value / 3).quantize(Decimal("0.01")) if indicator["disaggregated_by_sex"] else None
                measurements.append(
                    {
                        "indicator_id": indicator["id"],
                        "measured_on": indicator["baseline_date"] + dt.timedelta(days=day),
                        "value": value,
                        "value_women": women,
                        "value_men": (value - women) if women is not None else None,
                        "evidence_id": evidence[indicator["commitment_id"]][0]["id"],
                    }
                )
        self.store(Measurement, measurements)


def bulk_create(model, rows: list) -> None:
    """`bulk_create` of model instances built from `rows` (dicts of attnames,
    or instances); the new primary keys are set on the dicts."""
    objs = [row if isinstance(row, model) else model(**row) for row in rows]
    model.objects.bulk_create(objs)
    for row, obj in zip(rows, objs, strict=True):
        if isinstance(row, dict):
            row[model._meta.pk.attname] = obj.pk


def _field_value(field, obj, now):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        setattr(obj, field.attname, now)
        return now
    return getattr(obj, field.attname)


def copy_rows(model, rows: list) -> None:
    """`COPY <table> FROM STDIN` (PostgreSQL) of `rows` (dicts of attnames, or
    model instances): the values `bulk_create` would write (fields left out
    take their default, auto_now fields the time of the batch), without model
    instances or INSERT statements. Primary keys are reserved from the
    table's sequence first and set on the rows, as `bulk_create` does."""
    if not rows:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if f is not pk]
    now = timezone.now()
    auto = {f.attname for f in fields if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)}
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(rows)],
        )
        keys = [value for (value,) in cursor.fetchall()]
        columns = ", ".join(conn.ops.quote_name(c) for c in [pk.column, *(f.column for f in fields)])
        with cursor.cursor.copy(f"COPY {conn.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN") as copy:
            if isinstance(rows[0], model):
                for obj, key in zip(rows, keys, strict=True):
                    obj.pk = key
                    copy.write_row([key, *(_field_value(f, obj, now) for f in fields)])
                    obj._state.adding, obj._state.db = False, conn.alias
                return
            defaults = {f.attname: (now if f.attname in auto else f.get_default()) for f in fields}
            names = list(defaults)
            for row, key in zip(rows, keys, strict=True):
                row[pk.attname] = key
                copy.write_row([key, *(row.get(name, defaults[name]) for name in names)])


def bench_users():
    """Authors and reviewers the generated assessments are attributed to (no usable password)."""
    organisation, _ = Organisation.objects.get_or_create(
        slug=BENCH_ORGANISATION, defaults={"name": "Benchmark monitors (generated data)"}
    )
    users = {}
    for names, group in ((AUTHORS, "Editors"), (REVIEWERS, "Reviewers")):
        for username in names:
            user, created = get_user_model().objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
                user.groups.add(Group.objects.get(name=group))
                Membership.objects.create(user=user, organisation=organisation)
            users[username] = user
    return organisation, [users[n] for n in AUTHORS], [users[n] for n in REVIEWERS]
