"""Search as you type, by keyboard: a county officer types part of a name in the search box,
the suggestions open under it (a WAI-ARIA combobox: ``aria-expanded``,
``aria-activedescendant``, a listbox of options, a live region with the count), Down
chooses, Enter opens the person's page. Escape closes the list; Enter without a chosen
suggestion still submits the form (the page without script is the same form).
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_registry
from tests.e2e.support import headings, live_text, type_into

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BOX = "input[name=q]"


def _options(page: Page) -> list[str]:
    texts: list[str] = page.locator("[role=listbox] [role=option]").all_inner_texts()
    return [t.strip() for t in texts]


def _wait_for_suggestions(page: Page, count: int) -> None:
    page.wait_for_function(
        "(n) => document.querySelectorAll('[role=listbox] [role=option]').length === n"
        " && document.querySelector('input[name=q]').getAttribute('aria-expanded') === 'true'",
        arg=count,
        timeout=10_000,
    )


def test_type_a_name_arrow_down_and_open_the_person(e2e: Browsing) -> None:
    data = seed_registry()
    county = data.user("county_officer")
    zhang = next(p for p in data.people if p.name == "张海明")
    page = e2e.page(user=county)
    page.goto(e2e.url(reverse("registry:search")))
    assert headings(page) == ["人员查询"]
    box = page.locator(BOX)
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "false"
    listbox_id = box.get_attribute("aria-controls")
    assert listbox_id
    assert page.locator(f"#{listbox_id}[role=listbox]").count() == 1

    # 1. Two initials of the pinyin: both 张海明 and 赵慧敏 of 红山区 are suggested, with
    #    their masked numbers and townships; the live region says how many.
    type_into(page, "q", "zh")
    _wait_for_suggestions(page, 2)
    options = _options(page)
    assert any(o.startswith("张海明") for o in options), options
    assert zhang.id_number_masked in " ".join(options)
    assert zhang.id_number not in page.content()
    assert any("找到 2 人" in t for t in live_text(page)), live_text(page)
    e2e.step(page, "suggestions", who="county_officer")

    # 2. Escape closes the list; typing more opens it again, narrowed.
    page.keyboard.press("Escape")
    assert box.get_attribute("aria-expanded") == "false"
    page.keyboard.type("m")
    page.wait_for_function(
        "() => document.querySelector('input[name=q]').getAttribute('aria-expanded') === 'true'"
    )
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("海明")
    _wait_for_suggestions(page, 1)

    # 3. Down chooses the suggestion (announced through aria-activedescendant), Up wraps.
    page.keyboard.press("ArrowDown")
    active = box.get_attribute("aria-activedescendant")
    assert active
    chosen = page.locator(f"#{active}")
    assert chosen.get_attribute("aria-selected") == "true"
    assert chosen.inner_text().startswith("张海明")
    e2e.step(page, "suggestion-chosen", who="county_officer")

    # 4. Enter opens the person's page.
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(reverse("registry:person", args=[zhang.pk]))
    assert headings(page) == ["张海明"]


def test_enter_without_a_choice_submits_the_search(e2e: Browsing) -> None:
    data = seed_registry()
    page = e2e.page(user=data.user("county_officer"))
    page.goto(e2e.url(reverse("registry:search")))
    type_into(page, "q", "zh")
    _wait_for_suggestions(page, 2)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"找到 2 人", " ".join(live_text(page))), live_text(page)
    assert page.locator("table.data tbody tr").count() == 2
