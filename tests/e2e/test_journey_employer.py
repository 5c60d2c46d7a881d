"""Employer journey, by keyboard, with JavaScript on and off (issue 19 parts 2 and 8): an
employer's account opens its quota declaration for the levy year 2026, types the staff
count, the wage bill and one disabled employee by certificate number (a person of the
registry with a valid certificate), is refused once for a negative staff count (the error
summary names the field and leads to it, nothing written), presses the server-side “计算”
and reads required, counted, shortfall and levy due, then submits. The county officer (who
reviews declarations in the permission table) opens the review queue from the menu, reviews
the declaration and approves it; the levy due is shown in the county's report and on the
employer's page. Every page is scanned with axe-core in each display mode (with JavaScript
on; without it axe cannot run and the steps are screenshots)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Page

from dpf.core.creditcode import check_character
from dpf.employment import services
from dpf.employment.models import DeclarationStatus, QuotaDeclaration
from dpf.registry.models import Certificate
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    describe,
    focus_from_top,
    focused,
    headings,
    live_text,
    log_in,
    tab_to,
    tab_to_field,
    type_into,
)
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FIRM = "赤峰示例机械制造有限公司"


@pytest.fixture(autouse=True)
def _declaration_period() -> Iterator[None]:
    """10 May 2026: declarations of the levy year 2026 are open until 30 June."""
    start = dt.datetime(2026, 5, 10, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(start, tick=True):
        yield


def _press(page: Page, name: str | re.Pattern[str]) -> None:
    tab_to(page, name)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _tick(page: Page, field_name: str) -> None:
    tab_to_field(page, field_name)
    page.keyboard.press("Space")
    assert page.locator(":focus").is_checked()


def _facts(page: Page, selector: str) -> dict[str, str]:
    """A definition list on the page as {term: value}."""
    pairs: list[list[str]] = page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector + ' dt'))
            .map((dt) => [dt.innerText.trim(), dt.nextElementSibling.innerText.trim()])""",
        selector,
    )
    return dict(pairs)


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_employer_declares_and_the_county_office_approves(e2e: Browsing, javascript: bool) -> None:
    data = seed_registry()
    officer = data.user("county_officer")
    first17 = "91150402MA0000007"
    firm = services.employer_register(
        actor=officer,
        credit_code=first17 + check_character(first17),
        name=FIRM,
        kind="enterprise",
        county_code="150402",
        staff_count=200,
        contact_name="王经理",
        contact_phone="13800001234",
    )
    account = make_user("employer", None, institution_code=firm.credit_code)
    holder = data.people[0]  # 张海明, category 4 level 2 (counts as two)
    certificate = Certificate.objects.get(person=holder)

    # The employer logs in and lands on this year's declaration.
    page = e2e.page(javascript=javascript)
    log_in(page, account.username)
    assert page.url.endswith("/employment/declaration/"), page.url
    assert headings(page)[0] == "按比例安排残疾人就业年审申报"
    assert _facts(page, "main dl.facts")["征收年度"] == "2026"
    e2e.step(page, "declaration", who="employer")

    # A slip: a negative staff count. Refused, the summary names the field, nothing written.
    focus_from_top(page)
    type_into(page, "staff_count", "-200")
    type_into(page, "wage_bill", "30000000")
    type_into(page, "employees-0-certificate_number", certificate.number)
    type_into(page, "employees-0-first_month", "1")
    type_into(page, "employees-0-last_month", "12")
    type_into(page, "employees-0-contract_months", "36")
    _tick(page, "employees-0-paid_at_least_min_wage")
    _tick(page, "employees-0-social_insurance")
    _press(page, re.compile("^计算$"))
    assert page.title().startswith("错误：")
    summary = page.locator(".error-summary")
    link = summary.locator("a", has_text="上年在职职工人数")
    assert link.count() == 1, summary.inner_text()
    assert "不能为负数" in link.inner_text()
    assert link.get_attribute("href") == "#id_staff_count"
    assert page.locator("#id_staff_count").get_attribute("aria-invalid") == "true"
    if javascript:
        # The summary has focus on arrival; its link moves focus into the field.
        active = page.evaluate("() => document.activeElement.className")
        assert "error-summary" in active, describe(focused(page))
        tab_to(page, re.compile("^上年在职职工人数"))
        page.keyboard.press("Enter")
        info = focused(page)
        assert info is not None, info
        assert info["id"] == "id_staff_count", info
    # The employee's row is kept as typed.
    assert page.locator("#id_employees-0-certificate_number").input_value() == certificate.number
    assert page.locator("#id_employees-0-social_insurance").is_checked()
    assert not QuotaDeclaration.objects.exists()
    e2e.step(page, "refused", who="employer")

    # Corrected, “计算” (a plain form button: the server computes) shows the result.
    focus_from_top(page)
    type_into(page, "staff_count", "200")
    _press(page, re.compile("^计算$"))
    assert not page.title().startswith("错误：")
    result = _facts(page, "section dl.levy-result")
    assert result["应安排人数"] == "3"
    assert result["已安排人数（折算）"] == "2"
    assert result["差额人数"] == "1"
    assert result["计征工资（元）"] == "150000.00"
    assert result["减免额（元）"] == "75000.00"
    assert result["实缴保障金（元）"] == "75000.00"
    assert not QuotaDeclaration.objects.exists()  # a calculation writes nothing
    e2e.step(page, "calculated", who="employer")

    _press(page, "提交申报")
    assert any("申报已提交" in t for t in live_text(page)), live_text(page)
    declaration = QuotaDeclaration.objects.get()
    assert (declaration.employer_id, declaration.levy_year) == (firm.pk, 2026)
    assert declaration.status == DeclarationStatus.SUBMITTED
    assert str(declaration.levy_due) == "75000.00"
    e2e.step(page, "submitted", who="employer")

    # The county officer opens the review queue from the menu, by keyboard.
    office = e2e.page(javascript=javascript)
    log_in(office, officer.username)
    focus_from_top(office)
    _press(office, re.compile("^年审审核$"))
    assert headings(office)[0] == "年审待审核"
    assert office.get_by_role("link", name=FIRM).count() == 1
    e2e.step(office, "queue", who="county_officer")

    focus_from_top(office)
    _press(office, FIRM)
    assert headings(office)[0] == f"年审申报：{FIRM}"
    assert _facts(office, "main dl.levy-result")["实缴保障金（元）"] == "75000.00"
    assert office.get_by_role("cell", name=holder.name).count() == 1
    assert holder.id_number not in office.content()
    e2e.step(office, "review", who="county_officer")

    focus_from_top(office)
    _press(office, "审核通过")
    assert any("审核结果已保存" in t for t in live_text(office)), live_text(office)
    assert "没有待审核的申报" in office.content()
    declaration.refresh_from_db()
    assert declaration.status == DeclarationStatus.APPROVED
    assert declaration.reviewed_by_id == officer.pk
    e2e.step(office, "approved", who="county_officer")

    # The result: levy due in the county's report for 2026 and on the employer's page.
    focus_from_top(office)
    _press(office, "各旗县区保障金汇总")
    row = office.get_by_role("row").filter(has_text="红山区")
    assert "75000.00" in row.inner_text(), row.inner_text()
    e2e.step(office, "levy-report", who="county_officer")

    page.goto(e2e.url("/employment/declaration/"))
    past = page.get_by_role("row").filter(has_text="2026")
    assert "审核通过" in past.inner_text(), past.inner_text()
    assert "75000.00" in past.inner_text()
    e2e.step(page, "approved", who="employer")
