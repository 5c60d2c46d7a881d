"""The platform as ``./run demo`` fills it: synthetic people from ``dpf demo generate`` and the
published demo accounts, on the test database (SQLite, or PostgreSQL in the second run).

A county officer logs in with the demo password by keyboard and finds a synthetic person
by pinyin initials; the count is announced in the live region and matches the registry.
"""

from __future__ import annotations

import re

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


def test_county_officer_finds_a_demo_person_by_pinyin(e2e: Browsing) -> None:
    generated = demo.demo_generate(persons=PERSONS, seed=1)
    assert generated.persons == PERSONS
    accounts = {a.username: a for a in demo.demo_accounts_create(force=True)}
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
