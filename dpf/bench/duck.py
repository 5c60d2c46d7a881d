# ruff: noqa: S608  - identifiers come from model metadata and SQL from the ORM, never from input
"""The columnar lower bound: the same eligibility SQL run by DuckDB over Parquet copies.

The PostgreSQL SQL that Django generates for each benefit's eligibility condition is run
unchanged (placeholders aside) by DuckDB over the same tables exported to Parquet, so the
ratio compares engines on identical queries and data. Encrypted columns are not exported
(no rule reads them).
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection

from dpf.core.fields import EncryptedTextField


def _models_by_table() -> dict[str, Any]:
    return {m._meta.db_table: m for m in apps.get_models()}


# PostgreSQL column types DuckDB does not spell the same way; the rest (integer, smallint,
# bigint, boolean, date, numeric(p, s), varchar(n), timestamp with time zone) it reads as is.
_DUCK_TYPES = {"jsonb": "VARCHAR", "text": "VARCHAR", "inet": "VARCHAR", "serial": "INTEGER"}


def _duck_type(field: Any) -> str:
    db_type = (field.db_type(connection) or "text").lower()
    return _DUCK_TYPES.get(db_type, db_type)


def _export(table: str, folder: Path, con: Any) -> None:
    """One table to Parquet through a CSV, with the model's column types declared: type
    detection would read a column that happens to be empty (a date nobody has yet) as
    text, and the rules' comparisons would then fail on a small registry."""
    model = _models_by_table()[table]
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, EncryptedTextField)]
    columns = [f.column for f in fields]
    types = ", ".join(f"'{f.column}': '{_duck_type(f)}'" for f in fields)
    csv_path = folder / f"{table}.csv"
    quoted = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cur, csv_path.open("wb") as out:
        raw = cur.cursor  # psycopg cursor
        with raw.copy(f'COPY (SELECT {quoted} FROM "{table}") TO STDOUT WITH CSV HEADER') as copy:
            for block in copy:
                out.write(block)
    parquet = folder / f"{table}.parquet"
    con.execute(
        f"COPY (SELECT * FROM read_csv('{csv_path}', header=true, columns={{{types}}})) "
        f"TO '{parquet}' (FORMAT parquet)"
    )
    csv_path.unlink()
    con.execute(f"CREATE VIEW \"{table}\" AS SELECT * FROM read_parquet('{parquet}')")


def _temporary_tables() -> set[str]:
    from dpf.rules.materialise import TABLE

    return {TABLE}


def compare(
    statements: list[tuple[str, list[Any]]],
    repeat: int = 3,
    setup: list[tuple[str, list[Any]]] | None = None,
    teardown: list[str] | None = None,
) -> dict[str, Any]:
    """Time the count queries on PostgreSQL and on DuckDB; both must agree on every count.

    ``setup`` statements (e.g. materialising the facts of the date into a temporary table)
    run before the counts and are timed with them, on both engines; ``teardown`` after.
    """
    import duckdb

    setup = setup or []
    teardown = teardown or []
    known = _models_by_table()
    every = [sql for sql, _ in statements] + [sql for sql, _ in setup]
    names = {t for sql in every for t in re.findall(r'"([a-z_]+)"', sql)}
    tables = sorted(t for t in names if t in known and t not in _temporary_tables())
    pg_times: list[float] = []
    pg_counts: list[int] = []
    for _ in range(repeat):
        started = time.perf_counter()
        pg_counts = []
        with connection.cursor() as cur:
            for sql, params in setup:
                cur.execute(sql, params)
            for sql, params in statements:
                cur.execute(f"SELECT COUNT(*) FROM ({sql}) AS t", params)
                pg_counts.append(int(cur.fetchone()[0]))
        pg_times.append(time.perf_counter() - started)
        with connection.cursor() as cur:
            for sql in teardown:
                cur.execute(sql)
    with tempfile.TemporaryDirectory(prefix="dpf-duck.") as tmp:
        con = duckdb.connect()
        started = time.perf_counter()
        for table in tables:
            _export(table, Path(tmp), con)
        export_seconds = time.perf_counter() - started
        duck_times: list[float] = []
        duck_counts: list[int] = []
        for _ in range(repeat):
            started = time.perf_counter()
            duck_counts = []
            for sql, params in setup:
                con.execute(sql.replace("%s", "?"), params)
            for sql, params in statements:
                query = f"SELECT COUNT(*) FROM ({sql.replace('%s', '?')}) AS t"
                row = con.execute(query, params).fetchone()
                duck_counts.append(int(row[0]) if row else 0)
            duck_times.append(time.perf_counter() - started)
            for sql in teardown:
                con.execute(sql)
        con.close()
    pg = statistics.median(pg_times)
    duck = statistics.median(duck_times)
    return {
        "tables": tables,
        "postgresql_seconds": round(pg, 3),
        "duckdb_seconds": round(duck, 3),
        "ratio": round(pg / duck, 2) if duck else None,
        "export_seconds": round(export_seconds, 1),
        "counts_agree": pg_counts == duck_counts,
    }
