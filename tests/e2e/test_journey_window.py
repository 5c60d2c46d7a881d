"""Window journey (受理申请, 一件事一次办), by keyboard only, with JavaScript on and off.

A village worker logs in, opens the intake form from the navigation (我的待办 in the main
menu, then 受理申请 in the workflow menu), types a registered person's ID number with a slip
in its check character and is refused (error summary and the error beside the field,
nothing written), corrects it, ticks a bundle of two benefits the person qualifies for and
submits: the application page says it was submitted. The township officer then logs in on
the same browser, finds both items in 我的待办, opens the application from the queue, passes
its first step and sees the queue show the item at its next step.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page

from dpf.benefits.models import BenefitItem
from dpf.benefits.selectors import eligibility_for_person
from dpf.registry.models import Person
from dpf.workflow import selectors as workflow_selectors
from dpf.workflow.models import Application, ApplicationItem
from dpf.workflow.procedures import procedures
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    alerts,
    focus_from_top,
    focused,
    headings,
    live_text,
    log_in,
    tab_to,
    type_into,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

QUEUE = re.compile("^我的待办$")


def _wrong_checksum(id_number: str) -> str:
    """The same number with another check character (a typing slip at the window)."""
    last = id_number[-1]
    return id_number[:-1] + ("1" if last != "1" else "2")


def _bundle(person: Person, user: Any) -> list[BenefitItem]:
    """Two benefits the person qualifies for today and does not receive yet, in the order
    the form lists them (the rules decide which; the test does not name them)."""
    results = eligibility_for_person(user, person, workflow_selectors.today())
    codes = {r.benefit.code for r in results if r.eligible and not r.receiving}
    open_to = list(
        BenefitItem.objects.filter(active=True, code__in=codes).order_by("order", "code")
    )
    assert len(open_to) >= 2, f"the person qualifies for {sorted(codes)}: need two"
    return open_to[:2]


def _press_enter_and_wait(page: Page) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _from_main_menu(page: Page, name: re.Pattern[str], heading: str) -> None:
    focus_from_top(page)
    tab_to(page, name)
    _press_enter_and_wait(page)
    assert headings(page) == [heading]


def _queue_count(page: Page) -> int:
    for text in live_text(page):
        found = re.search(r"共 (\d+) 项", text)
        if found:
            return int(found.group(1))
    raise AssertionError(f"no count announced: {live_text(page)}")


def _queue_rows(page: Page, application: Application) -> dict[str, str]:
    """The queue's rows of ``application``: benefit name → the step shown in the row."""
    rows = page.locator(f"tbody tr:has(a[href$='/applications/{application.pk}/'])")
    shown: dict[str, str] = {}
    for index in range(rows.count()):
        cells = rows.nth(index).locator("td").all_inner_texts()
        # 姓名, 身份证号码, 惠残事项, 当前环节, 办理期限, 状态
        assert "*" in cells[1], f"ID number shown unmasked in the queue: {cells[1]}"
        shown[cells[2].strip()] = cells[3].strip()
    return shown


def _township_queue_size(region_code: str) -> int:
    return ApplicationItem.objects.filter(
        township_code=region_code, step_role="township_officer", status="in_progress"
    ).count()


def _assert_outcome_has_focus(page: Page, javascript: bool) -> None:
    """With JavaScript the page that reports an action's outcome moves focus to the message,
    so a screen reader reads it first; without, the user starts from the top, where the
    message is the first thing in the main content."""
    on_message = page.evaluate("() => document.activeElement.matches('main .messages[tabindex]')")
    if javascript:
        assert on_message, focused(page)
    else:
        assert focused(page) is None


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_window_intake_of_a_bundle_then_the_township_passes_its_first_step(
    e2e: Browsing, javascript: bool
) -> None:
    data = seed_registry()
    worker = data.user("village_worker")
    officer = data.user("township_officer")
    person = data.people[0]  # 张海明, of the village worker's village
    id_number = str(person.id_number)
    bundle = _bundle(person, worker)
    names = [b.name_zh for b in bundle]
    procs = procedures()

    # 1. The village worker logs in and opens 受理申请 from the main menu; the link is marked
    #    as the current page there and in the workflow's own menu.
    page = e2e.page(javascript=javascript)
    log_in(page, worker.username)
    _from_main_menu(page, re.compile("^受理申请$"), "受理申请（一件事一次办）")
    assert page.locator("nav.site-nav a[aria-current=page]").all_inner_texts() == ["受理申请"]
    assert page.locator("nav.breadcrumb a[aria-current=page]").all_inner_texts() == ["受理申请"]
    assert page.title().startswith("受理申请")
    e2e.step(page, "intake-form", who="village_worker")

    # 1a. Nothing ticked: refused; the summary's link leads to the first box of the group,
    #     and the group's error is read with it (aria-describedby on the fieldset).
    type_into(page, "id_number", id_number)
    tab_to(page, "提交申请")
    _press_enter_and_wait(page)
    assert page.title().startswith("错误：受理申请")
    link = page.locator(".error-summary a", has_text="申请事项")
    assert link.get_attribute("href") == "#id_benefits_0"
    group = page.locator("fieldset.has-error")
    group_error = group.locator(".field-error")
    assert group.get_attribute("aria-describedby") == group_error.get_attribute("id")
    if javascript:
        tab_to(page, re.compile("^申请事项"))
        page.keyboard.press("Enter")
        info = focused(page)
        assert info is not None, info
        assert info["id"] == "id_benefits_0", info
    assert Application.objects.count() == 0
    e2e.step(page, "refused-no-benefit", who="village_worker")

    # 2. A slip in the check character: refused, the error beside the field and in the
    #    summary, the ticked boxes kept, nothing written.
    applications_before = Application.objects.count()
    items_before = ApplicationItem.objects.count()
    type_into(page, "id_number", _wrong_checksum(id_number))
    for name in names:
        tab_to(page, re.compile(f"^{re.escape(name)}$"))
        info = focused(page)
        assert info is not None, info
        assert info["type"] == "checkbox", info
        page.keyboard.press("Space")
        assert page.locator(":focus").is_checked()
    tab_to(page, "提交申请")
    _press_enter_and_wait(page)
    assert headings(page) == ["受理申请（一件事一次办）"]
    assert page.title().startswith("错误：受理申请")
    summary = alerts(page)
    assert len(summary) == 1, summary
    assert "信息尚未保存" in summary[0], summary
    assert "申请人身份证号码：身份证号码校验位错误" in summary[0], summary
    field = page.locator(".field.has-error", has=page.locator("input[name=id_number]"))
    error = field.locator(".field-error")
    assert re.sub(r"\s+", "", error.inner_text()) == "错误：身份证号码校验位错误"
    box = field.locator("input")
    assert box.get_attribute("aria-invalid") == "true"
    described_by = (box.get_attribute("aria-describedby") or "").split()
    assert error.get_attribute("id") in described_by, described_by  # read with the field
    if javascript:
        info = focused(page)
        assert info is not None, info
        assert "信息尚未保存" in info["name"], info
    else:
        assert focused(page) is None  # a fresh page: the user starts from the top
    for name in names:
        assert page.get_by_role("checkbox", name=name, exact=True).is_checked()
    assert Application.objects.count() == applications_before
    assert ApplicationItem.objects.count() == items_before
    e2e.step(page, "refused-checksum", who="village_worker")

    # 3. The right number: submitted, the application page says so and lists both items.
    type_into(page, "id_number", id_number)
    tab_to(page, "提交申请")
    _press_enter_and_wait(page)
    application = Application.objects.get(person=person)
    assert headings(page) == [f"申请 {application.pk}：{person.name}"]
    assert any(t.startswith("申请已提交。") for t in live_text(page)), live_text(page)
    status = page.locator(".messages [role=status]")
    assert status.count() == 1
    assert "提交后10分钟内可以撤回" in status.inner_text()
    _assert_outcome_has_focus(page, javascript)
    items = list(application.items.select_related("benefit").order_by("benefit__order"))
    assert sorted(i.benefit.code for i in items) == sorted(b.code for b in bundle)
    assert application.created_by_id == worker.pk
    assert application.channel == "window"
    assert Application.objects.count() == applications_before + 1
    item_headings = page.locator("article.item h3").all_inner_texts()
    for name in names:
        assert any(h.startswith(f"{name} — ") for h in item_headings), item_headings
    assert id_number not in page.locator("body").inner_text()  # masked on screen
    e2e.step(page, "submitted", who="village_worker")

    # 4. The worker logs out by keyboard; the township officer logs in on the same browser.
    focus_from_top(page)
    tab_to(page, "退出登录")
    _press_enter_and_wait(page)
    assert headings(page) == ["登录"]
    log_in(page, officer.username, here=True)

    # 5. 我的待办 lists both items at their first step; the count is announced.
    _from_main_menu(page, QUEUE, "我的待办")
    before = _queue_count(page)
    assert before == _township_queue_size(officer.region_id) >= 2
    first_steps = {i.benefit.name_zh: procs.step(i.benefit.code, i.step_code) for i in items}
    assert all(s is not None and s.role == "township_officer" for s in first_steps.values())
    assert _queue_rows(page, application) == {
        name: step.name_zh for name, step in first_steps.items() if step is not None
    }
    e2e.step(page, "queue-before", who="township_officer")

    # 6. The application, from its queue link (named with the person for screen readers).
    tab_to(page, re.compile(f"^{application.pk}：{re.escape(person.name)}$"))
    _press_enter_and_wait(page)
    assert headings(page) == [f"申请 {application.pk}：{person.name}"]
    e2e.step(page, "application", who="township_officer")

    # 7. 通过 in the first decision form (the radio group by arrows, Space), then submit.
    tab_to(page, re.compile("^(通过|不予批准)$"))
    info = focused(page)
    assert info is not None, info
    assert info["type"] == "radio", info
    if info["name"] != "通过":
        page.keyboard.press("ArrowUp")
    info = focused(page)
    assert info is not None, info
    assert info["name"] == "通过", info
    page.keyboard.press("Space")
    assert page.locator(":focus").is_checked()
    tab_to(page, "提交办理意见")
    _press_enter_and_wait(page)
    assert headings(page) == [f"申请 {application.pk}：{person.name}"]
    assert "已办理。" in live_text(page), live_text(page)
    _assert_outcome_has_focus(page, javascript)
    moved = [i for i in items if i.step_code != ApplicationItem.objects.get(pk=i.pk).step_code]
    assert len(moved) == 1, "exactly one step was passed"
    advanced = ApplicationItem.objects.get(pk=moved[0].pk)
    next_step = procs.step(advanced.benefit.code, advanced.step_code)
    assert next_step is not None
    current = page.locator(f"article.item:has(h3#item-{advanced.pk}) li[aria-current=step]")
    assert next_step.name_zh in current.inner_text()
    e2e.step(page, "first-step-passed", who="township_officer")

    # 8. Back in 我的待办: the item shows its next step (or is gone when that step is not
    #    the township's), and the announced count matches the queue.
    _from_main_menu(page, QUEUE, "我的待办")
    after = _queue_count(page)
    assert after == _township_queue_size(officer.region_id)
    rows = _queue_rows(page, application)
    name = advanced.benefit.name_zh
    if next_step.role == "township_officer":
        assert after == before, rows
        assert rows[name] == next_step.name_zh, rows
    else:
        assert after == before - 1, rows
        assert name not in rows, rows
    others = {n: s.name_zh for n, s in first_steps.items() if n != name and s is not None}
    assert {n: s for n, s in rows.items() if n != name} == others
    e2e.step(page, "queue-after", who="township_officer")
