"""Phone-sized pages: 360 × 740 CSS px with touch, in every display mode.

No sideways scrolling (the document is no wider than the screen) and every visible link,
button and form control at least 44 × 44 CSS px, measured from the rendered boxes.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page

from tests.e2e.conftest import Browsing
from tests.e2e.data import seed_citizen, seed_citizen_activity, seed_registry
from tests.e2e.support import DISPLAY_MODES, MOBILE, TOUCH_MIN, scroll_width, small_touch_targets

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Pages anyone reaches first on a phone (the citizens' pages: PORTAL_PAGES below).
PHONE_PAGES = {"home": "/", "login": "/accounts/login/", "verify": "/verify/"}


@pytest.mark.parametrize("mode", list(DISPLAY_MODES))
@pytest.mark.parametrize("page_name", list(PHONE_PAGES))
def test_phone_page_fits_the_screen_and_targets_are_big_enough(
    e2e: Browsing, page_name: str, mode: str
) -> None:
    page = e2e.page(mobile=True, display=DISPLAY_MODES[mode])
    response = page.goto(PHONE_PAGES[page_name])
    assert response is not None
    assert response.status == 200
    e2e.shot(page, f"{page_name}-{mode}")
    width = scroll_width(page)
    assert width <= MOBILE["width"], (
        f"{page_name} ({mode}) scrolls sideways: {width} px wide on a {MOBILE['width']} px screen"
    )
    offenders = small_touch_targets(page)
    assert not offenders, (
        f"{page_name} ({mode}): touch targets under {TOUCH_MIN}×{TOUCH_MIN} px:\n  "
        + "\n  ".join(offenders)
    )


# --- the citizens' portal ----------------------------------------------------------------

# The main portal pages, as the demo-like citizen of tests/e2e/data.py (张海明 with an
# online application and a home-visit request); registration is seen logged out.
PORTAL_PAGES = {
    "portal-home": "/portal/",
    "certificate": "/portal/certificate/",
    "entitlements": "/portal/entitlements/",
    "apply": "/portal/apply/",
    "applications": "/portal/applications/",
    "application": "/portal/applications/{application}/",
    "requests": "/portal/requests/",
    "request": "/portal/requests/{request}/",
}
PUBLIC_PORTAL_PAGES = {"register": "/portal/register/"}

LARGE_TEXT_PX = 24  # the large-text mode's base font: 18 pt = 24 CSS px (issue 8)
SMALLEST_TEXT_PX = 18  # no visible text of the main content below this in that mode

_TEXT_SIZES_JS = """
() => {
  const sizes = [];
  const walker = document.createTreeWalker(document.querySelector('main'),
    NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (el.closest('[hidden], [aria-hidden=true], .visually-hidden, svg')) continue;
    const rects = Array.from(el.getClientRects());
    if (!rects.some((r) => r.width > 1 && r.height > 1)) continue;
    sizes.push([parseFloat(getComputedStyle(el).fontSize),
      node.textContent.trim().slice(0, 30)]);
  }
  return {base: parseFloat(getComputedStyle(document.body).fontSize), sizes};
}
"""


def _phone_problems(page: Page, name: str, mode: str) -> list[str]:
    """What is wrong with the page on a phone: sideways scrolling, small targets and, in
    the large-text mode, a base font under 18 pt or main text under 18 px."""
    problems: list[str] = []
    width = scroll_width(page)
    if width > MOBILE["width"]:
        problems.append(f"{name} ({mode}) scrolls sideways: {width} px wide")
    problems += [f"{name} ({mode}): small target {t}" for t in small_touch_targets(page)]
    if mode == "large":
        text: dict[str, Any] = page.evaluate(_TEXT_SIZES_JS)
        if text["base"] < LARGE_TEXT_PX:
            problems.append(f"{name} (large): base font {text['base']} px")
        problems += [
            f"{name} (large): “{sample}” at {size} px"
            for size, sample in text["sizes"]
            if size + 0.01 < SMALLEST_TEXT_PX
        ]
    return problems


@pytest.mark.parametrize("mode", list(DISPLAY_MODES))
def test_portal_pages_fit_the_phone_in_every_display_mode(e2e: Browsing, mode: str) -> None:
    """One seeded registry per display mode, every main portal page visited in turn (a
    test per page would seed and log in again for each; the failures are listed together)."""
    data = seed_registry()
    user = seed_citizen(data)
    samples = seed_citizen_activity(data)
    ids = {
        "application": samples["citizen_application"].pk,
        "request": samples["citizen_request"].pk,
    }
    display = DISPLAY_MODES[mode]
    citizen_page = e2e.page(mobile=True, display=display, user=user)
    public_page = e2e.page(mobile=True, display=display)
    problems: list[str] = []
    visits = [(citizen_page, n, p) for n, p in PORTAL_PAGES.items()]
    visits += [(public_page, n, p) for n, p in PUBLIC_PORTAL_PAGES.items()]
    for page, name, path in visits:
        response = page.goto(path.format(**ids))
        assert response is not None, (name, page.url)
        assert response.status == 200, (name, page.url)
        assert page.url.endswith(path.format(**ids)), (name, page.url)  # not sent to log in
        assert page.locator("h1").count() == 1, name
        if page is citizen_page:  # the citizen's own pages, not a log-in form
            assert data.people[0].name in page.locator(".acting").inner_text(), name
        e2e.shot(page, f"{name}-{mode}")
        problems += _phone_problems(page, name, mode)
    assert not problems, "\n  ".join(["portal pages on a 360 px phone:", *problems])
