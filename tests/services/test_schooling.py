"""Compulsory education (issue 18 part 8, I08): a child of 6-15 has a schooling status with
dates (the registry's enrolment, as the school roster writes it; not enrolled or left school
with a reason, followed by the county until resolved); I08 as of a date reads the status in
force; region scope on the services and the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.accounts.permissions import PermissionRefused
from dpf.benefits.models import WorkItem
from dpf.benefits.scanning import scan
from dpf.core.errors import NotFound, ValidationFailed
from dpf.indicators import compute
from dpf.indicators.models import Plan
from dpf.registry import services as registry
from dpf.registry.models import SchoolEnrolment
from dpf.services import services
from dpf.services.models import NotEnrolled, NotEnrolledVisit
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 12, 31)


def child(name: str, birth: dt.date, village: str = "150402001001"):
    person = make_person(name=name, birth=birth, village_code=village)
    registry.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2020, 6, 1)
    )
    return person


@pytest.fixture
def worker(regions):
    return make_user("village_worker", "150402001001")


def test_enrolment_leaving_and_i08_as_of_a_date(worker) -> None:
    """In school 2021-09 to 2024-06-30, then followed as having left: I08 counts the child
    at the end of 2023, not at the end of 2024 (the status in force), and the enrolment
    ends instead of staying open for ever."""
    pupil = child("李小学", dt.date(2013, 3, 1))
    services.schooling_enrol(
        actor=worker,
        person_id=pupil.pk,
        mode="special",
        school="赤峰市特殊教育学校",
        valid_from=dt.date(2021, 9, 1),
        today=TODAY,
    )
    record = services.schooling_leave(
        actor=worker,
        person_id=pupil.pk,
        left_on=dt.date(2024, 6, 30),
        reason="family",
        today=TODAY,
    )
    assert record.kind == "left"
    assert record.since == dt.date(2024, 7, 1)
    enrolment = SchoolEnrolment.objects.get(person=pupil)
    assert enrolment.valid_to == dt.date(2024, 6, 30)
    assert enrolment.mode == "special"
    plan = Plan.objects.get(code="P14")

    def i08(as_of: dt.date) -> compute.Result:
        return next(
            r
            for r in compute.compute(plan, as_of)
            if r.indicator.code == "I08" and r.region_code == "150402"
        )

    mid, end = i08(dt.date(2023, 12, 31)), i08(dt.date(2024, 12, 31))
    assert (mid.numerator, mid.denominator) == (Decimal(1), Decimal(1))
    assert (end.numerator, end.denominator) == (Decimal(0), Decimal(1))
    # Home teaching from 2025-03-01 brings the child back and resolves the follow-up.
    services.schooling_enrol(
        actor=worker,
        person_id=pupil.pk,
        mode="home",
        school="红山区送教上门服务",
        valid_from=dt.date(2025, 3, 1),
        today=TODAY,
    )
    record.refresh_from_db()
    assert record.resolved_on == dt.date(2025, 3, 1)
    assert "送教上门" in record.resolution
    assert i08(dt.date(2025, 12, 31)).numerator == Decimal(1)


def test_a_change_of_school_ends_the_earlier_enrolment_the_day_before(worker) -> None:
    pupil = child("王转学", dt.date(2012, 5, 1))
    first = services.schooling_enrol(
        actor=worker,
        person_id=pupil.pk,
        mode="regular",
        school="红山区实验小学",
        valid_from=dt.date(2020, 9, 1),
        today=TODAY,
    )
    services.schooling_enrol(
        actor=worker,
        person_id=pupil.pk,
        mode="special",
        school="赤峰市特殊教育学校",
        valid_from=dt.date(2023, 9, 1),
        today=TODAY,
    )
    first.refresh_from_db()
    assert first.valid_to == dt.date(2023, 8, 31)
    with pytest.raises(ValidationFailed) as info:  # before the latest record: refused
        services.schooling_enrol(
            actor=worker,
            person_id=pupil.pk,
            mode="regular",
            school="某校",
            valid_from=dt.date(2023, 1, 1),
            today=TODAY,
        )
    assert info.value.code == "schooling_overlap"
    assert SchoolEnrolment.objects.filter(person=pupil).count() == 2


def test_enrolling_and_leaving_queue_the_child_for_the_incremental_scan(
    worker, time_machine
) -> None:
    """Being in school is a rule fact (the education aid reads ``in_school``): the
    incremental scan re-evaluates the child after each change."""
    time_machine.move_to(dt.datetime(2025, 12, 31, 1, tzinfo=dt.UTC), tick=False)
    pupil = child("赵在读", dt.date(2014, 4, 1))
    scan(as_of=TODAY, benefit_codes=["education_aid"])
    aid = WorkItem.objects.filter(person=pupil, benefit__code="education_aid")
    assert not aid.exists()
    time_machine.shift(dt.timedelta(hours=1))
    services.schooling_enrol(
        actor=worker,
        person_id=pupil.pk,
        mode="regular",
        school="松山区第一小学",
        valid_from=dt.date(2025, 9, 1),
        today=TODAY,
    )
    time_machine.shift(dt.timedelta(hours=1))
    scan(as_of=TODAY, benefit_codes=["education_aid"], incremental=True)
    assert list(aid.values_list("status", flat=True)) == ["open"]
    time_machine.shift(dt.timedelta(hours=1))
    services.schooling_leave(
        actor=worker,
        person_id=pupil.pk,
        left_on=dt.date(2025, 11, 30),
        reason="illness",
        today=TODAY,
    )
    time_machine.shift(dt.timedelta(hours=1))
    scan(as_of=TODAY, benefit_codes=["education_aid"], incremental=True)
    assert list(aid.values_list("status", flat=True)) == ["obsolete"]


def test_outside_6_to_15_is_accepted_only_with_a_reason(worker) -> None:
    young = child("赵五岁", dt.date(2020, 1, 10))
    with pytest.raises(ValidationFailed) as info:
        services.schooling_enrol(
            actor=worker,
            person_id=young.pk,
            mode="regular",
            school="红山区实验小学",
            valid_from=dt.date(2025, 9, 1),
            today=TODAY,
        )
    assert info.value.code == "outside_school_age"
    assert info.value.field == "age_reason"
    assert info.value.message_zh
    assert info.value.message_en
    assert not SchoolEnrolment.objects.filter(person=young).exists()
    services.schooling_enrol(
        actor=worker,
        person_id=young.pk,
        mode="regular",
        school="红山区实验小学",
        valid_from=dt.date(2025, 9, 1),
        age_reason="提前入学，经教育局批准",
        today=TODAY,
    )
    from dpf.core.models import AuditEntry

    entry = AuditEntry.objects.filter(object_type="school_enrolment").latest("pk")
    assert entry.reason == "提前入学，经教育局批准"


def test_the_not_enrolled_list_is_followed_until_resolved(worker) -> None:
    kid = child("钱未入", dt.date(2015, 4, 1))
    record = services.not_enrolled_record(
        actor=worker,
        person_id=kid.pk,
        since=dt.date(2025, 9, 1),
        reason="severe_disability",
        note="卧床",
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as info:  # once on the list
        services.not_enrolled_record(
            actor=worker,
            person_id=kid.pk,
            since=dt.date(2025, 10, 1),
            reason="other",
            today=TODAY,
        )
    assert info.value.code == "not_enrolled_open"
    services.not_enrolled_visit(
        actor=worker,
        record_id=record.pk,
        date=dt.date(2025, 10, 8),
        note="家长同意送教上门",
        today=TODAY,
    )
    with pytest.raises(ValidationFailed) as info:
        services.not_enrolled_visit(
            actor=worker, record_id=record.pk, date=dt.date(2025, 8, 1), note="早于", today=TODAY
        )
    assert info.value.code == "visit_before_since"
    services.not_enrolled_resolve(
        actor=worker,
        record_id=record.pk,
        resolved_on=dt.date(2025, 11, 1),
        resolution="随家迁往外市",
        today=TODAY,
    )
    record.refresh_from_db()
    assert record.resolved_on == dt.date(2025, 11, 1)
    assert NotEnrolledVisit.objects.filter(record=record).count() == 1
    # A child outside 6-15 is not put on the list; a child in school neither.
    older = child("孙十六", dt.date(2008, 1, 1))
    with pytest.raises(ValidationFailed) as info:
        services.not_enrolled_record(
            actor=worker,
            person_id=older.pk,
            since=dt.date(2025, 9, 1),
            reason="other",
            today=TODAY,
        )
    assert info.value.code == "outside_school_age"


def test_scope_attack_on_another_villages_child(worker) -> None:
    """A village worker of 150402001001 cannot record or read a child of another village or
    county, nor act on its follow-up; an institution user has no access at all."""
    other = child("周外村", dt.date(2014, 1, 1), village="150404002001")
    record = services.not_enrolled_record(
        actor=make_user("county_officer", "150404"),
        person_id=other.pk,
        since=dt.date(2025, 9, 1),
        reason="other",
        today=TODAY,
    )
    with pytest.raises(NotFound):
        services.schooling_enrol(
            actor=worker,
            person_id=other.pk,
            mode="regular",
            school="某校",
            valid_from=dt.date(2025, 9, 1),
            today=TODAY,
        )
    with pytest.raises(PermissionRefused):
        services.not_enrolled_visit(
            actor=worker,
            record_id=record.pk,
            date=dt.date(2025, 10, 1),
            note="越权",
            today=TODAY,
        )
    with pytest.raises(PermissionRefused):
        services.not_enrolled_record(
            actor=make_user("institution_staff", None, institution_code="X"),
            person_id=other.pk,
            since=dt.date(2025, 9, 1),
            reason="other",
            today=TODAY,
        )
    client = Client()
    client.force_login(worker)
    assert client.get(reverse("services:schooling_child", args=[other.pk])).status_code == 404
    assert "周外村" not in client.get(reverse("services:schooling_queue")).content.decode()
    assert not NotEnrolledVisit.objects.exists()
    assert not SchoolEnrolment.objects.filter(person=other).exists()


@time_machine.travel(dt.datetime(2025, 10, 10, 10, 0, tzinfo=dt.UTC), tick=False)
def test_a_village_worker_follows_a_child_on_the_pages(worker) -> None:
    kid = child("吴跟进", dt.date(2016, 2, 1))
    client = Client()
    client.force_login(worker)
    url = reverse("services:schooling_child", args=[kid.pk])
    assert client.get(url).status_code == 200
    refused = client.post(
        url, {"action": "not_enrolled", "n-since": "2026-01-01", "n-reason": "family"}
    )
    assert refused.status_code == 400
    assert "不能晚于今天" in refused.content.decode()
    assert (
        client.post(
            url, {"action": "not_enrolled", "n-since": "2025-09-01", "n-reason": "family"}
        ).status_code
        == 302
    )
    queue = client.get(reverse("services:schooling_queue")).content.decode()
    assert "吴跟进" in queue
    assert (
        client.post(
            url, {"action": "visit", "v-date": "2025-10-09", "v-note": "动员家长送学"}
        ).status_code
        == 302
    )
    assert (
        client.post(
            url,
            {
                "action": "enrol",
                "e-mode": "regular",
                "e-school": "红山区实验小学",
                "e-valid_from": "2025-10-10",
            },
        ).status_code
        == 302
    )
    assert NotEnrolled.objects.get(person=kid).resolved_on == dt.date(2025, 10, 10)
    assert "吴跟进" not in client.get(reverse("services:schooling_queue")).content.decode()
    assert "普通学校随班就读" in client.get(url).content.decode()


def test_the_queue_runs_in_constant_queries(worker) -> None:
    client = Client()
    client.force_login(worker)
    url = reverse("services:schooling_queue")

    def add(n: int) -> None:
        kid = child(f"待跟进{n}", dt.date(2014, 1, 1))
        r = services.not_enrolled_record(
            actor=worker,
            person_id=kid.pk,
            since=dt.date(2025, 9, 1),
            reason="other",
            today=TODAY,
        )
        services.not_enrolled_visit(
            actor=worker, record_id=r.pk, date=dt.date(2025, 9, 2), note="走访", today=TODAY
        )

    add(0)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(1, 5):
        add(n)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "待跟进4" in page
    assert len(many) == len(few)
