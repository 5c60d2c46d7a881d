"""The proactive-scan queue on a phone (issue 17 part 6): at 360 px, one card a person with
the benefits listed, no sideways scrolling, and each card's action on screen."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.benefits import services as benefit_services
from tests.benefits.conftest import person_with
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import MOBILE, log_in, scroll_width, small_touch_targets

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_the_proposals_page_works_on_a_phone(e2e: Browsing) -> None:
    data = seed_registry()
    for _ in range(2):
        person_with(level=1, household="dibao", long_term_care=True)
    benefit_services.scan(
        as_of=dt.date(2025, 6, 30), benefit_codes=["living_allowance", "nursing_allowance"]
    )
    page = e2e.page(mobile=True)
    log_in(page, data.user("village_worker").username)

    page.goto("/workflow/proposals/")

    e2e.shot(page, "proposals-360")
    cards = page.locator("li.proposal-person")
    assert cards.count() == 2
    assert cards.first.locator(".proposal-benefits > li").count() == 2  # both benefits listed
    assert scroll_width(page) <= MOBILE["width"]
    for i in range(cards.count()):
        button = cards.nth(i).get_by_role("button", name="核实并代为申请")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= MOBILE["width"], box  # the action on screen
    assert not small_touch_targets(page)
