"""Search over commitments: accent- and case-insensitive, French and English.

`search_document` holds the folded text (see services.commitments.fold), so
"Segou", "SÉGOU" and "ségou" all match. On PostgreSQL the query uses the
full-text GIN index (migration 0002) with prefix matching; on SQLite it falls
back to substring matching of every word on the same folded text.
"""

from __future__ import annotations

import re

from django.contrib.postgres.search import SearchQuery, SearchVectorField
from django.db import connection
from django.db.models import F, Func, QuerySet

from tracker.services.commitments import fold

MAX_TERMS = 10
MAX_TERM_LENGTH = 60


class StoredSearchVector(Func):
    """A commitment's stored search vector on PostgreSQL: the generated column
    `search_vector`, to_tsvector('simple', search_document), with its GIN index
    (migration 0008). Django's model does not know the column; it is named
    here with the alias of the row's table, so the filter works in subqueries."""

    arity = 1
    output_field = SearchVectorField()

    def as_sql(self, compiler, connection, **extra_context):
        (column,) = self.get_source_expressions()  # the resolved search_document column
        alias = compiler.quote_name_unless_alias(column.alias)
        return f"{alias}.{connection.ops.quote_name('search_vector')}", []


def search_terms(query: str) -> list[str]:
    """Words of the query, folded; punctuation and operators are dropped, so
    user input never reaches the database as syntax."""
    words = re.findall(r"\w+", fold(query or ""))
    return [w[:MAX_TERM_LENGTH] for w in words][:MAX_TERMS]


def search_commitments(queryset: QuerySet, query: str) -> QuerySet:
    terms = search_terms(query)
    if not terms:
        return queryset
    if connection.vendor == "postgresql":
        tsquery = " & ".join(f"{term}:*" for term in terms)
        return queryset.alias(_search=StoredSearchVector(F("search_document"))).filter(
            _search=SearchQuery(tsquery, config="simple", search_type="raw")
        )
    for term in terms:
        queryset = queryset.filter(search_document__contains=term)
    return queryset
