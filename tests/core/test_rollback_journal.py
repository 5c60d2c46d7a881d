"""``core.bulk.rollback_journal`` as the demo's generation uses it, in a child process on a
SQLite file (the test database lives in memory, whose journal is memory): the generation
runs with a rollback journal, the write-ahead log is back once it ends, whether it
committed or failed, and beside another open connection or inside a transaction it keeps
the log and still generates."""

from __future__ import annotations

import json
import sys

import pytest
from django.db import connection

from dpf.core.bulk import rollback_journal
from tests.faults.support import Outside

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _child(tmp_path, scenario: str) -> dict:
    command = [sys.executable, "-m", "tests.core.journal_child", scenario]
    done = Outside(tmp_path).run_command(command)
    return json.loads(done.stdout.strip().splitlines()[-1])


sqlite_only = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's journal; PostgreSQL has none to choose"
)


@sqlite_only
def test_the_generation_runs_with_a_rollback_journal_and_the_log_comes_back(tmp_path) -> None:
    seen = _child(tmp_path, "alone")
    assert seen["before"] == "wal"
    assert seen["during"] == "delete"
    assert seen["journal_file"] is True  # the transaction's pages are journalled there
    assert seen["after"] == "wal"
    assert seen["persons"] >= 3


@sqlite_only
def test_a_failed_generation_leaves_nothing_and_the_log_back(tmp_path) -> None:
    seen = _child(tmp_path, "failing")
    assert seen["error"] == "a step fails"
    assert seen["during"] == "delete"
    assert seen["after"] == "wal"
    assert seen["persons"] == 0


@sqlite_only
def test_beside_another_open_connection_the_log_stays_and_the_generation_commits(
    tmp_path,
) -> None:
    seen = _child(tmp_path, "beside-a-reader")
    assert seen["before"] == "wal"
    assert seen["during"] == "wal"
    assert seen["after"] == "wal"
    assert seen["persons"] >= 3
    assert seen["reader_sees"] == seen["persons"]


@sqlite_only
def test_inside_a_transaction_the_log_stays_and_the_generation_commits(tmp_path) -> None:
    seen = _child(tmp_path, "inside-a-transaction")
    assert seen["before"] == "wal"
    assert seen["during"] == "wal"
    assert seen["after"] == "wal"
    assert seen["persons"] >= 3


def test_a_database_not_in_the_log_is_left_as_it_is() -> None:
    # the in-memory SQLite test database (journal "memory") or PostgreSQL
    with rollback_journal() as mode:
        if connection.vendor == "sqlite":
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert mode == cursor.fetchone()[0] == "memory"
        else:
            assert mode == "postgresql"
