"""Every role lands on its work and its menu lists every page it may open (issue 17 part 4).

The landing page and the menu are read from the routes' declarations (which come from the
permission table), so these tests state what each role must reach and check the pages."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dpf.core.menu import MENU
from dpf.core.roles import Role
from dpf.exchange.models import ImportBatch
from tests.employment.conftest import employer_account, make_employer
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NAV_RE = re.compile(r'<nav class="site-nav"[^>]*>(.*?)</nav>', re.S)
HREF_RE = re.compile(r'href="([^"]+)"')

# Where each role starts, and a phrase of its work that the page must show.
LANDS = {
    "city_admin": ("registry:search", "人员查询"),
    "county_officer": ("registry:search", "人员查询"),
    "township_officer": ("registry:search", "人员查询"),
    "village_worker": ("registry:search", "人员查询"),
    "institution_staff": ("services:rehab_queue", "康复服务计划"),
    "department_exchange": ("exchange:department", "本账号报送的名单"),
    "employer": ("employment:declaration", "申报"),
    "volunteer": ("social:my_events", "我的志愿活动"),
    "citizen": ("portal:home", ""),
    "viewer": ("indicators:dashboard", ""),
}
REGION = {
    "city_admin": "150400",
    "county_officer": "150402",
    "township_officer": "150402001",
    "village_worker": "150402001001",
    "department_exchange": "150400",
}


def _user(role: str):
    if role == "employer":
        return employer_account(make_employer(make_user("county_officer", "150402")))
    return make_user(role, REGION.get(role))


def _nav_links(html: str) -> list[str]:
    found = NAV_RE.search(html)
    return HREF_RE.findall(found.group(1)) if found else []


def test_every_role_is_listed() -> None:
    assert set(LANDS) == {r.value for r in Role}


@pytest.mark.parametrize("role", sorted(LANDS))
def test_each_role_lands_on_its_work(client, regions, role) -> None:
    client.force_login(_user(role))
    response = client.get(reverse("core:home"))
    target, phrase = LANDS[role]
    assert response.status_code == 302, f"{role} stays on the public home page"
    assert response["Location"] == reverse(target)
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "您已登录" not in html
    assert phrase in html
    # the landing page is in the role's own menu
    assert reverse(target) in _nav_links(html)


def test_the_city_admins_menu_lists_every_administrative_page(client, city_admin) -> None:
    client.force_login(city_admin)
    links = _nav_links(client.get(reverse("registry:search")).content.decode())
    for name in (
        "benefits:catalogue",
        "benefits:rule_preview",
        "exchange:index",
        "audit:list",
        "accounts:security_policy",
        "jobs:schedules",
        "indicators:dashboard",
        "workflow:proposals",
    ):
        assert reverse(name) in links, name
    assert reverse("benefits:queue") not in links  # one queue per purpose


@pytest.mark.parametrize("role", sorted(LANDS))
def test_every_menu_link_opens_and_no_openable_entry_is_missing(client, regions, role) -> None:
    from tests.security.routes import walk

    routes = {r.name: r for r in walk()}
    client.force_login(_user(role))
    links = _nav_links(client.get(reverse(LANDS[role][0])).content.decode())
    for href in links:
        assert client.get(href).status_code == 200, f"{role}: {href}"
    for entry in MENU:
        if entry.url_name not in routes:
            continue
        declared = routes[entry.url_name]
        admitted = declared.public or role in declared.roles
        with_work = not entry.shown_with or role in routes[entry.shown_with].roles
        assert (reverse(entry.url_name) in links) == (admitted and with_work), (
            f"{role}: {entry.url_name}"
        )


def test_the_department_sees_its_own_batches_only(client, regions) -> None:
    mine = make_user("department_exchange", "150400")
    other = make_user("department_exchange", "150400")
    for user, name in ((mine, "mine.xlsx"), (other, "theirs.xlsx")):
        ImportBatch.objects.create(
            roster_type="dibao",
            file_name=name,
            file_format="xlsx",
            content_sha256=name.ljust(64, "0"),
            uploaded_by=user,
            region_code="150400",
            channel="api",
            status="previewed",
            counts={"total": 3},
        )
    client.force_login(mine)
    html = client.get(reverse("exchange:department")).content.decode()
    assert "待确认" in html  # the batch's status in words
    own = ImportBatch.objects.get(uploaded_by=mine)
    theirs = ImportBatch.objects.get(uploaded_by=other)
    assert f'<th scope="row">{own.pk}</th>' in html
    assert f'<th scope="row">{theirs.pk}</th>' not in html


@pytest.mark.parametrize("role", ["county_officer", "institution_staff", "citizen", "employer"])
def test_the_department_page_is_for_departments_only(client, regions, role) -> None:
    client.force_login(_user(role))
    assert client.get(reverse("exchange:department")).status_code == 404
    assert client.get(reverse("social:my_events")).status_code == 404


# Pages without parameters that are not a menu entry nor under one: a redirect to the one
# queue of its purpose, and files (downloads) a page links to.
NOT_PAGES = {
    "benefits:queue",  # redirects to workflow:proposals (one queue per purpose)
    "employment:credit_export",
    "exchange:duplicates_find",  # a POST from the duplicates page
    "registry:search_lookup",  # the search page's JSON suggestions (POST only)
}


def test_every_staff_page_is_reachable_from_the_menu() -> None:
    """A page a role may open is a menu entry or one of the pages under an entry (its
    ``also``), so the menu reaches everything; a new page without an entry fails here."""
    from tests.security.routes import walk

    missing = []
    for route in walk():
        if route.params or route.public or route.api or not route.roles:
            continue
        if route.name in NOT_PAGES or route.pattern.endswith((".xlsx", ".pdf", ".json", ".csv")):
            continue
        if not any(e.is_current(route.name) for e in MENU):
            missing.append(route.name)
    assert missing == []
