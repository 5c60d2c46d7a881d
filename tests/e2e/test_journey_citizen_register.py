"""Citizen registration, by keyboard on a 360 × 740 phone, with JavaScript on and off: a
person with a valid certificate, a mobile number on file and no account gives the ID number
and the certificate number; a wrong certificate number is refused with the one generic
message, announced in the error summary; with the right one a 6-digit code goes to the
phone on file (the development file sender's outbox; the page names it masked), the person
types it, chooses a user name and a password, logs in and lands in the portal under their
own name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from dpf.portal.models import CitizenAccount
from dpf.registry.models import Certificate
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    MOBILE,
    alerts,
    focus_from_top,
    focused,
    headings,
    live_text,
    scroll_width,
    small_touch_targets,
    tab_to_field,
    type_into,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE = "13904761234"  # the person's mobile number on file
NEW_PASSWORD = "Steppe-Horse-Lantern-42"
NO_MATCH = "身份证号码与残疾人证号不匹配或无法开通"  # the one answer to any wrong detail
SUMMARY_TITLE = "请更正以下问题，信息尚未保存"


@pytest.fixture
def outbox(settings, tmp_path: Path) -> Path:
    """The live server runs in this process: the file sender writes where the test reads."""
    path = tmp_path / "outbox.txt"
    settings.DPF_MESSAGE_SENDER = "dpf.portal.messaging.FileSender"
    settings.DPF_MESSAGE_OUTBOX = str(path)
    return path


def _press_enter(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _focused_field(page: Page) -> dict[str, str]:
    info = focused(page)
    assert info is not None
    return info


def _fits_the_phone(page: Page) -> None:
    assert scroll_width(page) <= MOBILE["width"], page.url
    small = small_touch_targets(page)
    assert not small, small


def _wrong_number(number: str) -> str:
    """The same certificate number with its last digit changed (a typing slip)."""
    last = number[-1]
    return number[:-1] + ("1" if last != "1" else "2")


@pytest.mark.parametrize("javascript", [True, False], ids=["phone-js", "phone-nojs"])
def test_citizen_registers_with_the_code_sent_to_the_phone(
    e2e: Browsing, javascript: bool, outbox: Path
) -> None:
    data = seed_registry()
    person = data.people[1]  # 赵慧敏: a valid certificate, no account
    person.phone = PHONE  # the mobile number the federation has on file
    person.save(update_fields=["phone"])
    number = Certificate.objects.get(person=person).number
    page = e2e.page(javascript=javascript, mobile=True)

    page.goto("/portal/register/")
    assert headings(page) == ["注册账号"]
    assert not alerts(page)
    e2e.step(page, "register-form", who="anonymous")
    _fits_the_phone(page)

    # Step 1 with a typing slip in the certificate number.
    focus_from_top(page)
    tab_to_field(page, "id_number")
    assert "身份证号码" in _focused_field(page)["name"]
    page.keyboard.type(person.id_number)
    page.keyboard.press("Tab")
    info = _focused_field(page)
    assert info["fieldName"] == "certificate_number", info
    assert "残疾人证号" in info["name"], info
    page.keyboard.type(_wrong_number(number))
    assert page.locator("input[name=phone]").count() == 0  # no number to type
    _press_enter(page)

    assert headings(page) == ["注册账号"]
    summary = alerts(page)
    assert len(summary) == 1, summary
    assert SUMMARY_TITLE in summary[0], summary
    assert NO_MATCH in summary[0], summary
    if javascript:
        # site.js moves focus to the error summary so it is read out first.
        info = _focused_field(page)
        assert SUMMARY_TITLE in info["name"], info
    e2e.step(page, "register-refused", who="anonymous")
    assert not outbox.exists()  # nothing sent, nothing written
    assert not CitizenAccount.objects.exists()
    # What was typed is still there; only the certificate number needs correcting.
    assert page.locator("input[name=id_number]").input_value() == person.id_number

    if not javascript:
        focus_from_top(page)
    type_into(page, "certificate_number", number)
    _press_enter(page)

    # Step 2: the code from the phone.
    assert headings(page) == ["输入验证码并设置密码"]
    masked = PHONE[:3] + "****" + PHONE[-4:]
    assert any(f"验证码已发到您在残联登记的手机 {masked}" in t for t in live_text(page)), live_text(
        page
    )
    lines = outbox.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    _, masked_phone, text = lines[0].split("\t", 2)
    assert PHONE not in lines[0]
    assert masked_phone == masked
    code = re.search(r"\b(\d{6})\b", text)
    assert code is not None, text
    e2e.step(page, "code-form", who="anonymous")
    _fits_the_phone(page)

    focus_from_top(page)
    tab_to_field(page, "code")
    assert "验证码" in _focused_field(page)["name"]
    page.keyboard.type(code.group(1))
    page.keyboard.press("Tab")
    assert _focused_field(page)["fieldName"] == "username"
    page.keyboard.type("zhao_huimin")
    page.keyboard.press("Tab")
    assert _focused_field(page)["fieldName"] == "password"
    page.keyboard.type(NEW_PASSWORD)
    page.keyboard.press("Tab")
    assert _focused_field(page)["fieldName"] == "password2"
    page.keyboard.type(NEW_PASSWORD)
    _press_enter(page)

    # The account is open: log in with the new name and password, land in the portal.
    assert "/accounts/login/" in page.url
    assert headings(page) == ["登录"]
    assert any("账号已开通" in t for t in live_text(page)), live_text(page)
    assert CitizenAccount.objects.get(person=person).user.username == "zhao_huimin"
    e2e.step(page, "account-opened", who="anonymous")
    on_arrival = focused(page)
    if on_arrival is None or on_arrival["fieldName"] != "username":
        focus_from_top(page)
        tab_to_field(page, "username")
    page.keyboard.type("zhao_huimin")
    page.keyboard.press("Tab")
    page.keyboard.type(NEW_PASSWORD)
    _press_enter(page)
    assert page.url.endswith("/portal/"), alerts(page)
    assert headings(page) == ["我的首页"]
    assert person.name in page.locator(".acting").inner_text()
    e2e.step(page, "portal-home", who="citizen")
