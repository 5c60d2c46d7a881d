"""Graduate journey, by keyboard (issue 19 part 7, “一人一档、一人一策”): a county officer
opens the graduates' list, opens a file for a disabled college graduate (first refused for a
graduation year before 1990), adds a job recommendation with the employer, and finds the
graduate in the list and in the county's count. Every page is scanned with axe-core in each
display mode."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.core.creditcode import check_character
from dpf.employment import services
from dpf.employment.models import GraduateFile, SupportAction
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


def test_county_officer_opens_a_graduate_file_and_records_support(e2e: Browsing) -> None:
    data = seed_registry()
    officer = data.user("county_officer")
    graduate = data.people[0]
    first17 = "91150402MA0000001"
    firm = services.employer_register(
        actor=officer,
        credit_code=first17 + check_character(first17),
        name="赤峰示例软件有限公司",
        kind="enterprise",
        county_code="150402",
        staff_count=80,
        contact_name="王经理",
        contact_phone="13800001234",
    )
    page = e2e.page()
    log_in(page, officer.username)
    page.goto(e2e.url("/employment/graduates/"))
    assert headings(page)[0] == "高校残疾人毕业生就业帮扶"
    e2e.step(page, "list", who="county_officer")

    focus_from_top(page)
    tab_to(page, "建立毕业生档案")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == "建立毕业生档案"
    focus_from_top(page)
    type_into(page, "id_number", graduate.id_number)
    type_into(page, "school", "赤峰学院")
    type_into(page, "major", "计算机科学与技术")
    choose_option(page, "education", "本科")
    type_into(page, "graduation_year", "1989")
    type_into(page, "wish", "在本地从事软件测试工作")
    tab_to(page, "保存")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert any("毕业年份应在1990年" in text for text in alerts(page))
    e2e.step(page, "refused", who="county_officer")
    assert not GraduateFile.objects.exists()

    focus_from_top(page)
    type_into(page, "graduation_year", "2025")
    tab_to(page, "保存")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert headings(page)[0] == f"{graduate.name}的毕业生档案"
    row = GraduateFile.objects.get(person=graduate)
    assert (row.school, row.graduation_year, row.education) == ("赤峰学院", 2025, "bachelor")
    e2e.step(page, "file", who="county_officer")

    focus_from_top(page)
    type_date(page, "taken_on", dt.date(2025, 6, 20))
    choose_option(page, "kind", "岗位推荐")
    type_into(page, "note", "推荐软件测试岗位，已约面试")
    choose_option(page, "employer_id", "赤峰示例软件有限公司")
    tab_to(page, "登记")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    action = SupportAction.objects.get(file=row)
    assert (action.kind, action.employer_id) == ("job_recommendation", firm.pk)
    assert page.get_by_role("cell", name="推荐软件测试岗位，已约面试").count() == 1
    e2e.step(page, "action", who="county_officer")

    page.goto(e2e.url("/employment/graduates/?state=seeking"))
    assert page.get_by_role("link", name=graduate.name).count() == 1
    assert page.get_by_role("rowheader").count() == 1  # one county in the count table
    e2e.step(page, "listed", who="county_officer")
