"""Dashboard journey, by keyboard: a city admin logs in with the second factor, opens the
indicator dashboard, follows an indicator to its county table and drills down from a
county's number to the list of people behind it.
"""

from __future__ import annotations

import re
import time

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry, seed_snapshot
from tests.e2e.support import alerts, focused, headings, live_text, submit_log_in, tab_to

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

INDICATOR = "I07"  # medical insurance among certified people: a list of persons behind it
COUNTY = "红山区"


def _current_code(device: TOTPDevice) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_city_admin_drills_down_from_a_county_number(e2e: Browsing, javascript: bool) -> None:
    data = seed_registry()
    seed_snapshot()
    admin = data.user("city_admin")
    device = TOTPDevice.objects.create(user=admin, name="default", confirmed=True)

    # 1. Password, then the six-digit code (city admins need the second factor).
    page = e2e.page(javascript=javascript)
    submit_log_in(page, admin.username)
    assert headings(page) == ["输入动态口令"], alerts(page)
    e2e.step(page, "second-factor", who="city_admin")
    tab_to(page, re.compile("口令|验证码"))
    page.keyboard.type(_current_code(device))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/accounts/" not in page.url

    # 2. 指标监测 from the main navigation: the city's table of indicators.
    tab_to(page, re.compile("^指标监测$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0].startswith("指标监测")
    e2e.step(page, "dashboard", who="city_admin")

    # 3. The indicator's page: one row per county.
    indicator_name = page.locator("tbody tr", has_text=INDICATOR).locator("th a").inner_text()
    tab_to(page, re.compile(f"^{re.escape(indicator_name)}$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page) == [f"{INDICATOR} {indicator_name}"]
    row = page.locator("tbody tr", has=page.locator("th", has_text=COUNTY))
    cells = row.locator("td").all_inner_texts()
    numerator, denominator = int(cells[1]), int(cells[2])
    e2e.step(page, "indicator-by-county", who="city_admin")

    # 4. The county's list of people not yet covered: as many as the numbers say.
    tab_to(page, re.compile(f"应享未享名单.*{COUNTY}"))
    info = focused(page)
    assert info is not None
    assert info["tag"] == "a"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0].startswith(indicator_name)
    gap = denominator - numerator
    assert any(f"共 {gap} 人" in t for t in live_text(page)), live_text(page)
    names = page.locator("tbody th a").all_inner_texts()
    assert len(names) == gap
    county_people = {p.name for p in data.people if p.county_code == "150402"}
    assert set(names) <= county_people
    e2e.step(page, "drill-down-list", who="city_admin")
