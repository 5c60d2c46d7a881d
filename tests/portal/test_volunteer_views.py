"""The citizen's volunteer registration page: the consent text and the form, bad input
refused in both languages with nothing written, the registration's state, registering
twice refused, withdrawal; attacks: another person named in the post, acting for a
dependant, another citizen's page, staff and anonymous users."""

from __future__ import annotations

import datetime as dt
from html import unescape
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from dpf.core.models import AuditEntry
from dpf.social.models import Volunteer
from tests.factories import make_person, make_user
from tests.portal.conftest import citizen_for, client_for, link_guardian

pytestmark = pytest.mark.django_db
TODAY = time_machine.travel(dt.datetime(2026, 5, 10, 2, 0, tzinfo=dt.UTC), tick=False)
URL = "/portal/volunteer/"
WITHDRAW = "/portal/volunteer/withdraw/"
GOOD = {
    "village_code": "150402001002",
    "skills": "手语",
    "availability": "周末",
    "phone": "13700002222",
    "consent": "on",
}


def test_the_urls_are_the_named_routes() -> None:
    assert reverse("portal:volunteer") == URL
    assert reverse("portal:volunteer_withdraw") == WITHDRAW


@TODAY
def test_register_see_the_state_and_withdraw(person: Any, citizen: Any) -> None:
    client = client_for(citizen)
    page = unescape(client.get(URL).content.decode())
    assert "注册前请阅读" in page
    assert "如何撤回" in page
    assert 'name="consent"' in page
    assert 'value="150402001001" selected' in page  # the person's own village first
    assert "测试村一" not in page  # another county's villages are not offered
    done = client.post(URL, GOOD)
    assert done.status_code == 302
    volunteer = Volunteer.objects.get()
    assert (volunteer.status, volunteer.id_number) == ("pending", person.id_number)
    page = unescape(client.get(URL).content.decode())
    assert "待审核" in page
    assert "2026-05-10 提交，等待工作人员审核。" in page
    assert "测试社区二" in page
    assert 'name="consent"' not in page  # no second form while one is pending
    twice = client.post(URL, GOOD)
    assert twice.status_code == 400
    assert "该身份证号码已登记为志愿者" in unescape(twice.content.decode())
    assert Volunteer.objects.count() == 1
    assert client.post(WITHDRAW).status_code == 302
    volunteer.refresh_from_db()
    assert (volunteer.status, volunteer.phone) == ("withdrawn", "")
    page = unescape(client.get(URL).content.decode())
    assert "您已于 2026-05-10 撤回同意，注册已结束。" in page
    assert 'name="consent"' in page  # may register again


@TODAY
@pytest.mark.parametrize(
    ("language", "fields", "expected"),
    [
        ("zh-hans", {"consent": ""}, "须经本人同意才能登记为志愿者"),
        ("en", {"consent": ""}, "a volunteer is registered only with their consent"),
        ("zh-hans", {"phone": "12-ab"}, "联系电话格式不正确"),
        ("en", {"phone": "12-ab"}, "the phone number is not valid"),
        ("en", {"village_code": "150404002001"}, "Select a valid choice"),
        ("zh-hans", {"skills": "手" * 201}, "200"),
    ],
)
def test_bad_input_is_refused_and_nothing_written(
    person: Any, citizen: Any, language: str, fields: dict[str, str], expected: str
) -> None:
    client = client_for(citizen)
    client.cookies["django_language"] = language
    before = AuditEntry.objects.count()
    refused = client.post(URL, {**GOOD, **fields}, HTTP_ACCEPT_LANGUAGE=language)
    assert refused.status_code == 400
    page = unescape(refused.content.decode())
    assert "error-summary" in page
    assert expected in page
    assert not Volunteer.objects.exists()
    assert AuditEntry.objects.count() == before


@TODAY
def test_attack_another_person_named_in_the_post_is_ignored(person: Any, citizen: Any) -> None:
    victim = make_person(name="受害人", village_code="150402001001")
    posted = client_for(citizen).post(
        URL,
        {
            **GOOD,
            "id_number": victim.id_number,
            "person_id": victim.pk,
            "person": victim.pk,
            "name": victim.name,
        },
    )
    assert posted.status_code == 302
    volunteer = Volunteer.objects.get()
    assert (volunteer.id_number, volunteer.name) == (person.id_number, person.name)


@TODAY
def test_attack_acting_for_a_dependant_registers_only_the_guardian(
    person: Any, citizen: Any
) -> None:
    child = make_person(name="王孩子", village_code="150402001001", birth=dt.date(2014, 1, 1))
    link_guardian(person, child)
    client = client_for(citizen)
    client.post(reverse("portal:acting_for"), {"person": child.pk, "next": URL})
    page = unescape(client.get(URL).content.decode())
    assert "志愿者注册只能为您本人" in page
    assert client.post(URL, GOOD).status_code == 302
    assert Volunteer.objects.get().id_number == person.id_number


@TODAY
def test_attack_another_citizen_sees_nothing_and_cannot_withdraw(person: Any, citizen: Any) -> None:
    client_for(citizen).post(URL, GOOD)
    other = citizen_for(make_person(name="李旁人", village_code="150402001001"))
    client = client_for(other)
    page = unescape(client.get(URL).content.decode())
    assert "您还没有注册为志愿者。" in page
    assert person.name not in page
    withdrawn = client.post(WITHDRAW)
    assert withdrawn.status_code == 302  # "nothing to withdraw" shown, nothing changed
    assert Volunteer.objects.get().status == "pending"


@TODAY
def test_staff_and_anonymous_users_cannot_open_the_page(regions: None) -> None:
    for role, region in (
        ("township_officer", "150402001"),
        ("city_admin", "150400"),
        ("volunteer", None),
    ):
        client = client_for(make_user(role, region))
        assert client.get(URL).status_code in (403, 404), role
        assert client.post(URL, GOOD).status_code in (403, 404), role
        assert client.post(WITHDRAW).status_code in (403, 404), role
    assert Client().get(URL).status_code == 302  # to the log-in page
    assert not Volunteer.objects.exists()
