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
overall counts, the pillar and framework breakdowns and the overdue count
come from one grouped query over the commitments (`commitment_groups`). The
quarterly trend's closed quarters are stored (tracker/insights/trend.py),
computed when missing in one pass over the published assessments (a window
function); only the last point (today, or the date looked back at) is live.
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


# `Status.values` is rebuilt on every access (Django's ChoicesType property):
# read once, it is the order of every counts dict.
STATUSES = tuple(Status.values)


def empty_counts() -> dict[str, int]:
    return dict.fromkeys(STATUSES, 0)


def status_counts(queryset: QuerySet, as_of: dt.date | None, outer: str = "pk", prefix: str = "") -> dict:
    """Counts per status and average progress of a set of commitments (one query)."""
    rows = (
        queryset.annotate(**status_expressions(as_of, outer, prefix))
        .order_by()
        .values("shown_status")
        .annotate(n=Count("pk"), progress=Sum("shown_progress"))
    )
    return _counts_of(rows)


def _grouped(queryset: QuerySet, key: str, as_of: dt.date | None, outer: str, prefix: str) -> dict:
    rows = (
        queryset.annotate(**status_expressions(as_of, outer, prefix))
        .order_by()
        .values(key, "shown_status")
        .annotate(n=Count("pk"), progress=Sum("shown_progress"))
    )
    return _grouped_from(rows, key)


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


def commitment_groups(as_of: dt.date | None) -> list[dict]:
    """One query over the commitments: how many, their progress and how many
    of them are due before the date, per (pillar, framework, status as of the
    date). The overall counts, the pillar and framework breakdowns, the
    overdue count and the trend's live point all add up from these few
    hundred rows (`_counts_of`, `_grouped_from`, `_overdue_count`). On
    PostgreSQL the rows come in the order of the covering index
    `tracker_com_dashboard`, so they are grouped without a hash table."""
    on = as_of or today()
    return list(
        Commitment.objects.annotate(**status_expressions(as_of))
        .order_by()
        .values("pillar_id", "framework_id", "shown_status")
        .annotate(n=Count("pk"), progress=Sum("shown_progress"), late=Count("pk", filter=Q(due_date__lt=on)))
    )


def _tally(groups: Iterable[dict]) -> tuple[dict[str, int], int]:
    """Counts per status and progress total of grouped rows."""
    counts = empty_counts()
    progress_total = 0
    for row in groups:
        counts[row["shown_status"]] += row["n"]
        progress_total += row["progress"] or 0
    return counts, progress_total


def _counts_of(groups: Iterable[dict]) -> dict:
    """Counts per status, total and average progress from grouped rows."""
    counts, progress_total = _tally(groups)
    total = sum(counts.values())
    return {
        "counts": counts,
        "total": total,
        "average_progress": round(progress_total / total) if total else 0,
    }


def _grouped_from(groups: Iterable[dict], key: str) -> dict:
    """Per value of `key`: counts per status and progress total, from grouped rows."""
    grouped: dict = {}
    for row in groups:
        entry = grouped.get(row[key])
        if entry is None:
            entry = grouped[row[key]] = {"counts": empty_counts(), "progress_total": 0}
        entry["counts"][row["shown_status"]] += row["n"]
        entry["progress_total"] += row["progress"] or 0
    return grouped


def _overdue_count(groups: list[dict]) -> int:
    return sum(row["late"] for row in groups if row["shown_status"] not in FINISHED)


def _link_breakdowns(as_of: dt.date | None) -> tuple[dict, dict]:
    """By institution and by region (like `_grouped_from`): today's from the
    tally the database keeps (tracker/insights/tally.py), one query over a few
    hundred rows; as of a date, or without the tally (SQLite), grouped live."""
    from tracker.insights import tally  # the insights app imports this module

    if as_of is None and tally.available():
        kept = tally.breakdowns()
        return _from_tally(kept["institution"]), _from_tally(kept["region"])
    inst = _grouped(
        CommitmentInstitution.objects.all(), "institution_id", as_of, "commitment_id", "commitment__"
    )
    reg = _grouped(
        Commitment.regions.through.objects.all(), "region_id", as_of, "commitment_id", "commitment__"
    )
    return inst, reg


def _from_tally(kept: dict[int, list[tuple[str, int, int]]]) -> dict:
    grouped = {}
    for key, rows in kept.items():
        counts = empty_counts()
        for status, n, _progress in rows:
            counts[status] += n
        grouped[key] = {"counts": counts, "progress_total": sum(progress for _s, _n, progress in rows)}
    return grouped


# The columns `_rows` reads of each kind of group (its key, which is also what
# its URL is made of, and its name, `Bilingual` or not): the rows are loaded
# without the descriptions and the other columns the dashboard does not show.
BILINGUAL_NAME = ("name_fr", "name_en")


def breakdowns(as_of: dt.date | None, groups: list[dict] | None = None) -> dict[str, list[dict]]:
    """Status counts per pillar, framework, institution (any role) and region.
    `groups`: `commitment_groups(as_of)` when the caller has it already."""
    groups = commitment_groups(as_of) if groups is None else groups
    inst, reg = _link_breakdowns(as_of)
    institutions = Institution.objects.filter(pk__in=list(inst)).only("slug", *BILINGUAL_NAME)
    return {
        "pillar": _rows(
            _grouped_from(groups, "pillar_id"), Pillar.objects.only("slug", *BILINGUAL_NAME), "slug"
        ),
        "framework": _rows(
            _grouped_from(groups, "framework_id"), Framework.objects.only("code", *BILINGUAL_NAME), "code"
        ),
        "institution": _rows(inst, institutions, "slug"),
        "region": _rows(reg, Region.objects.only("slug", "name"), "slug"),
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


def overdue(as_of: dt.date | None, limit: int = OVERDUE_SHOWN, count: int | None = None) -> dict:
    """The overdue count and the first `limit` overdue commitments by due date
    (`count`: from `commitment_groups`, when the caller has it)."""
    on = as_of or today()
    queryset = with_status_as_of(Commitment.objects.all(), as_of).filter(overdue_q(on))
    # Only what `_commitment_row` reads (not the descriptions nor the search document).
    shown = list(
        queryset.only("reference", "title_fr", "title_en", "due_date", "due_date_precision").order_by(
            "due_date", "reference"
        )[:limit]
    )
    return {
        "count": queryset.count() if count is None else count,
        "commitments": [_commitment_row(c) for c in shown],
    }


def latest_changes(as_of: dt.date | None, limit: int = LATEST_CHANGES) -> list[dict]:
    """The latest published assessments (by the date they describe) up to `as_of`:
    the first rows of the partial index `tracker_ass_published_recent`."""
    # Only the columns read below (not the texts, nor the commitment's
    # descriptions and search document).
    queryset = (
        Assessment.objects.published()
        .select_related("commitment")
        .only(
            "status",
            "progress",
            "as_of",
            "as_of_precision",
            "summary_fr",
            "summary_en",
            "published_at",
            "commitment__reference",
            "commitment__title_fr",
            "commitment__title_en",
        )
    )
    if as_of is not None:
        queryset = queryset.as_of(as_of)
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


def shown_on(days: list[dt.date]) -> dict[dt.date, tuple[dict[str, int], int]]:
    """For each day (ascending): the commitments per status and their progress
    total, counting only those with a published assessment by that day; one
    pass over the published assessments (see `_shown_spans_sql`)."""
    sql, params = _shown_spans_sql(days)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    points = [({}, 0) for _ in days]
    for first, end, status, count, progress in rows:
        for n in range(first, end):
            counts, total = points[n]
            counts[status] = counts.get(status, 0) + count
            points[n] = (counts, total + (progress or 0))
    return dict(zip(days, points, strict=True))


def _from_groups(groups: list[dict], as_of: dt.date | None, day: dt.date) -> tuple[dict[str, int], int]:
    """The trend's live point, `day` (today, or `as_of`), from
    `commitment_groups(as_of)`: counts per status and progress total.

    As of a date, the groups' statuses are already those of that day. For
    today they are the denormalised ones, which differ only for commitments
    whose latest published assessment is dated after today (none, unless
    some were published with a future date): one plain query, on the index
    of `status_as_of`, finds those, and only when there are some a second
    one (the time-travel subqueries) gives their status on the day."""
    counts, progress_total = _tally(groups)
    if as_of is None:
        ahead = list(
            Commitment.objects.filter(status_as_of__gt=day).values_list(
                "pk", "current_status", "current_progress"
            )
        )
        if ahead:
            on_day = {
                pk: (status, progress)
                for pk, status, progress in with_status_as_of(
                    Commitment.objects.filter(pk__in=[pk for pk, _status, _progress in ahead]), day
                ).values_list("pk", "shown_status", "shown_progress")
            }
            for pk, status, progress in ahead:
                if pk in on_day:  # (deleted in between: left as grouped)
                    day_status, day_progress = on_day[pk]
                    counts[status] -= 1
                    counts[day_status] += 1
                    progress_total += day_progress - progress
    return counts, progress_total


def status_counts_on(days: list[dt.date], groups: list[dict], as_of: dt.date | None) -> list[dict]:
    """`status_counts(Commitment.objects.all(), day)` for every day of the
    trend (ascending; `quarter_days`): all but the last are closed quarter
    ends, and so may be the last one.

    Closed quarters come from the stored trend (tracker/insights/trend.py:
    one query; the missing ones computed in one pass over the published
    assessments and stored). The last day, when not closed, is today or the
    date looked back at (`as_of`): read from `groups`, which are
    `commitment_groups(as_of)` (`_from_groups`); they also give the number of
    commitments."""
    if not days:
        return []
    from tracker.insights import trend as stored_trend  # the insights app imports this module

    on = today()
    closed = [day for day in days if stored_trend.is_closed(day, on)]
    if set(days[:-1]) - set(closed):
        raise ValueError("only the last day of a trend may be a day that is not a closed quarter end")
    figures = stored_trend.figures(closed)
    if days[-1] not in figures:
        figures[days[-1]] = _from_groups(groups, as_of, days[-1])
    total = sum(row["n"] for row in groups)
    results = []
    for day in days:
        shown, progress_total = figures[day]
        counts = empty_counts()
        for status, n in shown.items():
            counts[status] += n
        # Commitments with no published assessment by that day: not started, 0 %.
        counts[Status.NOT_STARTED.value] += total - sum(counts.values())
        results.append(
            {
                "counts": counts,
                "total": total,
                "average_progress": round(progress_total / total) if total else 0,
            }
        )
    return results


def trend(
    as_of: dt.date | None, quarters: int = MAX_TREND_QUARTERS, groups: list[dict] | None = None
) -> list[dict]:
    """Status counts at the end of each quarter, from the first published
    assessment (at most `quarters` quarters back) to `as_of`: the first
    published date, the stored closed quarters, and today (or `as_of`) from
    `groups` (`commitment_groups(as_of)`, queried here when not given)."""
    end = as_of or today()
    first = Assessment.objects.published().filter(as_of__lte=end).order_by("as_of").values("as_of").first()
    if first is None:
        return []
    days = quarter_days(end, first["as_of"], quarters)
    groups = commitment_groups(as_of) if groups is None else groups
    return [
        {"date": day, "label": quarter_label(day), **counts}
        for day, counts in zip(days, status_counts_on(days, groups, as_of), strict=True)
    ]


def dashboard_stats(as_of: dt.date | None = None) -> dict:
    """Everything the dashboard shows (also served by the API's stats endpoint)."""
    groups = commitment_groups(as_of)
    return {
        "as_of": as_of,
        "overall": _counts_of(groups),
        "breakdowns": breakdowns(as_of, groups),
        "overdue": overdue(as_of, count=_overdue_count(groups)),
        "latest_changes": latest_changes(as_of),
        "trend": trend(as_of, groups=groups),
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
