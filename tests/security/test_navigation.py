"""The staff navigation shows a link exactly when its route admits the user's role."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from dpf.core.roles import REGION_STAFF, Role
from tests.factories import make_user

pytestmark = pytest.mark.django_db

NAV_RE = re.compile(r'<nav class="site-nav"[^>]*>(.*?)</nav>', re.S)
HREF_RE = re.compile(r'href="([^"]+)"')
STAFF_LINKS = {
    "workflow:tasks",
    "workflow:proposals",
    "workflow:payment_lists",
    "registry:search",
    "indicators:dashboard",
}


def _nav_links(client) -> list[str]:
    found = NAV_RE.search(client.get(reverse("core:home"), follow=True).content.decode())
    return HREF_RE.findall(found.group(1)) if found else []


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_every_link_in_the_navigation_opens_for_the_role(client, regions, role) -> None:
    region = "150402" if Role(role) in REGION_STAFF else None
    client.force_login(make_user(role, region))
    links = _nav_links(client)
    for href in links:
        assert client.get(href).status_code == 200, f"{role}: {href}"
    # Every staff page the role may open is in the menu (links are not missing either).
    from tests.security.routes import walk

    routes = {r.name: r for r in walk()}
    for name in STAFF_LINKS:
        if role in routes[name].roles:
            assert reverse(name) in links, f"{role}: {name} missing from the navigation"
        else:
            assert reverse(name) not in links


def test_payment_lists_in_the_navigation_of_county_officers_only(client, regions) -> None:
    client.force_login(make_user("county_officer", "150402"))
    assert reverse("workflow:payment_lists") in _nav_links(client)
    client.force_login(make_user("village_worker", "150402001001"))
    links = _nav_links(client)
    assert reverse("workflow:tasks") in links
    assert reverse("workflow:payment_lists") not in links
