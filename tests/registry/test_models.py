"""Registry models: the needs survey's fields and the constraints the database keeps."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from dpf.registry.models import NeedsSurvey
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db


def test_needs_survey_records_every_item_of_issue_2(regions) -> None:
    """精准服务表: rehabilitation, device (which kind), home renovation, care (托养),
    long-term care, employment status and wish, school status, per-capita income, date,
    surveyor."""
    person = make_person()
    surveyor = make_user("village_worker", "150402001001")
    NeedsSurvey.objects.create(
        person=person,
        year=2024,
        survey_date=dt.date(2024, 5, 6),
        method="phone",
        surveyor=surveyor,
        surveyor_name="王调查",
        rehab_need=True,
        device_need="hearing_aid",
        home_renovation_need=True,
        care_need=True,
        long_term_care_need=True,
        employment_status="unemployed",
        employment_wish=True,
        school_status="na",
        income_per_capita=Decimal("4800.50"),
    )
    row = NeedsSurvey.objects.get(person=person, year=2024)
    assert (row.survey_date, row.surveyor_id, row.surveyor_name) == (
        dt.date(2024, 5, 6),
        surveyor.pk,
        "王调查",
    )
    assert row.rehab_need
    assert row.home_renovation_need
    assert row.care_need
    assert row.long_term_care_need
    assert row.employment_wish
    assert (row.device_need, row.employment_status, row.school_status) == (
        "hearing_aid",
        "unemployed",
        "na",
    )
    assert row.get_device_need_display() == "助听器"
    assert row.income_per_capita == Decimal("4800.50")


def test_one_survey_per_person_and_year(regions) -> None:
    person = make_person()
    NeedsSurvey.objects.create(person=person, year=2023, survey_date=dt.date(2023, 3, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        NeedsSurvey.objects.create(person=person, year=2023, survey_date=dt.date(2023, 9, 1))
    NeedsSurvey.objects.create(person=person, year=2024, survey_date=dt.date(2024, 3, 1))
    assert NeedsSurvey.objects.filter(person=person).count() == 2


def test_negative_income_is_refused_by_the_database(regions) -> None:
    person = make_person()
    with pytest.raises(IntegrityError), transaction.atomic():
        NeedsSurvey.objects.create(
            person=person,
            year=2023,
            survey_date=dt.date(2023, 3, 1),
            income_per_capita=Decimal("-1"),
        )
    assert not NeedsSurvey.objects.exists()
