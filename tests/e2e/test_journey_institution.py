"""Institution and catalogue journey (issue 18 parts 1 and 5), by keyboard and without
JavaScript of the page's own: a city admin registers a rehabilitation institution, is
refused once for a designation that ends before it starts (the error summary names the
field), records it and finds it in the list; then adds a version of the assistive-device
subsidy catalogue and finds it in force. Every page is scanned with axe-core in each
display mode."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dpf.services.models import DeviceCatalogueItem, Institution
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


def test_city_admin_registers_an_institution_and_a_catalogue_version(e2e: Browsing) -> None:
    data = seed_registry()
    admin = data.user("city_admin")
    page = e2e.page()
    log_in(page, admin.username)
    page.goto(e2e.url("/services/institutions/"))
    assert headings(page)[0] == "服务机构"
    e2e.step(page, "institutions", who="city_admin")

    focus_from_top(page)
    tab_to(page, re.compile("^登记服务机构$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == "登记服务机构"
    e2e.step(page, "institution-new", who="city_admin")

    focus_from_top(page)
    type_into(page, "code", "REHAB-HS-01")
    type_into(page, "name", "红山区残疾人康复中心")
    choose_option(page, "kind", "康复机构")
    choose_option(page, "township_code", "红山区 / 测试街道一")
    type_into(page, "licence_number", "PDY150402001")
    type_into(page, "capacity", "60")
    type_into(page, "services_offered", "功能训练、辅助器具适配")
    type_date(page, "designated_from", dt.date(2024, 1, 1))
    type_date(page, "designated_to", dt.date(2023, 12, 31))
    tab_to(page, re.compile("^登记$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = alerts(page)
    assert any("定点终止日期" in text and "不能早于起始日期" in text for text in summary), summary
    assert not Institution.objects.exists()
    e2e.step(page, "institution-refused", who="city_admin")

    focus_from_top(page)
    type_date(page, "designated_to", dt.date(2026, 12, 31))
    tab_to(page, re.compile("^登记$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == "红山区残疾人康复中心"
    made = Institution.objects.get()
    assert (made.code, made.county_code, made.capacity) == ("REHAB-HS-01", "150402", 60)
    assert (made.designated_from, made.designated_to) == (
        dt.date(2024, 1, 1),
        dt.date(2026, 12, 31),
    )
    e2e.step(page, "institution", who="city_admin")

    page.goto(e2e.url("/services/institutions/"))
    assert page.get_by_role("link", name="红山区残疾人康复中心").count() == 1

    page.goto(e2e.url("/services/devices/"))
    assert headings(page)[0] == "辅助器具补贴目录"
    focus_from_top(page)
    tab_to(page, re.compile("^新增目录版本$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == "新增目录版本"
    focus_from_top(page)
    type_into(page, "code", "WC-01")
    type_into(page, "name", "普通轮椅")
    choose_option(page, "kind", "轮椅")
    type_into(page, "standard_amount", "800")
    type_into(page, "replacement_years", "3")
    type_date(page, "valid_from", dt.date(2025, 1, 1))
    tab_to(page, re.compile("^新增$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == "辅助器具补贴目录"
    item = DeviceCatalogueItem.objects.get()
    assert (item.code, str(item.standard_amount), item.valid_to) == ("WC-01", "800.00", None)
    assert page.get_by_role("row", name=re.compile("WC-01 普通轮椅")).count() == 2  # in force, all
    e2e.step(page, "device-catalogue", who="city_admin")
