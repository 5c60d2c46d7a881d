"""Public verification journey, by keyboard: a member of the public (no account) checks the
QR code of an electronic certificate, first a tampered one, then the real one; on a desktop
with and without JavaScript, and on a phone.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from dpf.core.certnumber import Category
from dpf.portal import ecert
from dpf.registry.models import Certificate
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    MOBILE,
    headings,
    live_text,
    scroll_width,
    small_touch_targets,
    tab_to,
    tab_to_field,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _tampered(payload: str) -> str:
    """One character of the signed part changed, as a forged or mistyped code would be."""
    i = len(payload) // 2
    return payload[:i] + ("A" if payload[i] != "A" else "B") + payload[i + 1 :]


def _check(page: Page, payload: str) -> str:
    """Type ``payload`` into the form, submit it, return the announced result."""
    tab_to_field(page, "payload")
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(payload)
    tab_to(page, re.compile("^核验$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page) == ["核验电子残疾人证"]
    return " ".join(live_text(page))


@pytest.mark.parametrize(
    ("javascript", "mobile"),
    [(True, False), (False, False), (True, True)],
    ids=["desktop-js", "desktop-nojs", "phone"],
)
def test_public_verifies_a_certificate_code(e2e: Browsing, javascript: bool, mobile: bool) -> None:
    data = seed_registry()
    holder = data.people[0]
    certificate = Certificate.objects.get(person=holder)
    payload = ecert.sign(certificate)

    page = e2e.page(javascript=javascript, mobile=mobile)
    page.goto("/")
    tab_to(page, "核验电子残疾人证")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page) == ["核验电子残疾人证"]
    e2e.step(page, "verify-page")

    refused = _check(page, _tampered(payload))
    assert "无效" in refused, refused
    assert "有效期至" not in refused, refused
    e2e.step(page, "tampered-code")

    accepted = _check(page, payload)
    assert re.search(r"(?<!无)有效", accepted), accepted
    assert str(Category(certificate.category).label).removesuffix("残疾") in accepted
    body = page.locator("main").inner_text()
    assert holder.name not in body  # only the masked name is shown
    assert holder.name[0] in body
    e2e.step(page, "valid-code")

    if mobile:
        assert scroll_width(page) <= MOBILE["width"]
        assert not small_touch_targets(page), small_touch_targets(page)
