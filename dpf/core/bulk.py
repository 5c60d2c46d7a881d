"""Writing many rows into one table, the fastest way each database has.

On PostgreSQL, ``COPY … FROM STDIN`` through psycopg 3 (``write_row`` adapts dates,
decimals, ``None`` and text as a parameter would); on SQLite, one ``executemany`` of an
``INSERT``, run as prepared statements. Either way the rows are written in the caller's
transaction (a failure leaves nothing once it rolls back), without model instances and
without compiling an INSERT per batch, which ``bulk_create`` spent about 60% of the demo
registry's CPU time on (docs/benchmarks.md, "Demo generation"). A failure raises Django's
own error types (``IntegrityError`` …), as its cursor would.

- ``insert_prepared(model, columns, rows)``: the rows hold the database's values already
  (the indicators' snapshot rows: codes, dates, quantised decimals).
- ``insert_rows(model, fields, rows)``: the rows hold the values one would give the model
  (plain text for an encrypted field, dates, ``Decimal``, foreign keys as ids). Each value
  goes through its model field's own ``get_db_prep_save``, so the stored form is the one
  ``bulk_create`` stores: the encrypted field encrypts (``dpf.core.fields
  .EncryptedTextField``, once per value, a fresh nonce each time), the date and decimal
  fields adapt for the database. Those of every other field are pure functions of the
  value, so they are called once per distinct value and remembered for the call (a
  chunk's dates, codes and names repeat a lot). Fields left out get the model's default
  (per row when it is a callable); ``auto_now`` / ``auto_now_add`` fields get one
  timestamp per call, where ``bulk_create`` read the clock per row.
- ``insert_objects(model, objects, numbered=…)``: unsaved model instances, as
  ``insert_rows`` of their attributes (with ``numbered``, ids reserved first and set on
  them, for rows that name them); ``create_in_batches(model, objects)`` does so a batch at
  a time from a generator.
- ``update_rows(model, fields, rows)``: set ``fields`` of rows given by primary key (each
  row ``(pk, *values)``, values as one would give the model, converted by their fields).
  PostgreSQL: one ``UPDATE … FROM unnest(<one array per column>)``, a single statement
  whatever the number of rows (``executemany`` sent and planned one statement per row:
  1.2 s for a month's arrears at 30,000 persons); SQLite: one ``executemany``, whose
  prepared statement is already fast there.
- ``rollback_journal()``: around a transaction that writes gigabytes on SQLite (the demo's
  generation), the database's rollback journal instead of its write-ahead log for that
  transaction, the log again after (see its docstring).
- ``reserve_ids(model, n)``: primary keys for rows that others point at in the same
  transaction (the demo's households, persons and certificates), written explicitly.

  - PostgreSQL: ``SELECT nextval(<the id column's sequence>) FROM generate_series(1, n)``:
    the sequence hands the n values out atomically, so concurrent writers never get the
    same one (they need not be consecutive, and a rolled-back run's values are not
    reused, as with ``bulk_create``).
  - SQLite (Django's id columns are ``AUTOINCREMENT``): the high-water mark is the larger
    of ``max(id)`` and the table's ``sqlite_sequence`` entry; the next n ids after it are
    taken by writing the new mark into ``sqlite_sequence`` in the same transaction. That
    write takes the database's write lock, so no other connection inserts into the table
    until the transaction ends; had one written between the read and the write, SQLite
    refuses the write (busy or stale snapshot) rather than handing out an id twice. The
    ids inserted later are below the mark, which SQLite allows, and ids are never reused
    after a delete, as with ``AUTOINCREMENT``.

Foreign keys are checked at commit (Django creates them deferrable, initially deferred,
on both databases), so a row may name one written later in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    BooleanField,
    CharField,
    Field,
    ForeignKey,
    IntegerField,
    Model,
    TextField,
)
from django.utils import timezone

from dpf.core.fields import EncryptedTextField

M = TypeVar("M", bound=Model)


def insert_prepared(
    model: type[Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert ``rows`` of database values (tuples in the order of ``columns``)."""
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(c) for c in columns)
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # psycopg 3's COPY, on the driver's cursor (Django's wrapper has no copy());
            # its errors become Django's, as the wrapper's execute() would make them.
            with (
                db.wrap_database_errors,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(rows))  # noqa: S608


def _stored_as_is(field: Field[Any, Any]) -> type | None:
    """The Python type whose values the field's ``get_db_prep_save`` returns unchanged on
    both databases: ``int`` for integer columns (ids and foreign keys to them), ``bool``
    for boolean ones, ``str`` for plain text (not a subclass: the encrypted field is one)."""
    target = field.target_field if isinstance(field, ForeignKey) else field
    if isinstance(target, IntegerField):
        return int
    if isinstance(target, BooleanField):
        return bool
    if type(target) in (CharField, TextField):
        return str
    return None


def _column(
    field: Field[Any, Any], values: Sequence[Any], db: BaseDatabaseWrapper
) -> Sequence[Any]:
    """A column's values as the database stores them, converted by the field itself:
    every value when it encrypts (a fresh nonce each), else once per distinct value;
    none when each already is what the field would return."""
    prep = field.get_db_prep_save
    if isinstance(field, EncryptedTextField):
        return [prep(value, db) for value in values]
    as_is = _stored_as_is(field)
    if as_is is not None and all(type(v) is as_is or v is None for v in values):
        return values
    stored = {value: prep(value, db) for value in set(values)}
    return [stored[value] for value in values]


def _left_out(field: Field[Any, Any], now: Any, n: int) -> Sequence[Any]:
    """The values of a column the caller did not give, as ``bulk_create`` would fill it:
    ``now`` for the timestamps Django sets on insert, else the field's default (called
    per row when it is a callable), or the "" / None Django falls back to."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return [now] * n
    if field.has_default() and callable(field.default):
        return [field.get_default() for _ in range(n)]
    return [field.get_default()] * n


def _columns_of(model: type[Model], names: Sequence[str], *, key: bool) -> list[Field[Any, Any]]:
    """The model's fields ``names``, each a column (the primary key only with ``key``)."""
    given: list[Field[Any, Any]] = []
    for name in names:
        field = model._meta.get_field(name)
        if not isinstance(field, Field) or not field.concrete or (field.primary_key and not key):
            raise ValueError(f"{model.__name__}.{name} is not a column")
        given.append(field)
    return given


def create_in_batches(model: type[M], objects: Iterable[M], size: int = 5000) -> int:
    """Insert the unsaved ``objects`` (``insert_objects``) ``size`` at a time as they come,
    so that a generator of many rows is never held whole (the demo's history at 1,000,000
    persons); returns how many."""
    written = 0
    batch: list[M] = []
    for obj in objects:
        batch.append(obj)
        if len(batch) >= size:
            written, batch = written + insert_objects(model, batch), []
    return written + insert_objects(model, batch)


def insert_objects(model: type[M], objects: Sequence[M], *, numbered: bool = False) -> int:
    """Insert unsaved model ``objects`` with ``insert_rows``: every column from the
    object's attribute (a foreign key by its id; the primary key when every object has one,
    else the database numbers them), the timestamps set on insert filled as
    ``bulk_create`` fills them. With ``numbered`` each object first gets its id
    (``reserve_ids``, ascending as ``bulk_create`` numbers them), for rows that name it.
    The rows ``bulk_create`` would write, without compiling an ``INSERT`` value by value
    (more than half of the demo's allowance periods' step, 8.5 of 15.7 s at 20,000
    persons); not for fields whose ``pre_save`` does more than read the attribute (files).
    Returns how many."""
    if not objects:
        return 0
    if numbered:
        for obj, pk in zip(objects, reserve_ids(model, len(objects)), strict=True):
            obj.pk = pk
    keyed = [obj.pk is not None for obj in objects]
    if any(keyed) and not all(keyed):
        raise ValueError(f"{model.__name__}: some objects have an id and some not")
    columns = [
        f
        for f in model._meta.concrete_fields
        if not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
        and (all(keyed) or not f.primary_key)
    ]
    return insert_rows(
        model,
        [f.name for f in columns],
        ([getattr(obj, f.attname) for f in columns] for obj in objects),
    )


def insert_rows(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (values in the order of ``fields``) into ``model``'s table; returns
    how many. ``fields`` may name the primary key (ids from ``reserve_ids``)."""
    meta = model._meta
    given = _columns_of(model, fields, key=True)
    rows = list(rows)
    if not rows:
        return 0
    db = connections[DEFAULT_DB_ALIAS]
    n, now = len(rows), timezone.now()
    rest = [f for f in meta.concrete_fields if f not in given and not f.primary_key]
    by_column = [*zip(*rows, strict=True), *(_left_out(f, now, n) for f in rest)]
    if len(by_column) != len(given) + len(rest):
        raise ValueError(f"{model.__name__}: rows of {len(by_column) - len(rest)} values")
    targets = [*given, *rest]
    prepared = list(
        zip(
            *(_column(f, values, db) for f, values in zip(targets, by_column, strict=True)),
            strict=True,
        )
    )
    insert_prepared(model, [f.column for f in targets], prepared)
    return n


def update_rows(model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Set ``fields`` of the rows ``(pk, *values)``; returns how many rows were given."""
    meta = model._meta
    given = _columns_of(model, fields, key=False)
    rows = list(rows)
    if not rows:
        return 0
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    table = quote(meta.db_table)
    pk = meta.pk
    assert pk is not None
    by_column = list(zip(*rows, strict=True))
    if len(by_column) != len(given) + 1:
        raise ValueError(f"{model.__name__}: rows of {len(by_column)} values")
    targets = [pk, *given]
    columns = [_column(f, v, db) for f, v in zip(targets, by_column, strict=True)]
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            # one array per column, typed as the column; names and types come from the model
            arrays = ", ".join(f"%s::{f.db_type(db)}[]" for f in targets)
            names = ", ".join(f"c{i}" for i in range(len(targets)))
            sets = ", ".join(f"{quote(f.column)} = v.c{i}" for i, f in enumerate(given, 1))
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} FROM unnest({arrays}) AS v({names}) "  # noqa: S608
                f"WHERE t.{quote(pk.column)} = v.c0",
                [list(values) for values in columns],
            )
        else:
            sets = ", ".join(f"{quote(f.column)} = %s" for f in given)
            cursor.executemany(
                f"UPDATE {table} SET {sets} WHERE {quote(pk.column)} = %s",  # noqa: S608
                [(*values[1:], values[0]) for values in zip(*columns, strict=True)],
            )
    return len(rows)


def reserve_ids(model: type[Model], n: int) -> list[int]:
    """``n`` new primary keys of ``model``'s table, for rows inserted later in this
    transaction (see the module's docstring)."""
    if n <= 0:
        return []
    meta = model._meta
    pk = meta.pk
    assert pk is not None
    table, column = meta.db_table, pk.column
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    with db.cursor() as cursor:
        if db.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [quote(table), column, n],
            )
            return [row[0] for row in cursor.fetchall()]
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


@contextmanager
def rollback_journal() -> Iterator[str]:
    """On SQLite, the block's writes journalled in a rollback journal, not the write-ahead
    log; yields the journal mode the block runs in (nothing changes on PostgreSQL).

    One transaction that writes gigabytes (the demo's generation: 3.3 GB of log at
    1,000,000 persons) cannot let SQLite checkpoint its log until it commits, and every
    page the transaction reads back that its cache no longer holds is first looked up in
    the log's index, segment by segment: measured apart from the generator, 24 million
    rows with three random-key indexes in one transaction ran at 0.78x the rollback
    journal's speed with an 88 MB log and 0.47x with 2 GB (docs/benchmarks.md, "Why SQLite
    at 1,000,000 is slower than linear").

    SQLite leaves the log only outside a transaction and while no other connection has the
    database open; otherwise the mode stays (the pragma answers with the mode it kept, or
    the database is busy), the block runs in the log as before, and nothing else changes.
    The log is set again on the way out, whether the block raised or not, so other
    connections (a web server started afterwards) read and write beside each other as
    before (were the database busy then, every new connection sets it again: the
    settings' ``init_command``). A crash inside the block leaves a hot journal that SQLite
    rolls back when the database is next opened, as it rolls back an uncommitted log.
    ``tests/core/test_rollback_journal.py`` runs the demo's generation in a child process
    on a file: alone, failing, and beside another open connection."""
    db = connections[DEFAULT_DB_ALIAS]
    if db.vendor != "sqlite":
        yield db.vendor
        return
    with db.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        (before,) = cursor.fetchone()
        mode = before
        if before == "wal" and not db.in_atomic_block:
            # asked once, not waited for: another connection that has the database open
            # would hold the switch for the whole busy timeout (20 s) and still refuse it
            cursor.execute("PRAGMA busy_timeout")
            (timeout,) = cursor.fetchone()
            cursor.execute("PRAGMA busy_timeout = 0")
            try:
                cursor.execute("PRAGMA journal_mode=DELETE")
                (mode,) = cursor.fetchone()
            except OperationalError:  # another connection has the database open
                mode = before
            finally:
                cursor.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    try:
        yield mode
    finally:
        if mode != before:
            try:
                with db.cursor() as cursor:
                    cursor.execute("PRAGMA journal_mode=WAL")
            except OperationalError:
                # busy: every new connection sets the log again (the settings'
                # init_command), and the block's own error, if any, is the one to raise
                pass
