"""Staff links into the portal: 开通居民账号 on the person page (permission to create citizen
accounts, person alive and without an account) and the request queue in the staff menu."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dpf.accounts.permissions import roles_with
from dpf.core.roles import Role
from dpf.registry.models import Person
from tests.factories import make_user
from tests.portal.conftest import certified, citizen_for, client_for

pytestmark = pytest.mark.django_db

OPEN_ACCOUNT = "开通居民账号"
QUEUE = "居民诉求"


def _person_page(user, person) -> str:
    response = client_for(user).get(reverse("registry:person", args=[person.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _account_link(person) -> str:
    return f'href="{reverse("portal:account_new", args=[person.pk])}"'


def test_worker_sees_open_account_link_until_the_person_has_one(person, village_worker) -> None:
    html = _person_page(village_worker, person)
    assert OPEN_ACCOUNT in html
    assert _account_link(person) in html
    # The link leads to a page the worker may open for this person.
    form = client_for(village_worker).get(reverse("portal:account_new", args=[person.pk]))
    assert form.status_code == 200
    citizen_for(person)
    html = _person_page(village_worker, person)
    assert OPEN_ACCOUNT not in html
    assert _account_link(person) not in html


def test_no_open_account_link_without_the_permission_or_for_the_deceased(
    person, county_officer, village_worker
) -> None:
    html = _person_page(county_officer, person)  # may read the person, not open accounts
    assert "王海明" in html
    assert OPEN_ACCOUNT not in html
    assert client_for(county_officer).get(
        reverse("portal:account_new", args=[person.pk])
    ).status_code in (403, 404)
    deceased = certified(name="李德胜")
    Person.objects.filter(pk=deceased.pk).update(death_date=dt.date(2025, 1, 5))
    html = _person_page(village_worker, deceased)
    assert "李德胜" in html
    assert OPEN_ACCOUNT not in html


def test_staff_menu_links_to_the_request_queue_for_roles_that_may_open_it(regions) -> None:
    queue = f'href="{reverse("portal:staff_requests")}"'
    allowed = roles_with("view", "citizen_request") - {Role.CITIZEN}
    assert allowed  # the test below would prove nothing otherwise
    for role, region in (
        ("county_officer", "150402"),
        ("township_officer", "150402001"),
        ("village_worker", "150402001001"),
        ("city_admin", "150400"),
    ):
        user = make_user(role, region)
        html = client_for(user).get(reverse("core:home"), follow=True).content.decode()
        shown = queue in html and QUEUE in html
        assert shown == (role in allowed), role
        if shown:
            opened = client_for(user).get(reverse("portal:staff_requests"))
            assert opened.status_code == 200
            assert 'aria-current="page"' in opened.content.decode().split(QUEUE)[0][-300:]


def test_citizens_do_not_see_the_staff_queue_link(person, citizen) -> None:
    html = client_for(citizen).get(reverse("portal:home")).content.decode()
    assert reverse("portal:staff_requests") not in html
