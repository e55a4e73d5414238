"""Today's breakdowns by institution and by region, kept by the database.

Grouping every link row with its commitment's status (~200,000 institution
links and ~150,000 region links at 100,000 commitments) was most of a cold
dashboard's time. On PostgreSQL, triggers (migration insights 0002, which
explains them) add the change every write makes to those counts to
`StatusTally`, in the writing transaction, whatever wrote it: the services,
the admin, imports, `QuerySet.update()`, COPY, another program. So the
figures are the sums of a few hundred rows (`breakdowns`), and never a
separate copy that a missed code path could leave behind. (The triggers
rely on READ COMMITTED, Django's default: see the migration.)

- `compact` folds the rows into one per (kind, key, status) with one
  statement (delete and re-insert their sums), so that readers never see
  them half-folded; the warming task runs it after writes.
- `rebuild` recounts from the commitments and links (locking writers out
  meanwhile): after a TRUNCATE or rows loaded with triggers disabled, the
  only writes the triggers do not see. `rebuild_dashboard_trend` and
  `generate_benchmark_data` call it.

Other databases (SQLite) have no triggers: `available()` is False and the
dashboard groups the links live (tracker.stats.breakdowns).
"""

from __future__ import annotations

from django.db import connection, transaction

from tracker.insights.models import StatusTally

TABLE = StatusTally._meta.db_table
# The tables the triggers watch; the rebuild locks them (names from the models).
WATCHED = ("tracker_commitment", "tracker_commitmentinstitution", "tracker_commitment_regions")
RECOUNT = (
    f"INSERT INTO {TABLE} (created_at, updated_at, kind, key, status, n, progress_total) "  # noqa: S608  # nosec B608
    + " UNION ALL ".join(
        f"SELECT now(), now(), '{kind}', l.{key}, c.current_status, COUNT(*), SUM(c.current_progress) "  # nosec B608
        f"FROM {table} l JOIN tracker_commitment c ON c.id = l.commitment_id "
        f"GROUP BY l.{key}, c.current_status"
        for kind, table, key in (
            ("institution", "tracker_commitmentinstitution", "institution_id"),
            ("region", "tracker_commitment_regions", "region_id"),
        )
    )
)


def available() -> bool:
    """Whether the triggers keep the tally (PostgreSQL)."""
    return connection.vendor == "postgresql"


def breakdowns() -> dict[str, dict[int, list[tuple[str, int, int]]]]:
    """Per kind ("institution", "region"), per key: (status, commitments,
    progress total) of today's statuses; only the non-zero counts, as the
    live grouping has them. One query over the tally."""
    # Only this module's table name is formatted in.
    sql = (
        f"SELECT kind, key, status, SUM(n)::bigint, SUM(progress_total)::bigint FROM {TABLE} "  # noqa: S608  # nosec B608
        "GROUP BY kind, key, status HAVING SUM(n) <> 0"
    )
    result: dict[str, dict[int, list[tuple[str, int, int]]]] = {kind: {} for kind in StatusTally.Kind.values}
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for kind, key, status, n, progress in cursor.fetchall():
            result[kind].setdefault(key, []).append((status, n, progress))
    return result


def compact() -> None:
    """One row per (kind, key, status) with its sums; rows summing to nothing go."""
    if not available():
        return
    sql = (
        f"WITH gone AS (DELETE FROM {TABLE} RETURNING kind, key, status, n, progress_total) "  # noqa: S608  # nosec B608
        f"INSERT INTO {TABLE} (created_at, updated_at, kind, key, status, n, progress_total) "
        "SELECT now(), now(), kind, key, status, SUM(n), SUM(progress_total) FROM gone "
        "GROUP BY kind, key, status HAVING SUM(n) <> 0 OR SUM(progress_total) <> 0"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)


def rebuild() -> None:
    """Recount from the rows: writers to the commitments and their links wait
    until it commits, so nothing is counted twice or missed."""
    if not available():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {', '.join(WATCHED)} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {TABLE}")  # noqa: S608  # nosec B608
        cursor.execute(RECOUNT)
