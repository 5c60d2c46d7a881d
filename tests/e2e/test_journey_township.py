"""Township journey, by keyboard: a township officer works an allowance application through
its two township steps and sees their queue (我的待办) update.

A village worker filed the application (both allowances, the "one thing" bundle) at the
window through the service, as the window page would; the officer does the rest.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from dpf.workflow import services
from dpf.workflow.models import ApplicationItem
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import focus_from_top, focused, headings, live_text, log_in, tab_to

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BANK = services.BankDetails("中国农业银行赤峰分行", "张海明", "6228480012345678901")


def _queue_count(page: Page) -> int:
    for text in live_text(page):
        found = re.search(r"共 (\d+) 项", text)
        if found:
            return int(found.group(1))
    raise AssertionError(f"no count announced: {live_text(page)}")


def _open_queue(page: Page) -> None:
    """我的待办 from the main navigation, by keyboard; the link is marked as the current page."""
    focus_from_top(page)
    tab_to(page, re.compile("^我的待办$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page) == ["我的待办"]
    current = page.locator("nav a[aria-current=page]")
    assert set(current.all_inner_texts()) == {"我的待办"}  # main and workflow menus


def _advance_first_open_step(page: Page) -> None:
    """On the application page: choose 通过 in the first decision form and submit it."""
    tab_to(page, re.compile("^(通过|不予批准)$"))
    info = focused(page)
    assert info is not None
    assert info["type"] == "radio"
    if info["name"] != "通过":
        page.keyboard.press("ArrowUp")  # arrows move within a radio group, as for a user
    info = focused(page)
    assert info is not None
    assert info["name"] == "通过"
    page.keyboard.press("Space")
    assert page.locator(":focus").is_checked()
    tab_to(page, "提交办理意见")
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_township_officer_advances_a_step_and_the_queue_updates(
    e2e: Browsing, javascript: bool
) -> None:
    data = seed_registry()
    person = data.people[0]  # 张海明, the village worker's village, physical level 2
    application = services.application_submit(
        actor=data.user("village_worker"),
        person=person,
        benefit_codes=["living_allowance", "nursing_allowance"],
        applicant_kind="worker",
        channel="window",
        bank=BANK,
    )
    officer = data.user("township_officer")

    page = e2e.page(javascript=javascript)
    log_in(page, officer.username)
    _open_queue(page)
    before = _queue_count(page)
    township_items = ApplicationItem.objects.filter(
        application=application, step_role="township_officer", status="in_progress"
    ).count()
    assert before == township_items > 0
    e2e.step(page, "queue-before", who="township_officer")

    # Open the application from the queue (the link names the person for screen readers).
    tab_to(page, re.compile(f"{application.pk}：{person.name}"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    e2e.step(page, "application", who="township_officer")

    # Both township steps of one benefit: first check and entry, then sent to the county.
    item = (
        ApplicationItem.objects.filter(application=application, status="in_progress")
        .order_by("pk")
        .first()
    )
    assert item is not None
    steps_at_township = 0
    while item.step_role == "township_officer":
        _advance_first_open_step(page)
        e2e.step(page, f"advanced-{item.step_code}", who="township_officer")
        item.refresh_from_db()
        steps_at_township += 1
        assert steps_at_township <= 5
    assert item.step_role == "county_officer"

    _open_queue(page)
    after = _queue_count(page)
    assert after == before - 1
    e2e.step(page, "queue-after", who="township_officer")
