"""Writing many rows of plain values into one table, the fastest way each database has.

On PostgreSQL, ``COPY … FROM STDIN`` through psycopg 3 (``write_row`` adapts dates,
decimals, ``None`` and text as a parameter would be); on SQLite, one ``executemany`` of an
``INSERT``, which SQLite runs as prepared statements inside the caller's transaction.
Either way the rows are written in the current transaction (a failure leaves nothing
behind once it rolls back), without model instances: the caller hands the database values
(encrypted, quantised) exactly as a model field would prepare them.

The one owner of bulk inserts of plain rows; callers name the columns they fill and the
table's defaults fill the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import connection, models


def insert_rows(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in the order of ``columns``) into ``model``'s table."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            # Django's own error types (IntegrityError …), as its cursor would raise them.
            with (
                connection.wrap_database_errors,
                raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))  # noqa: S608
