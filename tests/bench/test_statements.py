"""``dpf.bench.statements``: the statement profile of ``dpf bench … --profile`` groups the
same statement with other literals together, counts commits, and leaves the backend as
it found it."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from dpf.bench.statements import statement_key, timed_statements
from dpf.core.models import Region


def test_literals_and_whitespace_fold_into_one_group() -> None:
    one = statement_key("SELECT a FROM t\n  WHERE id = 5 AND name = 'O''Brien'")
    other = statement_key("SELECT a FROM t WHERE id = 61 AND name = 'x'")
    assert one == other == "SELECT a FROM t WHERE id = ? AND name = ?"
    assert statement_key("SELECT b FROM t WHERE id = 5") != one
    assert statement_key('SELECT "t2"."a" FROM "t2"') == 'SELECT "t2"."a" FROM "t2"'


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_statements_and_commits_are_timed_and_the_commit_restored() -> None:
    original = BaseDatabaseWrapper._commit  # type: ignore[attr-defined]
    with timed_statements() as profile:
        for code in ("150402", "150403", "150404"):
            Region.objects.filter(code=code).exists()
        with transaction.atomic():
            Region.objects.filter(code="150402").exists()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    report = profile.report()
    assert BaseDatabaseWrapper._commit is original  # type: ignore[attr-defined]
    exists = [g for g in report["slowest"] if '"core_region"' in g["sql"]]
    assert [g["count"] for g in exists] == [4]
    assert [g["count"] for g in report["slowest"] if g["sql"] == "SELECT ?"] == [1]
    # SQLite's transactions begin with a statement of their own (PostgreSQL's driver sends none)
    begins = sum(g["count"] for g in report["slowest"] if g["sql"].startswith("BEGIN"))
    assert report["statements"] == 5 + begins
    assert report["commits"] == 2
    assert 0 <= report["sql_seconds"] + report["commit_seconds"] <= report["seconds"]
