"""Facility journey, by keyboard and without JavaScript of the page's own: a county officer
registers a care facility under construction, is refused when moving it to "open" without
an opening date or year, then opens it; the list filtered by kind shows it. Every page is
scanned with axe-core in each display mode."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.social.models import Facility
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    alerts,
    choose_option,
    focus_from_top,
    headings,
    log_in,
    tab_to,
    type_date,
    type_into,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_county_officer_registers_and_opens_a_facility(e2e: Browsing) -> None:
    data = seed_registry()
    officer = data.user("county_officer")
    page = e2e.page()
    log_in(page, officer.username)
    page.goto(e2e.url("/social/facilities/"))
    assert headings(page)[0] == "残疾人服务设施"
    e2e.step(page, "facilities", who="county_officer")

    focus_from_top(page)
    type_into(page, "name", "红山区残疾人托养中心")
    choose_option(page, "kind", "托养照护设施")
    type_into(page, "floor_area", "1500")
    choose_option(page, "state", "在建")
    type_date(page, "building_from", dt.date(2024, 3, 1))
    tab_to(page, "登记")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == "红山区残疾人托养中心"
    facility = Facility.objects.get()
    assert (facility.state, facility.building_from) == ("building", dt.date(2024, 3, 1))
    e2e.step(page, "facility", who="county_officer")

    focus_from_top(page)
    choose_option(page, "state", "已投入使用")
    tab_to(page, "保存")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert any("投入使用年份" in text for text in alerts(page))
    e2e.step(page, "refused", who="county_officer")
    facility.refresh_from_db()
    assert facility.state == "building"

    focus_from_top(page)
    type_date(page, "opened_on", dt.date(2025, 6, 1))
    tab_to(page, "保存")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    facility.refresh_from_db()
    assert (facility.state, facility.opening_year) == ("open", 2025)

    page.goto(e2e.url("/social/facilities/?kind=care"))
    assert page.get_by_role("link", name="红山区残疾人托养中心").count() == 1
    e2e.step(page, "filtered", who="county_officer")
