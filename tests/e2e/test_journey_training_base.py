"""Training base journey on a phone, by keyboard: a county officer registers a skills-master
studio (refused first for a designation in the future), then registers a course held at it
from the course form, and finds both counted on the list of bases. Every page is scanned
with axe-core in each display mode and measured at phone width."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import Page

from dpf.employment.models import TrainingBase, TrainingCourse
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    alerts,
    choose_option,
    focus_from_top,
    headings,
    tab_to,
    type_date,
    type_into,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _submit(page: Page, label: str) -> None:
    tab_to(page, label)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_county_officer_registers_a_studio_and_a_course_held_there(e2e: Browsing) -> None:
    data = seed_registry()
    officer = data.user("county_officer")
    page = e2e.page(mobile=True, user=officer)
    page.goto(e2e.url("/employment/training/bases/new/"))
    assert headings(page)[0] == "登记培训基地或工作室"
    e2e.step(page, "new-base", who="county_officer")

    focus_from_top(page)
    choose_option(page, "kind", "技能大师工作室")
    type_into(page, "name", "蒙古族刺绣技能大师工作室")
    type_into(page, "operator", "红山区残疾人就业服务中心")
    type_into(page, "trades", "蒙古族刺绣")
    type_into(page, "capacity", "15")
    type_date(page, "valid_from", dt.date(2099, 1, 1))
    _submit(page, "保存")
    assert any("认定日期不能晚于今天" in text for text in alerts(page))
    assert not TrainingBase.objects.exists()
    e2e.step(page, "refused", who="county_officer")

    focus_from_top(page)
    type_date(page, "valid_from", dt.date(2023, 4, 1))
    _submit(page, "保存")
    assert headings(page)[0] == "蒙古族刺绣技能大师工作室"
    studio = TrainingBase.objects.get()
    assert (studio.kind, studio.county_code) == ("studio", "150402")
    e2e.step(page, "base", who="county_officer")

    page.goto(e2e.url("/employment/training/"))
    focus_from_top(page)
    type_into(page, "name", "刺绣技能培训班")
    choose_option(page, "kind", "职业技能培训")
    type_into(page, "provider", "红山区职业培训学校")
    choose_option(page, "base_id", "蒙古族刺绣技能大师工作室")
    type_date(page, "start", dt.date(2025, 5, 6))
    type_date(page, "end", dt.date(2025, 5, 20))
    _submit(page, "登记")
    assert TrainingCourse.objects.get().base == studio
    assert page.get_by_role("link", name="蒙古族刺绣技能大师工作室").count() == 1

    page.goto(e2e.url("/employment/training/bases/?year=2025"))
    assert page.get_by_role("link", name="蒙古族刺绣技能大师工作室").count() == 1
    e2e.step(page, "bases", who="county_officer")
