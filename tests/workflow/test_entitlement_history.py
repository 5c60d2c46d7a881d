"""An entitlement's past never changes: indicators, ``receiving`` and payment lists computed
for a past date give the same answer after later suspensions and terminations (issue 15
part 4)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from dpf.benefits import services as benefit_services
from dpf.benefits.models import Entitlement, EntitlementStatus
from dpf.benefits.receiving import receiving_held, receiving_python, receiving_sql
from dpf.core.errors import ValidationFailed
from dpf.indicators import compute
from dpf.indicators.models import Plan
from dpf.registry.models import Person
from dpf.workflow import selectors, services
from dpf.workflow.models import PaymentLine
from dpf.workflow.services.payments import payable_entitlements
from tests.benefits.conftest import person_with
from tests.workflow.conftest import at, benefit

pytestmark = pytest.mark.django_db

LIVING = "living_allowance"
PAST = dt.date(2024, 6, 30)
START = dt.date(2024, 1, 1)


def _enrolled(n: int, village: str = "150402001001") -> list[Entitlement]:
    out = []
    for _ in range(n):
        person = person_with(level=1, household="dibao", village=village)
        out.append(
            benefit_services.entitlement_create(
                actor=None, person=person, benefit=benefit(LIVING), valid_from=START
            )
        )
    return out


def _figures(as_of: dt.date) -> dict[tuple[str, str], tuple]:
    plan = Plan.objects.get(code="P14")
    return {
        (r.indicator.code, r.region_code): (r.numerator, r.denominator, r.value)
        for r in compute.compute(plan, as_of)
    }


def _receiving_ids(as_of: dt.date) -> set[int]:
    return set(Person.objects.filter(receiving_sql(LIVING, as_of)).values_list("pk", flat=True))


def test_figures_for_a_past_date_survive_later_terminations_and_suspensions(
    county_officer, regions
):
    ents = _enrolled(4)
    before = _figures(PAST)
    assert before[("I04", "150400")][0] == 4  # four receive the living allowance on that day
    receiving_before = _receiving_ids(PAST)
    assert receiving_before == {e.person_id for e in ents}

    # From 2026: one dies, one moves away, one is suspended (and later resumed).
    services.terminate(
        actor=county_officer,
        entitlement_id=ents[0].pk,
        on=dt.date(2026, 1, 1),
        reason_code="death",
        now=at(dt.date(2026, 1, 5)),
    )
    services.terminate(
        actor=county_officer,
        entitlement_id=ents[1].pk,
        on=dt.date(2026, 3, 1),
        reason_code="moved_away",
        now=at(dt.date(2026, 3, 2)),
    )
    services.suspend(
        actor=county_officer,
        entitlement_id=ents[2].pk,
        on=dt.date(2026, 2, 1),
        reason_code="certificate_expired",
        now=at(dt.date(2026, 2, 3)),
    )

    assert _figures(PAST) == before
    assert _receiving_ids(PAST) == receiving_before
    for ent in ents:
        assert receiving_python(ent.person_id, LIVING, PAST)
        assert receiving_held(ent.person_id, PAST) == {LIVING}
    # ... and the later dates read the later status.
    assert _receiving_ids(dt.date(2026, 6, 30)) == {ents[3].person_id}
    assert _figures(dt.date(2026, 6, 30))[("I04", "150400")][0] == 1


def test_the_status_in_force_on_a_date(county_officer, regions):
    (ent,) = _enrolled(1)
    services.suspend(
        actor=county_officer,
        entitlement_id=ent.pk,
        on=dt.date(2026, 2, 1),
        reason_code="certificate_expired",
        now=at(dt.date(2026, 2, 3)),
    )
    ent.refresh_from_db()
    assert ent.status_on(dt.date(2023, 12, 31)) is None
    assert ent.status_on(PAST) == EntitlementStatus.ACTIVE
    assert ent.status_on(dt.date(2026, 1, 31)) == EntitlementStatus.ACTIVE
    assert ent.status_on(dt.date(2026, 2, 1)) == EntitlementStatus.SUSPENDED
    assert selectors.status_on(county_officer, ent.person_id, ent.benefit_id, PAST) == "active"
    resumed = services.resume(
        actor=county_officer,
        entitlement_id=ent.pk,
        on=dt.date(2026, 4, 1),
        reason="证件已换发 / certificate renewed",
        now=at(dt.date(2026, 4, 1)),
    )
    assert _receiving_ids(dt.date(2026, 3, 1)) == set()
    assert _receiving_ids(dt.date(2026, 4, 1)) == {ent.person_id}
    assert _receiving_ids(PAST) == {ent.person_id}
    assert resumed.status_on(dt.date(2026, 4, 1)) == EntitlementStatus.ACTIVE


def test_a_past_months_payment_list_is_the_same_after_later_terminations(county_officer, regions):
    ents = _enrolled(3)
    month = dt.date(2024, 6, 1)
    payable_before = set(
        payable_entitlements(benefit(LIVING), "150402", month).values_list("pk", flat=True)
    )
    assert payable_before == {e.pk for e in ents}
    services.terminate(
        actor=county_officer,
        entitlement_id=ents[0].pk,
        on=dt.date(2026, 1, 1),
        reason_code="death",
        now=at(dt.date(2026, 1, 5)),
    )
    services.suspend(
        actor=county_officer,
        entitlement_id=ents[1].pk,
        on=dt.date(2026, 2, 1),
        reason_code="certificate_expired",
        now=at(dt.date(2026, 2, 3)),
    )
    payable_after = set(
        payable_entitlements(benefit(LIVING), "150402", month).values_list("pk", flat=True)
    )
    assert payable_after == payable_before
    plist = services.payment_list_generate(
        actor=county_officer,
        county_code="150402",
        benefit=benefit(LIVING),
        month=month,
        today=dt.date(2026, 3, 1),
        now=at(dt.date(2026, 3, 1)),
    )
    paid = set(PaymentLine.objects.filter(payment_list=plist).values_list("person_id", flat=True))
    assert paid == {e.person_id for e in ents}


def test_an_ended_entitlement_always_has_its_last_day(regions):
    """The database refuses a suspended or terminated period without an end (it would read
    as in force for ever), and a second period overlapping the first."""
    (ent,) = _enrolled(1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Entitlement.objects.filter(pk=ent.pk).update(status=EntitlementStatus.TERMINATED)
    Entitlement.objects.filter(pk=ent.pk).update(
        status=EntitlementStatus.TERMINATED, valid_to=dt.date(2024, 12, 31)
    )
    with pytest.raises(ValidationFailed) as info:
        benefit_services.entitlement_create(
            actor=None,
            person=ent.person,
            benefit=ent.benefit,
            valid_from=dt.date(2024, 12, 1),
        )
    assert info.value.code == "entitlement_overlap"
