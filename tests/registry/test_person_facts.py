"""A person's own facts decided by other departments: outside payments and the 特困 status
(issue 15 parts 2 and 3). Overlaps and bad input refused with nothing written; a 特困
person does not take a household member's allowances away."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dpf.benefits.eligibility import eligibility_q
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import AuditEntry
from dpf.registry import services
from dpf.registry.models import OutsidePayment, Person, PersonStatus
from dpf.registry.person_facts import outside_payment_record, person_status_set
from dpf.rules import facts_for_person
from tests.factories import make_person, make_user

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 6, 30)
SINCE = dt.date(2024, 1, 1)


def _certified(household=None, level: int = 1) -> Person:
    person = make_person(village_code="150402001001", household=household)
    services.certificate_issue(
        actor=None, person=person, category=4, level=level, issue_date=SINCE,
        today=dt.date(2026, 12, 31),
    )  # fmt: skip
    from dpf.registry.models import NeedsSurvey

    NeedsSurvey.objects.create(
        person=person, year=2025, survey_date=dt.date(2025, 1, 15), long_term_care_need=True
    )
    return person


def _eligible(code: str) -> set[int]:
    return set(Person.objects.filter(eligibility_q(code, AS_OF)).values_list("pk", flat=True))


def test_a_tekun_person_keeps_the_household_members_allowances(regions) -> None:
    """Before: 特困 was the household's status, so one member's 特困 took both allowances
    from every disabled member. Now it is the person's: only they lose them."""
    officer = make_user("county_officer", "150402")
    first = _certified()
    household = first.household
    assert household is not None
    member = _certified(household=household)
    services.household_status_set(
        actor=officer,
        household=household,
        status="dibao",
        valid_from=SINCE,
    )
    person_status_set(actor=officer, person=first, status="tekun", valid_from=SINCE)

    for code in ("living_allowance", "nursing_allowance"):
        eligible = _eligible(code)
        assert member.pk in eligible, code
        assert first.pk not in eligible, code
    assert facts_for_person(member, AS_OF).in_destitute_care is False
    assert facts_for_person(first, AS_OF).in_destitute_care is True
    assert facts_for_person(first, dt.date(2023, 12, 31)).in_destitute_care is False


def test_person_status_overlap_refused_and_open_status_closed(regions) -> None:
    person = _certified()
    person_status_set(actor=None, person=person, status="tekun", valid_from=SINCE,
                      valid_to=dt.date(2024, 12, 31))  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        person_status_set(actor=None, person=person, status="tekun", valid_from=dt.date(2024, 6, 1))
    assert caught.value.code == "person_status_overlap"
    assert caught.value.field == "valid_from"
    assert PersonStatus.objects.filter(person=person).count() == 1


def test_outside_payment_recorded_and_audited(regions) -> None:
    officer = make_user("county_officer", "150402")
    person = _certified()
    row = outside_payment_record(
        actor=officer, person=person, kind="work_injury_care", valid_from=SINCE,
        monthly_amount="1200.50",
    )  # fmt: skip
    assert row.monthly_amount == Decimal("1200.50")
    assert AuditEntry.objects.filter(object_type="outside_payment", object_id=str(row.pk)).exists()
    assert "work_injury_care" in facts_for_person(person, AS_OF).receiving


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"valid_from": dt.date(2024, 6, 1)}, "outside_payment_overlap", "valid_from"),
        (
            {"valid_from": dt.date(2023, 1, 1), "valid_to": dt.date(2024, 1, 1)},
            "outside_payment_overlap",
            "valid_from",
        ),
        (
            {"valid_from": dt.date(2026, 1, 1), "valid_to": dt.date(2025, 1, 1)},
            "date_range",
            "valid_to",
        ),
        ({"valid_from": dt.date(2026, 1, 1), "kind": "pension"}, "kind", "kind"),
        (
            {"valid_from": dt.date(2026, 1, 1), "monthly_amount": "-5"},
            "monthly_amount",
            "monthly_amount",
        ),
        (
            {"valid_from": dt.date(2026, 1, 1), "monthly_amount": "9999999"},
            "monthly_amount",
            "monthly_amount",
        ),
        (
            {"valid_from": dt.date(2026, 1, 1), "monthly_amount": "abc"},
            "monthly_amount",
            "monthly_amount",
        ),
    ],
)
def test_bad_outside_payments_refused_nothing_written(regions, kwargs, code, field) -> None:
    person = _certified()
    outside_payment_record(actor=None, person=person, kind="orphan_support", valid_from=SINCE)
    before = (OutsidePayment.objects.count(), AuditEntry.objects.count())
    arguments = {"kind": "orphan_support", **kwargs}
    with pytest.raises(ValidationFailed) as caught:
        outside_payment_record(actor=None, person=person, **arguments)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert caught.value.message_zh
    assert caught.value.message_en
    assert (OutsidePayment.objects.count(), AuditEntry.objects.count()) == before


def test_a_payment_of_another_kind_may_overlap(regions) -> None:
    person = _certified()
    outside_payment_record(actor=None, person=person, kind="orphan_support", valid_from=SINCE)
    outside_payment_record(actor=None, person=person, kind="veteran_care", valid_from=SINCE)
    assert OutsidePayment.objects.filter(person=person).count() == 2


def test_outside_the_officers_county_reads_as_not_found(regions) -> None:
    person = _certified()
    other = make_user("county_officer", "150404")
    with pytest.raises(NotFound):
        outside_payment_record(actor=other, person=person, kind="orphan_support", valid_from=SINCE)
    with pytest.raises(NotFound):
        person_status_set(actor=other, person=person, status="tekun", valid_from=SINCE)
    assert not OutsidePayment.objects.exists()
    assert not PersonStatus.objects.exists()


def test_an_outside_payment_excludes_the_allowances_the_rules_say(regions) -> None:
    """Work-injury care pay excludes both allowances; orphan support only the living one."""
    household_person = _certified()
    assert household_person.household is not None
    services.household_status_set(
        actor=None,
        household=household_person.household,
        status="dibao",
        valid_from=SINCE,
    )
    assert household_person.pk in _eligible("living_allowance")
    assert household_person.pk in _eligible("nursing_allowance")
    outside_payment_record(
        actor=None, person=household_person, kind="orphan_support", valid_from=SINCE
    )
    assert household_person.pk not in _eligible("living_allowance")
    assert household_person.pk in _eligible("nursing_allowance")
    outside_payment_record(
        actor=None, person=household_person, kind="work_injury_care", valid_from=SINCE
    )
    assert household_person.pk not in _eligible("nursing_allowance")
