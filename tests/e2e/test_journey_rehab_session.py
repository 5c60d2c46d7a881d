"""Rehabilitation journey on a phone, by keyboard (issue 18 part 2): an institution's staff
member lands on the institution's queue, which lists its own client and not another
institution's, opens the plan and records a session; a date outside the plan is refused
next to the field first. Each page fits a 360 px screen and is scanned with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.registry.models import NeedsSurvey
from dpf.services import services
from dpf.services.models import RehabSession
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    MOBILE,
    alerts,
    focus_from_top,
    headings,
    log_in,
    scroll_width,
    tab_to,
    type_date,
    type_into,
)
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_an_institution_records_a_session(e2e: Browsing) -> None:
    data = seed_registry()
    ours, theirs = (
        services.institution_register(
            actor=None,
            code=code,
            name=name,
            kind="rehabilitation",
            township_code="150402001",
            designated_from=dt.date(2022, 1, 1),
        )
        for code, name in (("REHAB-E2E-A", "红山区康复中心"), ("REHAB-E2E-B", "另一康复中心"))
    )
    client, other = data.people[0], data.people[1]
    for person in (client, other):
        NeedsSurvey.objects.create(
            person=person, year=2026, survey_date=dt.date(2026, 2, 1), rehab_need=True
        )
    for person, institution in ((client, ours), (other, theirs)):
        services.rehab_plan_create(
            actor=data.user("county_officer"),
            person_id=person.pk,
            institution_id=institution.pk,
            kind="training",
            start=dt.date(2026, 3, 1),
            end=dt.date(2026, 12, 31),
            planned_sessions=20,
        )
    staff = make_user("institution_staff", None, institution_code="REHAB-E2E-A")
    page = e2e.page(mobile=True)
    log_in(page, staff.username)
    page.goto(e2e.url("/services/rehab/"))
    assert headings(page)[0] == "康复服务计划"
    assert page.get_by_text(other.name).count() == 0
    assert scroll_width(page) <= MOBILE["width"]
    e2e.step(page, "queue", who="institution_staff")

    focus_from_top(page)
    tab_to(page, client.name)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == f"康复服务计划：{client.name}"
    assert scroll_width(page) <= MOBILE["width"]
    e2e.step(page, "plan", who="institution_staff")

    focus_from_top(page)
    type_date(page, "s-date", dt.date(2026, 2, 10))  # before the plan starts
    type_into(page, "s-content", "下肢站立训练30分钟")
    tab_to(page, "保存服务记录")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert any("计划期内" in text for text in alerts(page))
    assert not RehabSession.objects.exists()
    e2e.step(page, "refused", who="institution_staff")

    focus_from_top(page)
    type_date(page, "s-date", dt.date(2026, 4, 2))
    tab_to(page, "保存服务记录")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    e2e.step(page, "recorded", who="institution_staff")
    session = RehabSession.objects.get()
    assert (session.plan.person_id, session.date) == (client.pk, dt.date(2026, 4, 2))
