"""Two proactive scans started at the same moment (a nightly run and one started by hand,
or the rescan after a roster commit): one runs, the other is told a scan is running, and
the work items exist once."""

from __future__ import annotations

import pytest
from django.db import connection

from dpf.benefits import services
from dpf.benefits.models import ScanRun, ScanStatus, WorkItem
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
