"""The pages keeping a person's record current (issue 17 part 1): linked from the person
page, working as plain forms, refusals next to their field with nothing written, and an
officer of another county answered "not found" on every one of them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dpf.core.models import AuditEntry
from dpf.registry import services
from dpf.registry.change_models import RecordChange
from dpf.registry.models import Certificate, Person
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 10, tzinfo=dt.UTC)
VILLAGE = "150402001001"


@pytest.fixture(autouse=True)
def _clock(time_machine) -> None:
    time_machine.move_to(NOW)


@pytest.fixture
def person(regions) -> Person:
    person = make_person(village_code=VILLAGE, phone="13800001234")
    services.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2020, 5, 1)
    )
    return person


def _certificate(person: Person) -> Certificate:
    return Certificate.objects.get(person=person)


def _routes(person: Person) -> list[str]:
    cert = _certificate(person)
    return [
        reverse("registry:person_edit", args=[person.pk]),
        reverse("registry:person_guardian", args=[person.pk]),
        reverse("registry:person_move", args=[person.pk]),
        reverse("registry:person_household", args=[person.pk]),
        reverse("registry:household_status", args=[person.household_id]),
        reverse("registry:certificate_renew", args=[cert.pk]),
        reverse("registry:certificate_reassess", args=[cert.pk]),
        reverse("registry:certificate_cancel", args=[cert.pk]),
        reverse("workflow:person_death", args=[person.pk]),
    ]


def test_the_person_page_links_every_change(client, county_officer, person) -> None:
    client.force_login(county_officer)
    html = client.get(reverse("registry:person", args=[person.pk])).content.decode()
    for url in _routes(person):
        if "household/" in url and "status" in url:
            continue  # on the household page
        assert url in html
    household = client.get(reverse("registry:household", args=[person.household_id]))
    assert (
        reverse("registry:household_status", args=[person.household_id])
        in household.content.decode()
    )


def test_every_change_page_opens_for_the_county_officer(client, county_officer, person) -> None:
    client.force_login(county_officer)
    for url in _routes(person):
        response = client.get(url)
        assert response.status_code == 200, url
        assert 'name="reason"' in response.content.decode(), url


def test_an_officer_of_another_county_gets_not_found_and_nothing_is_written(client, person) -> None:
    """The scope attack: every page, GET and POST, of a person in 红山区 by a 松山区 officer."""
    other = make_user("county_officer", "150404")
    client.force_login(other)
    before = RecordChange.objects.count()
    for url in _routes(person):
        assert client.get(url).status_code == 404, url
        response = client.post(
            url,
            {
                "on": "2026-03-01",
                "issue_date": "2026-03-01",
                "reason": "越权尝试",
                "name": "李四",
                "ethnicity": "汉族",
                "village": "other",
                "village_code": "150404002001",
                "status": "dibao",
                "category": "4",
                "level": "1",
                "relation": "head",
            },
        )
        assert response.status_code == 404, url
    person.refresh_from_db()
    assert (person.name, person.village_code, person.death_date) == ("张海明", VILLAGE, None)
    assert _certificate(person).status == "valid"
    assert RecordChange.objects.count() == before


def test_a_village_worker_records_a_move_out_of_the_county(client, person) -> None:
    worker = make_user("village_worker", VILLAGE)
    client.force_login(worker)
    url = reverse("registry:person_move", args=[person.pk])
    response = client.post(
        url,
        {
            "village": "other",
            "village_code": "150404002001",
            "on": "2026-03-01",
            "reason": "随子女迁居",
        },
    )
    history = reverse("registry:person_history", args=[person.pk])
    assert response.status_code == 302
    assert response["Location"] == history
    person.refresh_from_db()
    assert person.village_code == "150404002001"
    # The old region keeps a read-only history up to the move, nothing after it.
    assert client.get(reverse("registry:person", args=[person.pk])).status_code == 404
    page = client.get(history).content.decode()
    assert "已迁出" in page
    assert "随子女迁居" in page
    assert "测试社区一" in page
    assert reverse("registry:person_edit", args=[person.pk]) not in page
    # The new county's officer sees the move on the timeline, with its reason.
    client.force_login(make_user("county_officer", "150404"))
    html = client.get(reverse("registry:person", args=[person.pk])).content.decode()
    assert "随子女迁居" in html
    assert "迁移" in html


def test_a_move_to_an_unknown_village_is_refused_next_to_the_field(client, person) -> None:
    client.force_login(make_user("village_worker", VILLAGE))
    url = reverse("registry:person_move", args=[person.pk])
    before = AuditEntry.objects.exclude(action="view").count()
    response = client.post(
        url,
        {"village": "other", "village_code": "150499999999", "on": "2026-03-01", "reason": "迁居"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "迁入的嘎查村社区不存在" in html
    assert 'id="id_village_code_error"' in html
    person.refresh_from_db()
    assert person.village_code == VILLAGE
    assert AuditEntry.objects.exclude(action="view").count() == before


def test_a_village_worker_records_a_death(client, person) -> None:
    client.force_login(make_user("village_worker", VILLAGE))
    url = reverse("workflow:person_death", args=[person.pk])
    response = client.post(url, {"on": "2026-03-02", "reason": "村委会出具死亡证明"}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert "死亡已登记" in html
    assert "村委会出具死亡证明" in html
    person.refresh_from_db()
    assert person.death_date == dt.date(2026, 3, 2)
    assert _certificate(person).status == "cancelled"
    # The change links are gone once the person is deceased.
    assert reverse("registry:person_move", args=[person.pk]) not in html


def test_details_edit_from_the_form(client, person) -> None:
    client.force_login(make_user("village_worker", VILLAGE))
    url = reverse("registry:person_edit", args=[person.pk])
    form = client.get(url).content.decode()
    assert "13800001234" not in form  # the phone is not shown in clear
    response = client.post(
        url,
        {
            "name": "张海鸣",
            "phone": "",
            "ethnicity": "蒙古族",
            "on": "2026-03-01",
            "reason": "户口本更正",
        },
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.name, person.ethnicity, person.phone) == ("张海鸣", "蒙古族", "13800001234")


def test_renewal_and_reassessment_by_the_county_officer(client, county_officer, person) -> None:
    client.force_login(county_officer)
    cert = _certificate(person)
    response = client.post(
        reverse("registry:certificate_renew", args=[cert.pk]),
        {"issue_date": "2026-03-01", "reason": "证件损坏换证"},
    )
    assert response.status_code == 302
    renewed = Certificate.objects.get(person=person, status="valid")
    response = client.post(
        reverse("registry:certificate_reassess", args=[renewed.pk]),
        {"category": "4", "level": "1", "on": "2026-03-09", "reason": "复评为一级"},
    )
    assert response.status_code == 302
    current = Certificate.objects.get(person=person, status="valid")
    assert (current.level, current.replaces_id) == (1, renewed.pk)


def test_renewal_of_a_cancelled_certificate_is_refused_on_the_page(
    client, county_officer, person
) -> None:
    client.force_login(county_officer)
    cert = _certificate(person)
    assert (
        client.post(
            reverse("registry:certificate_cancel", args=[cert.pk]),
            {"on": "2026-03-01", "reason": "本人申请注销"},
        ).status_code
        == 302
    )
    response = client.post(
        reverse("registry:certificate_renew", args=[cert.pk]),
        {"issue_date": "2026-03-05", "reason": "换证"},
    )
    assert response.status_code == 400
    assert "该残疾人证已注销，不能换证或重新评定" in response.content.decode()
    assert Certificate.objects.filter(person=person).count() == 1


def test_a_second_certificate_links_to_renewal_and_reassessment(
    client, county_officer, person
) -> None:
    client.force_login(county_officer)
    response = client.post(
        reverse("registry:certificate_new", args=[person.pk]),
        {"category": "4", "level": "1", "issue_date": "2026-01-01"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "请使用换证或重新评定" in html
    cert = _certificate(person)
    assert reverse("registry:certificate_renew", args=[cert.pk]) in html
    assert reverse("registry:certificate_reassess", args=[cert.pk]) in html


def test_a_village_worker_may_not_open_the_certificate_pages(client, person) -> None:
    client.force_login(make_user("village_worker", VILLAGE))
    cert = _certificate(person)
    for name in ("certificate_renew", "certificate_reassess", "certificate_cancel"):
        assert client.get(reverse(f"registry:{name}", args=[cert.pk])).status_code in (403, 404)


def test_the_history_page_is_the_old_regions_only(client, person) -> None:
    """Never lived in the region: not found. In the region now: the full page."""
    services.person_move(
        actor=None, person=person, village_code="150404002001", on=dt.date(2026, 1, 1)
    )
    url = reverse("registry:person_history", args=[person.pk])
    client.force_login(make_user("county_officer", "150402"))
    page = client.get(url).content.decode()
    assert "2026-01-01" in page
    client.force_login(make_user("county_officer", "150404"))
    assert client.get(url)["Location"] == reverse("registry:person", args=[person.pk])
    client.force_login(make_user("village_worker", "150402001002"))  # the other village
    assert client.get(url).status_code == 404
