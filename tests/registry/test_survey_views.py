"""The needs survey pages (dpf/registry/survey_views.py): the village worker's phone form
(draft, submit, no contact), progress by region with a constant number of queries, the
city's round, and the person page reading the survey in force. The clock is frozen."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dpf.benefits.eligibility import eligibility_q
from dpf.registry.models import NeedsSurvey, Person, SurveyDraft, SurveyNoContact, SurveyRound
from dpf.registry.surveys import survey_round_open
from tests.factories import make_user
from tests.registry.test_surveys import certified

pytestmark = pytest.mark.django_db

YEAR = 2025
NOW = dt.datetime(2025, 11, 20, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def survey_round(city_admin) -> SurveyRound:
    return survey_round_open(actor=city_admin, year=YEAR, reference_date=dt.date(YEAR, 1, 1))


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form_url(person: Person, name: str = "registry:survey_person") -> str:
    return reverse(name, kwargs={"person_id": person.pk, "year": YEAR})


ANSWERS = {
    "survey_date": "2025-05-10",
    "method": "home_visit",
    "rehab_need": "yes",
    "device_need": "none",
    "home_renovation_need": "no",
    "care_need": "no",
    "long_term_care_need": "yes",
    "employment_status": "unable",
    "employment_wish": "no",
    "school_status": "na",
    "income_per_capita": "6200",
    "person_confirmed": "on",
}


def test_worker_saves_a_draft_then_submits_and_eligibility_follows(
    survey_round, village_worker
) -> None:
    person = certified()
    client = client_for(village_worker)
    page = client.get(form_url(person))
    assert page.status_code == 200
    text = page.content.decode()
    assert 'name="viewport"' in text or "viewport" in text
    assert person.id_number not in text
    partial = {"survey_date": "2025-05-10", "rehab_need": "yes", "action": "draft"}
    response = client.post(form_url(person), partial)
    assert response.status_code == 302
    draft = SurveyDraft.objects.get(person=person)
    assert draft.rehab_need is True
    assert draft.long_term_care_need is None
    # the form comes back with the draft's answers
    again = client.get(form_url(person)).content.decode()
    assert 'value="2025-05-10"' in again
    # submitting the incomplete draft is refused, naming what is missing; nothing written
    response = client.post(form_url(person), {**partial, "action": "submit"})
    assert response.status_code == 400
    assert "调查表尚未填完" in response.content.decode()
    assert not NeedsSurvey.objects.exists()
    assert not Person.objects.filter(
        eligibility_q("nursing_allowance", dt.date(YEAR, 6, 1)), pk=person.pk
    ).exists()
    response = client.post(form_url(person), {**ANSWERS, "action": "submit"})
    assert response.status_code == 302
    survey = NeedsSurvey.objects.get(person=person)
    assert survey.device_need == ""
    assert survey.long_term_care_need is True
    assert not SurveyDraft.objects.exists()
    eligible = Person.objects.filter(pk=person.pk)
    assert not eligible.filter(eligibility_q("nursing_allowance", dt.date(YEAR, 5, 9))).exists()
    assert eligible.filter(eligibility_q("nursing_allowance", dt.date(YEAR, 5, 10))).exists()
    # a second submission of the year: refused, the first one stays
    response = client.post(
        form_url(person), {**ANSWERS, "long_term_care_need": "no", "action": "submit"}
    )
    assert response.status_code == 400
    assert NeedsSurvey.objects.get().long_term_care_need is True


def test_submit_without_confirmation_is_refused(survey_round, village_worker) -> None:
    person = certified()
    data = {k: v for k, v in ANSWERS.items() if k != "person_confirmed"}
    response = client_for(village_worker).post(form_url(person), {**data, "action": "submit"})
    assert response.status_code == 400
    assert "确认" in response.content.decode()
    assert not NeedsSurvey.objects.exists()


@pytest.mark.parametrize("income", ["-5", "20000000", "abc"])
def test_bad_income_is_refused_on_the_form(survey_round, village_worker, income) -> None:
    person = certified()
    response = client_for(village_worker).post(
        form_url(person), {**ANSWERS, "income_per_capita": income, "action": "submit"}
    )
    assert response.status_code == 400
    assert 'id="id_income_per_capita_error"' in response.content.decode()
    assert not NeedsSurvey.objects.exists()
    assert not SurveyDraft.objects.exists()


def test_worker_cannot_open_or_post_the_form_of_another_village(
    survey_round, village_worker
) -> None:
    neighbour = certified("150402001002")
    client = client_for(village_worker)
    assert client.get(form_url(neighbour)).status_code == 404
    assert client.post(form_url(neighbour), {**ANSWERS, "action": "submit"}).status_code == 404
    assert client.post(form_url(neighbour), {**ANSWERS, "action": "draft"}).status_code == 404
    response = client.post(
        form_url(neighbour, "registry:survey_no_contact"),
        {"reason": "moved", "contact_date": "2025-06-01"},
    )
    assert response.status_code == 404
    assert not NeedsSurvey.objects.exists()
    assert not SurveyDraft.objects.exists()
    assert not SurveyNoContact.objects.exists()


def test_no_contact_recorded_from_the_form(survey_round, village_worker) -> None:
    person = certified()
    client = client_for(village_worker)
    url = form_url(person, "registry:survey_no_contact")
    response = client.post(url, {"reason": "", "contact_date": "2025-06-01"})
    assert response.status_code == 400
    response = client.post(url, {"reason": "died", "contact_date": "2025-06-01"})
    assert response.status_code == 302
    assert SurveyNoContact.objects.get(person=person).reason == "died"
    listing = client.get(response["Location"]).content.decode()
    assert "未能调查" in listing


def test_village_list_shows_who_is_done_and_who_is_left(survey_round, village_worker) -> None:
    done, left = certified(), certified()
    client = client_for(village_worker)
    client.post(form_url(done), {**ANSWERS, "action": "submit"})
    page = client.get(reverse("registry:survey"))
    assert page.status_code == 200
    text = page.content.decode()
    assert done.name in text
    assert left.id_number_masked in text
    assert "应调查 2 人，已完成 1 人（50.0%），未完成 1 人" in text


def test_progress_by_county_and_township_in_constant_queries(survey_round, city_admin) -> None:
    client = client_for(city_admin)
    certified("150402001001")
    certified("150404002001")
    url = reverse("registry:survey") + f"?year={YEAR}"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    assert page.status_code == 200
    for village in ("150402001001", "150402001002", "150404002001", "150404002002"):
        for _ in range(3):
            certified(village)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(many) == len(few)
    text = page.content.decode()
    assert "应调查 14 人" in text
    # a county's page groups by township; a township's by village
    county = client.get(url + "&region=150402").content.decode()
    assert "测试街道一" in county
    township = client.get(url + "&region=150402001")
    assert "测试社区二" in township.content.decode()
    # a region outside the scope is refused like a missing one
    officer = client_for(make_user("county_officer", "150402"))
    assert officer.get(url + "&region=150404").status_code == 404


def test_city_opens_a_round_from_the_page(city_admin, county_officer) -> None:
    client = client_for(city_admin)
    page = client.get(reverse("registry:survey"))
    assert "开启调查轮次" in page.content.decode()
    response = client.post(
        reverse("registry:survey_round_new"), {"year": "2025", "reference_date": "2024-01-01"}
    )
    assert response.status_code == 400
    assert not SurveyRound.objects.exists()
    response = client.post(
        reverse("registry:survey_round_new"), {"year": "2025", "reference_date": "2025-01-01"}
    )
    assert response.status_code == 302
    assert SurveyRound.objects.get().reference_date == dt.date(2025, 1, 1)
    refused = client_for(county_officer).post(
        reverse("registry:survey_round_new"), {"year": "2026", "reference_date": "2026-01-01"}
    )
    assert refused.status_code == 400
    assert SurveyRound.objects.count() == 1


def test_person_page_shows_the_survey_in_force(survey_round, village_worker, city_admin) -> None:
    person = certified()
    client = client_for(village_worker)
    client.post(form_url(person), {**ANSWERS, "action": "submit"})
    assert "2025-05-10" in survey_section(client, person)
    # a survey dated after today is not in force yet (recorded by a roster, say): the
    # timeline lists it, the survey section does not
    NeedsSurvey.objects.filter(person=person).update(survey_date=dt.date(2025, 12, 1))
    assert "2025-12-01" not in survey_section(client, person)


def survey_section(client: Client, person: Person) -> str:
    page = client.get(reverse("registry:person", kwargs={"person_id": person.pk}))
    text = page.content.decode()
    start = text.index('id="survey-h"')
    return text[start : text.index("</section>", start)]
