"""Builders for people with the facts the benefit rules read (through the registry services
where they exist, plainly otherwise)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dpf.benefits.models import BenefitItem
from dpf.registry import services as registry
from dpf.registry.models import NeedsSurvey, OutsidePayment, Person
from dpf.registry.person_facts import person_status_set
from dpf.registry.services import mark_facts_changed
from tests.factories import make_person

AS_OF = dt.date(2025, 6, 30)


def benefit(code: str) -> BenefitItem:
    return BenefitItem.objects.get(code=code)


def person_with(
    *,
    village: str = "150402001001",
    birth: dt.date = dt.date(1980, 5, 17),
    level: int | None = 1,
    category: int = 4,
    cert_from: dt.date = dt.date(2020, 1, 1),
    cert_to: dt.date | None = None,
    household: str | None = "dibao",
    person_status: str | None = None,
    long_term_care: bool = False,
    receiving: tuple[str, ...] = (),
    died: dt.date | None = None,
    survey: dict[str, Any] | None = None,
) -> Person:
    """A person with a certificate, a household status, a survey and outside payments."""
    person = make_person(village_code=village, birth=birth)
    if level is not None:
        registry.certificate_issue(
            actor=None,
            person=person,
            category=category,
            level=level,
            issue_date=cert_from,
            expires_on=cert_to,
            today=dt.date(2026, 12, 31),
        )
    if household:
        assert person.household is not None
        registry.household_status_set(
            actor=None, household=person.household, status=household, valid_from=cert_from
        )
    if person_status:
        person_status_set(actor=None, person=person, status=person_status, valid_from=cert_from)
    answers = dict(survey or {})
    if long_term_care or answers:
        NeedsSurvey.objects.create(
            person=person,
            year=AS_OF.year,
            survey_date=dt.date(AS_OF.year, 1, 15),
            long_term_care_need=long_term_care,
            **answers,
        )
    for kind in receiving:
        OutsidePayment.objects.create(person=person, kind=kind, valid_from=cert_from)
    if died is not None:
        Person.objects.filter(pk=person.pk).update(death_date=died)
        person.refresh_from_db()
    return person


def touch(*persons: Person) -> None:
    """Mark facts changed now (as the registry services do)."""
    mark_facts_changed([p.pk for p in persons])


@pytest.fixture
def low_income() -> dict[str, Any]:
    return {"income_per_capita": Decimal("5000.00")}
