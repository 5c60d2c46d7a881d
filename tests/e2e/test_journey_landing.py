"""Each role logs in through the form and lands on a page with its work (issue 17 part 4):
the page's heading, a phrase of its work, and the page marked current in the role's menu;
never the bare "您已登录" home page."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Browsing
from tests.e2e.support import headings, log_in
from tests.employment.conftest import employer_account, make_employer
from tests.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# role: (region, landing path, its heading, a phrase of its work on the page)
LANDING = {
    "county_officer": ("150402", "/registry/", "人员查询", "只显示您辖区内的人员"),
    "institution_staff": (None, "/services/rehab/", "康复服务计划", "未结案"),
    "department_exchange": ("150400", "/exchange/department/", "名单报送", "本账号报送的名单"),
    "employer": (None, "/employment/declaration/", None, "申报"),
    "volunteer": (None, "/social/my-events/", "我的志愿活动", "我的志愿活动"),
    "viewer": (None, "/indicators/", None, "指标"),
}


@pytest.mark.parametrize("role", sorted(LANDING))
def test_each_role_lands_on_its_work(e2e: Browsing, role: str) -> None:
    region, path, heading, phrase = LANDING[role]
    if role == "employer":
        user = employer_account(make_employer(make_user("county_officer", "150402")))
    else:
        user = make_user(role, region)
    page = e2e.page()
    log_in(page, user.username)
    assert page.url.removeprefix(e2e.base_url) == path, page.url
    e2e.step(page, f"landing-{role}")
    shown = headings(page)
    if heading is not None:
        assert shown[0] == heading, shown
    main = page.locator("main").inner_text()
    assert phrase in main
    assert "您已登录" not in main
    current = page.locator("nav.site-nav a[aria-current=page]")
    assert current.count() >= 1, f"{role}: the landing page is not marked in its menu"
