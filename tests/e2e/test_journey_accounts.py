"""Account journey (issue 17 part 3), by keyboard: the city admin creates a township
officer, who logs in with the one-time password and must change it before anything else.

The city admin logs in (second factor), opens 账号管理 → 新建账号, first asks for a role at
the wrong level (refused beside the field, nothing written), then creates the township
officer of 测试街道一: the page shows the one-time password once. The officer logs in with
it on a fresh browser, sets up the second factor, and lands on 修改密码 whatever page was
asked for; after the change the officer reaches their work, and the old password no longer
opens the platform.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from dpf.accounts.models import User
from dpf.core.models import AuditEntry
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    alerts,
    choose_option,
    focus_from_top,
    headings,
    log_in,
    pass_second_factor,
    submit_log_in,
    tab_to,
    type_into,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NEW_PASSWORD = "Grassland-Spring-2026"


def _enter(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _fill_account(page: Page, region: str) -> None:
    type_into(page, "username", "wangli_tw")
    type_into(page, "name", "王丽")
    choose_option(page, "role", "苏木乡镇街道残联工作人员")
    choose_option(page, "region", re.compile(f"^{region}（"))
    tab_to(page, "创建账号")
    _enter(page)


def test_city_admin_creates_a_township_officer_who_must_change_the_password(
    e2e: Browsing,
) -> None:
    data = seed_registry()
    admin = data.user("city_admin")

    # 1. The city admin opens the account pages and the new-account form.
    page = e2e.page()
    log_in(page, admin.username)
    page.goto("/accounts/staff/")
    assert headings(page) == ["账号管理"]
    focus_from_top(page)
    tab_to(page, re.compile("^新建账号$"))
    _enter(page)
    assert headings(page) == ["新建账号"]
    e2e.step(page, "account-form", who="city_admin")

    # 2. A township officer placed at a county: refused beside the field, nothing written.
    _fill_account(page, "红山区")
    summary = alerts(page)
    assert any("所属地区应为苏木乡镇街道级" in text for text in summary), summary
    assert not User.objects.filter(username="wangli_tw").exists()
    e2e.step(page, "account-refused-level", who="city_admin")

    # 3. At the township: created; the one-time password is shown this once.
    type_into(page, "username", "wangli_tw")
    choose_option(page, "role", "苏木乡镇街道残联工作人员")
    choose_option(page, "region", re.compile("^测试街道一（"))
    tab_to(page, "创建账号")
    _enter(page)
    assert headings(page) == ["账号已创建"]
    one_time = page.locator("code.initial-password").inner_text().strip()
    assert re.fullmatch(r"[A-Za-z2-9]{4}-[A-Za-z2-9]{4}-[A-Za-z2-9]{4}", one_time)
    officer = User.objects.get(username="wangli_tw")
    assert (officer.role, officer.region_id, officer.must_change_password) == (
        "township_officer",
        "150402001",
        True,
    )
    assert AuditEntry.objects.filter(
        object_type="user", action="create", object_id=str(officer.pk), actor=admin
    ).exists()
    e2e.step(page, "account-created", who="city_admin")

    # 4. The officer logs in with it on another browser and asks for the search page.
    officer_page = e2e.page()
    officer_page.goto("/registry/")
    submit_log_in(officer_page, "wangli_tw", one_time, here=True)
    pass_second_factor(officer_page, "wangli_tw")
    assert headings(officer_page) == ["修改密码"], headings(officer_page)
    assert "/accounts/password/" in officer_page.url
    e2e.step(officer_page, "must-change-password", who="township_officer")

    # Nothing else opens until the password is changed.
    officer_page.goto("/registry/")
    assert headings(officer_page) == ["修改密码"]

    # 5. The change: the one-time password, then the new one twice.
    type_into(officer_page, "old_password", one_time)
    type_into(officer_page, "new_password", NEW_PASSWORD)
    type_into(officer_page, "new_password_again", NEW_PASSWORD)
    tab_to(officer_page, "保存新密码")
    _enter(officer_page)
    assert "/accounts/password/" not in officer_page.url
    officer_page.goto("/registry/")
    assert headings(officer_page) != ["修改密码"]
    officer.refresh_from_db()
    assert not officer.must_change_password
    e2e.step(officer_page, "after-change", who="township_officer")

    # 6. The one-time password no longer opens the platform; the new one does.
    fresh = e2e.page()
    submit_log_in(fresh, "wangli_tw", one_time)
    assert "/accounts/login/" in fresh.url
    log_in(fresh, "wangli_tw", NEW_PASSWORD)
    assert headings(fresh) != ["修改密码"]
