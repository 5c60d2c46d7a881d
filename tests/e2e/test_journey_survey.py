"""Needs survey journey (issue 15 part 1) on a 360 px phone, keyboard only, without
JavaScript, with the axe scan at every step.

The village worker opens 需求调查 from the menu, finds 张海明 on the village's list, saves
a draft, comes back, finishes the form with the person's confirmation and submits it: the
list says done, and the nursing allowance rule reads the survey from its date on.
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Page

from dpf.benefits.eligibility import eligibility_q
from dpf.registry.models import NeedsSurvey, Person, SurveyDraft
from dpf.registry.surveys import survey_round_open
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    MOBILE,
    choose_option,
    headings,
    live_text,
    log_in,
    open_menu,
    scroll_width,
    tab_to,
    tab_to_field,
    type_into,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TODAY = dt.date(2025, 11, 20)


@pytest.fixture(autouse=True)
def _the_day_of_the_visit() -> Iterator[None]:
    start = dt.datetime(2025, 11, 20, 9, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
    with time_machine.travel(start, tick=True):
        yield


def _press(page: Page, name: str | re.Pattern[str]) -> None:
    tab_to(page, name)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _fits(page: Page) -> None:
    width = scroll_width(page)
    assert width <= MOBILE["width"], f"the page scrolls sideways: {width} px"


def _nursing(person: Person) -> bool:
    return Person.objects.filter(eligibility_q("nursing_allowance", TODAY), pk=person.pk).exists()


def test_a_worker_records_a_survey_on_a_phone_without_javascript(e2e: Browsing) -> None:
    data = seed_registry()
    worker = data.user("village_worker")
    survey_round_open(actor=data.user("city_admin"), year=2025, reference_date=dt.date(2025, 1, 1))
    person = next(p for p in data.people if p.name == "张海明")
    assert not _nursing(person)

    page = e2e.page(mobile=True, javascript=False)
    log_in(page, worker.username)
    open_menu(page)  # on the phone the menu is folded behind 菜单
    _press(page, re.compile("^需求调查$"))
    assert headings(page)[0] == "2025年度需求调查"
    listing = page.locator("main").inner_text()
    assert "张海明" in listing
    assert "赵慧敏" in listing
    assert "未调查" in listing
    assert "乌云其木格" not in listing  # another village
    _fits(page)
    e2e.step(page, "village-list", who="village_worker")

    # A first visit: some answers, saved as a draft.
    _press(page, "张海明")
    assert "需求调查" in headings(page)[0]
    choose_option(page, "rehab_need", re.compile("^有$"))
    choose_option(page, "long_term_care_need", re.compile("^有$"))
    _press(page, "保存草稿")
    assert any("草稿已保存" in t for t in live_text(page)), live_text(page)
    assert SurveyDraft.objects.get(person=person).long_term_care_need is True
    assert not _nursing(person)  # a draft is not an answer
    _fits(page)
    e2e.step(page, "draft-saved", who="village_worker")

    # Submitting before everything is answered: refused, the summary names what is missing.
    _press(page, "提交")
    summary = page.locator(".error-summary").inner_text()
    assert "调查表尚未填完" in summary, summary
    assert "调查方式" in summary, summary
    assert not NeedsSurvey.objects.exists()
    e2e.step(page, "incomplete", who="village_worker")

    # Finish the form, the person confirms, submit.
    choose_option(page, "method", "入户")
    choose_option(page, "device_need", re.compile("^无$"))
    choose_option(page, "home_renovation_need", re.compile("^无$"))
    choose_option(page, "care_need", re.compile("^无$"))
    choose_option(page, "employment_status", "无劳动能力")
    choose_option(page, "employment_wish", re.compile("^无$"))
    choose_option(page, "school_status", "不适用")
    type_into(page, "income_per_capita", "6200")
    tab_to_field(page, "person_confirmed")
    page.keyboard.press("Space")
    _press(page, "提交")
    assert any("调查表已提交" in t for t in live_text(page)), live_text(page)
    assert headings(page)[0] == "2025年度需求调查"
    survey = NeedsSurvey.objects.get(person=person)
    assert survey.survey_date == TODAY
    assert survey.long_term_care_need is True
    assert survey.person_confirmed
    assert survey.source == "form"
    assert not SurveyDraft.objects.exists()
    assert _nursing(person)
    assert not Person.objects.filter(
        eligibility_q("nursing_allowance", TODAY - dt.timedelta(days=1)), pk=person.pk
    ).exists()
    _fits(page)
    e2e.step(page, "submitted", who="village_worker")
