"""A small world of rehabilitation: two institutions with one staff user each, a county
officer, and persons with and without a rehabilitation need found by the survey."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from dpf.accounts.models import User
from dpf.registry import services as registry
from dpf.registry.models import NeedsSurvey, Person
from dpf.services import services
from dpf.services.models import Institution
from tests.factories import make_person, make_user

ISSUED = dt.date(2021, 6, 1)
SURVEYED = dt.date(2025, 2, 1)


def certified_person(*, name: str, village: str = "150402001001", rehab_need: bool) -> Person:
    person = make_person(name=name, village_code=village)
    registry.certificate_issue(actor=None, person=person, category=4, level=2, issue_date=ISSUED)
    # The survey's own form is being built (issue 12); its record is what the rule reads.
    NeedsSurvey.objects.create(
        person=person, year=SURVEYED.year, survey_date=SURVEYED, rehab_need=rehab_need
    )
    return person


@dataclass
class Rehab:
    officer: User
    ours: Institution
    theirs: Institution
    our_staff: User
    their_staff: User
    needy: Person
    also_needy: Person
    no_need: Person
    elsewhere: Person


@pytest.fixture
def rehab(regions: None) -> Rehab:
    ours = services.institution_register(
        actor=None,
        code="REHAB-A",
        name="红山区康复中心",
        kind="rehabilitation",
        township_code="150402001",
        capacity=80,
        designated_from=dt.date(2022, 1, 1),
    )
    theirs = services.institution_register(
        actor=None,
        code="REHAB-B",
        name="松山区康复中心",
        kind="rehabilitation",
        township_code="150404002",
        capacity=60,
        designated_from=dt.date(2023, 1, 1),
        designated_to=dt.date(2024, 12, 31),
    )
    return Rehab(
        officer=make_user("county_officer", "150402"),
        ours=ours,
        theirs=theirs,
        our_staff=make_user("institution_staff", None, institution_code="REHAB-A"),
        their_staff=make_user("institution_staff", None, institution_code="REHAB-B"),
        needy=certified_person(name="王康复", rehab_need=True),
        also_needy=certified_person(name="李等待", rehab_need=True),
        no_need=certified_person(name="赵无需", rehab_need=False),
        elsewhere=certified_person(name="钱外县", village="150404002001", rehab_need=True),
    )


def open_plan(rehab: Rehab, person: Person | None = None, institution: Institution | None = None):
    return services.rehab_plan_create(
        actor=rehab.officer,
        person_id=(person or rehab.needy).pk,
        institution_id=(institution or rehab.ours).pk,
        kind="training",
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 12, 31),
        planned_sessions=12,
    )
