"""A payment list's arrears, written set-based (one ``INSERT … SELECT``), against the
months and amounts counted person by person in Python on a random world: entitlements
begun before and inside the 24-month window, some from an approved application and some
not, amounts decided for the period, certificates ended before the list's month, county
standards that change inside the window for some levels and for any level, and months
already paid by an earlier list."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from dpf.accounts.models import User
from dpf.benefits import services as benefit_services
from dpf.benefits.models import AmountStandard, Entitlement
from dpf.benefits.standards import StandardTable
from dpf.core.dates import add_months
from dpf.core.models import EffectiveDated
from dpf.registry.models import Certificate
from dpf.workflow import services
from dpf.workflow.models import (
    ApplicantKind,
    Application,
    ApplicationItem,
    ApplicationStatus,
    Channel,
    ItemStatus,
    PaymentLine,
    PaymentList,
    PaymentMonth,
)
from dpf.workflow.services.payments import ARREARS_MAX_MONTHS
from tests.benefits.conftest import person_with
from tests.workflow.conftest import at, benefit

pytestmark = pytest.mark.django_db

LIVING = "living_allowance"
MONTH = dt.date(2025, 10, 1)
EARLIER = add_months(MONTH, -2)  # a list generated first: its months are paid
TODAY = dt.date(2025, 10, 6)
COUNTY = "150402"


def _approved(entitlement: Entitlement, clerk: User) -> None:
    """An approved application item behind the period (what makes unpaid months arrears)."""
    person = entitlement.person
    application = Application.objects.create(
        person=person,
        applicant_kind=ApplicantKind.SELF,
        channel=Channel.WINDOW,
        status=ApplicationStatus.DECIDED,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        application_date=entitlement.valid_from,
        created_by=clerk,
        created_at=at(entitlement.valid_from),
        submitted_at=at(entitlement.valid_from),
    )
    ApplicationItem.objects.create(
        application=application,
        benefit=entitlement.benefit,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        status=ItemStatus.APPROVED,
        entitlement=entitlement,
    )


def _standards() -> None:
    """County standards more specific than the shipped city-wide ones, changing inside the
    window: level 1 twice, level 3 once, any level for a while."""
    for level, first, last, amount in (
        (1, -20, -9, "611.50"),
        (1, -8, None, "633.00"),
        (3, -5, None, "402.25"),
        (None, -12, -3, "350.00"),
    ):
        AmountStandard.objects.create(
            benefit=benefit(LIVING),
            region_code=COUNTY,
            level=level,
            monthly_amount=Decimal(amount),
            valid_from=add_months(MONTH, first),
            valid_to=None if last is None else add_months(MONTH, last) - dt.timedelta(days=1),
        )


# (level, certificate ended before the list's month, months back the period starts,
# decided amount, from an approved application); None: drawn at random
Shape = tuple[int, bool, int, bool, bool]
SURE: list[Shape] = [
    (1, False, 22, False, True),  # the city's level-1 standard, then both county ones
    (2, True, 14, False, True),  # no certificate in force: the county's any-level one
    (3, False, 8, False, True),  # the county's level-3 standard from its start
    (4, False, 6, True, True),  # an amount decided for the period
    (1, False, 10, False, False),  # entered without an application: no arrears
]


def _persons(rng: random.Random, clerk: User, shapes: list[Shape | None]) -> None:
    for shape in shapes:
        if shape is None:
            level, ended, back = rng.randint(1, 4), rng.random() < 0.2, rng.randint(1, 30)
            shape = (level, ended, back, rng.random() < 0.2, rng.random() < 0.75)
        level, ended, back, fixed, approved = shape
        person = person_with(
            level=level,
            household="dibao",
            village=rng.choice(["150402001001", "150402001002"]),
            cert_to=add_months(MONTH, -rng.randint(1, 2)) if ended else None,
        )
        # An approval starts the period on the first of the month of application; a
        # period entered otherwise may start on any day (and has no arrears).
        start = add_months(MONTH, -back)
        if not approved:
            start += dt.timedelta(days=rng.randint(0, 27))
        entitlement = benefit_services.entitlement_create(
            actor=None,
            person=person,
            benefit=benefit(LIVING),
            valid_from=start,
            monthly_amount=Decimal("480.00") if fixed else None,
            amount_fixed=fixed,
        )
        if approved:
            _approved(entitlement, clerk)


def _expected(plist: PaymentList) -> dict[int, list[tuple[dt.date, Decimal]]]:
    """Each line's arrears, person by person: the months from the period's first month
    (at most 24 back) to the list's that no earlier list paid, each at the standard in
    force then for the person's level on the list's month."""
    table = StandardTable.load(plist.benefit)
    earliest = add_months(plist.month, -ARREARS_MAX_MONTHS)
    out: dict[int, list[tuple[dt.date, Decimal]]] = {}
    lines = PaymentLine.objects.filter(payment_list=plist).select_related("entitlement")
    for line in lines:
        period = line.entitlement
        if period.valid_from >= plist.month:
            continue
        if not ApplicationItem.objects.filter(entitlement=period).exists():
            continue
        certificate = (
            Certificate.objects.filter(EffectiveDated.as_of_q(plist.month), person=line.person_id)
            .order_by("-valid_from")
            .first()
        )
        level = certificate.level if certificate else None
        month = max(period.valid_from.replace(day=1), earliest)
        rows = []
        while month < plist.month:
            paid = PaymentMonth.objects.filter(
                person=line.person_id, benefit=plist.benefit, month=month
            ).exclude(line__payment_list=plist)
            if not paid.exists():
                standard = None if period.amount_fixed else table.pick(COUNTY, level, month)
                rows.append((month, standard if standard is not None else line.amount))
            month = add_months(month, 1)
        if rows:
            out[line.pk] = rows
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_arrears_equal_the_months_counted_person_by_person(county_officer, seed: int) -> None:
    rng = random.Random(seed)
    living = benefit(LIVING)
    _standards()
    # Persons paid by a list two months before: their months up to then are paid.
    _persons(rng, county_officer, [None] * 8)
    services.payment_list_generate(
        actor=county_officer, county_code=COUNTY, benefit=living, month=EARLIER, today=TODAY
    )
    # Approvals after that list, of periods that began long before: late, with arrears.
    _persons(rng, county_officer, [*SURE, *[None] * 8])
    plist = services.payment_list_generate(
        actor=county_officer, county_code=COUNTY, benefit=living, month=MONTH, today=TODAY
    )
    expected = _expected(plist)
    written: dict[int, list[tuple[dt.date, Decimal]]] = {}
    for line_id, month, amount in (
        PaymentMonth.objects.filter(line__payment_list=plist, kind=PaymentMonth.Kind.ARREARS)
        .order_by("line_id", "month")
        .values_list("line_id", "month", "amount")
    ):
        written.setdefault(line_id, []).append((month, amount))
    assert written == expected
    for line in PaymentLine.objects.filter(payment_list=plist):
        rows = expected.get(line.pk, [])
        total = sum((amount for _, amount in rows), Decimal("0.00"))
        assert (line.arrears_months, line.arrears_amount) == (len(rows), total)
        assert line.deduction_amount == 0
        assert line.net_amount == line.amount + total
    plist.refresh_from_db()
    assert plist.total_arrears == sum(
        (a for rows in expected.values() for _, a in rows), Decimal("0.00")
    )
    # The world is not trivial: every county standard and a decided amount priced some
    # month, persons of the earlier list have a month of arrears at most, and a period
    # without an application has none.
    amounts = {a for rows in expected.values() for _, a in rows}
    wanted = {"611.50", "633.00", "402.25", "350.00", "480.00"}
    assert {Decimal(a) for a in wanted} <= amounts
    assert any(len(rows) == 1 for rows in expected.values())
    assert PaymentLine.objects.filter(payment_list=plist, entitlement__application_item=None)
