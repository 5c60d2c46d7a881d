"""Keyboard journeys through the shared layout: skip link, display modes, refused log-in.

Each runs with JavaScript on and off (the platform is server-rendered; scripts only help).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Browsing
from tests.e2e.support import PASSWORD, alerts, focused, headings, tab_to
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

JS = pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])


def _font_px(page: Page, selector: str) -> float:
    size: str = page.eval_on_selector(selector, "el => getComputedStyle(el).fontSize")
    return float(size.removesuffix("px"))


def _luminance(page: Page, selector: str) -> float:
    """Relative luminance (0 black … 1 white) of an element's computed background."""
    colour: str = page.eval_on_selector(selector, "el => getComputedStyle(el).backgroundColor")
    rgb = [int(c) / 255 for c in re.findall(r"\d+", colour)[:3]]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


@JS
def test_skip_link_then_display_modes_by_keyboard(e2e: Browsing, javascript: bool) -> None:
    page = e2e.page(javascript=javascript)
    page.goto("/")
    assert headings(page) == ["赤峰市残疾人服务平台"]
    e2e.step(page, "home")

    # The first Tab reaches the skip link; Enter moves focus to the main content.
    page.keyboard.press("Tab")
    info = focused(page)
    assert info is not None, info
    assert info["name"] == "跳到主要内容", info
    page.keyboard.press("Enter")
    info = focused(page)
    assert info is not None, info
    assert info["tag"] == "main", info

    text_before = _font_px(page, "main p")
    background_before = _luminance(page, "body")

    # Large text: the toggle is a real form button; the page comes back larger.
    page.goto("/")
    tab_to(page, "大字模式")
    assert page.locator(":focus").get_attribute("aria-pressed") == "false"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page) == ["赤峰市残疾人服务平台"]
    large_button = page.get_by_role("button", name="大字模式")
    assert large_button.get_attribute("aria-pressed") == "true"
    assert _font_px(page, "main p") > text_before
    e2e.step(page, "large-text")

    # High contrast on top of it: light text on a dark page.
    tab_to(page, "高对比度")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("button", name="高对比度").get_attribute("aria-pressed") == "true"
    assert _luminance(page, "body") < background_before
    e2e.step(page, "large-text-and-contrast")

    # Both are remembered in the cookie the server reads on every page.
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert set(cookies["dpf_display"].split(".")) == {"large", "contrast"}
    page.goto("/accounts/login/")
    assert "display-large" in (page.locator("body").get_attribute("class") or "")


@JS
def test_refused_log_in_is_announced_and_focus_stays_usable(
    e2e: Browsing, javascript: bool
) -> None:
    user = make_user("village_worker", "150402001001")
    page = e2e.page(javascript=javascript)
    page.goto("/accounts/login/")
    assert headings(page) == ["登录"]
    # The user-name field has focus on arrival (autofocus), as a keyboard user expects.
    info = focused(page)
    assert info is not None, info
    assert info["fieldName"] == "username", info
    page.keyboard.type(user.username)
    page.keyboard.press("Tab")
    info = focused(page)
    assert info is not None
    assert info["fieldName"] == "password"
    assert "密码" in info["name"]
    page.keyboard.type("wrong-" + PASSWORD)
    e2e.step(page, "typed")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    summary = alerts(page)
    assert summary, summary
    assert "登录未成功" in summary[0], summary
    if javascript:
        # site.js moves focus to the error summary so it is read out first.
        info = focused(page)
        assert info is not None, info
        assert "登录未成功" in info["name"], info
    e2e.step(page, "refused")

    # Nothing typed is lost but the password; the user name is still there.
    assert page.locator("input[name=username]").input_value() == user.username
    tab_to(page, re.compile("^密码"))
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/accounts/login/" not in page.url
    e2e.step(page, "logged-in")
