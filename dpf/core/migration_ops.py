"""Migration operations that run only on PostgreSQL (exclusion constraints, triggers).

SQLite gets the same guarantees from the service layer, under its single-writer lock.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    """``RunSQL`` that is a no-op on other databases."""

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def exclusion_no_overlap(table: str, name: str, key_columns: list[str]) -> PostgresOnlySQL:
    """No two rows with equal ``key_columns`` whose [valid_from, valid_to] intervals overlap."""
    keys = ", ".join(f"{c} WITH =" for c in key_columns)
    return PostgresOnlySQL(
        sql=(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({keys}, daterange(valid_from, valid_to, '[]') WITH &&)"
        ),
        reverse_sql=f"ALTER TABLE {table} DROP CONSTRAINT {name}",
    )
