"""Dashboard aggregates and time travel ("the tracker as it stood on date D").

Plain functions, free of request objects: the public pages and the API's stats
endpoint both call them.

Time-travel rule: the status of a commitment as of date D is the one given by
its latest *published* assessment whose `as_of` date is on or before D (ties
broken by publication time, then id, exactly as `AssessmentQuerySet.latest_first`).
A commitment with no such assessment is "not started" at 0%. The rule reads the
assessment history as it is published today: a back-dated correction published
later does change what the tracker says about the past (it is a better account
of that past); unpublished assessments never count.

Every aggregate is a constant number of queries whatever the number of rows:
statuses are computed in SQL (a correlated subquery per commitment when D is
given, the denormalised `current_status` otherwise) and grouped there. The
quarterly trend reads every quarter end in one pass over the published
assessments (a window function), not one aggregate per quarter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from tracker.methodology import Status
from tracker.models import (
    Assessment,
    Commitment,
    CommitmentInstitution,
    Framework,
    Institution,
    Pillar,
    Region,
)

# Statuses that end a commitment: such a commitment is never overdue.
FINISHED = (Status.COMPLETED, Status.ABANDONED)
MAX_TREND_QUARTERS = 16
LATEST_CHANGES = 10
OVERDUE_SHOWN = 10


def today() -> dt.date:
    return timezone.localdate()


def latest_published(as_of: dt.date, outer: str = "pk") -> QuerySet[Assessment]:
    """The published assessments of the outer commitment up to `as_of`, latest first."""
    return Assessment.objects.filter(
        review_state=Assessment.ReviewState.PUBLISHED,
        commitment_id=OuterRef(outer),
        as_of__lte=as_of,
    ).order_by("-as_of", "-published_at", "-pk")


def status_expressions(as_of: dt.date | None, outer: str = "pk", prefix: str = "") -> dict:
    """`shown_status`, `shown_progress`, `shown_as_of` of a commitment, now or as of a date.

    `outer`/`prefix` let querysets of related rows (a commitment's institutions
    or regions) use the same rule: outer="commitment_id", prefix="commitment__".
    """
    if as_of is None:
        return {
            "shown_status": F(f"{prefix}current_status"),
            "shown_progress": F(f"{prefix}current_progress"),
            "shown_as_of": F(f"{prefix}status_as_of"),
        }
    latest = latest_published(as_of, outer)
    return {
        "shown_status": Coalesce(Subquery(latest.values("status")[:1]), Value(Status.NOT_STARTED.value)),
        "shown_progress": Coalesce(
            Subquery(latest.values("progress")[:1]), Value(0), output_field=IntegerField()
        ),
        "shown_as_of": Subquery(latest.values("as_of")[:1]),
    }


def with_status_as_of(queryset: QuerySet[Commitment], as_of: dt.date | None) -> QuerySet[Commitment]:
    return queryset.annotate(**status_expressions(as_of))


def overdue_q(on: dt.date) -> Q:
    """Due before `on` and not finished on that date (needs the shown_* annotations)."""
    return Q(due_date__lt=on) & ~Q(shown_status__in=FINISHED)


def with_derived_progress(queryset: QuerySet[Commitment], as_of: dt.date | None) -> QuerySet[Commitment]:
    """`child_count` and `derived_progress`: the average progress of the direct
    children (None without children), computed in SQL."""
    children = (
        with_status_as_of(Commitment.objects.filter(parent=OuterRef("pk")), as_of).order_by().values("parent")
    )
    return queryset.annotate(
        child_count=Coalesce(
            Subquery(children.annotate(n=Count("pk")).values("n")[:1]), 0, output_field=IntegerField()
        ),
        derived_progress=Subquery(
            children.annotate(total=Sum("shown_progress"), n=Count("pk"))
            .annotate(avg=F("total") * 1.0 / F("n"))
            .values("avg")[:1]
        ),
    )


def empty_counts() -> dict[str, int]:
    return {status: 0 for status in Status.values}


def status_counts(queryset: QuerySet, as_of: dt.date | None, outer: str = "pk", prefix: str = "") -> dict:
    """Counts per status and average progress of a set of commitments (one query)."""
    rows = (
        queryset.annotate(**status_expressions(as_of, outer, prefix))
        .order_by()
        .values("shown_status")
        .annotate(n=Count("pk"), progress=Sum("shown_progress"))
    )
    counts = empty_counts()
    progress_total = 0
    for row in rows:
        counts[row["shown_status"]] = row["n"]
        progress_total += row["progress"] or 0
    total = sum(counts.values())
    return {
        "counts": counts,
        "total": total,
        "average_progress": round(progress_total / total) if total else 0,
    }


def _grouped(queryset: QuerySet, key: str, as_of: dt.date | None, outer: str, prefix: str) -> dict:
    rows = (
        queryset.annotate(**status_expressions(as_of, outer, prefix))
        .order_by()
        .values(key, "shown_status")
        .annotate(n=Count("pk"), progress=Sum("shown_progress"))
    )
    grouped: dict = {}
    for row in rows:
        entry = grouped.setdefault(row[key], {"counts": empty_counts(), "progress_total": 0})
        entry["counts"][row["shown_status"]] += row["n"]
        entry["progress_total"] += row["progress"] or 0
    return grouped


def _rows(grouped: dict, objects: Iterable, ident: str) -> list[dict]:
    rows = []
    for obj in objects:
        entry = grouped.get(obj.pk)
        if entry is None:
            continue
        total = sum(entry["counts"].values())
        rows.append(
            {
                "key": getattr(obj, ident),
                "name": obj.name,
                "url": obj.get_absolute_url(),
                "counts": entry["counts"],
                "total": total,
                "average_progress": round(entry["progress_total"] / total) if total else 0,
            }
        )
    return rows


def breakdowns(as_of: dt.date | None) -> dict[str, list[dict]]:
    """Status counts per pillar, framework, institution (any role) and region."""
    commitments = Commitment.objects.all()
    regions_through = Commitment.regions.through.objects.all()
    inst = _grouped(
        CommitmentInstitution.objects.all(), "institution_id", as_of, "commitment_id", "commitment__"
    )
    reg = _grouped(regions_through, "region_id", as_of, "commitment_id", "commitment__")
    return {
        "pillar": _rows(_grouped(commitments, "pillar_id", as_of, "pk", ""), Pillar.objects.all(), "slug"),
        "framework": _rows(
            _grouped(commitments, "framework_id", as_of, "pk", ""), Framework.objects.all(), "code"
        ),
        "institution": _rows(inst, Institution.objects.filter(pk__in=list(inst)), "slug"),
        "region": _rows(reg, Region.objects.all(), "slug"),
    }


def _commitment_row(c: Commitment) -> dict:
    return {
        "reference": c.reference,
        "title": c.title,
        "url": c.get_absolute_url(),
        "status": c.shown_status,
        "status_label": Status(c.shown_status).label,
        "progress": c.shown_progress,
        "due_date": c.due_date,
        "due_date_precision": c.due_date_precision,
    }


def overdue(as_of: dt.date | None, limit: int = OVERDUE_SHOWN) -> dict:
    on = as_of or today()
    queryset = with_status_as_of(Commitment.objects.all(), as_of).filter(overdue_q(on))
    shown = list(queryset.order_by("due_date", "reference")[:limit])
    return {"count": queryset.count(), "commitments": [_commitment_row(c) for c in shown]}


def latest_changes(as_of: dt.date | None, limit: int = LATEST_CHANGES) -> list[dict]:
    """The latest published assessments (by the date they describe) up to `as_of`."""
    queryset = Assessment.objects.published().select_related("commitment")
    if as_of is not None:
        queryset = queryset.as_of(as_of)
    else:
        queryset = queryset.filter(_among_the_latest(limit))
    return [
        {
            "reference": a.commitment.reference,
            "title": a.commitment.title,
            "url": a.commitment.get_absolute_url(),
            "status": a.status,
            "status_label": a.get_status_display(),
            "progress": a.progress,
            "as_of": a.as_of,
            "as_of_precision": a.as_of_precision,
            "summary": a.summary,
            "published_at": a.published_at,
        }
        for a in queryset.latest_first()[:limit]
    ]


def _among_the_latest(limit: int) -> Q:
    """Where today's `limit` latest published assessments must be, so that the
    database does not sort every published assessment to find them.

    A commitment's `status_as_of` is the `as_of` of its latest published
    assessment (written by `commitment_refresh_status`). Let X be the
    `limit`-th highest `status_as_of`: `limit` commitments have a published
    assessment dated X or later, so the `limit` latest are all dated X or
    later, and each belongs to a commitment whose `status_as_of` is X or
    later. Both conditions are served by indexes (a top-N over the
    commitments, then `(commitment, review_state, as_of)`)."""
    floor = Coalesce(
        Subquery(
            Commitment.objects.filter(status_as_of__isnull=False)
            .order_by("-status_as_of")
            .values("status_as_of")[limit - 1 : limit]
        ),
        Value(dt.date.min),
    )
    return Q(as_of__gte=floor, commitment__in=Commitment.objects.filter(status_as_of__gte=floor))


def quarter_end(day: dt.date) -> dt.date:
    month = ((day.month - 1) // 3 + 1) * 3
    next_month = dt.date(day.year + (month == 12), month % 12 + 1, 1)
    return next_month - dt.timedelta(days=1)


def quarter_label(day: dt.date) -> str:
    return f"{day.year} T{(day.month - 1) // 3 + 1}"


def quarter_days(end: dt.date, first: dt.date, quarters: int = MAX_TREND_QUARTERS) -> list[dt.date]:
    """The trend's dates, oldest first: the end of each quarter from the one of
    `first` (at most `quarters` quarters back) to the one of `end`, the last
    one capped at `end`."""
    ends: list[dt.date] = []
    cursor = quarter_end(end)
    while len(ends) < quarters and cursor >= quarter_end(first):
        ends.append(cursor)
        cursor = dt.date(cursor.year, cursor.month - 2, 1) - dt.timedelta(days=1)
    return [min(q_end, end) for q_end in reversed(ends)]


def _first_day_on_or_after(column: str, days: list[dt.date]) -> tuple[str, list]:
    """SQL for the index of the first of `days` (ascending) on or after the
    column's date; len(days) when none is (or the column is NULL)."""
    whens = " ".join(f"WHEN {column} <= %s THEN {n}" for n in range(len(days)))
    return f"CASE {whens} ELSE {len(days)} END", list(days)


def _shown_spans_sql(days: list[dt.date]) -> tuple[str, list]:
    """Per status, how many commitments show it, and their progress, on each day.

    Each published assessment is its commitment's shown status from its own
    `as_of` until the `as_of` of the next one in the time-travel order
    (as_of, published_at, id): `LAG` over that order read backwards gives
    that next date. An assessment followed by one with the same `as_of` is
    never shown (the later publication wins the tie). So the status of a
    commitment on day D comes from the one assessment with `as_of <= D < next`,
    the same as `latest_published(D)[:1]`. Each such span covers the days
    with index in [first, end): one pass over the published assessments
    answers every day, grouped by (first, end, status), a few hundred rows
    at most whatever the number of commitments."""
    table = connection.ops.quote_name(Assessment._meta.db_table)
    first, first_params = _first_day_on_or_after("as_of", days)
    end, end_params = _first_day_on_or_after("next_as_of", days)
    # Only the quoted table name and the CASE built from range() are formatted
    # in; every value (dates, review state) is a bound parameter.
    sql = f"""
        WITH shown AS (
            SELECT status, progress, as_of,
                   LAG(as_of) OVER (
                       PARTITION BY commitment_id ORDER BY as_of DESC, published_at DESC, id DESC
                   ) AS next_as_of
            FROM {table}
            WHERE review_state = %s AND as_of <= %s
        ),
        spans AS (
            SELECT status, progress, {first} AS first_n, {end} AS end_n
            FROM shown
            WHERE next_as_of IS NULL OR next_as_of <> as_of
        )
        SELECT first_n, end_n, status, COUNT(*), SUM(progress)
        FROM spans WHERE first_n < end_n
        GROUP BY first_n, end_n, status
    """  # noqa: S608  # nosec B608  (table name from the model, every value a parameter)
    return sql, [Assessment.ReviewState.PUBLISHED.value, days[-1], *first_params, *end_params]


def status_counts_on(days: list[dt.date]) -> list[dict]:
    """`status_counts(Commitment.objects.all(), day)` for every day (ascending),
    in two queries whatever the number of days or rows (see `_shown_spans_sql`)."""
    if not days:
        return []
    total = Commitment.objects.count()
    sql, params = _shown_spans_sql(days)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    points = [{"counts": empty_counts(), "progress_total": 0} for _ in days]
    for first, end, status, count, progress in rows:
        for point in points[first:end]:
            point["counts"][status] += count
            point["progress_total"] += progress or 0
    results = []
    for point in points:
        counts = point["counts"]
        # Commitments with no published assessment by that day: not started, 0 %.
        counts[Status.NOT_STARTED.value] += total - sum(counts.values())
        results.append(
            {
                "counts": counts,
                "total": total,
                "average_progress": round(point["progress_total"] / total) if total else 0,
            }
        )
    return results


def trend(as_of: dt.date | None, quarters: int = MAX_TREND_QUARTERS) -> list[dict]:
    """Status counts at the end of each quarter, from the first published
    assessment (at most `quarters` quarters back) to `as_of` (three queries)."""
    end = as_of or today()
    first = Assessment.objects.published().filter(as_of__lte=end).order_by("as_of").values("as_of").first()
    if first is None:
        return []
    days = quarter_days(end, first["as_of"], quarters)
    return [
        {"date": day, "label": quarter_label(day), **counts}
        for day, counts in zip(days, status_counts_on(days), strict=True)
    ]


def dashboard_stats(as_of: dt.date | None = None) -> dict:
    """Everything the dashboard shows (also served by the API's stats endpoint)."""
    return {
        "as_of": as_of,
        "overall": status_counts(Commitment.objects.all(), as_of),
        "breakdowns": breakdowns(as_of),
        "overdue": overdue(as_of),
        "latest_changes": latest_changes(as_of),
        "trend": trend(as_of),
    }


def scorecard(commitments: QuerySet[Commitment], as_of: dt.date | None) -> dict:
    """Status counts, average progress and overdue count of a set of commitments."""
    card = status_counts(commitments, as_of)
    on = as_of or today()
    card["overdue"] = with_status_as_of(commitments, as_of).filter(overdue_q(on)).count()
    return card


def changes_between(start: dt.date, end: dt.date) -> QuerySet[Commitment]:
    """Commitments with a published assessment dated in (start, end], with
    their status at both dates (`status_from`/`progress_from`, `shown_*`)."""
    before = status_expressions(start)
    moved = Assessment.objects.published().filter(
        commitment_id=OuterRef("pk"), as_of__gt=start, as_of__lte=end
    )
    return (
        with_status_as_of(Commitment.objects.filter(Exists(moved)), end)
        .annotate(status_from=before["shown_status"], progress_from=before["shown_progress"])
        .select_related("framework", "pillar")
        .order_by("-shown_as_of", "reference")
    )
