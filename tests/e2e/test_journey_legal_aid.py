"""Legal aid journey, by keyboard: a county officer (维权) refers a person of the registry,
named by ID number, to the county's legal aid centre with a date 40 days ago; the referral
page and the list say in words that it is overdue; the officer records the centre's
acceptance, then the conclusion with its result. Every page is scanned with axe-core in each
display mode, and the ID number never appears in clear."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from dpf.core.dates import local_today
from dpf.social.models import LegalAidReferral
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
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


def test_county_officer_refers_and_records_the_outcome(e2e: Browsing) -> None:
    data = seed_registry()
    person = data.people[0]
    officer = data.user("county_officer")
    today = local_today()
    referred = today - dt.timedelta(days=40)
    page = e2e.page()
    log_in(page, officer.username)
    page.goto(e2e.url("/social/legal-aid/"))
    assert headings(page)[0] == "法律援助转介"
    e2e.step(page, "list", who="county_officer")

    focus_from_top(page)
    type_into(page, "id_number", person.id_number)
    choose_option(page, "matter", "劳动争议")
    type_into(page, "description", "用人单位拖欠工资三个月，要求支付")
    choose_option(page, "channel", "12385热线")
    type_date(page, "referred_on", referred)
    tab_to(page, "登记转介")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0].startswith("法律援助转介")
    assert "已超过30天未收到法律援助中心的答复" in page.content()
    assert person.id_number not in page.content()
    e2e.step(page, "referred", who="county_officer")
    referral = LegalAidReferral.objects.get(person=person)
    assert referral.referred_to.endswith("法律援助中心")

    page.goto(e2e.url("/social/legal-aid/?status=overdue"))
    row = page.get_by_role("row").filter(has_text=person.name)
    assert "超过30天未反馈" in row.inner_text()
    page.goto(e2e.url(f"/social/legal-aid/{referral.pk}/"))

    for outcome, day, note in (
        ("已受理", referred + dt.timedelta(days=5), ""),
        ("已办结", today - dt.timedelta(days=1), "经调解，用人单位支付拖欠工资"),
    ):
        focus_from_top(page)
        tab_to(page, re.compile(f"^{outcome}$"))
        page.keyboard.press("Space")
        type_date(page, "o-outcome_on", day)
        if note:
            type_into(page, "o-note", note)
        tab_to(page, "保存答复")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        e2e.step(page, f"outcome-{day.isoformat()}", who="county_officer")

    referral.refresh_from_db()
    assert referral.status == "concluded"
    assert referral.accepted_on == referred + dt.timedelta(days=5)
    assert referral.result == "经调解，用人单位支付拖欠工资"
    assert "已超过30天" not in page.content()
    assert page.get_by_role("heading", name="登记法律援助中心的答复").count() == 0
