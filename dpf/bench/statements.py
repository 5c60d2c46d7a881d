"""Where a measured step's time goes: every SQL statement timed, and every commit.

``with timed_statements() as profile: step()`` times each statement the default
connection runs (Django's ``execute_wrapper``), grouped by the statement's text with its
literals and whitespace folded (the first ``WIDTH`` characters: the same statement with
other parameters is one group), and each transaction's ``COMMIT`` (where PostgreSQL runs
the deferred foreign-key checks). ``profile.report(top)`` gives the totals and the
slowest groups, for the JSON of ``dpf bench payments measure --profile`` and ``dpf bench
roster --profile``. The time not in SQL or commits is Python (and the driver).

Benchmark tooling only: it patches the backend's commit for the duration of the block.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

WIDTH = 120
_SPACES = re.compile(r"\s+")
_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+\b")


def statement_key(sql: str) -> str:
    """A statement's group: literals as ``?``, whitespace folded, the first ``WIDTH``
    characters (``IN (1, 2, 3)`` and ``IN (4)`` fold to the same text up to their length)."""
    return _SPACES.sub(" ", _LITERALS.sub("?", sql)).strip()[:WIDTH]


@dataclass
class StatementProfile:
    """Seconds and counts by statement group, and the commits'."""

    groups: dict[str, list[float]] = field(default_factory=dict)  # key -> [count, seconds]
    commits: list[float] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0  # the block's wall time, set when it ends

    def add(self, key: str, seconds: float) -> None:
        entry = self.groups.setdefault(key, [0, 0.0])
        entry[0] += 1
        entry[1] += seconds

    def report(self, top: int = 10) -> dict[str, Any]:
        in_sql = sum(seconds for _n, seconds in self.groups.values())
        committing = sum(self.commits)
        slowest = sorted(self.groups.items(), key=lambda kv: -kv[1][1])[:top]
        return {
            "seconds": round(self.seconds, 3),
            "sql_seconds": round(in_sql, 3),
            "statements": int(sum(n for n, _s in self.groups.values())),
            "commit_seconds": round(committing, 3),
            "commits": len(self.commits),
            "other_seconds": round(self.seconds - in_sql - committing, 3),
            "slowest": [
                {"seconds": round(seconds, 3), "count": int(n), "sql": key}
                for key, (n, seconds) in slowest
            ],
        }


@contextmanager
def timed_statements() -> Iterator[StatementProfile]:
    profile = StatementProfile()

    def wrapper(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            profile.add(statement_key(sql), time.perf_counter() - began)

    commit = BaseDatabaseWrapper._commit  # type: ignore[attr-defined]

    def timed_commit(self: BaseDatabaseWrapper) -> Any:
        began = time.perf_counter()
        try:
            return commit(self)
        finally:
            profile.commits.append(time.perf_counter() - began)

    BaseDatabaseWrapper._commit = timed_commit  # type: ignore[attr-defined]
    try:
        with connection.execute_wrapper(wrapper):
            yield profile
    finally:
        BaseDatabaseWrapper._commit = commit  # type: ignore[attr-defined]
        profile.seconds = time.perf_counter() - profile.started
