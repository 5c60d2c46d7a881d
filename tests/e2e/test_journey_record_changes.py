"""Keeping the registry current from the pages (issue 17 part 1), by keyboard, with the
axe scan at every step.

On a 360 px phone without JavaScript, the village worker of 测试社区一 records that 赵慧敏
moved to 测试社区二 (another village: the record leaves the worker's region) and that
张海明 died. The county officer of 红山区 then renews 乌云其木格's certificate (换证)
and re-assesses it with a new level (重新评定).
"""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import Page

from dpf.registry.change_models import RecordChange
from dpf.registry.models import Certificate, Person
from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import (
    MOBILE,
    choose_option,
    headings,
    live_text,
    log_in,
    scroll_width,
    tab_to,
    type_date,
    type_into,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

TODAY = dt.date(2025, 11, 20)


@pytest.fixture(autouse=True)
def _the_day() -> Iterator[None]:
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


def _save(page: Page) -> None:
    tab_to(page, re.compile("^保存$"))
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_village_worker_records_a_move_and_a_death_on_a_phone(e2e: Browsing) -> None:
    data = seed_registry()
    worker = data.user("village_worker")
    moving = next(p for p in data.people if p.name == "赵慧敏")
    dying = next(p for p in data.people if p.name == "张海明")

    page = e2e.page(mobile=True, javascript=False)
    log_in(page, worker.username)
    page.goto(e2e.url(f"/registry/person/{moving.pk}/"))
    _press(page, re.compile("^登记迁移$"))
    assert headings(page)[0] == "登记迁移：赵慧敏"
    _fits(page)
    choose_option(page, "village", "其他地区（填写代码）")
    type_into(page, "village_code", "150402001002")
    type_date(page, "on", dt.date(2025, 11, 1))
    type_into(page, "reason", "随子女迁居")
    e2e.step(page, "move-form", who="village_worker")
    _save(page)
    assert any("已迁出本辖区" in t for t in live_text(page)), live_text(page)
    moving.refresh_from_db()
    assert moving.village_code == "150402001002"
    e2e.step(page, "moved", who="village_worker")

    page.goto(e2e.url(f"/registry/person/{dying.pk}/"))
    _press(page, re.compile("^登记死亡$"))
    assert headings(page)[0] == "登记死亡：张海明"
    _fits(page)
    type_date(page, "on", dt.date(2025, 11, 18))
    type_into(page, "reason", "村委会出具死亡证明")
    _save(page)
    assert any("死亡已登记" in t for t in live_text(page)), live_text(page)
    main = page.locator("main").inner_text()
    assert "已故" in main
    assert "村委会出具死亡证明" in main
    assert "注销残疾人证" in main
    _fits(page)
    e2e.step(page, "death-recorded", who="village_worker")
    dying.refresh_from_db()
    assert dying.death_date == dt.date(2025, 11, 18)
    assert RecordChange.objects.filter(person=dying, kind="death").exists()


def test_a_county_officer_renews_and_reassesses_a_certificate(e2e: Browsing) -> None:
    data = seed_registry()
    officer = data.user("county_officer")
    person = next(p for p in data.people if p.name == "乌云其木格")

    page = e2e.page()
    log_in(page, officer.username)
    page.goto(e2e.url(f"/registry/person/{person.pk}/"))
    _press(page, re.compile("^换证$"))
    assert headings(page)[0] == "换证：乌云其木格"
    type_date(page, "issue_date", dt.date(2025, 11, 3))
    type_into(page, "reason", "证件损坏，申请换证")
    e2e.step(page, "renew-form", who="county_officer")
    _save(page)
    assert any("已换发残疾人证" in t for t in live_text(page)), live_text(page)
    renewed = Certificate.objects.get(person=person, status="valid")
    assert renewed.valid_from == dt.date(2025, 11, 3)
    assert renewed.replaces_id is not None

    _press(page, re.compile("^重新评定$"))
    assert headings(page)[0] == "重新评定：乌云其木格"
    choose_option(page, "level", "二级")
    type_date(page, "on", dt.date(2025, 11, 19))
    type_into(page, "reason", "复评为二级")
    e2e.step(page, "reassess-form", who="county_officer")
    _save(page)
    assert any("重新评定已登记" in t for t in live_text(page)), live_text(page)
    current = Certificate.objects.get(person=person, status="valid")
    assert (current.level, current.replaces_id) == (2, renewed.pk)
    main = page.locator("main").inner_text()
    assert "复评为二级" in main
    e2e.step(page, "reassessed", who="county_officer")
    assert Person.objects.get(pk=person.pk).village_code == person.village_code
