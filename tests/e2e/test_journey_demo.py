"""The platform as ``./run demo`` fills it: synthetic people from ``dpf demo generate`` and the
published demo accounts, on the test database (SQLite, or PostgreSQL in the second run).

The log-in page of a demo installation lists the demo accounts and the published password;
a county officer reads them there, logs in by keyboard and finds a synthetic person by pinyin
initials; the count is announced in the live region and matches the registry.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from dpf.demo import services as demo
from dpf.registry.models import Person
from tests.e2e.conftest import Browsing
from tests.e2e.support import headings, log_in, tab_to, type_into

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PERSONS = 60  # enough for every county to have people, small enough to generate in seconds


def test_county_officer_finds_a_demo_person_by_pinyin(e2e: Browsing, settings: Any) -> None:
    settings.DPF_DEMO = True  # as ./run demo sets it; demo accounts log in nowhere else
    generated = demo.demo_generate(persons=PERSONS, seed=1)
    assert generated.persons == PERSONS
    accounts = {a.username: a for a in demo.demo_accounts_create()}
    officer = accounts["demo_county_hongshan"]
    person = (
        Person.objects.filter(county_code=officer.region_code, synthetic=True)
        .exclude(name_initials="")
        .order_by("pk")
        .first()
    )
    assert person is not None, "the demo generator put nobody in 红山区"
    initials = person.name_initials

    page = e2e.page()
    page.goto("/accounts/login/")
    listed = page.locator("section.demo-accounts")
    assert demo.DEMO_PASSWORD in listed.inner_text()
    rows = listed.locator("tbody tr")
    assert rows.count() == len(accounts)
    row = rows.filter(has_text=officer.username).first.inner_text()
    assert "旗县区残联工作人员" in row
    assert "红山区" in row
    e2e.step(page, "demo-accounts-listed")
    log_in(page, officer.username, demo.DEMO_PASSWORD)
    e2e.step(page, "logged-in", who="county_officer")
    tab_to(page, re.compile("^人员查询$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page) == ["人员查询"]
    type_into(page, "q", initials)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expected = Person.objects.filter(
        county_code=officer.region_code, name_initials__startswith=initials
    ).count()
    status = page.locator("#result-count")
    assert status.get_attribute("aria-live") == "polite"
    assert status.inner_text().strip() == f"找到 {expected} 人"
    assert page.locator("tbody tr", has_text=person.name).count() >= 1
    e2e.step(page, "found", who="county_officer")
