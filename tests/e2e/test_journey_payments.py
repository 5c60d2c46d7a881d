"""Payment-list journey, by keyboard: a county officer produces the month's payment list
(发放名册) of the living allowance, reads it, and is refused a second one for the same month.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page

from dpf.benefits.models import BenefitItem
from dpf.benefits.services import entitlement_create
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    alerts,
    choose_option,
    focus_from_top,
    headings,
    live_text,
    log_in,
    tab_to,
    type_month,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MONTH = (2025, 10)


def _open_payment_lists(page: Page) -> None:
    """发放名册 from the main navigation, by keyboard."""
    focus_from_top(page)
    tab_to(page, re.compile("^发放名册$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page) == ["发放名册"]
    assert set(page.locator("nav a[aria-current=page]").all_inner_texts()) == {"发放名册"}


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_county_officer_produces_a_payment_list(e2e: Browsing, javascript: bool) -> None:
    data = seed_registry()
    allowance = BenefitItem.objects.get(code="living_allowance")
    enrolled = [p for p in data.people if p.county_code == "150402"]
    for person in enrolled:
        entitlement_create(
            actor=None, person=person, benefit=allowance, valid_from=dt.date(2025, 1, 1)
        )
    officer = data.user("county_officer")

    page = e2e.page(javascript=javascript)
    log_in(page, officer.username)
    _open_payment_lists(page)
    e2e.step(page, "payment-lists", who="county_officer")

    def generate() -> None:
        choose_option(page, "county_code", "红山区")
        choose_option(page, "benefit", allowance.name_zh)
        type_month(page, "month", *MONTH)
        tab_to(page, re.compile("^生成$"))
        with page.expect_navigation():
            page.keyboard.press("Enter")

    generate()
    title = headings(page)
    assert title == [f"红山区 · {allowance.name_zh} · {MONTH[0]}-{MONTH[1]:02d}"], title
    facts = page.locator("dl").first.inner_text()
    assert re.search(rf"人数\s*{len(enrolled)}\b", facts), facts
    e2e.step(page, "payment-list", who="county_officer")

    # The summary for signing: made in the background, then downloaded from 我生成的文件.
    tab_to(page, re.compile("^生成签字用PDF（汇总）$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert any("已开始生成文件" in t for t in live_text(page)), live_text(page)
    files = page.locator("table:has(#files-cap) tbody tr")
    assert files.count() == 1
    assert "签字用PDF（汇总）" in files.first.inner_text()
    tab_to(page, re.compile("^下载：签字用PDF（汇总）$"))
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".pdf")
    assert download.value.path().read_bytes().startswith(b"%PDF-")
    e2e.step(page, "payment-list-files", who="county_officer")

    # The same month again: refused, said so, nothing generated twice.
    _open_payment_lists(page)
    generate()
    summary = alerts(page)
    assert summary, summary
    assert "已生成" in " ".join(summary), summary
    assert page.locator("table:has(#lists-cap) tbody tr").count() == 1  # one list
    # the officer's generation job, done (the page lists the jobs it started)
    jobs = page.locator("table:has(#jobs-h) tbody tr, section:has(#jobs-h) tbody tr")
    assert jobs.count() == 1
    assert "已完成" in jobs.first.inner_text()
    e2e.step(page, "refused-duplicate", who="county_officer")
