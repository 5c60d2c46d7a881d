"""Demo records of social assistance (issue 20): volunteer teams (T0506), registered
volunteers (T0507) with events, sign-ups and hours, and social organisations (T0508) with
their incubation, purchased service projects and deliveries; a second step: the register of
service facilities (three to six per county, most open) and culture and sport activities
(four a year per county from 2021) with participants from the county's persons.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from ``ctx.rng``,
dates from ``ctx.as_of``, never the wall clock; bulk-written in the services' shapes (the
services' rules are what the tests exercise). About one volunteer for every 50 certified
persons and one or two teams per county, so the city's figures are real numbers near the
plan's 4,000 and 12 at the full demo size; about 24 organisations, most incubated by 2025.
Adds nothing on a second run.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Count

from dpf.core.creditcode import check_character
from dpf.core.crypto import lookup_hash
from dpf.core.idnumber import make_id_number, mask_id_number
from dpf.demo.columns import grouped
from dpf.demo.context import DemoContext
from dpf.demo.names import HAN, person_name
from dpf.registry.models import Person
from dpf.social.models import (
    ActivityKind,
    ActivityParticipation,
    CultureActivity,
    EventSignup,
    Facility,
    FacilityKind,
    OrganisationKind,
    ProjectDelivery,
    ServiceProject,
    SocialOrganisation,
    Volunteer,
    VolunteerEvent,
    VolunteerTeam,
)

PLAN_START = dt.date(2021, 1, 1)
PERSONS_PER_VOLUNTEER = 50
ORGANISATIONS = 24
BATCH = 5000


def _day_between(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    span = max(0, (end - start).days)
    return start + dt.timedelta(days=rng.randint(0, span))


def volunteers_and_organisations(ctx: DemoContext) -> None:  # noqa: C901
    if VolunteerTeam.objects.exists() or SocialOrganisation.objects.exists():
        return
    rng = ctx.rng("social")
    townships = list(
        Person.objects.values("county_code", "township_code")
        .annotate(n=Count("id"))
        .order_by("county_code", "township_code")
    )
    if not townships:
        return
    certified = sum(row["n"] for row in townships)
    by_county: dict[str, list[str]] = {}
    for row in townships:
        by_county.setdefault(row["county_code"], []).append(row["township_code"])
    # Teams: one or two per county, founded over the plan.
    teams = []
    for county, codes in by_county.items():
        for n in range(rng.choice((1, 1, 2))):
            township = rng.choice(codes)
            teams.append(
                VolunteerTeam(
                    name=f"助残志愿服务{'一二'[n]}队（{county}）",
                    county_code=county,
                    township_code=township,
                    leader_name=person_name(rng, rng.choice("MF"), 1980, HAN),
                    founded_on=_day_between(rng, PLAN_START, ctx.as_of),
                )
            )
    VolunteerTeam.objects.bulk_create(teams)
    teams = list(VolunteerTeam.objects.order_by("pk"))
    ctx.counts.add("social_volunteerteam", len(teams))
    # Volunteers, each with consent on the day they registered, most in a team of their county.
    team_of: dict[str, list[VolunteerTeam]] = {}
    for team in teams:
        team_of.setdefault(team.county_code, []).append(team)
    villages = list(
        Person.objects.values_list("village_code", flat=True).distinct().order_by("village_code")
    )
    wanted = max(20, certified // PERSONS_PER_VOLUNTEER)
    volunteers = []
    for seq in range(wanted):
        village = rng.choice(villages)
        birth = dt.date(rng.randint(1960, 2005), rng.randint(1, 12), rng.randint(1, 28))
        sex = rng.choice("MF")
        number = make_id_number(village[:6], birth, (seq % 499) * 2 + (1 if sex == "M" else 2))
        registered = _day_between(rng, PLAN_START, ctx.as_of)
        options = team_of.get(village[:6], [])
        chosen: VolunteerTeam | None = (
            rng.choice(options) if options and rng.random() < 0.8 else None
        )
        volunteers.append(
            Volunteer(
                name=person_name(rng, sex, birth.year, HAN),
                id_number=number,
                id_number_hash=lookup_hash(number, purpose="volunteer"),
                id_number_masked=mask_id_number(number),
                county_code=village[:6],
                township_code=village[:9],
                village_code=village,
                team=chosen if chosen and chosen.founded_on <= registered else None,
                consent_on=registered,
                registered_on=registered,
            )
        )
    # The same ID number drawn twice (same village code, birth date and sequence) is kept once.
    unique = {v.id_number_hash: v for v in volunteers}
    Volunteer.objects.bulk_create(list(unique.values()), batch_size=BATCH)
    ctx.counts.add("social_volunteer", len(unique))
    # Events: three a year per team since it was founded, each with some of its members.
    members: dict[int, list[int]] = {}
    for volunteer_id, team_id in Volunteer.objects.filter(team__isnull=False).values_list(
        "pk", "team_id"
    ):
        members.setdefault(team_id, []).append(volunteer_id)
    zone = dt.timezone(dt.timedelta(hours=8))
    events = []
    for team in teams:
        day = team.founded_on + dt.timedelta(days=30)
        while day < ctx.as_of:
            start = dt.datetime.combine(day, dt.time(9, 0), tzinfo=zone)
            events.append(
                VolunteerEvent(
                    title=rng.choice(("助残日上门服务", "重度残疾人家庭探访", "康复器材清洁维护")),
                    team=team,
                    county_code=team.county_code,
                    township_code=team.township_code,
                    meeting_place="乡镇（街道）残联门口",
                    starts_at=start,
                    ends_at=start + dt.timedelta(hours=3),
                    capacity=10,
                )
            )
            day += dt.timedelta(days=120)
    VolunteerEvent.objects.bulk_create(events, batch_size=BATCH)
    signups = []
    for event in VolunteerEvent.objects.order_by("pk"):
        pool = members.get(event.team_id or 0, [])
        for volunteer_id in rng.sample(pool, min(len(pool), rng.randint(2, 8))):
            attended = rng.random() < 0.9
            signups.append(
                EventSignup(
                    event=event,
                    volunteer_id=volunteer_id,
                    signed_up_at=event.starts_at - dt.timedelta(days=3),
                    attended=attended,
                    hours=Decimal(3) if attended else Decimal(0),
                )
            )
    EventSignup.objects.bulk_create(signups, batch_size=BATCH)
    ctx.counts.add("social_volunteerevent", len(events))
    ctx.counts.add("social_eventsignup", len(signups))
    _organisations(ctx, by_county)


def _organisations(ctx: DemoContext, by_county: dict[str, list[str]]) -> None:
    rng = ctx.rng("social-organisations")
    counties = sorted(by_county)
    organisations = []
    for n in range(ORGANISATIONS):
        county = counties[n % len(counties)]
        first17 = f"52{county}MJ{n + 1:07d}"
        registered = _day_between(rng, dt.date(2019, 1, 1), ctx.as_of - dt.timedelta(days=60))
        incubation = registered + dt.timedelta(days=rng.randint(10, 60))
        done = incubation + dt.timedelta(days=rng.randint(180, 540))
        organisations.append(
            SocialOrganisation(
                name=f"阳光助残服务中心{n + 1}号（{county}）",
                credit_code=first17 + check_character(first17),
                kind=rng.choice(OrganisationKind.values),
                county_code=county,
                township_code=rng.choice(by_county[county]),
                registered_on=registered,
                incubation_from=incubation if incubation <= ctx.as_of else None,
                incubated_on=done if done <= ctx.as_of else None,
            )
        )
    SocialOrganisation.objects.bulk_create(organisations)
    projects = []
    for organisation in SocialOrganisation.objects.order_by("pk"):
        start = dt.date(max(organisation.registered_on.year + 1, 2021), 1, 1)
        if start > ctx.as_of:
            continue
        projects.append(
            ServiceProject(
                organisation=organisation,
                title=rng.choice(("居家托养服务", "残疾儿童康复训练", "就业技能辅导")),
                purchaser="旗县区残联",
                county_code=organisation.county_code,
                township_code=organisation.township_code,
                budget=Decimal(rng.randint(5, 30) * 10000),
                start=start,
                end=dt.date(start.year, 12, 31),
            )
        )
    ServiceProject.objects.bulk_create(projects)
    deliveries = [
        ProjectDelivery(
            project=project,
            delivered_on=project.start + dt.timedelta(days=30 * month),
            description="按合同提供服务",
            persons_served=rng.randint(5, 40),
        )
        for project in ServiceProject.objects.order_by("pk")
        for month in range(0, 12, 3)
        if project.start + dt.timedelta(days=30 * month) <= ctx.as_of
    ]
    ProjectDelivery.objects.bulk_create(deliveries, batch_size=BATCH)
    ctx.counts.add("social_socialorganisation", len(organisations))
    ctx.counts.add("social_serviceproject", len(projects))
    ctx.counts.add("social_projectdelivery", len(deliveries))


FACILITY_NAMES = {
    FacilityKind.REHABILITATION: "残疾人康复中心",
    FacilityKind.CARE: "残疾人托养中心",
    FacilityKind.EMPLOYMENT: "残疾人就业服务基地",
    FacilityKind.CULTURE_SPORT: "残疾人文化体育活动中心",
    FacilityKind.OTHER: "残疾人综合服务中心",
}
ACTIVITIES = (
    (ActivityKind.ART, "全国助残日文艺汇演", "文化馆"),
    (ActivityKind.READING, "盲人读书会", "图书馆"),
    (ActivityKind.SPORT, "残疾人健身周", "全民健身中心"),
    (ActivityKind.COMPETITION, "残疾人运动会", "体育场"),
    (ActivityKind.CULTURE, "国际残疾人日文化活动", "残疾人综合服务中心"),
)


def facilities_and_culture(ctx: DemoContext) -> None:
    """Facilities of every county (states dated, none after ``ctx.as_of``) and culture and
    sport activities with participants drawn from the county's persons."""
    if Facility.objects.exists() or CultureActivity.objects.exists():
        return
    rng = ctx.rng("social-facilities")
    by_county: dict[str, list[str]] = {}
    for row in (
        Person.objects.values("county_code", "township_code")
        .distinct()
        .order_by("county_code", "township_code")
    ):
        by_county.setdefault(row["county_code"], []).append(row["township_code"])
    if not by_county:
        return
    facilities = [
        _facility(rng, ctx.as_of, county, rng.choice(townships), kind)
        for county, townships in sorted(by_county.items())
        for kind in rng.sample(list(FacilityKind), rng.randint(3, 5))
    ]
    Facility.objects.bulk_create(facilities)
    activities = [
        CultureActivity(
            title=f"{year}年{title}",
            kind=kind,
            held_on=day,
            place=f"{place}（{county}）",
            county_code=county,
        )
        for county in sorted(by_county)
        for year in range(PLAN_START.year, ctx.as_of.year + 1)
        for kind, title, place in rng.sample(ACTIVITIES, 4)
        if (day := _day_between(rng, dt.date(year, 1, 1), dt.date(year, 12, 31))) <= ctx.as_of
    ]
    CultureActivity.objects.bulk_create(activities)
    # every person by county, column by column (a list of tuples was most of this step's
    # peak at 1,000,000 persons), read as a stream
    persons = grouped(
        Person.objects.values_list("pk", "county_code", "township_code", "village_code")
        .order_by("pk")
        .iterator(chunk_size=BATCH),
        key=1,
    )
    participations = [
        ActivityParticipation(
            activity=activity,
            person_id=pk,
            county_code=activity.county_code,
            township_code=township,
            village_code=village,
        )
        for activity in CultureActivity.objects.order_by("pk")
        for pk, _county, township, village in rng.sample(
            persons[activity.county_code],
            min(len(persons[activity.county_code]), rng.randint(10, 40)),
        )
    ]
    ActivityParticipation.objects.bulk_create(participations, batch_size=BATCH)
    ctx.counts.add("social_facility", len(facilities))
    ctx.counts.add("social_cultureactivity", len(activities))
    ctx.counts.add("social_activityparticipation", len(participations))


def _facility(
    rng: random.Random, as_of: dt.date, county: str, township: str, kind: FacilityKind
) -> Facility:
    """One facility in the shape ``facilities.facility_record`` writes: most open since a
    year between 2008 and the demo's date, some under construction or planned, a few
    closed."""
    roll = rng.random()
    planned = _day_between(rng, dt.date(2006, 1, 1), as_of - dt.timedelta(days=400))
    building = planned + dt.timedelta(days=rng.randint(90, 360))
    opened = building + dt.timedelta(days=rng.randint(300, 720))
    state, dates = "open", [planned, building, opened, None]
    if roll < 0.1 or building > as_of:
        state, dates = "planned", [planned, None, None, None]
    elif roll < 0.25 or opened > as_of:
        state, dates = "building", [planned, building, None, None]
    elif roll < 0.3:
        closed = _day_between(rng, opened, as_of)
        state, dates = "closed", [planned, building, opened, closed]
    return Facility(
        name=f"{FACILITY_NAMES[kind]}（{township}）",
        kind=kind,
        county_code=county,
        township_code=township,
        floor_area=Decimal(rng.randint(30, 600) * 10),
        opening_year=dates[2].year if dates[2] else None,
        state=state,
        planned_on=dates[0],
        building_from=dates[1],
        opened_on=dates[2],
        closed_on=dates[3],
    )
