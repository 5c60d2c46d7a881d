"""The person page's timeline shows every service received (issue 18 part 11), with dates
and words (no codes), in a number of queries that does not grow with the history; the page
links to start the services the permission table allows the user to start."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from dpf.employment.models import TrainingAttendance, TrainingCourse
from dpf.registry.models import Employment, Person
from dpf.registry.timeline_selectors import person_timeline
from dpf.services.models import (
    CarePlacement,
    DeviceCatalogueItem,
    DeviceFitting,
    DeviceFollowUp,
    HomeRenovation,
    NotEnrolled,
    RehabPlan,
    RehabSession,
)
from dpf.social.models import VolunteerEvent
from tests.factories import make_person, make_user
from tests.services.conftest import Rehab

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese() -> Iterator[None]:
    with translation.override("zh-hans"):
        yield


def _services(rehab: Rehab, person: Person, n: int) -> None:
    """``n`` of each service for ``person`` (n=1: one of every kind), straight into the
    tables: the services that write them are tested in their own files."""
    officer = rehab.officer
    codes = {"village_code": person.village_code}
    codes |= {"county_code": person.county_code, "township_code": person.township_code}
    item = DeviceCatalogueItem.objects.create(
        code=f"W{n}",
        name="普通轮椅",
        kind="mobility",
        standard_amount=Decimal("800"),
        replacement_years=5,
        valid_from=dt.date(2020, 1, 1),
    )
    course = TrainingCourse.objects.create(
        name="盲人按摩培训",
        kind="vocational",
        provider="市职业培训学校",
        county_code=person.county_code,
        start=dt.date(2024, 4, 1),
        end=dt.date(2024, 4, 30),
        created_by=officer,
    )
    for i in range(n):
        plan = RehabPlan.objects.create(
            person=person,
            institution=rehab.ours,
            kind="training",
            start=dt.date(2022, 3, 1) + dt.timedelta(days=400 * i),
            end=dt.date(2022, 12, 31) + dt.timedelta(days=400 * i),
            planned_sessions=4,
            closed_on=dt.date(2022, 12, 31) + dt.timedelta(days=400 * i),
            outcome="improved",
            created_by=officer,
            **codes,
        )
        RehabSession.objects.create(
            plan=plan, date=plan.start + dt.timedelta(days=7), content="站立训练"
        )
        fitting = DeviceFitting.objects.create(
            plan=plan,
            person=person,
            item=item,
            kind="mobility",
            assessed_on=plan.start,
            fitted_on=plan.start + dt.timedelta(days=10),
            replace_after=plan.start + dt.timedelta(days=1800),
            supplier="赤峰康复器材公司",
            subsidy_amount=Decimal("800"),
        )
        DeviceFollowUp.objects.create(
            fitting=fitting, date=plan.start + dt.timedelta(days=40), satisfaction=5
        )
        CarePlacement.objects.create(
            person=person,
            institution=rehab.ours,
            kind="day",
            start=dt.date(2023, 1, 1) + dt.timedelta(days=400 * i),
            months=6,
            end=dt.date(2023, 6, 30) + dt.timedelta(days=400 * i),
            monthly_subsidy=Decimal("300"),
            **codes,
        )
        NotEnrolled.objects.create(
            person=person,
            kind="left",
            reason="illness",
            since=dt.date(2021, 9, 1) + dt.timedelta(days=400 * i),
            resolved_on=dt.date(2021, 12, 1) + dt.timedelta(days=400 * i),
            resolution="送教上门",
            **codes,
        )
        Employment.objects.create(
            person=person,
            kind="flexible" if i % 2 else "public_welfare",
            valid_from=dt.date(2020, 5, 1) + dt.timedelta(days=400 * i),
            valid_to=dt.date(2020, 12, 31) + dt.timedelta(days=400 * i),
        )
        local = timezone.get_current_timezone()
        starts = dt.datetime(2024, 6, 1, 9, tzinfo=local) + dt.timedelta(days=30 * i)
        event = VolunteerEvent.objects.create(
            title="助残日上门服务",
            county_code=person.county_code,
            township_code=person.township_code,
            meeting_place="社区服务站",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=3),
            capacity=5,
        )
        event.served.add(person)
    TrainingAttendance.objects.create(course=course, person=person, completed_on=course.end)
    assert person.household is not None
    HomeRenovation.objects.create(
        person=person,
        household=person.household,
        assessed_on=dt.date(2024, 3, 1),
        assessment="卫生间需加装扶手",
        contractor="红山建筑公司",
        approved_on=dt.date(2024, 3, 20),
        completed_on=dt.date(2024, 5, 1),
        accepted_on=dt.date(2024, 5, 20),
        acceptance_note="合格",
        created_by=officer,
        **codes,
    )


def _services_on(person: Person) -> list[tuple[dt.date, str, str]]:
    shown = ("service", "employment")
    return [(e.date, e.label, e.detail) for e in person_timeline(person) if e.kind in shown]


def test_every_service_received_is_on_the_timeline_with_dates_and_words(rehab: Rehab) -> None:
    person = rehab.needy
    _services(rehab, person, 1)
    events = _services_on(person)
    expected = [
        (dt.date(2020, 5, 1), "开始就业", "公益性岗位就业"),
        (dt.date(2021, 1, 1), "就业结束", "公益性岗位就业"),
        (dt.date(2021, 9, 1), "列入未入学跟进", "辍学（离校）：因病不能就读"),
        (dt.date(2021, 12, 1), "未入学跟进已解决", "送教上门"),
        (dt.date(2022, 3, 1), "康复服务：制定服务计划", "功能训练 · 红山区康复中心"),
        (dt.date(2022, 3, 8), "康复服务记录", "站立训练 · 红山区康复中心"),
        (dt.date(2022, 3, 11), "辅具适配", "普通轮椅，供应商：赤峰康复器材公司"),
        (dt.date(2022, 4, 10), "辅具适配回访", "普通轮椅；满意度 5/5；仍在使用"),
        (dt.date(2022, 12, 31), "康复服务：结案", "功能训练 · 红山区康复中心；效果评估：显效"),
        (dt.date(2023, 1, 1), "托养服务：开始", "日间照料 · 红山区康复中心，6个月"),
        (dt.date(2024, 3, 1), "无障碍改造：入户评估", "卫生间需加装扶手"),
        (dt.date(2024, 3, 20), "无障碍改造：方案批准", "施工单位：红山建筑公司"),
        (dt.date(2024, 4, 1), "参加职业技能培训", "盲人按摩培训（职业技能培训）· 市职业培训学校"),
        (dt.date(2024, 4, 30), "培训结业", "盲人按摩培训（职业技能培训）· 市职业培训学校"),
        (dt.date(2024, 5, 1), "无障碍改造：完工", ""),
        (dt.date(2024, 5, 20), "无障碍改造：验收", "合格"),
        (dt.date(2024, 6, 1), "接受志愿服务", "助残日上门服务"),
    ]
    assert events == expected
    # Staff who recorded a service are named, never shown as an account number.
    sources = {e.source for e in person_timeline(person) if e.label == "康复服务：制定服务计划"}
    assert sources == {rehab.officer.get_full_name() or rehab.officer.username}


def test_a_child_under_eight_is_named_child_rehabilitation(rehab: Rehab) -> None:
    child = make_person(name="小明", birth=dt.date(2019, 6, 1))
    RehabPlan.objects.create(
        person=child,
        institution=rehab.ours,
        kind="training",
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 12, 31),
        planned_sessions=4,
        county_code=child.county_code,
        township_code=child.township_code,
        village_code=child.village_code,
    )
    assert [label for _d, label, _x in _services_on(child)] == ["儿童康复救助：制定服务计划"]


def test_the_timeline_reads_in_the_same_queries_for_few_and_many_services(rehab: Rehab) -> None:
    few, many = rehab.needy, rehab.also_needy
    _services(rehab, few, 1)
    _services(rehab, many, 6)
    with CaptureQueriesContext(connection) as one:
        few_events = _services_on(Person.objects.get(pk=few.pk))
    with CaptureQueriesContext(connection) as six:
        many_events = _services_on(Person.objects.get(pk=many.pk))
    assert len(many_events) > 2 * len(few_events)  # the history did grow
    assert len(six.captured_queries) == len(one.captured_queries)


def _page(user, person: Person) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("registry:person", args=[person.pk]))
    assert response.status_code == 200
    return response.content.decode()


LINKS = {
    "rehab": "services:rehab_plan_new",
    "care": "services:care_placement_new",
    "renovation": "services:renovation_new",
    "schooling": "services:schooling_child",
}


def _links(html: str, person: Person) -> set[str]:
    hrefs = {name: f'href="{reverse(route, args=[person.pk])}"' for name, route in LINKS.items()}
    return {name for name, href in hrefs.items() if href in html}


def test_the_page_shows_the_services_and_the_links_the_role_may_start(rehab: Rehab) -> None:
    person = rehab.needy
    _services(rehab, person, 1)
    html = _page(rehab.officer, person)
    assert "无障碍改造：验收" in html
    assert "接受志愿服务" in html
    assert not re.search(r">\s*(public_welfare|left|illness|training|day)\s*<", html)
    assert _links(html, person) == {"rehab", "care", "renovation", "schooling"}
    # Each role sees only the links its permissions allow: the township officer records
    # schooling but starts no plan, renovation or placement; the city admin the reverse.
    township = make_user("township_officer", "150402001")
    township_html = _page(township, person)
    assert _links(township_html, person) == {"schooling"}
    assert "康复服务：制定服务计划" in township_html  # the history is shown all the same
    city = make_user("city_admin", "150400")
    assert _links(_page(city, person), person) == {"rehab", "care", "renovation"}


def test_no_service_is_started_for_a_dead_person(rehab: Rehab) -> None:
    person = rehab.needy
    Person.objects.filter(pk=person.pk).update(death_date=dt.date(2025, 1, 5))
    assert _links(_page(rehab.officer, person), person) == set()
