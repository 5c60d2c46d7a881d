"""The portal takeover of issue 14 as a stranger tries it, by keyboard on a 360 × 740 phone,
with JavaScript on and off; both attempts end refused and no account opens.

A stranger who knows a person's ID number and has seen the certificate number registers:
the page asks for no phone, the code goes to the phone on file (the page names it masked, the
development file sender's outbox shows where it went), and the stranger's guesses of the
code are refused until the code is spent; even the right code is refused then.

A stranger who knows only the ID number guesses the certificate number (the ID number plus
a category and a level digit), alternating the 15- and 18-digit spellings of the ID number:
each guess gets the one generic refusal, the fifth pauses online registration for that ID
number, the right number is refused too, and the owner is warned on the phone on file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from dpf.portal.models import CitizenAccount, VerificationCode
from dpf.registry.models import Certificate, Person
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    alerts,
    focus_from_top,
    headings,
    live_text,
    type_into,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PHONE_ON_FILE = "13904761234"
ON_FILE_MASKED = "139****1234"
STRANGER_PHONE = "18600009999"  # where the stranger wants the code: 186****9999
NO_MATCH = "身份证号码与残疾人证号不匹配或无法开通"
PAUSED = "网上注册已暂停"
WRONG_CODE = "验证码不正确"
CODE_SPENT = "验证码输入错误次数过多"
STRANGER_PASSWORD = "Borrowed-Identity-77"


@pytest.fixture
def outbox(settings, tmp_path: Path) -> Path:
    """The live server runs in this process: the file sender writes where the test reads."""
    path = tmp_path / "outbox.txt"
    settings.DPF_MESSAGE_SENDER = "dpf.portal.messaging.FileSender"
    settings.DPF_MESSAGE_OUTBOX = str(path)
    return path


def _victim() -> tuple[Person, str]:
    data = seed_registry()
    person = data.people[1]  # 赵慧敏: a valid certificate, no account
    person.phone = PHONE_ON_FILE
    person.save(update_fields=["phone"])
    return person, Certificate.objects.get(person=person).number


def _sent_to(outbox: Path) -> list[str]:
    if not outbox.exists():
        return []
    return [line.split("\t")[1] for line in outbox.read_text(encoding="utf-8").splitlines()]


def _press_enter(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _register(page: Page, id_number: str, certificate_number: str) -> None:
    """The stranger fills in every field the page offers (their own phone, if asked)."""
    focus_from_top(page)
    type_into(page, "id_number", id_number)
    type_into(page, "certificate_number", certificate_number)
    if page.locator("input[name=phone]").count():
        type_into(page, "phone", STRANGER_PHONE)
    _press_enter(page)


def _try_code(page: Page, code: str) -> None:
    focus_from_top(page)
    type_into(page, "code", code)
    type_into(page, "username", "not_the_owner")
    type_into(page, "password", STRANGER_PASSWORD)
    type_into(page, "password2", STRANGER_PASSWORD)
    _press_enter(page)


@pytest.mark.parametrize("javascript", [True, False], ids=["phone-js", "phone-nojs"])
def test_a_stranger_with_both_numbers_never_gets_the_code(
    e2e: Browsing, javascript: bool, outbox: Path
) -> None:
    person, number = _victim()
    page = e2e.page(javascript=javascript, mobile=True)
    page.goto("/portal/register/")
    assert headings(page) == ["注册账号"]
    e2e.step(page, "register-form", who="stranger")

    _register(page, person.id_number, number)
    assert headings(page) == ["输入验证码并设置密码"]
    assert _sent_to(outbox) == [ON_FILE_MASKED]  # the owner's phone, nobody else's
    assert any(ON_FILE_MASKED in t for t in live_text(page)), live_text(page)
    e2e.step(page, "code-sent-to-the-owner", who="stranger")

    real = re.search(r"\b(\d{6})\b", outbox.read_text(encoding="utf-8").split("\t", 2)[2])
    assert real is not None
    guesses = [f"{(int(real.group(1)) + n) % 1_000_000:06d}" for n in range(1, 6)]
    for left, guess in zip(range(4, -1, -1), guesses, strict=True):
        _try_code(page, guess)
        summary = alerts(page)
        assert summary
        assert WRONG_CODE in summary[0]
        assert f"还可以再试{left}次" in summary[0]
    _try_code(page, real.group(1))  # even the right code: it is spent
    assert CODE_SPENT in alerts(page)[0]
    e2e.step(page, "refused", who="stranger")
    assert not CitizenAccount.objects.exists()
    assert VerificationCode.objects.get().attempts == 5


@pytest.mark.parametrize("javascript", [True, False], ids=["phone-js", "phone-nojs"])
def test_guessing_the_certificate_number_pauses_registration(
    e2e: Browsing, javascript: bool, outbox: Path
) -> None:
    person, number = _victim()
    fifteen = person.id_number[:6] + person.id_number[8:17]
    endings = [f"{c}{lv}" for c in range(1, 8) for lv in range(1, 5)]
    wrong = [e for e in endings if e != number[18:]][:5]
    page = e2e.page(javascript=javascript, mobile=True)
    page.goto("/portal/register/")
    for i, ending in enumerate(wrong):
        _register(page, (person.id_number, fifteen)[i % 2], number[:18] + ending)
        summary = alerts(page)
        assert len(summary) == 1, summary
        assert NO_MATCH in summary[0], summary
    e2e.step(page, "fifth-guess-refused", who="stranger")

    _register(page, fifteen, number)  # the right number, in the other spelling
    summary = alerts(page)
    assert len(summary) == 1, summary
    assert PAUSED in summary[0], summary
    assert headings(page) == ["注册账号"]
    e2e.step(page, "paused", who="stranger")
    assert not VerificationCode.objects.exists()
    assert not CitizenAccount.objects.exists()
    assert _sent_to(outbox) == [ON_FILE_MASKED]  # the owner's warning only
    assert "尝试注册" in outbox.read_text(encoding="utf-8")
