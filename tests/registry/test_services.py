"""Registry services: registration, certificates, effective-dated facts, refusals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import InvalidIdNumber
from dpf.registry import services
from dpf.registry.models import Certificate, HouseholdStatus, Person
from tests.factories import make_person, new_id_number

pytestmark = pytest.mark.django_db


def test_register_derives_sex_birth_and_encrypts(village_worker) -> None:
    number = new_id_number("150402", dt.date(1975, 3, 9), "F")
    person = make_person(actor=village_worker, name="李秀英", id_number=number, sex="F")
    assert person.sex == "F"
    assert person.birth_date == dt.date(1975, 3, 9)
    assert person.name_initials == "lxy"
    assert person.household is not None
    assert person.household.head_id == person.pk
    with connection.cursor() as cur:
        cur.execute("SELECT id_number FROM registry_person WHERE id = %s", [person.pk])
        stored = cur.fetchone()[0]
    assert number not in stored
    assert Person.objects.get(pk=person.pk).id_number == number


def test_same_id_number_twice_is_refused(village_worker) -> None:
    number = new_id_number()
    make_person(actor=village_worker, id_number=number)
    with pytest.raises(ValidationFailed) as info:
        make_person(actor=village_worker, id_number=number.lower(), name="别人")
    assert info.value.code == "duplicate_person"
    assert Person.objects.count() == 1


def test_bad_id_number_writes_nothing(village_worker) -> None:
    with pytest.raises(InvalidIdNumber):
        make_person(actor=village_worker, id_number="150402198005171231")
    assert Person.objects.count() == 0


def test_village_outside_scope_is_refused(village_worker) -> None:
    with pytest.raises(ValidationFailed) as info:
        make_person(actor=village_worker, village_code="150404002001")
    assert info.value.code == "village_unknown"
    assert Person.objects.count() == 0


def test_certificate_number_must_embed_the_persons_id(village_worker) -> None:
    person = make_person(actor=village_worker)
    other = new_id_number()
    with pytest.raises(ValidationFailed) as info:
        services.certificate_issue(
            actor=village_worker, person=person, number=other + "41", issue_date=dt.date(2020, 1, 1)
        )
    assert info.value.code == "id_mismatch"
    assert not Certificate.objects.exists()


def test_overlapping_certificate_is_refused(village_worker) -> None:
    person = make_person(actor=village_worker)
    services.certificate_issue(
        actor=village_worker, person=person, category=4, level=2, issue_date=dt.date(2018, 6, 1)
    )
    with pytest.raises(ValidationFailed) as info:
        services.certificate_issue(
            actor=village_worker, person=person, category=1, level=1, issue_date=dt.date(2020, 1, 1)
        )
    assert info.value.code == "certificate_overlap"
    assert Certificate.objects.count() == 1


def test_regrade_keeps_history(village_worker) -> None:
    person = make_person(actor=village_worker)
    first = services.certificate_issue(
        actor=village_worker, person=person, category=4, level=3, issue_date=dt.date(2015, 4, 1)
    )
    second = services.certificate_regrade(
        actor=village_worker, certificate=first, category=4, level=1, on=dt.date(2021, 7, 1)
    )
    first.refresh_from_db()
    assert first.status == "replaced"
    assert first.valid_to == dt.date(2021, 6, 30)
    assert second.replaces_id == first.pk
    assert second.number.endswith("41")


def test_household_status_closes_previous(village_worker) -> None:
    person = make_person(actor=village_worker)
    household = person.household
    assert household is not None
    services.household_status_set(
        actor=village_worker, household=household, status="none", valid_from=dt.date(2019, 1, 1)
    )
    services.household_status_set(
        actor=village_worker, household=household, status="dibao", valid_from=dt.date(2022, 3, 1)
    )
    rows = list(HouseholdStatus.objects.filter(household=household).order_by("valid_from"))
    assert [(r.status, r.valid_to) for r in rows] == [
        ("none", dt.date(2022, 2, 28)),
        ("dibao", None),
    ]


def test_inverted_dates_refused(village_worker) -> None:
    person = make_person(actor=village_worker)
    assert person.household is not None
    with pytest.raises(ValidationFailed) as info:
        services.household_status_set(
            actor=village_worker,
            household=person.household,
            status="dibao",
            valid_from=dt.date(2022, 3, 1),
            valid_to=dt.date(2021, 3, 1),
        )
    assert info.value.code == "date_range"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraint is PostgreSQL")
def test_database_refuses_overlap_even_past_the_service(village_worker) -> None:
    person = make_person(actor=village_worker)
    base = {
        "person": person,
        "number": "x",
        "number_hash": "h",
        "category": 4,
        "level": 2,
        "issue_date": dt.date(2020, 1, 1),
        "expires_on": dt.date(2029, 12, 31),
        "issuing_county": "150402",
    }
    Certificate.objects.create(
        valid_from=dt.date(2020, 1, 1), valid_to=dt.date(2029, 12, 31), **base
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Certificate.objects.create(
            valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2034, 12, 31), **base
        )


def test_certificate_bounds_are_inclusive(village_worker) -> None:
    """A certificate valid to day D blocks one from D; one from D + 1 is the renewal."""
    person = make_person(actor=village_worker)
    first = services.certificate_issue(
        actor=village_worker, person=person, category=4, level=3, issue_date=dt.date(2012, 5, 1)
    )
    assert first.valid_to == dt.date(2022, 4, 30)
    with pytest.raises(ValidationFailed) as info:
        services.certificate_issue(
            actor=village_worker,
            person=person,
            category=4,
            level=3,
            issue_date=dt.date(2022, 4, 30),
            today=dt.date(2025, 1, 1),
        )
    assert info.value.code == "certificate_overlap"
    renewed = services.certificate_issue(
        actor=village_worker,
        person=person,
        category=4,
        level=3,
        issue_date=dt.date(2022, 5, 1),
        today=dt.date(2025, 1, 1),
    )
    assert renewed.valid_from == dt.date(2022, 5, 1)
    assert Certificate.objects.filter(person=person).count() == 2


def test_overlapping_household_status_is_refused(village_worker) -> None:
    household = make_person(actor=village_worker).household
    assert household is not None
    services.household_status_set(
        actor=village_worker,
        household=household,
        status="dibao",
        valid_from=dt.date(2019, 1, 1),
        valid_to=dt.date(2020, 12, 31),
    )
    with pytest.raises(ValidationFailed) as info:
        services.household_status_set(
            actor=village_worker,
            household=household,
            status="none",
            valid_from=dt.date(2020, 6, 1),
            valid_to=dt.date(2021, 6, 1),
        )
    assert info.value.code == "status_overlap"
    assert info.value.message_zh
    assert info.value.message_en
    rows = HouseholdStatus.objects.filter(household=household)
    assert list(rows.values_list("status", "valid_to")) == [("dibao", dt.date(2020, 12, 31))]


def test_move_ends_the_old_residence_and_refuses_an_overlap(county_officer) -> None:
    from dpf.core.models import AuditEntry
    from dpf.registry.models import Residence

    person = make_person(actor=county_officer, birth=dt.date(1990, 1, 1))
    services.person_move(
        actor=county_officer, person=person, village_code="150402001002", on=dt.date(2020, 5, 1)
    )
    rows = list(
        Residence.objects.filter(person=person)
        .order_by("valid_from")
        .values_list("village_code", "valid_from", "valid_to")
    )
    assert rows == [
        ("150402001001", dt.date(1990, 1, 1), dt.date(2020, 4, 30)),
        ("150402001002", dt.date(2020, 5, 1), None),
    ]
    assert AuditEntry.objects.filter(object_type="person", action="change").exists()
    before = list(Residence.objects.filter(person=person).values_list("pk", "valid_to"))
    for on in (dt.date(2020, 5, 1), dt.date(2019, 1, 1)):  # not after the current start
        with pytest.raises(ValidationFailed) as info:
            services.person_move(
                actor=county_officer, person=person, village_code="150402001001", on=on
            )
        assert info.value.code == "residence_overlap"
    assert list(Residence.objects.filter(person=person).values_list("pk", "valid_to")) == before
    person.refresh_from_db()
    assert person.village_code == "150402001002"
    with pytest.raises(ValidationFailed) as info:  # outside the officer's county
        services.person_move(
            actor=county_officer, person=person, village_code="150404002001", on=dt.date(2024, 1, 1)
        )
    assert info.value.code == "village_unknown"


def _fact_rows(person: Person, other: Person) -> dict[str, Any]:
    """For each table with an exclusion constraint: (model, fields of one row of a fact)."""
    from dpf.registry.models import (
        GuardianLink,
        InsuranceEnrolment,
        OutsidePayment,
        Residence,
        SchoolEnrolment,
    )

    household = person.household
    return {
        "certificate": (
            Certificate,
            {
                "person": person,
                "number": "x",
                "number_hash": "h",
                "category": 4,
                "level": 2,
                "issue_date": dt.date(2010, 1, 1),
                "expires_on": dt.date(2040, 1, 1),
                "issuing_county": "150402",
            },
        ),
        "residence": (
            Residence,
            {
                "person": person,
                "county_code": "150402",
                "township_code": "150402001",
                "village_code": "150402001001",
            },
        ),
        "householdstatus": (HouseholdStatus, {"household": household, "status": "dibao"}),
        "insurance": (InsuranceEnrolment, {"person": person, "kind": "medical"}),
        "outsidepayment": (OutsidePayment, {"person": person, "kind": "orphan_support"}),
        "school": (SchoolEnrolment, {"person": person, "school": "赤峰二中"}),
        "guardian": (GuardianLink, {"guardian": other, "dependant": person, "relation": "parent"}),
    }


FACT_TABLES = [
    "certificate",
    "residence",
    "householdstatus",
    "insurance",
    "outsidepayment",
    "school",
    "guardian",
]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="exclusion constraint is PostgreSQL")
@pytest.mark.parametrize("table", FACT_TABLES)
def test_every_fact_table_refuses_overlap_in_the_database(village_worker, table: str) -> None:
    """The exclusion constraints of migration 0002, past the service layer: an interval
    sharing one day with another of the same fact is refused; the next day is not."""
    person = make_person(actor=village_worker)
    other = make_person(actor=village_worker, name="王桂兰", sex="F")
    model, fields = _fact_rows(person, other)[table]
    if table == "residence":
        model.objects.filter(person=person).delete()  # the one written by registration
    first_end = dt.date(2021, 6, 30)
    model.objects.create(valid_from=dt.date(2020, 1, 1), valid_to=first_end, **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        model.objects.create(valid_from=first_end, valid_to=None, **fields)
    model.objects.create(valid_from=first_end + dt.timedelta(days=1), valid_to=None, **fields)
    keys = ("person", "household", "guardian", "dependant", "kind")  # not encrypted
    assert model.objects.filter(**{k: v for k, v in fields.items() if k in keys}).count() == 2
