"""The header and menu on a 360 × 740 phone (issue 17 part 9): at most a third of the first
screen, the menu folded behind 菜单 (a details element, so it opens without JavaScript),
opened by keyboard; on a wide screen the menu is shown open with no toggle."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Browsing
from tests.e2e.support import MOBILE, log_in, small_touch_targets
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _header_height(page: Page) -> float:
    box = page.locator("header.site-header").bounding_box()
    assert box is not None
    return float(box["height"])


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
@pytest.mark.parametrize("role", ["city_admin", "village_worker"])
def test_phone_header_takes_at_most_a_third_of_the_screen(
    e2e: Browsing, role: str, javascript: bool
) -> None:
    user = make_user(role, "150402001001" if role == "village_worker" else "150400")
    page = e2e.page(mobile=True, javascript=javascript)
    log_in(page, user.username)
    height = _header_height(page)
    assert height <= MOBILE["height"] / 3, f"{role}: header {height} px of {MOBILE['height']}"
    menu = page.locator("nav.site-nav a").first
    assert not menu.is_visible()  # folded
    e2e.step(page, f"phone-header-{role}")

    toggle = page.locator("summary.menu-toggle")
    toggle.focus()
    page.keyboard.press("Enter")
    assert menu.is_visible()
    assert page.locator("header .lang-form select").is_visible()
    assert not small_touch_targets(page), small_touch_targets(page)
    e2e.step(page, f"phone-menu-open-{role}")


def test_wide_screen_shows_the_menu_without_a_toggle(e2e: Browsing) -> None:
    user = make_user("city_admin", "150400")
    page = e2e.page(javascript=False)
    log_in(page, user.username)
    assert page.locator("nav.site-nav a").first.is_visible()
    assert not page.locator("summary.menu-toggle").is_visible()
