"""Demo college graduates (issue 19 part 7, “一人一档、一人一策”): a file for about one in
five certified persons aged 22 to 29, graduated at 22 or 23, and one to four support actions
each since the summer they graduated. Whether they work comes from the employment step's
facts (run it first), so the list shows both employed and seeking graduates.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from ``ctx.rng``,
dates from ``ctx.as_of``, never the wall clock; bulk-written in the services' shapes (the
rules are the services', which tests/employment exercises). Adds nothing on a second run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dpf.employment.models import EducationLevel, GraduateFile, SupportAction, SupportActionKind
from dpf.rules.sql import shift_years

BATCH = 2000
CERTIFIED = "alive && certificate.valid"
SCHOOLS = [
    ("赤峰学院", ["计算机科学与技术", "汉语言文学", "会计学", "特殊教育"]),
    ("内蒙古师范大学", ["特殊教育", "音乐学", "美术学"]),
    ("赤峰工业职业技术学院", ["电子商务", "机电一体化技术"]),
    ("长春大学特殊教育学院", ["针灸推拿学", "视觉传达设计"]),
]
LEVELS = [EducationLevel.JUNIOR_COLLEGE, EducationLevel.BACHELOR, EducationLevel.POSTGRADUATE]
WISHES = ["本地企事业单位就业", "考取公务员或事业编制", "自主创业", "灵活就业", ""]
NOTES = {
    SupportActionKind.POLICY: "讲解残疾人就业创业扶持政策",
    SupportActionKind.JOB_RECOMMENDATION: "推荐适合岗位，协助投递简历",
    SupportActionKind.CAREER_GUIDANCE: "一对一职业指导，完善求职计划",
    SupportActionKind.TRAINING_REFERRAL: "推荐参加职业技能培训",
    SupportActionKind.START_UP: "协助申请创业补贴与场地",
    SupportActionKind.OTHER: "电话回访，了解求职进展",
}


def graduates(ctx: Any) -> None:
    if GraduateFile.objects.exists():
        return
    from dpf.registry.models import Person
    from dpf.rules import compile_rule

    rng = ctx.rng("graduates")
    as_of: dt.date = ctx.as_of
    persons = (
        Person.objects.filter(
            compile_rule(CERTIFIED).q(as_of),
            birth_date__gt=shift_years(as_of, -30),
            birth_date__lte=shift_years(as_of, -22),
        )
        .exclude(pk__in=ctx.journey_person_ids)
        .order_by("pk")
        .values_list("pk", "county_code", "birth_date")
    )
    files: list[GraduateFile] = []
    for pk, county, birth in persons.iterator(chunk_size=BATCH):
        if rng.random() >= 0.2:
            continue
        year = min(birth.year + rng.choice((22, 23)), as_of.year)
        school, majors = rng.choice(SCHOOLS)
        opened = min(dt.date(year, 7, 1), as_of)
        files.append(
            GraduateFile(
                person_id=pk,
                school=school,
                major=rng.choice(majors),
                education=rng.choices(LEVELS, [4, 5, 1])[0],
                graduation_year=year,
                wish=rng.choice(WISHES),
                created_on=opened,
                created_by=ctx.county_clerk(county),
            )
        )
    GraduateFile.objects.bulk_create(files, batch_size=BATCH)
    actions: list[SupportAction] = []
    kinds = list(NOTES)
    for row in files:
        span = max((as_of - row.created_on).days, 0)
        for _n in range(rng.randint(1, 4)):
            kind = rng.choice(kinds)
            actions.append(
                SupportAction(
                    file=row,
                    taken_on=row.created_on + dt.timedelta(days=rng.randint(0, span)),
                    kind=kind,
                    note=NOTES[kind],
                    created_by=row.created_by,
                )
            )
    SupportAction.objects.bulk_create(actions, batch_size=BATCH)
    ctx.counts.add(GraduateFile._meta.db_table, len(files))
    ctx.counts.add(SupportAction._meta.db_table, len(actions))
