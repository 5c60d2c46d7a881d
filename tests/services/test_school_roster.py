"""A committed school roster and the not-enrolled follow-up list (dpf/services/school_roster.py,
issue 18 part 8): a child of 6-15 who left school for another reason than graduating and
holds no other enrolment goes on the county's list, once; a child the roster puts back in
school comes off it; I08 as of a date reads the enrolment in force, so a leave lowers the
figure after its date and leaves earlier figures as they were; the timeline and the
child's schooling page show the leave with its reason."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from dpf.core.errors import ValidationFailed
from dpf.core.models import AuditEntry
from dpf.exchange import services as exchange
from dpf.exchange.models import ImportBatch
from dpf.indicators import compute
from dpf.indicators.models import Plan
from dpf.registry import services as registry
from dpf.registry.models import SchoolEnrolment
from dpf.registry.timeline_selectors import person_timeline
from dpf.services import services
from dpf.services.models import NotEnrolled
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

D = dt.date
TODAY = D(2025, 12, 31)
HEADER = ["学生身份证号码", "学生姓名", "学校", "年级", "入学日期", "离校日期", "离校原因"]


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path / "uploads"


@pytest.fixture(autouse=True)
def _no_benefit_rescan(monkeypatch) -> None:
    # The rescan after a commit is the benefits' business (tests/exchange/test_rescan.py).
    from dpf.benefits import services as benefit_services

    monkeypatch.setattr(benefit_services, "scan", lambda *, actor, incremental: None)


def xlsx(rows: list[list]) -> bytes:
    from tests.exchange.conftest import xlsx_bytes

    return xlsx_bytes(rows)


def commit(actor, rows: list[list]) -> ImportBatch:
    batch = exchange.batch_upload(
        actor=actor,
        roster_type="school",
        file_name="school.xlsx",
        stream=io.BytesIO(xlsx([HEADER, *rows])),
    )
    batch = exchange.batch_validate_now(batch, today=TODAY)
    return exchange.batch_commit(actor=actor, batch=batch)


def pupil(actor, name: str, birth: dt.date, village: str = "150402001001"):
    person = make_person(actor=actor, name=name, birth=birth, village_code=village)
    registry.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=D(2020, 6, 1)
    )
    SchoolEnrolment.objects.create(
        person=person, school="红山区第一小学", grade="五年级", valid_from=D(2021, 9, 1)
    )
    return person


def row(person, name: str, left: str | None, reason: str | None = None) -> list:
    return [person.id_number, name, "红山区第一小学", "五年级", "2021-09-01", left, reason]


def test_leavers_of_6_to_15_go_on_the_list_once(county_officer) -> None:
    dropped = pupil(county_officer, "李退学", D(2013, 3, 1), village="150402001002")
    graduate = pupil(county_officer, "王毕业", D(2012, 5, 1))
    older = pupil(county_officer, "赵十六", D(2009, 6, 1))  # 16 on the day after leaving
    moving = pupil(county_officer, "钱转学", D(2013, 7, 1))
    arrived = pupil(county_officer, "孙已转入", D(2013, 8, 1))
    # The new school is already recorded (which ended the old enrolment the day before).
    SchoolEnrolment.objects.filter(person=arrived).update(valid_to=D(2025, 8, 31))
    SchoolEnrolment.objects.create(
        person=arrived, school="红山区实验小学", grade="五年级", valid_from=D(2025, 9, 1)
    )
    followed = pupil(county_officer, "周已跟进", D(2013, 9, 1))
    batch = commit(
        county_officer,
        [
            row(dropped, "李退学", "2025-06-30", "退学"),
            row(graduate, "王毕业", "2025-07-05", "毕业"),
            row(older, "赵十六", "2025-07-05", "退学"),
            row(moving, "钱转学", "2025-07-05", "转学"),
            [
                arrived.id_number,
                "孙已转入",
                "红山区第一小学",
                "五年级",
                "2021-09-01",
                "2025-07-05",
                "转学",
            ],
            row(followed, "周已跟进", "2025-06-30", None),
        ],
    )
    # Already on the list (recorded by hand before the roster came): not twice.
    assert batch.counts["facts_changed"] == 6
    record = NotEnrolled.objects.get(person=dropped)
    assert (record.kind, record.reason, record.since, record.resolved_on) == (
        "left",
        "other",  # found out on the visit
        D(2025, 7, 1),
        None,
    )
    assert (record.county_code, record.township_code, record.village_code) == (
        "150402",
        "150402001",
        "150402001002",
    )
    assert f"批次 {batch.pk}" in record.note
    assert "退学" in record.note
    assert record.created_by == county_officer
    opened = set(NotEnrolled.objects.values_list("person__name", flat=True))
    # A transfer not yet arrived is followed until the new school's roster comes.
    assert opened == {"李退学", "钱转学", "周已跟进"}
    assert batch.counts["not_enrolled_opened"] == 3
    entry = AuditEntry.objects.get(object_type="not_enrolled", action="create")
    assert entry.changes["import_batch"] == batch.pk
    assert len(entry.changes["opened"]) == 3


def test_a_child_already_followed_is_not_added_again(county_officer) -> None:
    child = pupil(county_officer, "吴跟进中", D(2013, 1, 1))
    services.schooling_leave(
        actor=county_officer,
        person_id=child.pk,
        left_on=D(2025, 6, 30),
        reason="family",
        today=TODAY,
    )
    # The page's leave ends the enrolment as a dropout; the roster gives another reason.
    assert SchoolEnrolment.objects.get(person=child).leave_reason == "dropped_out"
    batch = commit(county_officer, [row(child, "吴跟进中", "2025-06-30", "其他")])
    assert batch.counts["not_enrolled_opened"] == 0
    assert NotEnrolled.objects.filter(person=child).count() == 1
    assert SchoolEnrolment.objects.get(person=child).leave_reason == "other"


def test_the_same_leave_is_followed_once_even_after_it_was_resolved(county_officer) -> None:
    child = pupil(county_officer, "郑幂等", D(2013, 1, 1))
    commit(county_officer, [row(child, "郑幂等", "2025-06-30")])
    record = NotEnrolled.objects.get(person=child)
    services.not_enrolled_resolve(
        actor=county_officer,
        record_id=record.pk,
        resolved_on=D(2025, 8, 1),
        resolution="随家迁往外市",
        today=TODAY,
    )
    # A later roster states the same leave again, now with its reason.
    again = commit(county_officer, [row(child, "郑幂等", "2025-06-30", "退学")])
    assert again.counts["facts_changed"] == 1  # the reason is written
    assert again.counts["not_enrolled_opened"] == 0
    assert NotEnrolled.objects.filter(person=child).count() == 1


def test_a_roster_that_puts_the_child_back_in_school_resolves_the_follow_up(
    county_officer,
) -> None:
    child = pupil(county_officer, "冯复学", D(2013, 1, 1))
    commit(county_officer, [row(child, "冯复学", "2025-06-30", "转学")])
    record = NotEnrolled.objects.get(person=child)
    batch = commit(
        county_officer,
        [[child.id_number, "冯复学", "赤峰市特殊教育学校", "六年级", "2025-09-01", None, None]],
    )
    record.refresh_from_db()
    assert record.resolved_on == D(2025, 9, 1)
    assert "赤峰市特殊教育学校" in record.resolution
    assert f"批次 {batch.pk}" in record.resolution
    assert batch.counts["not_enrolled_resolved"] == 1
    assert SchoolEnrolment.objects.get(person=child, valid_from=D(2025, 9, 1)).mode == "special"


def test_i08_reads_the_enrolment_in_force_before_and_after_the_leave(county_officer) -> None:
    stays = pupil(county_officer, "陈在读", D(2014, 1, 1))
    leaves = pupil(county_officer, "褚离校", D(2013, 1, 1))
    plan = Plan.objects.get(code="P14")

    def i08(as_of: dt.date) -> tuple[Decimal | None, Decimal | None]:
        result = next(
            r
            for r in compute.compute(plan, as_of)
            if r.indicator.code == "I08" and r.region_code == "150402"
        )
        return result.numerator, result.denominator

    before_leave, after_leave = D(2025, 6, 30), D(2025, 7, 1)
    assert i08(before_leave) == i08(after_leave) == (Decimal(2), Decimal(2))
    commit(county_officer, [row(leaves, "褚离校", "2025-06-30", "退学")])
    assert i08(before_leave) == (Decimal(2), Decimal(2))  # the leave day still counts
    assert i08(D(2024, 12, 31)) == (Decimal(2), Decimal(2))
    assert i08(after_leave) == (Decimal(1), Decimal(2))  # lower from the next day
    assert i08(TODAY) == (Decimal(1), Decimal(2))
    assert stays.pk != leaves.pk


def test_the_leave_and_its_reason_on_the_timeline_and_the_schooling_page(
    county_officer,
) -> None:
    child = pupil(county_officer, "卫时间线", D(2013, 1, 1))
    commit(county_officer, [row(child, "卫时间线", "2025-06-30", "退学")])
    timeline = person_timeline(child)
    leave = next(e for e in timeline if e.kind == "school" and e.label == "离校")
    assert leave.date == D(2025, 7, 1)  # the first day out of school, as other ends show
    assert "离校原因：退学（辍学）" in leave.detail
    followed = next(e for e in timeline if e.label == "列入未入学跟进")
    assert followed.date == D(2025, 7, 1)
    client = Client()
    client.force_login(make_user("village_worker", "150402001001"))
    html = client.get(reverse("services:schooling_child", args=[child.pk])).content.decode()
    assert "离校原因" in html
    assert "退学（辍学）" in html


def test_the_same_roster_committed_again_changes_nothing(county_officer) -> None:
    """The same file is refused as already imported; the same rows in a new export of the
    roster (here in another order) change no enrolment and open no second follow-up."""
    left = pupil(county_officer, "蒋重复", D(2013, 1, 1))
    stays = pupil(county_officer, "沈重复", D(2014, 1, 1))
    rows = [row(left, "蒋重复", "2025-06-30", "退学"), row(stays, "沈重复", None)]
    content = xlsx([HEADER, *rows])
    first = exchange.batch_commit(
        actor=county_officer,
        batch=exchange.batch_validate_now(
            exchange.batch_upload(
                actor=county_officer,
                roster_type="school",
                file_name="school.xlsx",
                stream=io.BytesIO(content),
            ),
            today=TODAY,
        ),
    )
    assert (first.counts["facts_changed"], first.counts["not_enrolled_opened"]) == (1, 1)

    def state() -> tuple[list, list]:
        return (
            list(
                SchoolEnrolment.objects.order_by("pk").values_list(
                    "pk", "person_id", "school", "valid_from", "valid_to", "leave_reason", "source"
                )
            ),
            list(NotEnrolled.objects.order_by("pk").values_list("pk", "person_id", "since")),
        )

    before = state()
    with pytest.raises(ValidationFailed) as info:
        exchange.batch_upload(
            actor=county_officer,
            roster_type="school",
            file_name="school.xlsx",
            stream=io.BytesIO(content),
        )
    assert info.value.code == "already_imported"
    again = commit(county_officer, list(reversed(rows)))
    assert again.counts["facts_changed"] == 0
    assert again.counts.get("not_enrolled_opened", 0) == 0
    assert again.counts.get("not_enrolled_resolved", 0) == 0
    assert state() == before
