"""Writing many rows of one table fast: ``COPY`` on PostgreSQL, ``executemany`` on SQLite.

``insert_rows(model, fields, rows)`` takes plain tuples of the values one would give the
model (plain text for an encrypted field, dates, ``Decimal``, foreign keys as ids) and
writes them without building model instances or compiling an INSERT per batch, which
``bulk_create`` spent about 60% of the demo registry's CPU time on (docs/benchmarks.md,
"Demo generation"). Each value still goes through its model field's own
``get_db_prep_save``, so the stored form is the one ``bulk_create`` stores: the encrypted
field encrypts (``dpf.core.fields.EncryptedTextField``, once per value, a fresh nonce each
time), the date and decimal fields adapt for the database. Those of every other field are
pure functions of the value, so they are called once per distinct value and remembered
for the call (a chunk's dates, codes and names repeat a lot). Fields left out get the
model's default (per row when it is a callable); ``auto_now`` / ``auto_now_add`` fields
get one timestamp per call, where ``bulk_create`` read the clock per row.

Primary keys: a table whose rows others point at in the same chunk (households, persons,
certificates) gets its ids first from ``reserve_ids`` and writes them explicitly; every
other table leaves the id to the database.

- PostgreSQL: ``SELECT nextval(<the id column's sequence>) FROM generate_series(1, n)``:
  the sequence hands the n values out atomically, so concurrent writers never get the
  same one (they need not be consecutive, and a rolled-back run's values are not reused,
  as with ``bulk_create``).
- SQLite (Django's id columns are ``AUTOINCREMENT``): the high-water mark is the larger
  of ``max(id)`` and the table's ``sqlite_sequence`` entry; the next n ids after it are
  taken by writing the new mark into ``sqlite_sequence`` in the same transaction. That
  write takes the database's write lock, so no other connection inserts into the table
  until the transaction ends; had one written between the read and the write, SQLite
  refuses the write (busy or stale snapshot) rather than handing out an id twice. The
  ids inserted later are below the mark, which SQLite allows, and ids are never reused
  after a delete, as with ``AUTOINCREMENT``.

Everything runs in the caller's transaction (``demo_generate`` is atomic): a failure
leaves nothing behind. Foreign keys are checked at commit (Django creates them
deferrable, initially deferred, on both databases), so a household may name its head
before the person's row is written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model
from django.utils import timezone

from dpf.core.fields import EncryptedTextField

Convert = Callable[[Any], Any]


def _converter(field: Field[Any, Any]) -> Convert:
    """The field's own conversion to the database value; memoised unless it encrypts."""
    prep = field.get_db_prep_save

    if isinstance(field, EncryptedTextField):
        return lambda value: prep(value, connection)
    seen: dict[Any, Any] = {}

    def convert(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = out = prep(value, connection)
            return out

    return convert


def _filler(field: Field[Any, Any], now: Any) -> tuple[Callable[[], Any], bool]:
    """What a column left out of ``fields`` gets, as ``bulk_create`` would give it, and
    whether that is one value for every row."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return (lambda: now), True
    if field.has_default() and callable(field.default):
        return field.get_default, False
    value = field.get_default()  # the default, or "" / None as Django gives it
    return (lambda: value), not isinstance(field, EncryptedTextField)


def insert_rows(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in the order of ``fields``) into ``model``'s table; returns
    how many. ``fields`` may name the primary key (ids from ``reserve_ids``)."""
    meta = model._meta
    given: list[Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        if not isinstance(field, Field) or not field.concrete:
            raise ValueError(f"{model.__name__}.{name} is not a column")
        given.append(field)
    names = {f.name for f in given}
    now = timezone.now()
    per_row: list[Field[Any, Any]] = []
    fillers: list[Callable[[], Any]] = []
    fixed: list[Field[Any, Any]] = []
    tail: list[Any] = []
    for other in meta.concrete_fields:
        if other.name in names or other.primary_key:
            continue
        fill, constant = _filler(other, now)
        if constant:
            fixed.append(other)
            tail.append(other.get_db_prep_save(fill(), connection))
        else:
            per_row.append(other)
            fillers.append(fill)
    converters = [_converter(f) for f in (*given, *per_row)]
    columns = [f.column for f in (*given, *per_row, *fixed)]
    fixed_values = tuple(tail)
    prepared = [
        (
            *(
                convert(value)
                for convert, value in zip(
                    converters, (*row, *(fill() for fill in fillers)), strict=True
                )
            ),
            *fixed_values,
        )
        for row in rows
    ]
    if not prepared:
        return 0
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    column_list = ", ".join(quote(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # psycopg 3's COPY, on the driver's cursor (Django's wrapper has no copy()).
            with cursor.cursor.copy(f"COPY {table} ({column_list}) FROM STDIN") as copy:
                for row in prepared:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({column_list}) VALUES ({marks})",  # noqa: S608
                prepared,
            )
    return len(prepared)


def reserve_ids(model: type[Model], n: int) -> list[int]:
    """``n`` new primary keys of ``model``'s table, for rows inserted later in this
    transaction (see the module's docstring)."""
    if n <= 0:
        return []
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    table, column = meta.db_table, pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), column, n],
            )
            return [row[0] for row in cursor.fetchall()]
        quote = connection.ops.quote_name
        cursor.execute(
            f"SELECT max(coalesce((SELECT max({quote(column)}) FROM {quote(table)}), 0), "  # noqa: S608
            "coalesce((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        (mark,) = cursor.fetchone()
        cursor.execute("UPDATE sqlite_sequence SET seq = %s WHERE name = %s", [mark + n, table])
        if cursor.rowcount == 0:
            cursor.execute(
                "INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, mark + n]
            )
    return list(range(mark + 1, mark + n + 1))
