"""The employment record, zero-employment and assisted-employment pages: forms through the
services, refusals next to the field with nothing written, another county's persons not
shown, lists read as of ``?on=`` in a number of queries that does not grow with the rows."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.employment import records
from dpf.employment.models import AssistedInstitution, Placement
from dpf.registry.models import Employment
from tests.employment.test_records import household_with
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
ON_TODAY = time_machine.travel(dt.datetime(2025, 6, 30, 10, 0, tzinfo=dt.UTC), tick=False)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_record_and_end_employment_on_the_page(county_officer) -> None:
    person = make_person(name="赵铁柱")
    client = _client(county_officer)
    url = reverse("employment:records")
    with ON_TODAY:
        response = client.post(
            url,
            {
                "action": "record",
                "r-id_number": person.id_number,
                "r-kind": "concentrated",
                "r-employer_name": "赤峰福利工厂",
                "r-valid_from": "2025-03-01",
            },
        )
        assert response.status_code == 302
        row = Employment.objects.get(person=person)
        page = client.get(url)
        assert "赵铁柱" in page.content.decode()
        assert "集中就业" in page.content.decode()
        # Before the start, not in force: not listed.
        assert "赵铁柱" not in client.get(url, {"on": "2025-02-28"}).content.decode()
        ended = client.post(
            url, {"action": "end", "e-employment_id": row.pk, "e-valid_to": "2025-06-15"}
        )
        assert ended.status_code == 302
    row.refresh_from_db()
    assert row.valid_to == dt.date(2025, 6, 15)


def test_bad_input_shown_next_to_the_field_nothing_saved(county_officer, regions) -> None:
    outside = make_person(village_code="150404002001")
    client = _client(county_officer)
    with ON_TODAY:
        response = client.post(
            reverse("employment:records"),
            {
                "action": "record",
                "r-id_number": outside.id_number,
                "r-kind": "flexible",
                "r-valid_from": "2025-03-01",
            },
        )
    assert response.status_code == 400
    assert "本辖区没有该身份证号码的登记人员" in response.content.decode()
    assert not Employment.objects.exists()


def test_other_county_persons_not_listed_and_roles_without_permission_refused(
    county_officer, regions
) -> None:
    outsider_officer = make_user("county_officer", "150404")
    person = make_person(name="钱多多")
    records.employment_record(
        actor=county_officer,
        id_number=person.id_number,
        kind="flexible",
        valid_from=dt.date(2025, 1, 1),
    )
    household_with([(dt.date(1980, 1, 1), "M")])
    with ON_TODAY:
        other = _client(outsider_officer)
        assert "钱多多" not in other.get(reverse("employment:records")).content.decode()
        assert "张海明" not in other.get(reverse("employment:zero_employment")).content.decode()
        for role, region in (("village_worker", "150402001001"), ("viewer", "150400")):
            client = _client(make_user(role, region))
            for name in ("records", "zero_employment", "assisted"):
                assert client.get(reverse(f"employment:{name}")).status_code in (403, 404)


def test_zero_employment_page_as_of_a_date_constant_queries(county_officer) -> None:
    client = _client(county_officer)
    url = reverse("employment:zero_employment")
    household, (_disabled, adult) = household_with(
        [(dt.date(1980, 1, 1), "M"), (dt.date(1982, 1, 1), "F")]
    )
    with ON_TODAY:
        client.get(url)  # the first request of a session writes the session
        with CaptureQueriesContext(connection) as one:
            assert "张海明" in client.get(url).content.decode()
        for n in range(6):
            household_with([(dt.date(1981, 1, 1 + n), "F")])
        with CaptureQueriesContext(connection) as seven:
            response = client.get(url)
        assert len(re.findall(r'href="/registry/household/\d+/"', response.content.decode())) == 7
        assert len(seven.captured_queries) == len(one.captured_queries)
        records.employment_record(
            actor=county_officer,
            id_number=adult.id_number,
            kind="agricultural",
            valid_from=dt.date(2025, 6, 30),
        )
        after = client.get(url).content.decode()
        before = client.get(url, {"on": "2025-06-29"}).content.decode()
    assert f'href="/registry/household/{household.pk}/"' not in after
    assert f'href="/registry/household/{household.pk}/"' in before


def test_assisted_page_registers_institution_and_placement(county_officer) -> None:
    client = _client(county_officer)
    url = reverse("employment:assisted")
    person = make_person(name="孙小红", sex="F")
    with ON_TODAY:
        response = client.post(
            url,
            {
                "action": "institution",
                "i-name": "红山区阳光家园",
                "i-county_code": "150402",
                "i-capacity": "30",
                "i-opened_on": "2024-01-01",
            },
        )
        assert response.status_code == 302
        institution = AssistedInstitution.objects.get()
        response = client.post(
            url,
            {
                "action": "placement",
                "p-kind": "assisted",
                "p-id_number": person.id_number,
                "p-institution_id": institution.pk,
                "p-valid_from": "2025-04-01",
            },
        )
        assert response.status_code == 302
        refused = client.post(
            url,
            {
                "action": "placement",
                "p-kind": "public_welfare",
                "p-id_number": person.id_number,
                "p-valid_from": "2025-04-01",
            },
        )
        assert refused.status_code == 400
        assert "请填写岗位" in refused.content.decode()
        page = client.get(url).content.decode()
    assert Placement.objects.count() == 1
    assert "孙小红" in page
    assert "红山区阳光家园" in page
