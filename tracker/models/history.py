"""History of many-to-many fields, copied by the database.

django-simple-history (3.13, `HistoricalRecords.create_historical_record_m2ms`)
writes a history row's many-to-many rows like this, for each tracked field:
rebuild the saved instance from its history row only to find the through
model (which re-reads every excluded column from the database: the
commitment's `search_document`, one SELECT per field and per save), SELECT
the through rows with their related rows joined, and bulk-insert copies.

`M2MHistoricalRecords` copies them with one statement per field instead,
`INSERT INTO <history table> (...) SELECT ... FROM <through table> WHERE ...`
(all the fields in one statement on PostgreSQL): the same rows, the same
values, no re-read. It falls back to the library's way when something listens
to the library's many-to-many history signals (they carry the row objects)
or the history rows' keys are not made by the database.
"""

from __future__ import annotations

from django.db import connections, models, router
from simple_history import utils
from simple_history.models import HistoricalRecords
from simple_history.signals import (
    post_create_historical_m2m_records,
    pre_create_historical_m2m_records,
)


class M2MHistoricalRecords(HistoricalRecords):
    def create_historical_record_m2ms(self, history_instance, instance):
        fields = history_instance._history_m2m_fields
        if not fields:
            return
        history_models = [self.m2m_models[field] for field in fields]
        if not all(_copiable(model) for model in history_models):
            super().create_historical_record_m2ms(history_instance, instance)
            return
        using = router.db_for_write(history_models[0])
        connection = connections[using]
        statements = [
            _copy_statement(connection, field, model, history_instance, instance)
            for field, model in zip(fields, history_models, strict=True)
        ]
        if connection.vendor == "postgresql" and len(statements) > 1:
            # Data-modifying WITH clauses run once and to completion whether or
            # not the main statement reads them.
            sql = "WITH " + ", ".join(f"m{i} AS ({s})" for i, (s, _) in enumerate(statements[:-1]))
            statements = [(f"{sql} {statements[-1][0]}", [p for _, params in statements for p in params])]
        with connection.cursor() as cursor:
            for sql, params in statements:
                cursor.execute(sql, params)


def _copiable(history_model) -> bool:
    """Whether the rows can be copied in SQL with the same result: the
    database numbers them, and nothing expects the row objects."""
    return (
        isinstance(history_model._meta.pk, models.AutoField)
        and not pre_create_historical_m2m_records.has_listeners(history_model)
        and not post_create_historical_m2m_records.has_listeners(history_model)
    )


def _copy_statement(connection, field, history_model, history_instance, instance) -> tuple[str, list]:
    """INSERT ... SELECT copying the through rows of `instance` for `field`,
    each with the new history row's key, as the library's loop does."""
    quote = connection.ops.quote_name
    through = field.remote_field.through
    names = [f.name for f in through._meta.fields]
    history_fk = history_model._meta.get_field("history")
    source = through._meta.get_field(utils.get_m2m_field_name(field))
    targets = [quote(history_model._meta.get_field(name).column) for name in names]
    columns = [quote(through._meta.get_field(name).column) for name in names]
    targets.append(quote(history_fk.column))
    # Only the models' own quoted table and column names are formatted in.
    sql = (
        f"INSERT INTO {quote(history_model._meta.db_table)} ({', '.join(targets)}) "  # noqa: S608  # nosec B608
        f"SELECT {', '.join(columns)}, %s FROM {quote(through._meta.db_table)} "
        f"WHERE {quote(source.column)} = %s"
    )
    params = [
        getattr(history_instance, history_fk.target_field.attname),
        getattr(instance, source.target_field.attname),
    ]
    return sql, params
