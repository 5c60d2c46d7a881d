"""Phone-sized pages: 360 × 740 CSS px with touch, in every display mode.

No sideways scrolling (the document is no wider than the screen) and every visible link,
button and form control at least 44 × 44 CSS px, measured from the rendered boxes.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Browsing
from tests.e2e.support import DISPLAY_MODES, MOBILE, TOUCH_MIN, scroll_width, small_touch_targets

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Pages anyone reaches first on a phone; the citizens' pages join when the portal lands.
PHONE_PAGES = {"home": "/", "login": "/accounts/login/", "verify": "/verify/"}


@pytest.mark.parametrize("mode", list(DISPLAY_MODES))
@pytest.mark.parametrize("page_name", list(PHONE_PAGES))
def test_phone_page_fits_the_screen_and_targets_are_big_enough(
    e2e: Browsing, page_name: str, mode: str
) -> None:
    page = e2e.page(mobile=True, display=DISPLAY_MODES[mode])
    response = page.goto(PHONE_PAGES[page_name])
    assert response is not None and response.status == 200
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
