"""Citizen journeys, by keyboard on a 360 × 740 phone, with JavaScript on and off: a citizen
logs in, shows the electronic certificate with its QR code and checks it on /verify; then
applies online for a bundle of benefits, uploads a photo of a document and finds the
application in the list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_citizen, seed_registry
from tests.e2e.support import (
    MOBILE,
    PASSWORD,
    alerts,
    focus_from_top,
    focused,
    headings,
    live_text,
    open_menu,
    scroll_width,
    small_touch_targets,
    tab_to,
    tab_to_field,
)
from tests.portal.qrmatrix import encodes

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81"
    b"\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _press_enter(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _log_in_to_portal(page: Page, username: str) -> None:
    """Open the portal, get sent to the log-in form, log in by keyboard, land back."""
    page.goto("/portal/")
    assert "/accounts/login/" in page.url
    info = focused(page)
    if info is None or info["fieldName"] != "username":
        focus_from_top(page)
        tab_to_field(page, "username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    _press_enter(page)
    assert page.url.endswith("/portal/"), alerts(page)


def _fits_the_phone(page: Page) -> None:
    assert scroll_width(page) <= MOBILE["width"], page.url
    small = small_touch_targets(page)
    assert not small, small


@pytest.mark.parametrize("javascript", [True, False], ids=["phone-js", "phone-nojs"])
def test_citizen_shows_the_certificate_and_it_verifies(e2e: Browsing, javascript: bool) -> None:
    data = seed_registry()
    user = seed_citizen(data)
    holder = data.people[0]
    page = e2e.page(javascript=javascript, mobile=True)
    _log_in_to_portal(page, user.username)
    assert headings(page) == ["我的首页"]
    assert holder.name in page.locator(".acting").inner_text()
    e2e.step(page, "portal-home", who="citizen")
    _fits_the_phone(page)

    tab_to(page, "出示电子残疾人证")
    _press_enter(page)
    assert headings(page) == ["我的残疾人证"]
    qr = page.get_by_role("img", name="电子残疾人证二维码")
    assert qr.locator("svg").count() == 1
    payload = page.locator("#qr-payload").input_value()
    assert payload.startswith("DPF1.")
    assert holder.id_number not in payload
    # The QR code is near the top of the first screen and holds the verify page's address.
    box = qr.bounding_box()
    assert box is not None, box
    assert box["y"] < MOBILE["height"], box
    origin = page.evaluate("location.origin")
    verify_url = f"{origin}/verify/?p={payload}"
    assert encodes(qr.locator("svg").evaluate("e => e.outerHTML"), verify_url)
    e2e.step(page, "certificate", who="citizen")
    _fits_the_phone(page)
    certificate_url = page.url

    # What a phone camera does with the code: open the address it holds.
    page.goto(verify_url)
    assert headings(page) == ["核验电子残疾人证"]
    scanned = " ".join(live_text(page))
    assert re.search(r"(?<!无)有效", scanned), scanned
    page.goto(certificate_url)

    tab_to(page, "核验结果")
    _press_enter(page)
    assert headings(page) == ["核验电子残疾人证"]
    result = " ".join(live_text(page))
    assert re.search(r"(?<!无)有效", result), result
    assert holder.name not in page.locator("main").inner_text()  # masked on /verify
    e2e.step(page, "verified", who="citizen")


@pytest.mark.parametrize("javascript", [True, False], ids=["phone-js", "phone-nojs"])
def test_citizen_applies_online_with_a_photo(e2e: Browsing, javascript: bool) -> None:
    data = seed_registry()
    user = seed_citizen(data)
    page = e2e.page(javascript=javascript, mobile=True)
    _log_in_to_portal(page, user.username)

    tab_to(page, re.compile("^网上申请$"))
    _press_enter(page)
    assert headings(page) == ["网上申请"]
    tab_to_field(page, "benefits")  # the first item of the bundle
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the second
    page.keyboard.press("Space")
    checked = page.locator("input[name=benefits]:checked").count()
    assert checked == 2
    e2e.step(page, "apply-form", who="citizen")
    tab_to(page, "提交申请")
    _press_enter(page)
    assert headings(page)[0].startswith("申请 ")
    assert any("申请已提交" in t for t in live_text(page)), live_text(page)
    assert page.locator("article.item").count() == 2
    e2e.step(page, "application", who="citizen")
    _fits_the_phone(page)

    tab_to_field(page, "doc_type")
    tab_to_field(page, "file")
    # The phone's file chooser (camera or gallery) is outside the page: hand it the photo.
    page.locator("input[name=file]").set_input_files(
        {"name": "id-card.png", "mimeType": "image/png", "buffer": PNG}
    )
    tab_to(page, re.compile("^上传$"))
    _press_enter(page)
    assert any("材料已上传" in t for t in live_text(page)), live_text(page)
    assert "id-card.png" in page.locator("main").inner_text()
    e2e.step(page, "uploaded", who="citizen")

    open_menu(page)  # on the phone the menu is folded behind 菜单
    tab_to(page, "我的申请")
    _press_enter(page)
    assert headings(page) == ["我的申请"]
    listed = page.locator("main .app-list li")
    assert listed.count() == 1
    assert "办理中" in listed.first.inner_text()
    e2e.step(page, "my-applications", who="citizen")
