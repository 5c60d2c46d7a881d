"""The needs survey roster (the national survey system's export): template, preview and
commit like the other rosters; a committed row is the person's survey of its year, in force
from its date (nursing allowance eligibility follows); bad rows refused, nothing written."""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from dpf.benefits.eligibility import eligibility_q
from dpf.core.errors import ValidationFailed
from dpf.exchange import services
from dpf.exchange.rostertypes import NEEDS_SURVEY
from dpf.registry.models import NeedsSurvey, Person, SurveyNoContact
from dpf.registry.surveys import survey_no_contact, survey_round_open, survey_submit
from tests.exchange.conftest import errors_of, outcomes, stage, xlsx_bytes
from tests.factories import make_person
from tests.registry.test_surveys import certified, full

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2025, 11, 20, 10, 0, tzinfo=zoneinfo.ZoneInfo("Asia/Shanghai"))
HEADERS = [c.header for c in NEEDS_SURVEY.columns]


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def row(person: Person, **changes: Any) -> list[Any]:
    values = {
        "id_number": person.id_number,
        "name": person.name,
        **NEEDS_SURVEY.example_values,
        **changes,
    }
    return [values[c.key] for c in NEEDS_SURVEY.columns]


def nursing(person: Person, on: dt.date) -> bool:
    return Person.objects.filter(eligibility_q("nursing_allowance", on), pk=person.pk).exists()


def test_template_download_has_the_survey_columns(county_officer) -> None:
    client = Client()
    client.force_login(county_officer)
    response = client.get(reverse("exchange:template", kwargs={"code": "needs_survey"}))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    headers = [str(c.value or "") for c in next(sheet.iter_rows(max_row=1))]
    for header in ("身份证号码", "调查年度", "调查日期", "长期照护需求", "家庭人均年收入"):
        assert any(h.startswith(header) for h in headers), headers


def test_survey_roster_preview_then_commit_changes_eligibility_as_of_the_date(
    county_officer,
) -> None:
    person = certified()
    batch = stage(county_officer, "needs_survey", xlsx_bytes([HEADERS, row(person)]))
    assert outcomes(batch) == {2: "will_change"}
    assert not NeedsSurvey.objects.exists()  # a preview writes nothing
    assert not nursing(person, dt.date(2025, 6, 1))
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    survey = NeedsSurvey.objects.get(person=person)
    assert survey.year == 2025
    assert survey.survey_date == dt.date(2025, 5, 10)
    assert survey.source == f"roster:{batch.pk}"
    assert survey.person_confirmed
    assert survey.device_need == "wheelchair"
    assert survey.income_per_capita == 6200
    assert not nursing(person, dt.date(2025, 5, 9))
    assert nursing(person, dt.date(2025, 5, 10))


def test_the_same_survey_again_is_up_to_date_a_different_one_refused(
    county_officer, city_admin, village_worker
) -> None:
    same, other = certified(), certified()
    survey_round_open(actor=city_admin, year=2025, reference_date=dt.date(2025, 1, 1))
    for person, answers in ((same, full()), (other, full(long_term_care_need=False))):
        survey_submit(
            actor=village_worker, person_id=person.pk, year=2025, answers=answers,
            person_confirmed=True, today=dt.date(2025, 11, 20),
        )  # fmt: skip
    # the form's answers equal the example row's except for the device and the method
    content = xlsx_bytes(
        [
            HEADERS,
            row(same, rehab_need="是", device_need="轮椅", method="入户"),
            row(other),
        ]
    )
    batch = stage(county_officer, "needs_survey", content)
    assert outcomes(batch) == {2: "up_to_date", 3: "invalid"}
    assert [e["code"] for e in errors_of(batch, 3)] == ["survey_exists"]
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    assert NeedsSurvey.objects.get(person=other).long_term_care_need is False
    assert NeedsSurvey.objects.count() == 2


def test_bad_rows_are_refused_by_column_and_nothing_is_written(county_officer) -> None:
    good = certified()
    uncertified = make_person()
    people = [certified() for _ in range(6)]
    content = xlsx_bytes(
        [
            HEADERS,
            row(good),
            row(uncertified),
            row(people[0], income_per_capita="-5"),
            row(people[1], income_per_capita="99999999"),
            row(people[2], long_term_care_need="也许"),
            row(people[3], survey_date="2024-12-31"),
            row(people[4], survey_date="2025-12-01"),
            row(people[5], income_per_capita="١٢٣"),  # Arabic-Indic digits
        ]
    )
    batch = stage(county_officer, "needs_survey", content)
    assert outcomes(batch) == {2: "will_change", **{n: "invalid" for n in range(3, 10)}}
    codes = {n: [e["code"] for e in errors_of(batch, n)] for n in range(3, 10)}
    assert codes == {
        3: ["survey_no_certificate"],
        4: ["number_range"],
        5: ["number_range"],
        6: ["choice"],
        7: ["survey_year"],
        8: ["future_date"],
        9: ["number_format"],
    }
    for n in range(3, 9):
        error = errors_of(batch, n)[0]
        assert error["message"]
        assert error["message_en"]
        assert error["column"]
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    assert list(NeedsSurvey.objects.values_list("person_id", flat=True)) == [good.pk]


def test_a_survey_recorded_after_the_preview_makes_the_commit_stale(
    county_officer, city_admin, village_worker
) -> None:
    person = certified()
    survey_round_open(actor=city_admin, year=2025, reference_date=dt.date(2025, 1, 1))
    batch = stage(county_officer, "needs_survey", xlsx_bytes([HEADERS, row(person)]))
    survey_submit(
        actor=village_worker, person_id=person.pk, year=2025,
        answers=full(long_term_care_need=False), person_confirmed=True,
        today=dt.date(2025, 11, 20),
    )  # fmt: skip
    with pytest.raises(ValidationFailed) as info:
        services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    assert info.value.code == "stale_preview"
    assert NeedsSurvey.objects.get().long_term_care_need is False


def test_a_committed_survey_replaces_the_years_no_contact(
    county_officer, city_admin, village_worker
) -> None:
    person = certified()
    survey_round_open(actor=city_admin, year=2025, reference_date=dt.date(2025, 1, 1))
    survey_no_contact(
        actor=village_worker, person_id=person.pk, year=2025, reason="not_found",
        contact_date=dt.date(2025, 3, 1), today=dt.date(2025, 11, 20),
    )  # fmt: skip
    batch = stage(county_officer, "needs_survey", xlsx_bytes([HEADERS, row(person)]))
    services.batch_commit(actor=county_officer, batch=batch, rescan=False)
    assert NeedsSurvey.objects.filter(person=person).exists()
    assert not SurveyNoContact.objects.exists()
