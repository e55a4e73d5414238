"""The breakdowns by institution and by region, kept by PostgreSQL triggers.

Every statement that inserts, updates or deletes commitments or their
institution or region links adds, in its own transaction, the change it makes
to the counts per (institution | region, status) and their progress totals:
rows of `insights_statustally`, only ever inserted (no row is updated, so
concurrent writers never wait for each other there). The dashboard sums them
(tracker/insights/tally.py).

The invariant: the sums equal, for every link row whose commitment exists, one
commitment of that commitment's status and progress. Each trigger applies the
difference its statement made to it, joining its transition tables to the
other table as that table stands when the trigger runs:

- commitments inserted, updated (any column) or deleted: their old rows
  count -1, their new rows +1, for each of their links (net zero when neither
  the status nor the progress changed: nothing is written);
- links inserted, updated or deleted: -1 for the old link, +1 for the new,
  with the status of their commitment. They first lock those commitments
  `FOR SHARE`, so that a concurrent update of the commitment's status either
  commits first (and is then read) or waits for this transaction (and then
  sees the link): neither side misses the other. This relies on READ
  COMMITTED (Django's default, and this project's: no isolation level is
  set), where each statement of a trigger reads the latest committed rows; a
  REPEATABLE READ transaction updating a commitment could miss a link
  committed after its snapshot, so the triggers refuse any other isolation
  level (the write fails rather than the counts drifting).

TRUNCATE fires none of them: after a truncation (or loading rows with
triggers disabled, `pg_restore --disable-triggers`), run `manage.py
rebuild_dashboard_trend`, which also recounts these. Other databases have no
triggers; the dashboard computes the breakdowns live there.
"""

from django.db import migrations, models

# Only these constant names are formatted into the SQL below.
LINKS = (
    ("institution", "tracker_commitmentinstitution", "institution_id"),
    ("region", "tracker_commitment_regions", "region_id"),
)
TALLY = "insights_statustally"
COLUMNS = "(created_at, updated_at, kind, key, status, n, progress_total)"


def _commitment_function() -> str:
    parts = []
    for kind, table, key in LINKS:
        parts.append(
            f"SELECT now(), now(), '{kind}', l.{key}, s.current_status, SUM(s.sign), "  # nosec B608
            f"SUM(s.sign * s.current_progress) "
            f"FROM signed s JOIN {table} l ON l.commitment_id = s.id "
            f"GROUP BY l.{key}, s.current_status "
            f"HAVING SUM(s.sign) <> 0 OR SUM(s.sign * s.current_progress) <> 0"
        )
    insert = f"INSERT INTO {TALLY} {COLUMNS} WITH signed AS (%s) " + " UNION ALL ".join(parts) + ";"
    old = "SELECT id, current_status, current_progress, -1 AS sign FROM old_rows"
    new = "SELECT id, current_status, current_progress, 1 AS sign FROM new_rows"
    return f"""
CREATE OR REPLACE FUNCTION insights_tally_commitments() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'the dashboard tally triggers need READ COMMITTED (insights 0002)';
    END IF;
    IF TG_OP = 'INSERT' THEN
        {insert % new}
    ELSIF TG_OP = 'DELETE' THEN
        {insert % old}
    ELSE
        {insert % (old + " UNION ALL " + new)}
    END IF;
    RETURN NULL;
END
$$;
"""


def _link_function(kind: str, table: str, key: str) -> str:
    def apply(signed: str) -> str:
        return (
            "PERFORM 1 FROM tracker_commitment c "  # nosec B608
            f"WHERE c.id IN (SELECT commitment_id FROM ({signed}) s) ORDER BY c.id FOR SHARE;\n"
            f"        INSERT INTO {TALLY} {COLUMNS} "
            f"SELECT now(), now(), '{kind}', s.{key}, c.current_status, SUM(s.sign), "
            f"SUM(s.sign * c.current_progress) "
            f"FROM ({signed}) s JOIN tracker_commitment c ON c.id = s.commitment_id "
            f"GROUP BY s.{key}, c.current_status "
            f"HAVING SUM(s.sign) <> 0 OR SUM(s.sign * c.current_progress) <> 0;"
        )

    old = f"SELECT commitment_id, {key}, -1 AS sign FROM old_rows"  # nosec B608
    new = f"SELECT commitment_id, {key}, 1 AS sign FROM new_rows"  # nosec B608
    return f"""
CREATE OR REPLACE FUNCTION insights_tally_{kind}_links() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'the dashboard tally triggers need READ COMMITTED (insights 0002)';
    END IF;
    IF TG_OP = 'INSERT' THEN
        {apply(new)}
    ELSIF TG_OP = 'DELETE' THEN
        {apply(old)}
    ELSE
        {apply(old + " UNION ALL " + new)}
    END IF;
    RETURN NULL;
END
$$;
"""


def _triggers(table: str, function: str) -> str:
    name = function.removesuffix("()")
    return "\n".join(
        f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} "
        f"REFERENCING {refs} FOR EACH STATEMENT EXECUTE FUNCTION {function};"
        for event, refs in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        )
    )


# The counts of the rows as they stand: the first fill, and `tally.rebuild`.
RECOUNT = f"INSERT INTO {TALLY} {COLUMNS} " + " UNION ALL ".join(
    f"SELECT now(), now(), '{kind}', l.{key}, c.current_status, COUNT(*), SUM(c.current_progress) "  # nosec B608
    f"FROM {table} l JOIN tracker_commitment c ON c.id = l.commitment_id GROUP BY l.{key}, c.current_status"
    for kind, table, key in LINKS
)


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    statements = [_commitment_function(), _triggers("tracker_commitment", "insights_tally_commitments()")]
    for kind, table, key in LINKS:
        statements += [_link_function(kind, table, key), _triggers(table, f"insights_tally_{kind}_links()")]
    # Triggers first: a write committed after this migration is counted by
    # them; the recount below sees everything committed before (the triggers'
    # locks on the tables hold writers back until the migration commits).
    statements.append(RECOUNT)
    with schema_editor.connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("DROP FUNCTION IF EXISTS insights_tally_commitments() CASCADE")
        for kind, _table, _key in LINKS:
            cursor.execute(f"DROP FUNCTION IF EXISTS insights_tally_{kind}_links() CASCADE")


class Migration(migrations.Migration):
    dependencies = [
        ("insights", "0001_trend_snapshot"),
        ("tracker", "0007_assessment_measurement_checks"),
    ]

    operations = [
        migrations.CreateModel(
            name="StatusTally",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                ("updated_at", models.DateTimeField(auto_now=True, verbose_name="updated at")),
                (
                    "kind",
                    models.CharField(
                        choices=[("institution", "institution"), ("region", "region")],
                        max_length=20,
                        verbose_name="kind",
                    ),
                ),
                ("key", models.BigIntegerField(verbose_name="institution or region")),
                ("status", models.CharField(max_length=20, verbose_name="status")),
                ("n", models.BigIntegerField(verbose_name="change in commitments")),
                ("progress_total", models.BigIntegerField(verbose_name="change in the sum of progress")),
            ],
            options={
                "verbose_name": "status tally",
                "verbose_name_plural": "status tallies",
            },
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
