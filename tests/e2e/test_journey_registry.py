"""Registration journey, by keyboard only, with JavaScript on and off.

A village worker (嘎查村社区专职委员) logs in and registers a resident; a malformed ID number
is refused with an error summary and nothing is saved. The county DPF, which issues
certificates (the village worker may not: ``dpf.accounts.permissions``), finds the person by
pinyin initials and records the certificate. The village worker then finds the person by
pinyin and sees the certificate; a county officer of another county gets a 404 for the
person's page and learns nothing about them.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page

from dpf.core.certnumber import Category, Level
from dpf.registry.models import Person
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    alerts,
    choose_option,
    focused,
    headings,
    live_text,
    log_in,
    tab_to,
    type_date,
    type_into,
)
from tests.factories import new_id_number

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

NAME = "张辉明"  # initials zhm, shared with two seeded residents of the same village
INITIALS = "zhm"
BIRTH = dt.date(1991, 6, 15)
ISSUED = dt.date(2024, 3, 1)


def _malformed(id_number: str) -> str:
    """The same number with a wrong check character (a typing slip a worker makes)."""
    last = id_number[-1]
    return id_number[:-1] + ("1" if last != "1" else "2")


def _submit(page: Page, button: str = "保存") -> None:
    tab_to(page, button)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _search(page: Page, query: str) -> None:
    """Open 人员查询 from the main navigation and search, all by keyboard."""
    tab_to(page, re.compile("^人员查询$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page) == ["人员查询"]
    type_into(page, "q", query)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_register_certify_and_find_by_pinyin(e2e: Browsing, javascript: bool) -> None:
    data = seed_registry()
    worker = data.user("village_worker")
    county = data.user("county_officer")
    stranger = data.user("other_county_officer")
    id_number = new_id_number("150402", BIRTH, "M")

    # 1. The village worker logs in and lands on the search page.
    page = e2e.page(javascript=javascript)
    log_in(page, worker.username)
    assert headings(page) == ["人员查询"]
    e2e.step(page, "worker-search", who="village_worker")

    # 2. 登记人员 from the main navigation.
    tab_to(page, re.compile("^登记人员$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page) == ["登记人员"]
    e2e.step(page, "register-form", who="village_worker")

    # 3. A slip in the ID number: refused, announced, nothing saved.
    people_before = Person.objects.count()
    type_into(page, "name", NAME)
    type_into(page, "id_number", _malformed(id_number))
    choose_option(page, "village", "测试社区一")
    _submit(page)
    summary = alerts(page)
    assert summary, summary
    assert "信息尚未保存" in summary[0], summary
    assert "身份证号码" in summary[0], summary
    assert page.title().startswith("错误")
    if javascript:
        info = focused(page)
        assert info is not None, info
        assert "信息尚未保存" in info["name"], info
    assert Person.objects.count() == people_before
    e2e.step(page, "refused-id-number", who="village_worker")

    # 4. Corrected: saved, the person's page says so.
    assert page.locator("input[name=name]").input_value() == NAME
    type_into(page, "id_number", id_number)
    _submit(page)
    assert headings(page) == [NAME]
    assert any(f"已登记：{NAME}" in t for t in live_text(page)), live_text(page)
    assert "无有效残疾人证" in page.locator("main").inner_text()
    person = Person.objects.get(name=NAME)
    e2e.step(page, "registered", who="village_worker")

    # 5. The county DPF finds the person by pinyin initials and records the certificate.
    officer = e2e.page(javascript=javascript)
    log_in(officer, county.username)
    _search(officer, INITIALS)
    tab_to(officer, re.compile(f"^{NAME}$"))
    with officer.expect_navigation():
        officer.keyboard.press("Enter")
    assert headings(officer) == [NAME]
    tab_to(officer, "登记残疾人证")
    with officer.expect_navigation():
        officer.keyboard.press("Enter")
    e2e.step(officer, "certificate-form", who="county_officer")
    type_into(officer, "number", f"{id_number}{Category.PHYSICAL.value}{Level.TWO.value}")
    type_date(officer, "issue_date", ISSUED)
    _submit(officer)
    assert headings(officer) == [NAME]
    facts = officer.locator("main").inner_text()
    assert str(Category.PHYSICAL.label) in facts, facts
    assert str(Level.TWO.label) in facts, facts
    e2e.step(officer, "certified", who="county_officer")

    # 6. Back at the village: a pinyin search lists the person with the certificate, and
    #    the result count is announced in the live region.
    _search(page, INITIALS)
    same_initials = Person.objects.filter(
        village_code=worker.region_id, name_initials__startswith=INITIALS
    ).count()
    status = page.locator("#result-count")
    assert status.get_attribute("aria-live") == "polite"
    assert status.inner_text().strip() == f"找到 {same_initials} 人"
    row = page.locator("tbody tr", has_text=NAME)
    assert row.count() == 1
    assert "肢体" in row.inner_text(), row.inner_text()
    assert "二级" in row.inner_text(), row.inner_text()
    e2e.step(page, "found-by-pinyin", who="village_worker")

    # 7. Another county's officer: the page does not exist for them.
    outsider = e2e.page(javascript=javascript)
    log_in(outsider, stranger.username)
    response = outsider.goto(f"/registry/person/{person.pk}/")
    assert response is not None
    assert response.status == 404
    text = outsider.locator("body").inner_text()
    assert NAME not in text
    assert id_number not in text
    e2e.shot(outsider, "other-county-404")
