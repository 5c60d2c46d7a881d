"""12385 hotline journey, by keyboard: a county officer (the county's 12385 operator; the
permission table gives intake to city, county and township officers) records a caller's
complaint, named by ID number. Sent without the kind of request, it is refused and the error
summary names the field; nothing is written. With the kind chosen it is recorded with its
deadline in working days, and the county's queue lists it with that deadline. Every page is
scanned with axe-core in each display mode, and the ID number never appears in clear."""

from __future__ import annotations

import re

import pytest

from dpf.core.dates import local_today
from dpf.portal.casework import due_on
from dpf.portal.models import CitizenRequest
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    alerts,
    choose_option,
    focus_from_top,
    headings,
    log_in,
    tab_to,
    type_into,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_hotline_operator_records_a_call_found_in_the_queue(e2e: Browsing) -> None:
    data = seed_registry()
    person = data.people[0]
    officer = data.user("county_officer")
    page = e2e.page()
    log_in(page, officer.username)
    page.goto(e2e.url("/portal/staff/requests/"))
    assert headings(page)[0] == "投诉和上门服务请求"
    e2e.step(page, "queue", who="county_officer")

    focus_from_top(page)
    tab_to(page, "登记来电或窗口诉求")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == "登记来电或窗口诉求"
    assert page.locator("input[name=channel][value=hotline]").is_checked()  # the default
    e2e.step(page, "intake", who="county_officer")

    # The kind of request forgotten: refused, the summary names the field.
    focus_from_top(page)
    type_into(page, "id_number", person.id_number)
    choose_option(page, "category", "补贴和待遇")
    type_into(page, "text", "护理补贴两个月没有到账，来电询问原因")
    tab_to(page, re.compile("^登记$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    summary = " ".join(alerts(page))
    assert "类型" in summary, summary
    assert not CitizenRequest.objects.exists()
    e2e.step(page, "refused", who="county_officer")

    # What was typed is kept; the kind is chosen and the call recorded.
    focus_from_top(page)
    tab_to(page, re.compile("^投诉$"))
    page.keyboard.press("Space")
    assert page.locator("input[name=kind][value=complaint]").is_checked()
    tab_to(page, re.compile("^登记$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    request = CitizenRequest.objects.get()
    deadline = due_on("complaint", local_today())
    assert (request.channel, request.kind, request.category) == ("hotline", "complaint", "benefits")
    assert (request.person_id, request.due_on, request.created_by) == (person.pk, deadline, officer)
    assert headings(page)[0] == f"投诉：{person.name}"
    assert person.id_number not in page.content()
    e2e.step(page, "recorded", who="county_officer")

    focus_from_top(page)
    tab_to(page, "返回列表")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    row = page.get_by_role("row").filter(has_text=person.name)
    assert row.count() == 1
    text = row.inner_text()
    assert deadline.isoformat() in text, text
    assert "12385热线" in text
    assert "已逾期" not in text
    e2e.step(page, "queued", who="county_officer")
