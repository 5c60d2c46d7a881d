"""Schooling journey on a phone without JavaScript, by keyboard (issue 18 part 8): a
village worker opens the not-enrolled follow-up list, opens the child the county put on it,
records a home visit and then the home teaching (送教上门) that resolves it; the list is
empty afterwards. Each page fits a 360 px screen and is scanned with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.registry import services as registry
from dpf.registry.models import SchoolEnrolment
from dpf.services import services
from dpf.services.models import NotEnrolled, NotEnrolledVisit
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    MOBILE,
    choose_option,
    focus_from_top,
    headings,
    log_in,
    scroll_width,
    tab_to,
    type_date,
    type_into,
)
from tests.factories import make_person

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_village_worker_follows_a_not_enrolled_child(e2e: Browsing) -> None:
    data = seed_registry()
    worker = data.user("village_worker")
    child = make_person(name="孙小雨", birth=dt.date(2016, 3, 1), village_code="150402001001")
    registry.certificate_issue(
        actor=None, person=child, category=4, level=1, issue_date=dt.date(2022, 6, 1)
    )
    record = services.not_enrolled_record(
        actor=data.user("county_officer"),
        person_id=child.pk,
        since=dt.date(2026, 9, 1),
        reason="severe_disability",
        note="卧床，家长未送学",
        today=dt.date(2026, 9, 10),
    )
    page = e2e.page(mobile=True, javascript=False)
    log_in(page, worker.username)
    page.goto(e2e.url("/services/schooling/"))
    assert headings(page)[0] == "未入学跟进名单"
    assert scroll_width(page) <= MOBILE["width"]
    e2e.step(page, "list", who="village_worker")

    focus_from_top(page)
    tab_to(page, "孙小雨")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == "义务教育就学状况：孙小雨"
    assert scroll_width(page) <= MOBILE["width"]
    e2e.step(page, "child", who="village_worker")

    focus_from_top(page)
    type_date(page, "v-date", dt.date(2026, 9, 15))
    type_into(page, "v-note", "入户走访：家长同意送教上门")
    tab_to(page, "保存走访")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    e2e.step(page, "visited", who="village_worker")
    assert NotEnrolledVisit.objects.filter(record=record).count() == 1

    focus_from_top(page)
    choose_option(page, "e-mode", "送教上门")
    type_into(page, "e-school", "红山区特殊教育学校（送教上门）")
    type_date(page, "e-valid_from", dt.date(2026, 9, 20))
    tab_to(page, "保存就学记录")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    e2e.step(page, "enrolled", who="village_worker")

    record.refresh_from_db()
    assert record.resolved_on == dt.date(2026, 9, 20)
    enrolment = SchoolEnrolment.objects.get(person=child)
    assert (enrolment.mode, enrolment.valid_from) == ("home", dt.date(2026, 9, 20))
    page.goto(e2e.url("/services/schooling/"))
    assert page.get_by_text("没有待跟进的未入学儿童。").count() == 1
    assert not NotEnrolled.objects.filter(resolved_on__isnull=True).exists()
