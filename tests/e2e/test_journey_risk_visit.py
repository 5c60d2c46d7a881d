"""Return-to-poverty journey, by keyboard: a village worker opens an alert from the list,
records the home visit that confirms the risk, and the household is monitored from the
visit's date; every page is scanned with axe-core in each display mode."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dpf.core.models import EffectiveDated
from dpf.registry.models import HouseholdStatus
from dpf.social.models import RiskCase
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import focus_from_top, headings, log_in, tab_to, type_date, type_into

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_village_worker_records_the_visit_of_an_alert(e2e: Browsing) -> None:
    data = seed_registry()
    person = data.people[0]  # 张海明, of the village worker's village
    worker = data.user("village_worker")
    detected = dt.date(2026, 5, 4)
    assert person.household_id is not None
    case = RiskCase.objects.create(  # what the scan writes (tests/social: the scan itself)
        household_id=person.household_id,
        person=person,
        rule_code="income_below_line",
        rule_name="家庭人均收入低于监测线",
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        detected_on=detected,
        worker=worker,
    )
    page = e2e.page()
    log_in(page, worker.username)
    page.goto(e2e.url("/social/risk/"))
    assert headings(page)[0] == "防返贫动态监测"
    e2e.step(page, "alerts", who="village_worker")

    focus_from_top(page)
    tab_to(page, "家庭人均收入低于监测线")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0].startswith("防返贫监测预警")
    e2e.step(page, "alert", who="village_worker")

    visited = dt.date(2026, 5, 8)
    focus_from_top(page)
    type_date(page, "v-visited_on", visited)
    tab_to(page, re.compile("^风险属实，纳入监测$"))
    page.keyboard.press("Space")
    type_into(page, "v-note", "入户核实：务工收入中断，家庭人均收入低于监测线")
    tab_to(page, "保存走访")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    e2e.step(page, "visited", who="village_worker")

    case.refresh_from_db()
    assert (case.status, case.visited_on, case.risk_confirmed) == ("monitored", visited, True)
    status = HouseholdStatus.objects.filter(
        EffectiveDated.as_of_q(visited), household_id=person.household_id
    ).get()
    assert (status.status, status.valid_from) == ("monitored", visited)
    assert page.get_by_role("heading", name="登记帮扶措施").count() == 1
