"""Demo service records (issue 18): rehabilitation institutions with designation dates,
a rehabilitation plan with sessions each year for most persons whose survey found a
rehabilitation need, and the family-doctor contracts of the health commission's roster.
A child's plans (under 8 on the plan's start) are the child rehabilitation assistance's, which
``dpf.demo.child_rehab`` writes after this step; children get no device plan in the demo.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from
``ctx.rng("service_records")``, dates from ``ctx.as_of``, never the wall clock. The records
are bulk-written for volume (tens of thousands of sessions); their rules are the services'
(``dpf.services.services``), which the tests exercise. The shares are chosen so that some
targets are met and some missed: 12 designated institutions (T0306 ≥ 12: met), coverage of
about 88 % in the last year (I09 > 92 %: missed), contracts for about 85 % (T0302 100 %:
missed), rising from lower shares in 2021.
"""

from __future__ import annotations

import datetime as dt
from itertools import islice
from typing import Any

from dpf.core.bulk import insert_objects
from dpf.core.dates import add_years
from dpf.core.models import Region, RegionLevel
from dpf.registry.models import Person
from dpf.services.child_rehab import CHILD_REHAB_AGE_LIMIT
from dpf.services.models import (
    DeviceCatalogueItem,
    DeviceFitting,
    DeviceFollowUp,
    Institution,
    InstitutionKind,
    RehabPlan,
    RehabSession,
)
from dpf.services.services import DEVICE_NEED_RULE, REHAB_NEED_RULE

CITY = "150400"
PLAN_START_YEAR = 2021
BATCH = 5000
# The demo's institution account (dpf.demo.services: demo_institution) is bound to this code.
DEMO_INSTITUTION = "DEMO-REHAB-01"


def _townships() -> list[tuple[str, str]]:
    """(county code, first township code) of each county of the city, in code order."""
    rows = (
        Region.objects.filter(level=RegionLevel.TOWNSHIP, code__startswith=CITY[:4])
        .order_by("code")
        .values_list("code", flat=True)
    )
    first: dict[str, str] = {}
    for code in rows:
        first.setdefault(code[:6], code)
    return sorted(first.items())


def _institutions(townships: list[tuple[str, str]]) -> list[Institution]:
    """Thirteen rehabilitation institutions, twelve designated in force on the demo date
    (one's designation ended in 2023), and one device centre."""
    made = []
    for n in range(13):
        county, township = townships[n % len(townships)]
        made.append(
            Institution(
                code=f"DEMO-REHAB-{n + 1:02d}",
                name=f"赤峰市第{n + 1}康复服务中心（演示）",
                kind=InstitutionKind.REHABILITATION,
                licence_number=f"PDY{county}{n + 1:04d}",
                county_code=county,
                township_code=township,
                capacity=40 + 10 * (n % 5),
                services_offered="医疗康复、功能训练、辅助器具适配",
                designated_from=dt.date(2021 + n % 4, 3, 1),
                designated_to=dt.date(2023, 12, 31) if n == 12 else None,
            )
        )
    county, township = townships[0]
    made.append(
        Institution(
            code="DEMO-DEVICE-01",
            name="赤峰市辅助器具服务中心（演示）",
            kind=InstitutionKind.DEVICE_CENTRE,
            county_code=county,
            township_code=township,
            capacity=200,
            services_offered="辅助器具评估、适配、回访",
        )
    )
    Institution.objects.bulk_create(made)
    return list(Institution.objects.filter(kind=InstitutionKind.REHABILITATION).order_by("code"))


def _coverage(year: int, last: int) -> float:
    """The share of persons with a need served in ``year``: 0.62 in 2021 up to 0.88."""
    if last <= PLAN_START_YEAR:
        return 0.88
    return 0.62 + (0.88 - 0.62) * (year - PLAN_START_YEAR) / (last - PLAN_START_YEAR)


def rehabilitation(ctx: Any) -> None:  # noqa: C901
    """Institutions, plans and sessions each year to ``ctx.as_of``, family-doctor contracts."""
    from dpf.exchange.models import FamilyDoctorContract
    from dpf.rules import compile_rule

    rng = ctx.rng("service_records")
    as_of: dt.date = ctx.as_of
    townships = _townships()
    if not townships or Institution.objects.exists():
        return
    institutions = _institutions(townships)
    by_county: dict[str, list[Institution]] = {}
    for institution in institutions:
        if institution.designated_to is None:
            by_county.setdefault(institution.county_code, []).append(institution)
    everywhere = [i for group in by_county.values() for i in group]
    # Read as written (the persons table is not written here): memory flat with the
    # registry's size, like the batches below.
    needy = (
        Person.objects.filter(compile_rule(REHAB_NEED_RULE).q(as_of))
        .order_by("pk")
        .values_list("pk", "county_code", "township_code", "village_code", "birth_date")
        .iterator(chunk_size=BATCH)
    )
    plans: list[RehabPlan] = []
    contracts: list[FamilyDoctorContract] = []
    written_plans = written_contracts = 0
    for pk, county, township, village, birth in needy:
        # Written as they fill (memory flat with the registry's size; the same rows in the
        # same order: nothing here is drawn at writing)
        if len(plans) >= BATCH:
            insert_objects(RehabPlan, plans)
            written_plans, plans = written_plans + len(plans), []
        if len(contracts) >= BATCH:
            insert_objects(FamilyDoctorContract, contracts)
            written_contracts, contracts = written_contracts + len(contracts), []
        if rng.random() < 0.85:
            contracts.append(
                FamilyDoctorContract(
                    person_id=pk,
                    institution="社区卫生服务中心（演示）",
                    valid_from=dt.date(rng.randint(2019, as_of.year), 1, 1),
                )
            )
        for year in range(PLAN_START_YEAR, as_of.year + 1):
            if rng.random() >= _coverage(year, as_of.year):
                continue
            start = dt.date(year, rng.randint(1, 3), rng.randint(1, 28))
            end = min(dt.date(year, 12, 31), as_of) if year == as_of.year else dt.date(year, 12, 31)
            if end < start or start < add_years(birth, CHILD_REHAB_AGE_LIMIT):
                continue  # a child's plan is the child assistance (dpf.demo.child_rehab)
            closed = end < as_of
            plans.append(
                RehabPlan(
                    person_id=pk,
                    institution=rng.choice(by_county.get(county) or everywhere),
                    kind=rng.choice(["medical", "training", "training", "support"]),
                    start=start,
                    end=end,
                    planned_sessions=rng.randint(4, 12),
                    county_code=county,
                    township_code=township,
                    village_code=village,
                    outcome=rng.choice(["improved", "stable", "stable", "unchanged"])
                    if closed
                    else "",
                    closed_on=end if closed else None,
                )
            )
    insert_objects(FamilyDoctorContract, contracts)
    insert_objects(RehabPlan, plans)
    written_plans += len(plans)
    written_contracts += len(contracts)
    sessions: list[RehabSession] = []
    plan_rows = RehabPlan.objects.order_by("pk").values_list("pk", "start", "end")
    for plan_id, plan_start, plan_end in plan_rows.iterator(chunk_size=BATCH):
        span = (plan_end - plan_start).days
        for _ in range(rng.randint(1, 4)):
            day = plan_start + dt.timedelta(days=rng.randint(0, max(span, 0)))
            sessions.append(RehabSession(plan_id=plan_id, date=day, content="康复训练（演示）"))
        if len(sessions) >= BATCH:
            insert_objects(RehabSession, sessions)
            ctx.counts.add("services_rehabsession", len(sessions))
            sessions = []
    insert_objects(RehabSession, sessions)
    ctx.counts.add("services_rehabsession", len(sessions))
    ctx.counts.add("services_institution", len(institutions) + 1)
    ctx.counts.add("services_rehabplan", written_plans)
    ctx.counts.add("exchange_familydoctorcontract", written_contracts)
    _devices(ctx, rng, as_of)


# (code, name, kind, standard amount, replacement years) of the demo's subsidy catalogue.
CATALOGUE = [
    ("WC-01", "普通轮椅", "wheelchair", "800.00", 3),
    ("HA-01", "助听器", "hearing_aid", "1500.00", 5),
    ("PR-01", "假肢矫形器", "prosthesis", "5000.00", 4),
    ("VA-01", "助视器", "visual_aid", "600.00", 3),
    ("WA-01", "助行器", "walking_aid", "300.00", 3),
    ("OT-01", "其他辅具", "other", "500.00", 3),
]


def _devices(ctx: Any, rng: Any, as_of: dt.date) -> None:
    """The catalogue, and for about 93 % of persons with a device need a device plan at the
    device centre with a fitting still within its replacement period (I10 > 92 %: met); a
    follow-up for each fitting of the demo's year, about 91 % satisfied (T0305: met)."""
    from decimal import Decimal

    from dpf.rules import compile_rule

    items = {
        kind: DeviceCatalogueItem.objects.create(
            code=code,
            name=name,
            kind=kind,
            standard_amount=Decimal(amount),
            replacement_years=years,
            valid_from=dt.date(2021, 1, 1),
        )
        for code, name, kind, amount, years in CATALOGUE
    }
    centre = Institution.objects.get(code="DEMO-DEVICE-01")
    needy = (
        Person.objects.filter(compile_rule(DEVICE_NEED_RULE).q(as_of))
        .order_by("pk")
        .values_list(
            "pk",
            "county_code",
            "township_code",
            "village_code",
            "surveys__device_need",
            "birth_date",
        )
        .iterator(chunk_size=BATCH)
    )
    last = None  # a person with several surveys comes in several rows, one after another
    fitted = followed = 0
    # Read and written a batch of rows at a time (model objects are about a kilobyte each:
    # all at once held 73 MB at 100,000 persons).
    while chunk := list(islice(needy, BATCH)):
        plans: list[RehabPlan] = []
        wanted: list[tuple[int, str, dt.date]] = []
        for pk, county, township, village, kind, birth in chunk:
            if pk == last or rng.random() >= 0.93:
                last = pk
                continue
            last = pk
            item = items.get(kind or "other", items["other"])
            year = rng.randint(
                max(PLAN_START_YEAR, as_of.year - item.replacement_years + 1), as_of.year
            )
            start = dt.date(year, 1, 10)
            end = min(dt.date(year, 12, 31), as_of)
            if end <= start or start < add_years(birth, CHILD_REHAB_AGE_LIMIT):
                continue  # a child's device plan needs the child assistance: not in the demo
            plans.append(
                RehabPlan(
                    person_id=pk,
                    institution=centre,
                    kind="device",
                    start=start,
                    end=end,
                    planned_sessions=1,
                    county_code=county,
                    township_code=township,
                    village_code=village,
                )
            )
            wanted.append(
                (pk, item.kind, start + dt.timedelta(days=rng.randint(0, (end - start).days)))
            )
        insert_objects(RehabPlan, plans, numbered=True)  # the fittings name them
        fittings = []
        for plan, (pk, kind, fitted_on) in zip(plans, wanted, strict=True):
            item = items[kind]
            fittings.append(
                DeviceFitting(
                    plan_id=plan.pk,
                    person_id=pk,
                    item=item,
                    kind=kind,
                    assessed_on=plan.start,
                    fitted_on=fitted_on,
                    replace_after=add_years(fitted_on, item.replacement_years),
                    supplier="赤峰康复器材有限公司（演示）",
                    subsidy_amount=item.standard_amount,
                )
            )
        insert_objects(DeviceFitting, fittings, numbered=True)  # the follow-ups name them
        follow_ups = [
            DeviceFollowUp(
                fitting_id=f.pk,
                date=min(f.fitted_on + dt.timedelta(days=30), as_of),
                satisfaction=rng.choice([5, 5, 5, 5, 4, 4, 4, 4, 4, 4, 3]),
            )
            for f in fittings
            if f.fitted_on.year == as_of.year
        ]
        insert_objects(DeviceFollowUp, follow_ups)
        fitted, followed = fitted + len(fittings), followed + len(follow_ups)
    ctx.counts.add("services_devicefitting", fitted)
    ctx.counts.add("services_devicefollowup", followed)
