"""The quarterly trend's closed quarters, stored (`TrendQuarter`).

The figures of a quarter that has ended change only when a published
assessment dated on or before its last day appears or goes: a back-dated
publication, a deletion. So the dashboard reads them from a small table
(one query) instead of re-reading every published assessment, and only the
current quarter (or the date looked back at) is computed live
(tracker.stats.status_counts_on).

Correctness does not depend on a task having run:

- **Invalidation happens in the writing transaction.** Publishing (any save
  of a published assessment) or deleting a published assessment deletes the
  stored quarters ending on or after its `as_of` (all of them when a
  published row is rewritten and its old date is unknown) and bumps
  `TrendEpoch` (signals connected in `connect_signals`; services never
  un-publish: published assessments are append-only). It commits or rolls
  back with the publication.
- **Missing quarters are computed by whoever needs them** (a reader, the
  warming task, `rebuild_dashboard_trend`), in one pass, and stored only if
  the epoch did not move since before the pass: the store locks the epoch
  row, so a publication still being committed makes it wait and then give
  up; a publication that bumps the epoch after the store deletes what was
  stored. Either way no figure computed without a committed publication
  survives it.
- Writes that send no signals (bulk inserts, `QuerySet.update()`, another
  program) must call `invalidate_from(None)` or the command
  `rebuild_dashboard_trend`; `generate_benchmark_data` does.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from tracker import stats
from tracker.insights.models import TrendEpoch, TrendQuarter

EPOCH_PK = 1


def is_closed(day: dt.date, today: dt.date) -> bool:
    """A quarter's last day, and that quarter is over."""
    return day == stats.quarter_end(day) and day < today


def _epoch() -> int | None:
    """The epoch before a computation; None when the row is missing (made
    now: what is computed this time is not stored)."""
    value = TrendEpoch.objects.filter(pk=EPOCH_PK).values_list("value", flat=True).first()
    if value is None:
        TrendEpoch.objects.bulk_create([TrendEpoch(pk=EPOCH_PK)], ignore_conflicts=True)
    return value


def _store(figures: dict[dt.date, tuple[dict[str, int], int]], epoch: int | None) -> bool:
    if epoch is None or not figures:
        return False
    with transaction.atomic():
        # A publication that bumped the epoch holds its row until it commits:
        # do not wait for it (a reader would stall behind a long write), just
        # do not store; the figures are still served.
        locked = (
            TrendEpoch.objects.select_for_update(skip_locked=True)
            .filter(pk=EPOCH_PK)
            .values_list("value", flat=True)
        )
        if list(locked) != [epoch]:
            return False
        TrendQuarter.objects.bulk_create(
            [
                TrendQuarter(quarter_end=day, counts=counts, progress_total=progress)
                for day, (counts, progress) in figures.items()
            ],
            update_conflicts=True,
            unique_fields=["quarter_end"],
            update_fields=["counts", "progress_total", "updated_at"],
        )
    return True


def figures(days: list[dt.date]) -> dict[dt.date, tuple[dict[str, int], int]]:
    """Stored figures of these closed quarter ends (counts per status of the
    commitments with a published assessment by then, progress total); the
    missing ones computed in one pass and stored. One query when all are stored."""
    if not days:
        return {}
    found = {
        row.quarter_end: (row.counts, row.progress_total)
        for row in TrendQuarter.objects.filter(quarter_end__in=days)
    }
    missing = sorted(set(days) - set(found))
    if missing:
        epoch = _epoch()
        computed = stats.shown_on(missing)
        _store(computed, epoch)
        found.update(computed)
    return found


def rebuild(*, quarters: int | None = None, dry_run: bool = False) -> list[dt.date]:
    """Forget every stored quarter and store the closed quarters from the first
    published assessment's (the last `quarters` only, when given). Returns the
    quarter ends computed."""
    from tracker.models import Assessment

    today = stats.today()
    first = Assessment.objects.published().order_by("as_of").values_list("as_of", flat=True).first()
    last_closed = dt.date(today.year, (today.month - 1) // 3 * 3 + 1, 1) - dt.timedelta(days=1)
    days = [] if first is None else stats.quarter_days(last_closed, first, quarters or 10_000)
    days = [day for day in days if is_closed(day, today)]
    if dry_run:
        return days
    with transaction.atomic():
        invalidate_from(None)
    if days:
        epoch = _epoch()
        _store(stats.shown_on(days), epoch)
    return days


def invalidate_from(day: dt.date | None) -> None:
    """Forget the stored quarters ending on or after `day` (every one when
    None) and bump the epoch; call inside the writing transaction."""
    table = connection.ops.quote_name(TrendEpoch._meta.db_table)
    now = timezone.now()
    # One statement whether or not the row exists (a flushed or new database);
    # it holds the row's lock until the writing transaction ends.
    sql = (
        f"INSERT INTO {table} (id, value, created_at, updated_at) VALUES (%s, 1, %s, %s) "  # noqa: S608  # nosec B608
        f"ON CONFLICT (id) DO UPDATE SET value = {table}.value + 1, updated_at = EXCLUDED.updated_at"
    )
    # The stored quarters go with one DELETE after it (a separate statement:
    # in READ COMMITTED it sees quarters stored by a reader that held the epoch
    # row until it committed). Not QuerySet.delete(): a receiver of
    # post_delete for every model (insights.version, which ignores this app's
    # models) made it SELECT the rows first, one more round trip per publication.
    quarters = connection.ops.quote_name(TrendQuarter._meta.db_table)
    delete = f"DELETE FROM {quarters}"  # noqa: S608  # nosec B608
    with connection.cursor() as cursor:
        cursor.execute(sql, [EPOCH_PK, now, now])
        if day is None:
            cursor.execute(delete)
        else:
            column = connection.ops.quote_name(TrendQuarter._meta.get_field("quarter_end").column)
            cursor.execute(f"{delete} WHERE {column} >= %s", [connection.ops.adapt_datefield_value(day)])


def _assessment_saved(
    sender, instance, created: bool, update_fields=None, raw: bool = False, **kwargs
) -> None:
    if instance.review_state != instance.ReviewState.PUBLISHED:
        return  # services never un-publish: a row that is not published now never was
    if (created and not raw) or (update_fields is not None and "as_of" not in update_fields):
        invalidate_from(instance.as_of)  # published (or touched) with its date unchanged
    else:
        invalidate_from(None)  # a published row rewritten: its former date is unknown


def _assessment_deleted(sender, instance, **kwargs) -> None:
    if instance.review_state == instance.ReviewState.PUBLISHED:
        invalidate_from(instance.as_of)


def connect_signals() -> None:
    from tracker.models import Assessment

    post_save.connect(_assessment_saved, sender=Assessment, dispatch_uid="insights-trend-saved")
    post_delete.connect(_assessment_deleted, sender=Assessment, dispatch_uid="insights-trend-deleted")
