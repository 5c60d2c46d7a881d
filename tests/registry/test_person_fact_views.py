"""The staff forms recording outside payments and the 特困 status on the person page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from dpf.core.models import AuditEntry
from dpf.registry.models import OutsidePayment, PersonStatus
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(regions):
    return make_person(village_code="150402001001")


def test_the_person_page_links_to_both_forms(client, county_officer, person) -> None:
    client.force_login(county_officer)
    html = client.get(reverse("registry:person", args=[person.pk])).content.decode()
    assert reverse("registry:outside_payment_new", args=[person.pk]) in html
    assert reverse("registry:person_status_new", args=[person.pk]) in html


def test_outside_payment_recorded_from_the_form(client, county_officer, person) -> None:
    client.force_login(county_officer)
    url = reverse("registry:outside_payment_new", args=[person.pk])
    form = {"kind": "veteran_care", "valid_from": "2024-01-01", "monthly_amount": "260"}
    response = client.post(url, form)
    assert response.status_code == 302
    row = OutsidePayment.objects.get(person=person)
    assert (row.kind, row.valid_from, str(row.monthly_amount)) == (
        "veteran_care",
        dt.date(2024, 1, 1),
        "260.00",
    )
    # the same kind again, overlapping: refused next to the date, nothing written
    before = (OutsidePayment.objects.count(), AuditEntry.objects.exclude(action="view").count())
    response = client.post(url, {**form, "valid_from": "2025-01-01"})
    html = response.content.decode()
    assert response.status_code == 400
    assert "该人员在此期间已有同类外部发放记录" in html
    assert 'id="id_valid_from_error"' in html
    assert before == (
        OutsidePayment.objects.count(),
        AuditEntry.objects.exclude(action="view").count(),
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"monthly_amount": "-3"}, "月发放金额须为0至100000元之间的数字"),
        ({"monthly_amount": "12.345"}, "月发放金额最多两位小数"),
        ({"valid_to": "2023-01-01"}, "截止日期早于起始日期"),
        ({"kind": "pension"}, "pension"),
    ],
)
def test_bad_input_refused_with_a_message(client, county_officer, person, data, message) -> None:
    client.force_login(county_officer)
    url = reverse("registry:outside_payment_new", args=[person.pk])
    response = client.post(url, {"kind": "orphan_support", "valid_from": "2024-01-01", **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not OutsidePayment.objects.exists()


def test_tekun_recorded_from_the_form(client, county_officer, person) -> None:
    client.force_login(county_officer)
    url = reverse("registry:person_status_new", args=[person.pk])
    response = client.post(url, {"status": "tekun", "valid_from": "2024-01-01"})
    assert response.status_code == 302
    assert PersonStatus.objects.get(person=person).status == "tekun"


def test_outside_the_scope_is_404(client, person) -> None:
    other = make_user("county_officer", "150404")
    client.force_login(other)
    url = reverse("registry:outside_payment_new", args=[person.pk])
    response = client.post(url, {"kind": "orphan_support", "valid_from": "2024-01-01"})
    assert response.status_code == 404
    assert not OutsidePayment.objects.exists()
