"""Demo child rehabilitation assistance (残疾儿童康复救助, issue 18 part 4, T0303): the
approved assistance (the catalogue's benefit ``child_rehab``) of certified children with a
rehabilitation need, and their yearly plans with sessions at an institution designated by the
city.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from
``ctx.rng("child_rehab")``, dates from ``ctx.as_of``, never the wall clock. The assistance
periods are bulk-written as ``dpf.demo.history`` writes the allowances (the shapes of the
workflow's approval: an entitlement with its ``created`` event, closed with a ``terminated``
one when the child leaves the rule), and the plans in the shape of
``dpf.services.services.rehab_plan_create``, whose child rules hold for every plan written:
the assistance approved and in force on the plan's start, the need and the certificate in
force that day, an institution designated on that day, the end before the 8th birthday.

Who: the catalogue's rule in force to 2026-12-31 (``alive && age >= 0 && age < 7 &&
survey.rehab_need``; the demo ends by 2025), for a child with a valid certificate. About 8 %
of the periods a child is eligible for are never applied for, and an application is approved
three to thirteen weeks after the child becomes eligible, so the most recently certified or
surveyed children are still waiting on the demo's date; a child of 7 has left the rule that
T0303 (0-7) still counts. T0303 is therefore a figure below 100 %. About 90 % of the years a
child holds the assistance have a plan with sessions, its cost within the year's standard
(``dpf.services.child_rehab.yearly_standard``). Each application is preceded by the child's
screening (a hospital or a maternal and child health institution, under 7) or referral
(kindergarten, township worker, parent) three to thirteen weeks before the approval; half
of the children who never applied were referred too, and the county closed the follow-up of
those referred more than three months before the demo's date, so the follow-up list holds
the children still waiting and the recent ones. Screenings, referrals and costs draw on
``ctx.rng("child_referral")``, so the assistance periods and plans are those drawn before.
Adds nothing on a second run.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from dpf.benefits.models import BenefitItem, Entitlement, EntitlementStatus
from dpf.benefits.standards import StandardTable
from dpf.core import audit
from dpf.core.bulk import create_in_batches, insert_objects
from dpf.core.dates import add_years, age_on
from dpf.demo.columns import Rows
from dpf.demo.history import (
    DAY,
    OPEN,
    SOURCE,
    Interval,
    _events,
    _span,
    _status_reason,
    intersect,
    merge,
)
from dpf.registry.models import Certificate, NeedsSurvey, Person
from dpf.registry.services import mark_facts_changed
from dpf.services.child_rehab import (
    CHILD_REHAB_AGE_LIMIT,
    CHILD_REHAB_BENEFIT,
    SCREENING_AGE_LIMIT,
    standard_table,
    yearly_standard,
)
from dpf.services.models import (
    ChildReferral,
    Institution,
    InstitutionKind,
    RehabPlan,
    RehabSession,
)
from dpf.workflow.models import EntitlementEvent

PLAN_START_YEAR = 2021
BATCH = 5000
RULE_FROM = dt.date(2018, 10, 1)  # the catalogue's first child_rehab rule
RULE_AGE_LIMIT = 7  # its ``age < 7`` (to 2026-12-31; ``age < 8`` from 2027)
NEVER_APPLIED = 0.08
YEARS_SERVED = 0.90
NEVER_APPLIED_REFERRED = 0.5
CLOSED_AFTER = dt.timedelta(days=90)  # the county closes a follow-up older than this
SCREENERS = [
    ("hospital", "赤峰市医院儿科"),
    ("hospital", "旗县人民医院儿科"),
    ("maternal_child", "旗县妇幼保健院"),
]
REFERRERS = [
    ("kindergarten", "中心幼儿园"),
    ("township_worker", "苏木乡镇残联专职委员"),
    ("parent", "儿童家长"),
    ("hospital", "赤峰市医院康复科"),
]
FINDINGS = [
    "听力筛查未通过，疑似听力障碍 / failed the hearing screening",
    "运动发育迟缓 / delayed motor development",
    "语言发育迟缓 / delayed speech",
    "视力筛查异常 / abnormal vision screening",
    "疑似孤独症谱系障碍 / suspected autism spectrum disorder",
]
Reason = EntitlementEvent.Reason


def _need_spans(surveys: list[tuple[dt.date, bool]]) -> list[Interval]:
    """The days a survey in force found a rehabilitation need (each answer holds until the
    next survey)."""
    spans: list[Interval] = []
    for n, (day, need) in enumerate(surveys):
        end = surveys[n + 1][0] - DAY if n + 1 < len(surveys) else OPEN
        if need and day <= end:
            spans.append((day, end))
    return merge(spans)


def _eligible(
    birth: dt.date,
    death: dt.date | None,
    certificates: list[Interval],
    surveys: list[tuple[dt.date, bool]],
) -> list[Interval]:
    """The days the rule holds for a child with a valid certificate."""
    days = [(max(birth, RULE_FROM), add_years(birth, RULE_AGE_LIMIT) - DAY)]
    if death is not None:
        days = intersect(days, [(birth, death)])
    days = intersect(days, merge(certificates))
    return intersect(days, _need_spans(surveys))


def _facts(
    ids: list[int],
) -> tuple[dict[int, list[Interval]], dict[int, list[tuple[dt.date, bool]]]]:
    """The children's certificate spans and survey answers (rehabilitation need), by person."""
    certificates: dict[int, list[Interval]] = defaultdict(list)
    for pk, start, end in Certificate.objects.filter(person__in=ids).values_list(
        "person_id", "valid_from", "valid_to"
    ):
        certificates[pk].append(_span(start, end))
    surveys: dict[int, list[tuple[dt.date, bool]]] = defaultdict(list)
    for pk, day, need in (
        NeedsSurvey.objects.filter(person__in=ids)
        .order_by("person_id", "survey_date", "pk")
        .values_list("person_id", "survey_date", "rehab_need")
    ):
        surveys[pk].append((day, need))
    return certificates, surveys


def child_rehabilitation(ctx: Any) -> None:
    """Assistance periods, and plans with sessions, for the children of the registry."""
    benefit = BenefitItem.objects.filter(code=CHILD_REHAB_BENEFIT).first()
    if benefit is None or Entitlement.objects.filter(benefit=benefit).exists():
        return
    rng = ctx.rng("child_rehab")
    as_of: dt.date = ctx.as_of
    # Under the rule at some time since its start: born after RULE_FROM minus 7 years.
    children = list(
        Person.objects.filter(
            birth_date__gt=add_years(RULE_FROM, -RULE_AGE_LIMIT),
            birth_date__lte=as_of,
            surveys__rehab_need=True,
        )
        .distinct()
        .order_by("pk")
        .values_list(
            "pk", "birth_date", "death_date", "county_code", "township_code", "village_code"
        )
    )
    if not children:
        return
    certificates, surveys = _facts([row[0] for row in children])
    standard = StandardTable.load(benefit)
    referrals = _Referrals(ctx.rng("child_referral"), as_of)
    rows: list[Entitlement] = []
    for pk, birth, death, county, township, village in children:
        where = (county, township, village)
        for start, end in _eligible(birth, death, certificates[pk], surveys[pk]):
            if start > as_of:
                continue
            if rng.random() < NEVER_APPLIED:
                referrals.never_applied(pk, birth, start, min(end, as_of), where)
                continue
            # Applied some weeks after, approved by the county some weeks later.
            approved = start + dt.timedelta(days=rng.randint(10, 60) + rng.randint(10, 30))
            if approved > end:
                continue  # no longer eligible when it would be decided
            referrals.before(pk, birth, min(approved, as_of), where)
            if approved > as_of:
                continue  # still waiting
            last = end if end <= as_of else None
            status = EntitlementStatus.ACTIVE if last is None else EntitlementStatus.TERMINATED
            died = death is not None and last is not None and last >= death - DAY
            rows.append(
                Entitlement(
                    person_id=pk,
                    benefit=benefit,
                    status=status,
                    valid_from=approved,
                    valid_to=last,
                    monthly_amount=standard.pick(county, None, approved),
                    source=SOURCE,
                    status_reason=_status_reason(
                        status, Reason.DEATH if died else Reason.NO_LONGER_ELIGIBLE
                    ),
                )
            )
    insert_objects(Entitlement, rows, numbered=True)  # the events name them
    events = list(_events(rows))
    insert_objects(EntitlementEvent, events)
    mark_facts_changed([row.person_id for row in rows])
    audit.record(
        actor=None,
        actor_name="dpf demo generate",
        action="create",
        object_type="demo_child_rehab",
        changes={"entitlements": len(rows), "events": len(events), "as_of": str(as_of)},
    )
    ctx.counts.add(Entitlement._meta.db_table, len(rows))
    ctx.counts.add(EntitlementEvent._meta.db_table, len(events))
    insert_objects(ChildReferral, referrals.rows)
    ctx.counts.add(ChildReferral._meta.db_table, len(referrals.rows))
    _plans(ctx, rng, as_of, rows, {row[0]: row for row in children}, referrals.rng)


class _Referrals:
    """The screenings and referrals before the applications, in the shape of
    ``dpf.services.child_rehab.child_referral_record`` (a child under 8 that day, a screening
    only by a health institution and under 7, on or after the birth, not after the demo's
    date), one per (child, kind, day, source)."""

    def __init__(self, rng: Any, as_of: dt.date) -> None:
        self.rng = rng
        self.as_of = as_of
        self.rows: list[ChildReferral] = []
        self._seen: set[tuple[int, str, dt.date, str]] = set()

    def before(
        self, pk: int, birth: dt.date, day: dt.date, where: tuple[str, str, str]
    ) -> ChildReferral | None:
        """A screening or referral three to thirteen weeks before ``day``."""
        date = max(day - dt.timedelta(days=self.rng.randint(21, 90)), birth)
        if date > self.as_of or age_on(birth, date) >= CHILD_REHAB_AGE_LIMIT:
            return None
        screened = age_on(birth, date) < SCREENING_AGE_LIMIT and self.rng.random() < 0.6
        source, name = self.rng.choice(SCREENERS if screened else REFERRERS)
        kind = "screening" if screened else "referral"
        if (pk, kind, date, source) in self._seen:
            return None
        self._seen.add((pk, kind, date, source))
        county, township, village = where
        row = ChildReferral(
            person_id=pk,
            kind=kind,
            date=date,
            source=source,
            source_name=name,
            finding=self.rng.choice(FINDINGS),
            county_code=county,
            township_code=township,
            village_code=village,
        )
        self.rows.append(row)
        return row

    def never_applied(
        self,
        pk: int,
        birth: dt.date,
        start: dt.date,
        last: dt.date,
        where: tuple[str, str, str],
    ) -> None:
        """Half of the children never applied for were referred while eligible; the
        county closed the follow-up of those referred long enough ago."""
        if self.rng.random() >= NEVER_APPLIED_REFERRED:
            return
        day = start + dt.timedelta(days=self.rng.randint(0, max((last - start).days, 0)) + 21)
        row = self.before(pk, birth, day, where)
        if row is not None and row.date + CLOSED_AFTER < self.as_of:
            row.closed_on = row.date + dt.timedelta(days=self.rng.randint(30, 80))
            row.close_reason = "家长暂不申请 / the family did not apply"


def _plans(
    ctx: Any,
    rng: Any,
    as_of: dt.date,
    periods: list[Entitlement],
    children: dict[int, tuple[int, dt.date, dt.date | None, str, str, str]],
    cost_rng: Any,
) -> None:
    """A plan in most years of each assistance period, starting while the assistance is in
    force, at an institution designated on its start (the child's county's when there is
    one), ending before the 8th birthday, costing half to all of the year's standard; a
    few sessions each."""
    table = standard_table()
    yearly: dict[tuple[str, int], Decimal] = {}
    institutions = list(
        Institution.objects.filter(
            kind=InstitutionKind.REHABILITATION, designated_from__isnull=False
        )
        .order_by("code")
        .only("pk", "county_code", "designated_from", "designated_to")
    )
    plans: list[RehabPlan] = []
    written = Rows(3)
    for period in periods:
        pk, birth, _death, county, township, village = children[period.person_id]
        eighth = add_years(birth, CHILD_REHAB_AGE_LIMIT)
        period_end = min(period.valid_to or as_of, as_of)
        for year in range(max(PLAN_START_YEAR, period.valid_from.year), period_end.year + 1):
            if rng.random() >= YEARS_SERVED:
                continue
            first = max(period.valid_from, dt.date(year, 1, 1))
            last = min(period_end, dt.date(year, 12, 31))
            if last < first:
                continue
            start = first + dt.timedelta(days=rng.randint(0, min(60, (last - first).days)))
            designated = [
                i
                for i in institutions
                if i.designated_from is not None
                and i.designated_from <= start
                and (i.designated_to is None or start <= i.designated_to)
            ]
            if not designated:
                continue
            near = [i for i in designated if i.county_code == county]
            end = min(dt.date(year, 12, 31), eighth - DAY, as_of)
            closed = end < as_of
            if (county, year) not in yearly:
                found = yearly_standard(county, None, year, table)
                yearly[(county, year)] = found.amount if found else Decimal(0)
            share = Decimal(cost_rng.randint(50, 100)) / 100
            cost = (yearly[(county, year)] * share).quantize(Decimal("100"))
            plans.append(
                RehabPlan(
                    person_id=pk,
                    institution=rng.choice(near or designated),
                    kind=rng.choice(["training", "training", "medical"]),
                    start=start,
                    end=end,
                    planned_sessions=rng.randint(24, 96),
                    cost=cost,
                    county_code=county,
                    township_code=township,
                    village_code=village,
                    outcome=rng.choice(["improved", "improved", "stable"]) if closed else "",
                    closed_on=end if closed else None,
                )
            )
        if len(plans) >= BATCH:  # written as they fill, kept as (id, start, end) only
            written.extend(_write_plans(plans))
            plans = []
    written.extend(_write_plans(plans))
    ctx.counts.add(RehabPlan._meta.db_table, len(written))
    sessions = create_in_batches(RehabSession, _sessions(rng, written), BATCH)
    ctx.counts.add(RehabSession._meta.db_table, sessions)


def _write_plans(plans: list[RehabPlan]) -> Iterator[tuple[int, dt.date, dt.date]]:
    insert_objects(RehabPlan, plans, numbered=True)  # the sessions name them
    return ((plan.pk, plan.start, plan.end) for plan in plans)


def _sessions(rng: Any, written: Rows) -> Iterator[RehabSession]:
    """A few sessions of each plan written (id, start, end), drawn after every plan (the
    draws' order)."""
    for plan_id, start, end in written:
        for _ in range(rng.randint(2, 6)):
            yield RehabSession(
                plan_id=plan_id,
                date=start + dt.timedelta(days=rng.randint(0, (end - start).days)),
                content="儿童康复训练（演示）",
            )
