"""Demo employment (issue 19 parts 5 and 7): the registry's employment facts for about a
third of the certified persons of working age, assisted-employment institutions in every
county (one to three, so some counties miss the plan's two) and placements in them, and
public-welfare posts; the rest of the working-age disabled persons' households show up on
the zero-employment list.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from ``ctx.rng``,
dates from ``ctx.as_of``, never the wall clock; bulk-written in the services' shapes (the
rules are the services', which tests/employment exercises). Adds nothing on a second run.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from dpf.core.bulk import insert_objects
from dpf.core.dates import age_on
from dpf.employment.models import AssistedInstitution, Placement, PlacementKind
from dpf.employment.records import RETIREMENT_AGE, WORKING_AGE_FROM
from dpf.registry.models import Employment, EmploymentKind, Person, Sex

BATCH = 5000
CERTIFIED = "alive && certificate.valid"
# The kinds of work of the persons not placed, with their weights.
KINDS = [
    (EmploymentKind.AGRICULTURAL, 40),
    (EmploymentKind.FLEXIBLE, 20),
    (EmploymentKind.SELF_EMPLOYED, 12),
    (EmploymentKind.PROPORTIONAL, 12),
    (EmploymentKind.CONCENTRATED, 6),
]
EMPLOYERS = ["赤峰市福利企业", "红山区物业公司", "松山区农业合作社", "宁城县食品厂"]
POSTS = ["村级残疾人专职委员", "保洁员", "护林员", "公共设施管护员"]


def employment(ctx: Any) -> None:
    if Employment.objects.exists() or AssistedInstitution.objects.exists():
        return
    from dpf.rules import compile_rule

    rng = ctx.rng("employment")
    as_of: dt.date = ctx.as_of
    persons = (
        Person.objects.filter(compile_rule(CERTIFIED).q(as_of))
        .exclude(pk__in=ctx.journey_person_ids)
        .order_by("pk")
        .values_list("pk", "county_code", "birth_date", "sex")
    )
    institutions: dict[str, list[AssistedInstitution]] = {}
    facts: list[Employment] = []
    placed: list[tuple[int, str, str, AssistedInstitution | None, str]] = []
    kinds, weights = zip(*KINDS, strict=True)
    written = 0
    for pk, county, birth, sex in persons.iterator(chunk_size=BATCH):
        age = age_on(birth, as_of)
        if not WORKING_AGE_FROM <= age < RETIREMENT_AGE.get(Sex(sex), 60):
            continue
        draw = rng.random()
        if draw >= 0.36:
            continue
        since = dt.date(rng.randint(2016, as_of.year - 1), rng.randint(1, 12), 1)
        if draw < 0.03:
            if county not in institutions:
                clerk = ctx.county_clerk(county)
                institutions[county] = [
                    AssistedInstitution.objects.create(
                        name=f"阳光家园{county}-{n + 1}",
                        operator="旗县区残联",
                        county_code=county,
                        capacity=rng.randint(20, 60),
                        opened_on=dt.date(2018 + n, 3, 1),
                        created_by=clerk,
                    )
                    for n in range(rng.randint(1, 3))
                ]
            home = rng.choice(institutions[county])
            since = max(since, home.opened_on)
            placed.append((pk, county, PlacementKind.ASSISTED, home, ""))
            facts.append(
                Employment(
                    person_id=pk,
                    kind=EmploymentKind.ASSISTED,
                    valid_from=since,
                    employer_name=home.name,
                    source="demo",
                )
            )
        elif draw < 0.05:
            post = rng.choice(POSTS)
            placed.append((pk, county, PlacementKind.PUBLIC_WELFARE, None, post))
            facts.append(
                Employment(
                    person_id=pk,
                    kind=EmploymentKind.PUBLIC_WELFARE,
                    valid_from=since,
                    employer_name="苏木乡镇人民政府",
                    source="demo",
                )
            )
        else:
            kind = rng.choices(kinds, weights)[0]
            ended = rng.random() < 0.15
            facts.append(
                Employment(
                    person_id=pk,
                    kind=kind,
                    valid_from=since,
                    valid_to=(since + dt.timedelta(days=rng.randint(90, 900))) if ended else None,
                    employer_name=(
                        rng.choice(EMPLOYERS)
                        if kind in (EmploymentKind.PROPORTIONAL, EmploymentKind.CONCENTRATED)
                        else ""
                    ),
                    source="demo",
                )
            )
        if len(facts) >= BATCH:  # written as they fill: memory flat with the registry
            written += _write(ctx, facts, placed)
            facts, placed = [], []
    written += _write(ctx, facts, placed)
    ctx.counts.add(Employment._meta.db_table, written)


def _write(
    ctx: Any,
    facts: list[Employment],
    placed: list[tuple[int, str, str, AssistedInstitution | None, str]],
) -> int:
    """Write a batch of employment facts and the placements of those of them that are
    placements (``placed``, in the same order); the number of facts."""
    insert_objects(Employment, facts, numbered=True)
    # the placements follow the facts written for them (ids set), in the same order
    placed_facts = [f for f in facts if f.kind in PlacementKind.values]
    insert_objects(
        Placement,
        [
            Placement(
                kind=kind,
                person_id=pk,
                employment=fact,
                institution=home,
                post=post,
                county_code=home.county_code if home else county,
                created_by=ctx.county_clerk(county),
            )
            for (pk, county, kind, home, post), fact in zip(placed, placed_facts, strict=True)
        ],
    )
    ctx.counts.add(Placement._meta.db_table, len(placed))
    return len(facts)
