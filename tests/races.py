"""Races on PostgreSQL: several officers acting at the same moment, each on its own
connection (a thread), all having read before any of them writes."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection

from dpf.core.errors import DomainError

Call = tuple[Callable[[], Any], Callable[[Any], Any]]


def race(*calls: Call) -> list[str]:
    """Run each ``(read, write)`` pair in its own thread: every read (what each officer's
    page showed), then a barrier, then every write at once. Returns the outcomes, sorted:
    ``"ok"`` or the code of the ``DomainError`` a write raised."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []
    lock = threading.Lock()

    def run(call: Call) -> None:
        try:
            prepared = call[0]()
            barrier.wait(timeout=30)
            call[1](prepared)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == len(calls), "a racing call did not finish"
    return sorted(results)
