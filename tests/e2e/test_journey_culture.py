"""Culture and sport journey, by keyboard: a county officer records an activity of the
county, adds a person of the registry as a participant by ID number (the page shows the
masked number only), is refused adding the same person twice, and the year's counts by
county show one participation. Every page is scanned with axe-core in each display mode."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.social.models import ActivityParticipation
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


def test_county_officer_records_an_activity_and_a_participant(e2e: Browsing) -> None:
    data = seed_registry()
    person = data.people[0]
    officer = data.user("county_officer")
    page = e2e.page()
    log_in(page, officer.username)
    page.goto(e2e.url("/social/activities/?year=2025"))
    assert headings(page)[0] == "文化体育活动"
    e2e.step(page, "activities", who="county_officer")

    focus_from_top(page)
    type_into(page, "title", "全国助残日文艺汇演")
    choose_option(page, "kind", "文艺展演")
    type_date(page, "held_on", dt.date(2025, 5, 18))
    type_into(page, "place", "区文化馆")
    tab_to(page, "登记")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == "全国助残日文艺汇演"

    for attempt in ("added", "twice"):
        focus_from_top(page)
        type_into(page, "id_number", person.id_number)
        tab_to(page, "登记")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        e2e.step(page, attempt, who="county_officer")
        if attempt == "added":  # the participant is listed with the masked number only
            assert person.id_number_masked in page.content()
            assert person.id_number not in page.content()
    assert any("已登记参加本次活动" in text for text in alerts(page))
    assert ActivityParticipation.objects.filter(person=person).count() == 1
    page.goto(e2e.url("/social/activities/?year=2025"))
    row = page.get_by_role("row").filter(has_text="全国助残日文艺汇演")
    assert row.get_by_role("cell").last.inner_text() == "1"
