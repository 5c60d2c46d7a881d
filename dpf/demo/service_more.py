"""Demo records of the later service parts (issue 18 parts 6-8): home accessibility
renovations (I11), children of 6-15 not in school followed by their region (I08's gap), and
care placements (托养).

Demo steps (``step(ctx)``, see ``dpf.demo.context``): random numbers from ``ctx.rng(...)``,
dates from ``ctx.as_of``, never the wall clock; bulk-written in the services' shapes (the
rules are the services', which the tests exercise). Renovations are accepted for about 7 %
of the certified persons' households over the plan, rising year by year, so that the city's
cumulative count is a real figure below or above the plan's 3,700 depending on the demo's
size; some renovations are still under way. Each completed renovation has one tiny
synthetic photo (a one-colour PNG, stored encrypted as an upload is). Care placements with a
subsidy hold the catalogue's care benefit for their months, which the payment lists pay.
Each step adds nothing on a second run.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from dpf.benefits.models import BenefitItem, Entitlement, EntitlementStatus
from dpf.core.bulk import create_in_batches
from dpf.core.dates import add_months, age_on
from dpf.demo.columns import Rows
from dpf.demo.history import _at
from dpf.registry.models import Person, SchoolEnrolment
from dpf.registry.services import mark_facts_changed
from dpf.services.models import (
    CareKind,
    CarePlacement,
    HomeRenovation,
    Institution,
    InstitutionKind,
    NotEnrolled,
    NotEnrolledKind,
    NotEnrolledReason,
    NotEnrolledVisit,
    RenovationItem,
    RenovationItemKind,
    RenovationPhoto,
)
from dpf.services.services import CARE_BENEFIT, PHOTO_FOLDER
from dpf.workflow import documents
from dpf.workflow.models import EntitlementEvent

PLAN_START_YEAR = 2021
BATCH = 5000
CERTIFIED = "alive && certificate.valid"
# Item kinds and their usual costs (yuan).
ITEM_COSTS = {
    RenovationItemKind.RAMP: (800, 2500),
    RenovationItemKind.HANDRAILS: (300, 1200),
    RenovationItemKind.BATHROOM: (1500, 5000),
    RenovationItemKind.DOOR: (600, 2000),
    RenovationItemKind.ALARM: (200, 800),
    RenovationItemKind.KITCHEN: (1200, 4000),
}


def _certified(as_of: dt.date) -> Rows:
    """The persons certified on ``as_of``: (pk, household, county, township, village,
    birth date), column by column (``dpf.demo.columns``), read as a stream."""
    from dpf.rules import compile_rule

    return Rows(
        6,
        Person.objects.filter(compile_rule(CERTIFIED).q(as_of))
        .order_by("pk")
        .values_list(
            "pk", "household_id", "county_code", "township_code", "village_code", "birth_date"
        )
        .iterator(chunk_size=BATCH),
    )


def renovations(ctx: Any) -> None:
    """Households renovated through the plan years: assessed, approved, completed and
    accepted (a household once), and a few still under way at ``ctx.as_of``. Each table
    written in batches as its rows are made: memory flat with the registry's size."""
    if HomeRenovation.objects.exists():
        return
    rng = ctx.rng("renovations")
    written = create_in_batches(HomeRenovation, _renovations(rng, ctx.as_of), BATCH)
    items = create_in_batches(RenovationItem, _items(rng), BATCH)
    photos = create_in_batches(RenovationPhoto, _completion_photos(ctx.rng("renovation photos")))
    ctx.counts.add("services_homerenovation", written)
    ctx.counts.add("services_renovationitem", items)
    ctx.counts.add("services_renovationphoto", photos)


def _renovations(rng: Any, as_of: dt.date) -> Iterator[HomeRenovation]:
    seen: set[int] = set()
    # Later years weigh more (2021: 2, 2022: 3 … ): the programme grows through the plan.
    years = [y for y in range(PLAN_START_YEAR, as_of.year + 1) for _ in range(y - 2019)]
    for pk, household, county, township, village, _birth in _certified(as_of):
        if household is None or household in seen or rng.random() >= 0.08:
            continue
        seen.add(household)
        year = rng.choice(years)
        assessed = dt.date(year, rng.randint(1, 9), rng.randint(1, 28))
        approved = assessed + dt.timedelta(days=rng.randint(7, 30))
        completed = approved + dt.timedelta(days=rng.randint(10, 45))
        accepted = completed + dt.timedelta(days=rng.randint(3, 20))
        under_way = accepted > as_of or rng.random() < 0.1
        yield HomeRenovation(
            person_id=pk,
            household_id=household,
            county_code=county,
            township_code=township,
            village_code=village,
            assessed_on=min(assessed, as_of),
            assessment="入户评估：出入不便，卫生间无扶手（演示）",
            contractor="赤峰安居无障碍改造公司（演示）" if approved <= as_of else "",
            approved_on=approved if approved <= as_of else None,
            completed_on=completed if completed <= as_of and not under_way else None,
            completion_note="施工单位已清场（演示）" if not under_way else "",
            accepted_on=None if under_way else accepted,
        )


def _items(rng: Any) -> Iterator[RenovationItem]:
    """One to three priced items of each approved renovation."""
    to_price = HomeRenovation.objects.filter(approved_on__isnull=False).only("pk")
    for renovation in to_price.iterator(chunk_size=BATCH):
        for kind in rng.sample(list(ITEM_COSTS), rng.randint(1, 3)):
            low, high = ITEM_COSTS[kind]
            yield RenovationItem(
                renovation_id=renovation.pk, kind=kind, cost=Decimal(rng.randint(low, high))
            )


def completion_photo(rgb: tuple[int, int, int], width: int = 32, height: int = 24) -> bytes:
    """A tiny valid PNG of one colour (about a hundred bytes), made with the standard
    library: the same colour gives the same bytes, and no image library is needed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = (b"\x00" + bytes(rgb) * width) * height  # filter "none" on each row
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def _completion_photos(rng: Any) -> Iterator[RenovationPhoto]:
    """One photo of each completed renovation, in the service's shape: checked and stored
    encrypted by ``dpf.workflow.documents`` under the service's folder, numbered 1."""
    completed = HomeRenovation.objects.filter(completed_on__isnull=False).order_by("pk")
    for renovation in completed.only("pk", "completed_on").iterator(chunk_size=BATCH):
        assert renovation.completed_on is not None
        data = completion_photo((rng.randint(90, 230), rng.randint(90, 230), rng.randint(90, 230)))
        checked = documents.check(
            f"完工照片-{renovation.pk}.png", data, accept=documents.PHOTO_TYPES
        )
        yield RenovationPhoto(
            renovation_id=renovation.pk,
            number=1,
            original_name=checked.safe_name,
            stored_name=documents.store(checked, data, folder=PHOTO_FOLDER),
            content_type=checked.content_type,
            size=checked.size,
            sha256=checked.sha256,
            uploaded_at=_at(renovation.completed_on),
        )


def schooling(ctx: Any) -> None:
    """Certified children of 6-15 without an enrolment in force on ``ctx.as_of`` are on their
    region's not-enrolled list, each with a reason and a first visit."""
    if NotEnrolled.objects.exists():
        return
    rng = ctx.rng("schooling")
    as_of: dt.date = ctx.as_of
    in_school = set(
        SchoolEnrolment.objects.filter(SchoolEnrolment.as_of_q(as_of)).values_list(
            "person_id", flat=True
        )
    )
    school_year = as_of.year if as_of.month >= 9 else as_of.year - 1
    records = []
    for pk, _household, county, township, village, birth in _certified(as_of):
        if pk in in_school or not 6 <= age_on(birth, as_of) <= 15:
            continue
        since = max(dt.date(school_year, 9, 1), birth)
        records.append(
            NotEnrolled(
                person_id=pk,
                kind=NotEnrolledKind.NOT_ENROLLED,
                reason=rng.choice(list(NotEnrolledReason.values)),
                note="（演示）",
                since=since,
                county_code=county,
                township_code=township,
                village_code=village,
            )
        )
    NotEnrolled.objects.bulk_create(records, batch_size=BATCH)
    visits = [
        NotEnrolledVisit(
            record_id=r.pk,
            date=min(r.since + dt.timedelta(days=rng.randint(5, 40)), as_of),
            note="入户走访，动员家长送学或申请送教上门（演示）",
        )
        for r in NotEnrolled.objects.only("pk", "since")
    ]
    NotEnrolledVisit.objects.bulk_create(visits, batch_size=BATCH)
    ctx.counts.add("services_notenrolled", len(records))
    ctx.counts.add("services_notenrolledvisit", len(visits))


def care(ctx: Any) -> None:
    """A day-care centre and a sunshine home (阳光家园) per county, and placements for about
    2 % of the certified persons in the year to ``ctx.as_of``."""
    if CarePlacement.objects.exists():
        return
    rng = ctx.rng("care")
    as_of: dt.date = ctx.as_of
    certified = _certified(as_of)
    counties = sorted({row[2] for row in certified})
    homes: dict[str, list[Institution]] = {}
    for n, county in enumerate(counties):
        township = next(row[3] for row in certified if row[2] == county)
        for kind, label in (
            (InstitutionKind.CARE_DAY, "日间照料中心"),
            (InstitutionKind.SUNSHINE_HOME, "阳光家园"),
        ):
            institution, _created = Institution.objects.get_or_create(
                code=f"DEMO-CARE-{kind[:3].upper()}-{n + 1:02d}",
                defaults={
                    "name": f"{county}残疾人{label}（演示）",
                    "kind": kind,
                    "county_code": county,
                    "township_code": township,
                    "capacity": 30,
                },
            )
            homes.setdefault(county, []).append(institution)
    benefit = BenefitItem.objects.filter(code=CARE_BENEFIT, active=True).first()
    # A person already holding the care benefit (an approval) is placed without a subsidy:
    # the service refuses to pay a month twice.
    held = set(
        Entitlement.objects.filter(benefit=benefit).values_list("person_id", flat=True)
        if benefit is not None
        else ()
    )
    placements = []
    for pk, _household, county, township, village, _birth in certified:
        if rng.random() >= 0.02:
            continue
        institution = rng.choice(homes[county])
        care_kind = (
            CareKind.DAY
            if institution.kind == InstitutionKind.CARE_DAY
            else rng.choice([CareKind.RESIDENTIAL, CareKind.DAY, CareKind.HOME])
        )
        start = as_of - dt.timedelta(days=rng.randint(0, 330))
        months = rng.choice([6, 12])
        placements.append(
            CarePlacement(
                person_id=pk,
                institution=institution,
                kind=care_kind,
                start=start,
                months=months,
                end=add_months(start, months) - dt.timedelta(days=1),
                monthly_subsidy=(
                    Decimal(0)
                    if benefit is None or pk in held
                    else Decimal(300 if care_kind == CareKind.DAY else 600)
                ),
                county_code=county,
                township_code=township,
                village_code=village,
            )
        )
    CarePlacement.objects.bulk_create(placements, batch_size=BATCH)
    ctx.counts.add("services_careplacement", len(placements))
    if benefit is not None:
        _care_subsidies(ctx, benefit)


def _care_subsidies(ctx: Any, benefit: BenefitItem) -> None:
    """Each placement's subsidy as the care benefit, in the shape
    ``workflow.entitlement_grant`` writes: the placement's days at its decided amount, with
    the "created" event naming the placement (the monthly lists then pay it)."""
    placements = list(
        CarePlacement.objects.filter(monthly_subsidy__gt=0, entitlement__isnull=True)
        .order_by("pk")
        .only("pk", "person_id", "start", "end", "monthly_subsidy")
    )
    rows = [
        Entitlement(
            person_id=p.person_id,
            benefit=benefit,
            status=EntitlementStatus.ACTIVE,
            valid_from=p.start,
            valid_to=p.end,
            monthly_amount=p.monthly_subsidy,
            amount_fixed=True,
            source=f"care_placement:{p.pk}",
            status_reason="核定 / decided",
        )
        for p in placements
    ]
    Entitlement.objects.bulk_create(rows, batch_size=BATCH)
    events = [
        EntitlementEvent(
            entitlement_id=row.pk,
            person_id=row.person_id,
            benefit_id=benefit.pk,
            kind=EntitlementEvent.Kind.CREATED,
            from_status="",
            to_status=EntitlementStatus.ACTIVE,
            on=row.valid_from,
            reason_code=EntitlementEvent.Reason.APPROVED,
            source=row.source,
            at=_at(row.valid_from),
        )
        for row in rows
    ]
    EntitlementEvent.objects.bulk_create(events, batch_size=BATCH)
    for placement, row in zip(placements, rows, strict=True):
        placement.entitlement_id = row.pk
    CarePlacement.objects.bulk_update(placements, ["entitlement"], batch_size=BATCH)
    mark_facts_changed([row.person_id for row in rows])
    ctx.counts.add(Entitlement._meta.db_table, len(rows))
    ctx.counts.add(EntitlementEvent._meta.db_table, len(events))
