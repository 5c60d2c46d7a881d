"""Transfer request journey (issue 14, hole 3), by keyboard, with JavaScript on and off.

A village worker of 红山区 registers a resident whose ID number is already held by 松山区:
the page says only that the number needs checking (no name, no region, not "已登记"), and
nothing is saved. The county officer of 松山区 finds the request under 迁移申请 and accepts
it; the person now lives in the worker's village, and the worker finds them.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page

from dpf.registry.models import Person, TransferRequest
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import alerts, choose_option, headings, live_text, log_in, tab_to, type_into

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _open(page: Page, link: str) -> None:
    tab_to(page, re.compile(f"^{link}$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_a_number_held_elsewhere_becomes_a_transfer_the_holder_accepts(
    e2e: Browsing, javascript: bool
) -> None:
    data = seed_registry()
    worker = data.user("village_worker")
    holder = data.user("other_county_officer")  # 松山区
    held = next(p for p in data.people if p.name == "巴特尔")  # lives in 松山区

    # 1. The worker registers someone with 巴特尔's ID number (a probe, or a real move).
    page = e2e.page(javascript=javascript)
    log_in(page, worker.username)
    _open(page, "登记人员")
    before = Person.objects.count()
    type_into(page, "name", "巴特尔")
    type_into(page, "id_number", held.id_number)
    choose_option(page, "village", "测试社区一")
    tab_to(page, "保存")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = alerts(page)
    assert summary, summary
    assert "该身份证号码需要核实，已转交上级残联处理" in summary[0], summary
    main = page.locator("main").inner_text()
    for secret in ("已登记", "松山", "测试镇二", "测试村一"):
        assert secret not in main, secret
    assert Person.objects.count() == before
    e2e.step(page, "needs-checking", who="village_worker")

    # 2. The holding county's officer: 迁移申请 in the main menu, accept.
    officer = e2e.page(javascript=javascript)
    log_in(officer, holder.username)
    _open(officer, "迁移申请")
    assert headings(officer)[0] == "迁移申请"
    text = officer.locator("main").inner_text()
    assert "巴特尔" in text
    assert "测试社区一" in text
    assert worker.username in text
    e2e.step(officer, "transfer-list", who="county_officer")
    tab_to(officer, "接收")
    with officer.expect_navigation():
        officer.keyboard.press("Enter")
    assert any("已接收迁移申请" in t for t in live_text(officer)), live_text(officer)
    assert "没有待处理的迁移申请" in officer.locator("main").inner_text()
    e2e.step(officer, "accepted", who="county_officer")
    held.refresh_from_db()
    assert held.village_code == worker.region_id
    assert TransferRequest.objects.get().status == "accepted"

    # 3. The worker now holds the record.
    response = page.goto(f"/registry/person/{held.pk}/")
    assert response is not None
    assert response.status == 200
    assert headings(page)[0] == "巴特尔"
