"""A random registry for the agreement tests: persons with certificates, household
statuses, residences, surveys, insurance, schooling, outside payments, entitlements,
employment and medical settlements, with many facts starting or ending right at the
evaluation dates (the edges where SQL and Python could part).
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from dpf.benefits.models import BenefitItem, Entitlement
from dpf.registry.models import (
    Certificate,
    DeviceKind,
    Employment,
    EmploymentKind,
    EmploymentStatus,
    Household,
    HouseholdStatus,
    HouseholdStatusCode,
    InsuranceEnrolment,
    MedicalSettlement,
    NeedsSurvey,
    OutsidePayment,
    OutsidePaymentKind,
    Person,
    PersonStatus,
    Residence,
    SchoolEnrolment,
    SchoolStatus,
)

BASE = dt.date(2025, 12, 31)
DAY = dt.timedelta(days=1)
# The dates rules are evaluated on: the base date and its neighbours, leap days, a year back.
AS_OF_DATES = [
    BASE - DAY,
    BASE,
    BASE + DAY,
    dt.date(2024, 2, 28),
    dt.date(2024, 2, 29),
    dt.date(2025, 2, 28),
    dt.date(2025, 3, 1),
    dt.date(2023, 12, 31),
]
VILLAGES = [
    ("150402", "150402001", "150402001001"),
    ("150402", "150402001", "150402001002"),
    ("150404", "150404002", "150404002001"),
    ("150404", "150404002", "150404002002"),
]


def _years_before(date: dt.date, years: int) -> dt.date:
    try:
        return date.replace(year=date.year - years)
    except ValueError:
        return date.replace(year=date.year - years, day=28)


def _edge(rng: random.Random) -> dt.date:
    """A date at which a fact starts or ends: next to an evaluation date, or anywhere."""
    if rng.random() < 0.7:
        return rng.choice(AS_OF_DATES) + rng.choice([-DAY, dt.timedelta(0), DAY])
    return BASE - dt.timedelta(days=rng.randint(-400, 3000))


def _birth(rng: random.Random) -> dt.date:
    pick = rng.random()
    if pick < 0.35:
        years = rng.choice([0, 6, 7, 15, 16, 17, 59, 60, 61])
        return _years_before(rng.choice(AS_OF_DATES), years) + rng.choice(
            [-DAY, dt.timedelta(0), DAY]
        )
    if pick < 0.45:
        return rng.choice([dt.date(2008, 2, 29), dt.date(2016, 2, 29), dt.date(1964, 2, 29)])
    return dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 34000))


def _intervals(rng: random.Random, n: int) -> list[tuple[dt.date, dt.date | None]]:
    """``n`` consecutive, non-overlapping intervals; the last may stay open."""
    cuts = sorted({_edge(rng) for _ in range(n + 1)})
    out: list[tuple[dt.date, dt.date | None]] = []
    for start, nxt in zip(cuts, [*cuts[1:], None], strict=True):
        end = None if nxt is None else nxt - DAY
        if nxt is None and rng.random() < 0.4:
            end = start + dt.timedelta(days=rng.randint(0, 800))
        if end is not None and end < start:
            continue
        out.append((start, end))
    return out[:n]


def build(seed: int, size: int = 60) -> list[Person]:  # noqa: C901
    rng = random.Random(seed)
    households: list[Household] = []
    for _ in range(size // 2):
        county, township, village = rng.choice(VILLAGES)
        households.append(
            Household(county_code=county, township_code=township, village_code=village)
        )
    households = Household.objects.bulk_create(households)
    persons = []
    for i in range(size):
        county, township, village = rng.choice(VILLAGES)
        death = None
        if rng.random() < 0.25:
            death = _edge(rng)
        persons.append(
            Person(
                name=f"测试{i}",
                name_initials="cs",
                name_pinyin="ceshi",
                id_number=f"15040219800101{seed % 10}{i:03d}",
                id_number_hash=f"rules-{seed}-{i}",
                id_number_masked="150402********0000",
                sex=rng.choice("MF"),
                birth_date=_birth(rng),
                household=rng.choice(households) if rng.random() < 0.85 else None,
                county_code=county,
                township_code=township,
                village_code=village,
                death_date=death,
            )
        )
    persons = Person.objects.bulk_create(persons)

    statuses = []
    for h in households:
        for start, end in _intervals(rng, rng.choice([0, 1, 1, 2, 3])):
            statuses.append(
                HouseholdStatus(
                    household=h,
                    # 低保 weighted: its end is a fact (household.dibao_ended_days)
                    status=rng.choice([*HouseholdStatusCode.values, "dibao", "dibao"]),
                    valid_from=start,
                    valid_to=end,
                )
            )
    HouseholdStatus.objects.bulk_create(statuses)

    certs, residences, surveys, insurances, schools, payments = [], [], [], [], [], []
    own_statuses = []
    for p in persons:
        # the person's own 特困 status (in_destitute_care), apart from the household's
        for start, end in _intervals(rng, rng.choice([0, 0, 1, 2])):
            own_statuses.append(
                PersonStatus(person=p, status="tekun", valid_from=start, valid_to=end)
            )
        for n, (start, end) in enumerate(_intervals(rng, rng.choice([0, 1, 1, 2]))):
            status = rng.choice(["valid", "valid", "expired", "replaced", "cancelled"])
            certs.append(
                Certificate(
                    person=p,
                    number=f"1504021980010100{n}{p.pk % 10}11",
                    number_hash=f"rules-{seed}-{p.pk}-{n}",
                    category=rng.randint(1, 7),
                    level=rng.randint(1, 4),
                    issue_date=start,
                    expires_on=end or start + dt.timedelta(days=3650),
                    status=status,
                    issuing_county=p.county_code,
                    valid_from=start,
                    valid_to=end,
                )
            )
        for start, end in _intervals(rng, rng.choice([0, 0, 1, 2])):
            _, _, village = rng.choice(VILLAGES)
            county, township = village[:6], village[:9]
            residences.append(
                Residence(
                    person=p,
                    county_code=county,
                    township_code=township,
                    village_code=village,
                    valid_from=start,
                    valid_to=end,
                )
            )
        for year in rng.sample([2023, 2024, 2025, 2026], rng.choice([0, 1, 1, 2])):
            income = None
            if rng.random() < 0.8:
                income = Decimal(rng.choice([0, 1200, 7999, 8000, 12000])) + Decimal(
                    rng.choice(["0", "0", "0.5", "0.25", "99.99"])
                )
            surveys.append(
                NeedsSurvey(
                    person=p,
                    year=year,
                    survey_date=rng.choice([_edge(rng), dt.date(year, 6, 30)]),
                    rehab_need=rng.random() < 0.5,
                    device_need=rng.choice(DeviceKind.values),
                    home_renovation_need=rng.random() < 0.5,
                    care_need=rng.random() < 0.5,
                    long_term_care_need=rng.random() < 0.5,
                    employment_status=rng.choice(EmploymentStatus.values),
                    employment_wish=rng.random() < 0.5,
                    school_status=rng.choice(SchoolStatus.values),
                    income_per_capita=income,
                )
            )
        for kind in ("pension", "medical"):
            for start, end in _intervals(rng, rng.choice([0, 1])):
                insurances.append(
                    InsuranceEnrolment(person=p, kind=kind, valid_from=start, valid_to=end)
                )
        for start, end in _intervals(rng, rng.choice([0, 0, 1])):
            schools.append(
                SchoolEnrolment(person=p, school="测试学校", valid_from=start, valid_to=end)
            )
        for kind in OutsidePaymentKind.values:
            if rng.random() < 0.3:
                for start, end in _intervals(rng, 1):
                    payments.append(
                        OutsidePayment(person=p, kind=kind, valid_from=start, valid_to=end)
                    )
    # Entitlement periods of two benefits, some ending suspended (allowance_suspended_days),
    # some resumed by a later period of the same benefit.
    items = list(BenefitItem.objects.order_by("code")[:2])
    entitlements = []
    for p in persons:
        for item in items:
            for start, end in _intervals(rng, rng.choice([0, 1, 2, 3])):
                entitlements.append(
                    Entitlement(
                        person=p,
                        benefit=item,
                        status="active"
                        if end is None
                        else rng.choice(["active", "suspended", "suspended", "terminated"]),
                        valid_from=start,
                        valid_to=end,
                    )
                )
    Entitlement.objects.bulk_create(entitlements)
    # Employment (household.earner_lost_days), drawn last so that the facts above stay as
    # they were: ended and open periods, several members of a household working, dead
    # members with employment left open or ending after their death.
    employments = []
    for p in persons:
        for start, end in _intervals(rng, rng.choice([0, 0, 1, 1, 2, 3])):
            employments.append(
                Employment(
                    person=p,
                    kind=rng.choice(EmploymentKind.values),
                    valid_from=start,
                    valid_to=end,
                )
            )
    Employment.objects.bulk_create(employments)
    # Medical settlements (household.medical_out_of_pocket_year), drawn after employment:
    # dated at the window's edges (an evaluation date, 364 and 365 days before one) or
    # anywhere, amounts in fen, some nothing left to pay.
    settlements = []
    for p in persons:
        for n in range(rng.choice([0, 0, 1, 2, 3])):
            if rng.random() < 0.6:
                back = rng.choice([0, 1, 363, 364, 365, 366])
                day = rng.choice(AS_OF_DATES) - dt.timedelta(days=back)
            else:
                day = _edge(rng)
            total = Decimal(rng.randint(0, 5_000_000)) / 100
            reimbursed = (total * Decimal(rng.choice(["0", "0.5", "0.7", "1"]))).quantize(
                Decimal("0.01")
            )
            assistance = (total - reimbursed) * Decimal(rng.choice(["0", "0.1", "1"]))
            assistance = assistance.quantize(Decimal("0.01"), rounding="ROUND_DOWN")
            settlements.append(
                MedicalSettlement(
                    person=p,
                    settlement_no=f"JS{n}",
                    settled_on=day,
                    total=total,
                    reimbursed=reimbursed,
                    assistance=assistance,
                    out_of_pocket=total - reimbursed - assistance,
                )
            )
    MedicalSettlement.objects.bulk_create(settlements)
    Certificate.objects.bulk_create(certs)
    Residence.objects.bulk_create(residences)
    NeedsSurvey.objects.bulk_create(surveys)
    InsuranceEnrolment.objects.bulk_create(insurances)
    SchoolEnrolment.objects.bulk_create(schools)
    OutsidePayment.objects.bulk_create(payments)
    PersonStatus.objects.bulk_create(own_statuses)
    return list(Person.objects.order_by("pk"))
