"""Demo vocational training (issue 19 part 6, I02): each county's courses of each plan year
(kind, provider, training base, dates, subsidy per trainee) and their trainees, certified
persons of working age, most of whom complete the course.

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
from dpf.demo.places import COUNTY_BY_CODE
from dpf.employment.models import TrainingAttendance, TrainingCourse, TrainingKind
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
    """Courses per county and year from 2021 to ``ctx.as_of``, with their trainees and
    completions."""
    if TrainingCourse.objects.exists():
        return
    rng = ctx.rng("training")
    as_of: dt.date = ctx.as_of
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
                base = (
                    f"{place}残疾人职业技能培训基地（演示）"
                    if n % 2 == 0
                    else f"{place}技能大师工作室（演示）"
                )
                course = TrainingCourse(
                    name=f"{year}年{place}{rng.choice(TOPICS[kind])}培训班第{n + 1}期",
                    kind=kind,
                    provider=rng.choice(PROVIDERS),
                    training_base=base,
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
