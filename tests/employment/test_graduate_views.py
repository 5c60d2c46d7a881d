"""The graduate pages: a file opened and a support action added through the services,
refusals shown next to the field with a 400 and nothing written, another county's files
neither listed nor opened, the list in a number of queries that does not grow with the
files, and the support actions on the person's timeline."""

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
from dpf.employment.models import GraduateFile, SupportAction
from dpf.registry.timeline_selectors import person_timeline
from tests.employment.conftest import make_employer
from tests.employment.test_graduates import add_action, open_file
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db
ON_TODAY = time_machine.travel(dt.datetime(2025, 6, 30, 10, 0, tzinfo=dt.UTC), tick=False)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _file_post(person: Any, **overrides: str) -> dict[str, str]:
    data = {
        "id_number": person.id_number,
        "school": "赤峰学院",
        "major": "计算机科学与技术",
        "education": "bachelor",
        "graduation_year": "2025",
        "wish": "软件测试",
    }
    data.update(overrides)
    return data


def test_open_a_file_add_an_action_and_see_it_listed(county_officer) -> None:
    person = make_person(name="高明远")
    firm = make_employer(county_officer)
    client = _client(county_officer)
    with ON_TODAY:
        response = client.post(reverse("employment:graduate_new"), _file_post(person))
        assert response.status_code == 302
        row = GraduateFile.objects.get(person=person)
        assert response["Location"] == reverse("employment:graduate", args=[row.pk])
        url = reverse("employment:graduate", args=[row.pk])
        added = client.post(
            url,
            {
                "taken_on": "2025-06-28",
                "kind": "job_recommendation",
                "note": "推荐软件测试岗位",
                "employer_id": str(firm.pk),
            },
        )
        assert added.status_code == 302
        page = client.get(url).content.decode()
        listed = client.get(reverse("employment:graduates")).content.decode()
    assert "推荐软件测试岗位" in page
    assert firm.name in page
    assert "岗位推荐" in page
    assert "求职中" in page
    assert person.id_number not in page
    assert person.id_number not in listed
    assert "高明远" in listed
    assert "赤峰学院" in listed
    assert SupportAction.objects.get().created_by == county_officer


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"graduation_year": "1989"}, "毕业年份应在1990年至2026年之间"),
        ({"graduation_year": "2027"}, "毕业年份应在1990年至2026年之间"),
        ({"school": "   "}, 'id="id_school_error"'),  # the form's own required message
    ],
)
def test_bad_file_input_answers_400_with_the_message(county_officer, overrides, message) -> None:
    client = _client(county_officer)
    with ON_TODAY:
        response = client.post(
            reverse("employment:graduate_new"), _file_post(make_person(), **overrides)
        )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not GraduateFile.objects.exists()


def test_duplicate_file_and_future_action_answer_400_nothing_written(county_officer) -> None:
    person = make_person()
    row = open_file(county_officer, person)
    client = _client(county_officer)
    with ON_TODAY:
        again = client.post(reverse("employment:graduate_new"), _file_post(person))
        future = client.post(
            reverse("employment:graduate", args=[row.pk]),
            {"taken_on": "2025-07-01", "kind": "policy", "note": "讲解就业补贴政策"},
        )
    assert again.status_code == 400
    assert "该人员已建立毕业生档案" in again.content.decode()
    assert future.status_code == 400
    assert "帮扶日期不能晚于今天" in future.content.decode()
    assert GraduateFile.objects.count() == 1
    assert not SupportAction.objects.exists()


def test_another_countys_officer_cannot_list_open_or_add(county_officer) -> None:
    row = open_file(county_officer, make_person(name="高明远"))
    stranger = _client(make_user("county_officer", "150404"))
    url = reverse("employment:graduate", args=[row.pk])
    with ON_TODAY:
        assert "高明远" not in stranger.get(reverse("employment:graduates")).content.decode()
        assert stranger.get(url).status_code == 404
        posted = stranger.post(url, {"taken_on": "2025-06-01", "kind": "policy", "note": "x"})
        assert posted.status_code == 404
        edit = reverse("employment:graduate_edit", args=[row.pk])
        assert stranger.get(edit).status_code == 404
    assert not SupportAction.objects.exists()
    for role, region in (("village_worker", "150402001001"), ("viewer", "150400")):
        client = _client(make_user(role, region))
        assert client.get(reverse("employment:graduates")).status_code in (403, 404)
        assert client.get(url).status_code in (403, 404)


def test_the_list_reads_in_the_same_queries_for_few_and_many_files(county_officer) -> None:
    client = _client(county_officer)
    url = reverse("employment:graduates")
    first = open_file(county_officer, make_person())
    add_action(county_officer, first)
    with ON_TODAY:
        client.get(url)  # the first request of a session writes the session
        with CaptureQueriesContext(connection) as one:
            client.get(url)
        for n in range(6):
            person = make_person(village_code="150402001002" if n % 2 else "150402001001")
            row = open_file(county_officer, person, graduation_year=2020 + n)
            add_action(county_officer, row)
            records.employment_record(
                actor=county_officer,
                id_number=person.id_number,
                kind="flexible",
                valid_from=dt.date(2025, 1, 1),
            )
        with CaptureQueriesContext(connection) as seven:
            response = client.get(url)
    body = response.content.decode()
    assert len(re.findall(r'href="/employment/graduates/\d+/"', body)) == 7
    assert len(seven.captured_queries) == len(one.captured_queries)


def test_the_list_filters_by_state_year_and_county(city_admin) -> None:
    working = make_person(name="甲就业")
    open_file(city_admin, working, graduation_year=2024)
    open_file(city_admin, make_person(name="乙求职"), graduation_year=2025)
    open_file(city_admin, make_person(name="丙外县", village_code="150404002001"))
    records.employment_record(
        actor=city_admin,
        id_number=working.id_number,
        kind="flexible",
        valid_from=dt.date(2025, 3, 1),
    )
    client = _client(city_admin)
    url = reverse("employment:graduates")
    with ON_TODAY:
        employed = client.get(url, {"state": "employed"}).content.decode()
        before = client.get(url, {"state": "employed", "on": "2025-02-28"}).content.decode()
        year = client.get(url, {"graduation_year": "2024"}).content.decode()
        county = client.get(url, {"county_code": "150404"}).content.decode()
        junk = client.get(url, {"graduation_year": "abc", "state": "nope"})
    assert "甲就业" in employed
    assert "乙求职" not in employed
    assert "甲就业" not in before
    assert "甲就业" in year
    assert "乙求职" not in year
    assert "丙外县" in county
    assert "甲就业" not in county
    assert junk.status_code == 200  # a malformed filter is ignored
    # The per-county table, in words.
    assert "各旗县区毕业生就业情况" in employed


def test_support_actions_are_on_the_persons_timeline(county_officer) -> None:
    person = make_person()
    row = open_file(county_officer, person)
    add_action(county_officer, row, kind="start_up", taken_on=dt.date(2025, 6, 2))
    events = [(e.date, e.label, e.detail) for e in person_timeline(person) if e.kind == "service"]
    assert (dt.date(2025, 6, 2), "高校毕业生就业帮扶", "创业扶持") in events
