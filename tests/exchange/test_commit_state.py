"""What a roster commit leaves in the database, pinned row by row (issue 21).

Written against the commit before it was made faster, so that the faster commit is held
to the same result: the facts (values, periods, sources, which ones were closed and
how), the persons queued for the incremental scan, the batch's counts and its one audit
entry. The rosters cover a new fact, an unchanged one, a changed value (the old fact
ends the day before the new one starts), a fact the roster ends, a reopened one, a
household of two, an unknown person and a name that differs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.core.models import AuditEntry
from dpf.exchange import services
from dpf.exchange.models import BatchStatus
from dpf.registry import services as registry
from dpf.registry.models import HouseholdStatus, InsuranceEnrolment, Person
from tests.exchange.conftest import csv_bytes, outcomes, stage, xlsx_bytes
from tests.factories import make_person, new_id_number

pytestmark = pytest.mark.django_db

D = dt.date
SETUP = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC)
NOW = dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
HH_HEADER = ["身份证号码", "姓名", "类别", "起始日期", "终止日期"]
PENSION_HEADER = ["身份证号码", "姓名", "参保日期", "终止日期"]


@pytest.fixture
def cast(county_officer, time_machine):
    time_machine.move_to(SETUP, tick=False)
    officer = county_officer
    people = {
        "new": make_person(actor=officer, name="李秀英", sex="F"),
        "same": make_person(actor=officer, name="王建国"),
        "switch": make_person(actor=officer, name="赵明", village_code="150402001002"),
        "ends": make_person(actor=officer, name="孙丽", sex="F"),
        "reopen": make_person(actor=officer, name="周强"),
        "other": make_person(actor=officer, name="吴芳", sex="F"),
    }
    people["spouse"] = make_person(
        actor=officer,
        name="李大山",
        household=people["new"].household,
        relation_to_head="spouse",
    )

    def status(who: str, **kwargs: Any) -> None:
        household = people[who].household
        assert household is not None
        registry.household_status_set(actor=officer, household=household, **kwargs)

    status("same", status="dibao", valid_from=D(2021, 3, 1))
    status("switch", status="dibao", valid_from=D(2022, 1, 1))
    status("ends", status="dibao", valid_from=D(2020, 5, 1))
    status("reopen", status="dibao_edge", valid_from=D(2019, 1, 1), valid_to=D(2023, 6, 30))
    pension = InsuranceEnrolment.objects.create
    pension(person=people["same"], kind="pension", valid_from=D(2021, 7, 1))
    pension(person=people["switch"], kind="pension", valid_from=D(2018, 1, 1))
    pension(person=people["ends"], kind="pension", valid_from=D(2015, 1, 1),
            valid_to=D(2019, 12, 31))  # fmt: skip
    pension(person=people["other"], kind="medical", valid_from=D(2020, 1, 1))
    return people


def _facts(model, key: str, people: dict[str, Person]) -> list[tuple]:
    """Every fact of ``model``, named by whose it is (ids differ between runs)."""
    owner = {
        (p.household_id if key == "household_id" else p.pk): name for name, p in people.items()
    }
    if key == "household_id":
        owner[people["new"].household_id] = "new"  # the spouse shares the household
    columns = [key, "valid_from", "valid_to", "source", *_value_columns(model)]
    return sorted((owner[row[0]], *row[1:]) for row in model.objects.values_list(*columns))


def _value_columns(model) -> list[str]:
    return ["status"] if model is HouseholdStatus else ["kind", "government_paid"]


def _queued(people: dict[str, Person]) -> dict[str, dt.datetime | None]:
    at = dict(Person.objects.values_list("pk", "facts_mark__changed_at"))
    return {name: at[p.pk] for name, p in people.items()}


def test_household_roster_commit_leaves_this_state(county_officer, cast, time_machine) -> None:
    time_machine.move_to(NOW, tick=False)
    before = _queued(cast)
    outsider = new_id_number("150404", D(1970, 1, 1))
    content = xlsx_bytes(
        [
            HH_HEADER,
            [cast["new"].id_number, "李秀英", "低保", "2023-01-05", None],  # new
            [cast["spouse"].id_number, "李大山", "低保", "2023-01-05", None],  # same change
            [cast["same"].id_number, "王建国", "城市低保", "2021/3/1", ""],  # unchanged
            [cast["switch"].id_number, "赵明", "特困", "2024-03-01", None],  # switches
            [cast["ends"].id_number, "孙丽", "低保", "2020-05-01", "2025-12-31"],  # ends
            [cast["reopen"].id_number, "周强", "低保边缘", "2019-01-01", None],  # reopens
            [cast["other"].id_number, "别人", "低保", "2023-01-01", None],  # name differs
            [outsider, "孙某", "低保", "2023-01-01", None],  # not registered
        ]
    )
    batch = stage(county_officer, "dibao", content)
    assert outcomes(batch) == {
        2: "will_change",
        3: "up_to_date",
        4: "up_to_date",
        5: "will_change",
        6: "will_change",
        7: "will_change",
        8: "name_differs",
        9: "not_found",
    }
    batch = services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    source = f"roster:{batch.pk}"

    assert _facts(HouseholdStatus, "household_id", cast) == [
        ("ends", D(2020, 5, 1), D(2025, 12, 31), "manual", "dibao"),
        ("new", D(2023, 1, 5), None, source, "dibao"),
        ("reopen", D(2019, 1, 1), None, "manual", "dibao_edge"),
        ("same", D(2021, 3, 1), None, "manual", "dibao"),
        ("switch", D(2022, 1, 1), D(2024, 2, 29), "manual", "dibao"),
        ("switch", D(2024, 3, 1), None, source, "tekun"),
    ]
    # A closed fact keeps its source and gets no new recorded_at; a new one is recorded now.
    assert set(
        HouseholdStatus.objects.filter(source=source).values_list("recorded_at", flat=True)
    ) == {NOW}
    queued = _queued(cast)
    assert {name for name in cast if queued[name] != before[name]} == {
        "new", "spouse", "switch", "ends", "reopen"
    }  # fmt: skip
    assert {queued[name] for name in ("new", "spouse", "switch", "ends", "reopen")} == {NOW}
    assert batch.status == BatchStatus.COMMITTED
    assert batch.committed_at == NOW
    counts = {k: v for k, v in batch.counts.items() if k not in ("total",)}
    assert counts["facts_changed"] == 5  # three closed or moved, two inserted
    assert counts["persons_queued"] == 5
    assert counts["check_character_suspects"] == 0
    entries = AuditEntry.objects.filter(object_type="import_batch", object_id=str(batch.pk))
    assert list(entries.filter(action="import").values_list("changes", flat=True)) == [
        {"roster_type": "dibao", "counts": batch.counts}
    ]


def test_pension_roster_commit_leaves_this_state(county_officer, cast, time_machine) -> None:
    time_machine.move_to(NOW, tick=False)
    before = _queued(cast)
    content = csv_bytes(
        [
            PENSION_HEADER,
            [cast["new"].id_number, "李秀英", "2021/7/1", ""],  # new
            [cast["same"].id_number, "王建国", "2021/7/1", ""],  # unchanged
            [cast["switch"].id_number, "赵明", "2018/1/1", "2025/6/30"],  # ends
            [cast["ends"].id_number, "孙丽", "2022/1/1", ""],  # a new period after the old
            [cast["other"].id_number, "吴芳", "2020/1/1", ""],  # medical is another kind
        ],
        encoding="gb18030",
    )
    batch = stage(county_officer, "pension", content, name="pension.csv")
    assert outcomes(batch) == {
        2: "will_change",
        3: "up_to_date",
        4: "will_change",
        5: "will_change",
        6: "will_change",
    }
    batch = services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    source = f"roster:{batch.pk}"

    assert _facts(InsuranceEnrolment, "person_id", cast) == [
        ("ends", D(2015, 1, 1), D(2019, 12, 31), "manual", "pension", False),
        ("ends", D(2022, 1, 1), None, source, "pension", False),
        ("new", D(2021, 7, 1), None, source, "pension", False),
        ("other", D(2020, 1, 1), None, "manual", "medical", False),
        ("other", D(2020, 1, 1), None, source, "pension", False),
        ("same", D(2021, 7, 1), None, "manual", "pension", False),
        ("switch", D(2018, 1, 1), D(2025, 6, 30), "manual", "pension", False),
    ]
    queued = _queued(cast)
    assert {name for name in cast if queued[name] != before[name]} == {
        "new", "switch", "ends", "other"
    }  # fmt: skip
    assert batch.counts["facts_changed"] == 4
    assert batch.counts["persons_queued"] == 4
    assert batch.committed_at == NOW
    assert (
        AuditEntry.objects.filter(
            action="import", object_type="import_batch", object_id=str(batch.pk)
        ).count()
        == 1
    )
