"""Two proactive scans started at the same moment (a nightly run and one started by hand,
or the rescan after a roster commit): one runs, the other is told a scan is running, and
the work items exist once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from dpf.benefits import scanning, services
from dpf.benefits.models import ScanRun, ScanStatus, WorkItem
from dpf.core.errors import ValidationFailed
from tests.benefits.conftest import AS_OF, person_with
from tests.races import race

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers (one connection writes at a time): no race to test",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_two_scans_started_at_once(regions):
    for level in (1, 2, 3, 4, 1, 2):
        person_with(level=level, household="dibao", long_term_care=level < 3)

    def scanner():
        return (lambda: None), (lambda _: services.scan(as_of=AS_OF))

    outcome = race(scanner(), scanner())

    assert outcome == ["ok", "scan_running"]
    assert list(ScanRun.objects.values_list("status", flat=True)) == [ScanStatus.DONE]
    items = list(WorkItem.objects.values_list("person_id", "benefit_id", "kind"))
    assert items
    assert len(items) == len(set(items))
    # A scan started afterwards finds nothing new to propose.
    again = services.scan(as_of=AS_OF)
    assert sum(c["proposed"] + c["to_review"] for c in again.counts.values()) == 0
    assert WorkItem.objects.count() == len(items)


def _hold_the_scan_lock(release: threading.Event, held: threading.Event) -> threading.Thread:
    """Another session holding the scan lock (a scan running) until ``release`` is set."""

    def hold() -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [scanning._SCAN_LOCK])
                held.set()
                release.wait(timeout=60)
                cursor.execute("SELECT pg_advisory_unlock(%s)", [scanning._SCAN_LOCK])
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(timeout=30)
    return thread


def _someone_waits_for_the_scan_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            " AND objid = %s",
            [scanning._SCAN_LOCK],
        )
        return bool(cursor.fetchone()[0])


def test_the_follow_up_scan_waits_for_the_running_one(regions):
    """The incremental scan a roster commit queues while another scan runs waits for it
    (``wait_seconds``) instead of being refused; past the wait it is refused."""
    person_with(level=1, household="dibao", long_term_care=True)
    release, held = threading.Event(), threading.Event()
    holder = _hold_the_scan_lock(release, held)
    try:
        with pytest.raises(ValidationFailed) as refused:
            services.scan(as_of=AS_OF, incremental=True, wait_seconds=1)
        assert refused.value.code == "scan_running"

        def release_once_waited_for() -> None:
            try:
                for _ in range(600):
                    if _someone_waits_for_the_scan_lock():
                        break
                    threading.Event().wait(0.05)
                release.set()
            finally:
                connection.close()

        releaser = threading.Thread(target=release_once_waited_for)
        releaser.start()
        run = services.scan(as_of=AS_OF, incremental=True, wait_seconds=60)
        releaser.join(timeout=60)
    finally:
        release.set()
        holder.join(timeout=60)
    assert run.status == ScanStatus.DONE
    assert run.mode == ScanRun.Mode.INCREMENTAL
    assert WorkItem.objects.exists()
