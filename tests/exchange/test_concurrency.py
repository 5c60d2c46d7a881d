"""The same roster imported twice at the same moment (a double click on 导入, or the file
uploaded twice and both previews committed by two officers): one import, one effect."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from dpf.exchange import services
from dpf.exchange.models import BatchStatus, ImportBatch
from dpf.registry import services as registry
from dpf.registry.models import HouseholdStatus
from tests.exchange.conftest import stage, xlsx_bytes
from tests.factories import make_person, make_user
from tests.races import race

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="SQLite serialises writers (one connection writes at a time): no race to test",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _roster(officer) -> bytes:
    switching = make_person(actor=officer, name="赵明")
    assert switching.household is not None
    registry.household_status_set(
        actor=officer,
        household=switching.household,
        status="dibao",
        valid_from=dt.date(2020, 1, 1),
    )
    newcomers = [make_person(actor=officer, name=f"新人{i}") for i in range(5)]
    rows = [["身份证号码", "姓名", "类别", "起始日期"]]
    rows.append([switching.id_number, "赵明", "特困", "2024-03-01"])
    rows += [[p.id_number, p.name, "低保", "2023-01-05"] for p in newcomers]
    return xlsx_bytes(rows)


def _committer(actor, batch):
    return (lambda: batch), (lambda b: services.batch_commit(actor=actor, batch=b))


def _facts() -> list[tuple]:
    return sorted(
        HouseholdStatus.objects.values_list("household_id", "status", "valid_from", "valid_to")
    )


def test_the_same_batch_committed_twice_at_once(county_officer):
    batch = stage(county_officer, "dibao", _roster(county_officer))
    second = make_user("county_officer", "150402")

    outcome = race(_committer(county_officer, batch), _committer(second, batch))

    assert outcome == ["already_imported", "ok"]
    assert ImportBatch.objects.get().status == BatchStatus.COMMITTED
    assert HouseholdStatus.objects.count() == 7  # the closed fact, its successor, 5 new


def test_the_same_file_staged_twice_and_both_committed_at_once(county_officer):
    content = _roster(county_officer)
    first = stage(county_officer, "dibao", content, name="低保名单.xlsx")
    again = stage(county_officer, "dibao", content, name="低保名单(1).xlsx")
    assert first.status == again.status == BatchStatus.PREVIEWED
    second = make_user("county_officer", "150402")

    outcome = race(_committer(county_officer, first), _committer(second, again))

    assert outcome == ["already_imported", "ok"]
    statuses = sorted(ImportBatch.objects.values_list("status", flat=True))
    assert statuses == [BatchStatus.COMMITTED, BatchStatus.PREVIEWED]
    assert HouseholdStatus.objects.count() == 7
    assert len(set(_facts())) == 7
