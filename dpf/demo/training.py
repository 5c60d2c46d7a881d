"""Demo vocational training (issue 19 part 6, I02): each county's training bases and
skills-master studios (a few of each, designated over the years, one now and then revoked),
its courses of each plan year (kind, provider, the base or studio held at, dates, subsidy
per trainee) and their trainees, certified persons of working age, most of whom complete
the course.

A course is held at a base or studio of its county designated on its first day, as
``dpf.employment.bases.base_for_course`` asks, or (about one in five, and when none was
designated) at none. The bases and the choice of base draw from their own random stream
(``ctx.rng("training_bases")``), so the courses and trainees are those drawn before bases
were records.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from
``ctx.rng("training")``, dates from ``ctx.as_of`` (no course starts after it, no completion
falls after it), never the wall clock; bulk-written in the shapes of
``dpf.employment.training`` (``course_create``, ``attendance_add``, ``attendance_complete``:
a completion on the course's end, never before its start), whose rules
tests/employment/test_training.py exercises. Adds nothing on a second run.

Scale: the plan's I02 target (> 10,000 person-times over 2021-2025) is for a city of about
200,000 certified persons: 1 % of them a year. About 3.5 % of the certified persons of
working age (in the demo a little under half of the certified) attend a course each year
and 88 % complete it, so the demo's I02 is about that share of its certified persons: near
the target scaled to the demo's size (3,000 persons, seed 1: 141 person-times against a
scaled 150). The city's own figure of 10,000 is not reached by a demo smaller than the
city, as for I11.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dpf.core.dates import age_on
from dpf.demo.places import COUNTIES, COUNTY_BY_CODE
from dpf.employment.models import (
    TrainingAttendance,
    TrainingBase,
    TrainingBaseKind,
    TrainingCourse,
    TrainingKind,
)
from dpf.employment.records import RETIREMENT_AGE, WORKING_AGE_FROM
from dpf.registry.models import Person, Sex

PLAN_START_YEAR = 2021
BATCH = 5000
CERTIFIED = "alive && certificate.valid"
ATTEND_SHARE = 0.035  # of the certified persons of working age, each year
COMPLETE_SHARE = 0.88
COURSE_SIZE = 25
# (kind, weight, subsidy per trainee in yuan, days)
KINDS = [
    (TrainingKind.VOCATIONAL, 50, "1500.00", (10, 30)),
    (TrainingKind.RURAL_TECHNIQUE, 30, "800.00", (5, 15)),
    (TrainingKind.ENTREPRENEURSHIP, 15, "2000.00", (7, 20)),
    (TrainingKind.OTHER, 5, "600.00", (3, 10)),
]
PROVIDERS = [
    "赤峰市职业技能培训学校（演示）",
    "赤峰工业职业技术学院培训中心（演示）",
    "盲人按摩培训中心（演示）",
    "农牧业技术推广站（演示）",
]
TOPICS = {
    TrainingKind.VOCATIONAL: ["盲人保健按摩", "电子商务", "手工编织", "计算机操作", "面点制作"],
    TrainingKind.RURAL_TECHNIQUE: ["设施农业", "肉牛养殖", "林果栽培"],
    TrainingKind.ENTREPRENEURSHIP: ["创业能力提升"],
    TrainingKind.OTHER: ["就业指导"],
}

# Training bases: the host, and the first and last year one may have been designated in.
BASE_HOSTS = ["职业技能培训学校", "残疾人就业服务中心", "农牧业科技示范园", "特殊教育学校"]
BASES_PER_COUNTY = (2, 3)
STUDIOS_PER_COUNTY = (1, 2)
BASE_YEARS = (2012, 2021)
STUDIO_YEARS = (2016, 2024)
REVOKED_SHARE = 0.15
NO_BASE_SHARE = 0.2
STUDIO_TRADES = ["盲人保健按摩", "蒙古族刺绣", "面点制作", "电子商务", "木雕"]


def _day(rng: Any, first_year: int, last_year: int) -> dt.date:
    return dt.date(rng.randint(first_year, last_year), rng.randint(1, 12), rng.randint(1, 28))


def _bases(ctx: Any, rng: Any) -> dict[str, list[TrainingBase]]:
    """A few bases and studios of each county, designated by ``ctx.as_of``, in the shapes of
    ``dpf.employment.bases.base_register`` (names unique in the county, the end after the
    start); by county."""
    trades = [topic for topics in TOPICS.values() for topic in topics]
    made: list[TrainingBase] = []
    for county in COUNTIES:
        hosts = rng.sample(BASE_HOSTS, rng.randint(*BASES_PER_COUNTY))
        masters = rng.sample(STUDIO_TRADES, rng.randint(*STUDIOS_PER_COUNTY))
        drawn = [(TrainingBaseKind.BASE, host, BASE_YEARS) for host in hosts] + [
            (TrainingBaseKind.STUDIO, trade, STUDIO_YEARS) for trade in masters
        ]
        for kind, what, years in drawn:
            start = _day(rng, *years)
            end = None
            if rng.random() < REVOKED_SHARE:
                end = start + dt.timedelta(days=rng.randint(3 * 365, 6 * 365))
            if start > ctx.as_of:
                continue
            if end is not None and end >= ctx.as_of:
                end = None
            studio = kind == TrainingBaseKind.STUDIO
            made.append(
                TrainingBase(
                    kind=kind,
                    name=f"{county.name}{what}"
                    + ("技能大师工作室（演示）" if studio else "残疾人职业培训基地（演示）"),
                    county_code=county.code,
                    operator=f"{county.name}{what if not studio else '残疾人就业服务中心'}（演示）",
                    trades=what if studio else "、".join(rng.sample(trades, 3)),
                    capacity=rng.choice([10, 15, 20]) if studio else rng.choice([50, 80, 120]),
                    valid_from=start,
                    valid_to=end,
                    source="demo",
                    created_by=ctx.county_clerk(county.code),
                )
            )
    TrainingBase.objects.bulk_create(made, batch_size=BATCH)
    ctx.counts.add(TrainingBase._meta.db_table, len(made))
    by_county: dict[str, list[TrainingBase]] = {}
    for base in made:
        by_county.setdefault(base.county_code, []).append(base)
    return by_county


def _working_age(birth: dt.date, sex: str, on: dt.date) -> bool:
    return WORKING_AGE_FROM <= age_on(birth, on) < RETIREMENT_AGE.get(Sex(sex), 60)


Trainee = tuple[int, dt.date, str]  # pk, birth date, sex


def _trainees(year: int, as_of: dt.date) -> dict[str, list[Trainee]]:
    """The certified persons of working age on 30 June of ``year`` (or the demo's date), by
    county, in key order."""
    from dpf.rules import compile_rule

    day = min(dt.date(year, 6, 30), as_of)
    by_county: dict[str, list[Trainee]] = {}
    rows = (
        Person.objects.filter(compile_rule(CERTIFIED).q(day))
        .order_by("pk")
        .values_list("pk", "county_code", "birth_date", "sex")
    )
    for pk, county, birth, sex in rows.iterator(chunk_size=BATCH):
        if _working_age(birth, sex, day):
            by_county.setdefault(county, []).append((pk, birth, sex))
    return by_county


def training(ctx: Any) -> None:
    """Training bases and studios per county, then courses per county and year from 2021
    to ``ctx.as_of`` held at them, with their trainees and completions."""
    if TrainingCourse.objects.exists() or TrainingBase.objects.exists():
        return
    rng = ctx.rng("training")
    base_rng = ctx.rng("training_bases")
    as_of: dt.date = ctx.as_of
    county_bases = _bases(ctx, base_rng)
    kinds, weights = [k[0] for k in KINDS], [k[1] for k in KINDS]
    details = {k[0]: k for k in KINDS}
    planned: list[tuple[TrainingCourse, list[int]]] = []
    for year in range(PLAN_START_YEAR, as_of.year + 1):
        for county, persons in sorted(_trainees(year, as_of).items()):
            chosen = [person for person in persons if rng.random() < ATTEND_SHARE]
            if not chosen:
                continue
            rng.shuffle(chosen)
            courses = -(-len(chosen) // COURSE_SIZE)
            place = COUNTY_BY_CODE[county].name if county in COUNTY_BY_CODE else county
            for n in range(courses):
                kind = rng.choices(kinds, weights)[0]
                _kind, _weight, subsidy, (shortest, longest) = details[kind]
                start = dt.date(year, rng.randint(3, 10), rng.randint(1, 28))
                if start > as_of:
                    continue
                designated = [b for b in county_bases.get(county, []) if b.in_force_on(start)]
                base = None
                if designated and base_rng.random() >= NO_BASE_SHARE:
                    base = base_rng.choice(designated)
                course = TrainingCourse(
                    name=f"{year}年{place}{rng.choice(TOPICS[kind])}培训班第{n + 1}期",
                    kind=kind,
                    provider=rng.choice(PROVIDERS),
                    base=base,
                    county_code=county,
                    start=start,
                    end=start + dt.timedelta(days=rng.randint(shortest, longest)),
                    subsidy_per_person=Decimal(subsidy),
                    created_by=ctx.county_clerk(county),
                )
                # Of working age on the course's first day too.
                trainees = [
                    pk for pk, birth, sex in chosen[n::courses] if _working_age(birth, sex, start)
                ]
                planned.append((course, trainees))
    TrainingCourse.objects.bulk_create([course for course, _ in planned], batch_size=BATCH)
    attendances = [
        TrainingAttendance(
            course_id=course.pk,
            person_id=pk,
            completed_on=course.end
            if course.end <= as_of and rng.random() < COMPLETE_SHARE
            else None,
        )
        for course, persons in planned
        for pk in persons
    ]
    TrainingAttendance.objects.bulk_create(attendances, batch_size=BATCH)
    ctx.counts.add(TrainingCourse._meta.db_table, len(planned))
    ctx.counts.add(TrainingAttendance._meta.db_table, len(attendances))
