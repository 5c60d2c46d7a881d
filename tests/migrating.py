"""The one way a test moves the schema to an earlier migration and forward again (the tests
of a data migration). Unapplying a migration also unapplies whatever depends on it, in any
app, so a test ends with ``migrate_latest``, never by migrating forward only the app it
tested: the tests after it need every table."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(target: list[tuple[str, str]]) -> Any:
    """Migrate to ``target``; return the historical models (an ``Apps``) at that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(target)
    executor.loader.build_graph()
    return executor.loader.project_state(target).apps


def migrate_latest() -> None:
    """Every app on its newest migration again."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
