"""Child rehabilitation assistance (残疾儿童康复救助, T0303): every write and rule of it
outside the workflow's approval.

- A child's **screening or referral** (筛查/转介) before the application: who found the
  child, when and what; the county follows it until the assistance is applied for.
- A child's **plan** (made by ``services.rehab_plan_create``) needs the assistance approved
  and in force, a designated institution, an end before the 8th birthday and a cost within
  the **yearly standard**: the catalogue's dated amount standard of ``child_rehab``
  (``benefits.AmountStandard``, the one configuration of amounts), taken month by month
  over the calendar year (the monthly standard in force on each month's first day, summed:
  1,500 x 12 = 18,000 yuan a year as shipped, an illustrative value). The plans of one
  child that start in a calendar year share that year's amount.
- The **transition at 8** (转衔): the daily job ``services.child_rehab_transition`` ends the
  assistance the day before the 8th birthday (never earlier than the day before it runs, so
  no figure of a past day changes) and opens the child's hand-over to the adult services.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import region_in_scope, scope_queryset
from dpf.benefits.models import AmountStandard, BenefitItem, Entitlement, EntitlementStatus
from dpf.benefits.standards import StandardTable
from dpf.core import audit
from dpf.core.dates import add_years, age_on, local_today
from dpf.core.errors import NotFound
from dpf.core.inputs import clean_text, not_after, refuse
from dpf.registry.models import Certificate, Person
from dpf.services.child_models import (
    SCREENING_SOURCES,
    ChildReferral,
    ChildTransition,
    ReferralKind,
    ReferralSource,
)
from dpf.services.models import Institution, RehabPlan
from dpf.workflow.models import EntitlementEvent
from dpf.workflow.services.entitlements import terminate_many

# Children under 8 (0-7, to the day before the 8th birthday) are served under the
# catalogue's benefit of this code.
CHILD_REHAB_BENEFIT = "child_rehab"
CHILD_REHAB_AGE_LIMIT = 8
SCREENING_AGE_LIMIT = 7  # the 0-6 screening (0-6岁儿童残疾筛查)
MAX_PLAN_COST = Decimal("1000000")
DAY = dt.timedelta(days=1)
# Hand-overs are opened for children who turned 8 within this many days before the run
# (a job that did not run for a while still opens them; older ones are history).
TRANSITION_LOOKBACK = dt.timedelta(days=366)
TRANSITION_SOURCE = "job:services.child_rehab_transition"
TRANSITION_REASON = (
    "年满8周岁，转入成人康复服务 / turned 8: the adult rehabilitation services follow"
)


def eighth_birthday(birth: dt.date) -> dt.date:
    return add_years(birth, CHILD_REHAB_AGE_LIMIT)


def is_child(person: Person, on: dt.date) -> bool:
    return age_on(person.birth_date, on) < CHILD_REHAB_AGE_LIMIT


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


# --- the yearly standard ----------------------------------------------------------------


@dataclass(frozen=True)
class YearlyStandard:
    """The assistance a child may use in one calendar year: the monthly standard in force
    on each month's first day, summed; ``monthly`` is that standard when it was the same all
    year (the pages show "1,500.00 x 12"); ``illustrative`` when any month's is."""

    year: int
    amount: Decimal
    monthly: Decimal | None
    illustrative: bool


def standard_table() -> StandardTable[AmountStandard]:
    """The child assistance's amount standards, read once."""
    return StandardTable.of(AmountStandard.objects.filter(benefit__code=CHILD_REHAB_BENEFIT))


def yearly_standard(
    county_code: str,
    level: int | None,
    year: int,
    table: StandardTable[AmountStandard] | None = None,
) -> YearlyStandard | None:
    """The yearly standard for a child of ``county_code`` (and certificate ``level``) in
    ``year``; ``None`` when no standard is in force in any month of it."""
    table = table if table is not None else standard_table()
    months = [table.pick(county_code, level, dt.date(year, m, 1)) for m in range(1, 13)]
    found = [s for s in months if s is not None]
    if not found:
        return None
    amounts = {s.monthly_amount for s in found}
    return YearlyStandard(
        year=year,
        amount=sum((s.monthly_amount for s in found), Decimal("0.00")),
        monthly=amounts.pop() if len(amounts) == 1 and len(found) == 12 else None,
        illustrative=any(s.illustrative for s in found),
    )


def _level_on(person: Person, on: dt.date) -> int | None:
    return (
        Certificate.objects.filter(Certificate.as_of_q(on), person=person)
        .values_list("level", flat=True)
        .first()
    )


def child_standard(person: Person, year: int) -> YearlyStandard | None:
    """The yearly standard that applies to this child in ``year`` (their county, and the
    certificate level in force on 1 January or, for a child certified later, on 31 December)."""
    level = _level_on(person, dt.date(year, 1, 1)) or _level_on(person, dt.date(year, 12, 31))
    return yearly_standard(person.county_code, level, year)


def cost_used(person: Person, year: int, *, exclude_plan_id: int | None = None) -> Decimal:
    """What the child's plans that start in ``year`` before the 8th birthday cost (the
    assistance used that year); a plan without a cost counts nothing."""
    plans = RehabPlan.objects.filter(
        person=person,
        start__gte=dt.date(year, 1, 1),
        start__lte=dt.date(year, 12, 31),
        start__lt=eighth_birthday(person.birth_date),
    )
    if exclude_plan_id is not None:
        plans = plans.exclude(pk=exclude_plan_id)
    return plans.aggregate(total=Sum("cost"))["total"] or Decimal("0.00")


# --- a child's plan -----------------------------------------------------------------------


def check_child_plan(
    person: Person,
    institution: Institution,
    start: dt.date,
    end: dt.date,
    cost: Decimal | None,
) -> None:
    """A child's plan is the child rehabilitation assistance: at an institution designated
    by the city on the start date, for a child whose assistance (the benefit
    ``child_rehab``) was approved through the workflow and is in force on that date, ending
    before the 8th birthday (from then on the adult services apply), and costing no more
    than what is left of the start year's standard. The caller holds the person's row lock,
    so two plans of one child are checked one after the other."""
    from dpf.services.counters import designated_institutions

    eighth = eighth_birthday(person.birth_date)
    if end >= eighth:
        last = eighth - DAY
        raise refuse(
            "child_turns_eight",
            f"儿童将于{eighth}年满8周岁，康复救助计划最晚到{last}；此后转入成人康复服务",
            f"the child turns 8 on {eighth}: the assistance plan ends by {last} at the latest; "
            "adult rehabilitation services follow",
            "end",
        )
    if (
        not Institution.objects.filter(pk=institution.pk)
        .filter(designated_institutions(start))
        .exists()
    ):
        raise refuse(
            "child_institution_not_designated",
            "残疾儿童康复救助须在计划开始日期的定点康复机构进行",
            "a child's rehabilitation assistance is given at an institution designated on the "
            "plan's start date",
            "institution",
        )
    approved = Entitlement.objects.filter(
        Entitlement.as_of_q(start), person=person, benefit__code=CHILD_REHAB_BENEFIT
    )
    if not approved.exists():
        raise refuse(
            "child_rehab_not_approved",
            "该儿童在计划开始日期没有经审批的残疾儿童康复救助，请先受理申请",
            "on the plan's start date this child holds no approved rehabilitation assistance: "
            "take the application first",
            "start",
        )
    if cost is None:
        raise refuse(
            "child_plan_cost",
            "残疾儿童康复救助计划须填写计划费用",
            "a child's assistance plan needs its cost",
            "cost",
        )
    if cost < 0 or cost > MAX_PLAN_COST:
        raise refuse(
            "child_plan_cost",
            f"计划费用应为0至{_money(MAX_PLAN_COST)}元",
            f"the cost must be 0 to {_money(MAX_PLAN_COST)} yuan",
            "cost",
        )
    standard = child_standard(person, start.year)
    if standard is None:
        raise refuse(
            "child_rehab_no_standard",
            f"{start.year}年没有生效的残疾儿童康复救助标准，请先设定补贴标准",
            f"no child rehabilitation assistance standard is in force in {start.year}: "
            "set the amount standard first",
            "start",
        )
    used = cost_used(person, start.year)
    if used + cost > standard.amount:
        left = max(standard.amount - used, Decimal("0.00"))
        raise refuse(
            "child_rehab_over_standard",
            f"超出{start.year}年度残疾儿童康复救助标准{_money(standard.amount)}元："
            f"本年度已用{_money(used)}元，尚余{_money(left)}元，本计划{_money(cost)}元",
            f"over the {start.year} yearly child rehabilitation assistance standard of "
            f"{_money(standard.amount)} yuan: {_money(used)} used this year, {_money(left)} "
            f"left, this plan {_money(cost)}",
            "cost",
        )


def hand_over_to_plan(person: Person, plan: RehabPlan) -> int | None:
    """An adult plan made for a child handed over at 8 closes the hand-over (on the plan's
    start); the id of the hand-over closed, if any."""
    found = ChildTransition.objects.filter(person=person, handed_over_on__isnull=True).first()
    if found is None or plan.start < found.turned_eight_on:
        return None
    found.handed_over_on = plan.start
    found.plan = plan
    found.save(update_fields=["handed_over_on", "plan"])
    return found.pk


# --- screening and referral ---------------------------------------------------------------


@transaction.atomic
def child_referral_record(
    *,
    actor: User,
    person_id: int,
    kind: str,
    date: dt.date,
    source: str,
    source_name: str,
    finding: str,
    today: dt.date | None = None,
) -> ChildReferral:
    """Record that a child under 8 was screened (by a hospital or a maternal and child
    health institution, the 0-6 screening) or referred for rehabilitation assistance: the
    county follows the child until the assistance is applied for."""
    require_permission(actor, "create", "child_referral", person_id)
    person = (
        scope_queryset(actor, Person.objects.select_for_update().defer("id_number"))
        .filter(pk=person_id)
        .first()
    )
    if person is None or not region_in_scope(actor, person.village_code):
        raise NotFound("person")
    if kind not in ReferralKind.values:
        raise refuse("referral_kind", "请选择筛查或转介", "choose screening or referral", "kind")
    if source not in ReferralSource.values:
        raise refuse(
            "referral_source",
            "请选择筛查（转介）方",
            "choose who screened or referred the child",
            "source",
        )
    if kind == ReferralKind.SCREENING and source not in SCREENING_SOURCES:
        raise refuse(
            "screening_source",
            "筛查须由医院或妇幼保健机构进行；其他来源请登记为转介",
            "a screening is done by a hospital or a maternal and child health institution; "
            "record anyone else as a referral",
            "source",
        )
    not_after(date, today or local_today(), field="date", label=("筛查（转介）日期", "date"))
    if date < person.birth_date:
        raise refuse(
            "referral_before_birth",
            "筛查（转介）日期不能早于出生日期",
            "the date cannot be before the child's birth",
            "date",
        )
    if person.death_date is not None and date > person.death_date:
        raise refuse(
            "person_dead",
            "该儿童已死亡，不能登记死亡日期之后的筛查（转介）",
            "the child has died: nothing can be recorded after the date of death",
            "date",
        )
    if not is_child(person, date):
        eighth = eighth_birthday(person.birth_date)
        raise refuse(
            "referral_not_child",
            f"筛查转介仅限未满8周岁的儿童：该儿童于{eighth}年满8周岁，请转入成人康复服务",
            f"screening and referral are for children under 8: this child turned 8 on "
            f"{eighth}; the adult rehabilitation services apply",
            "date",
        )
    if kind == ReferralKind.SCREENING and age_on(person.birth_date, date) >= SCREENING_AGE_LIMIT:
        raise refuse(
            "screening_age",
            "0-6岁儿童残疾筛查仅限未满7周岁的儿童；7周岁的儿童请登记为转介",
            "the 0-6 screening is for children under 7; record a child of 7 as a referral",
            "date",
        )
    name = clean_text(
        source_name,
        field="source_name",
        label=("机构或人员名称", "name of the institution or person"),
        limit=100,
    )
    text = clean_text(
        finding, field="finding", label=("筛查结果或转介原因", "finding or reason"), limit=300
    )
    if ChildReferral.objects.filter(person=person, kind=kind, date=date, source=source).exists():
        raise refuse(
            "referral_duplicate",
            "该儿童这一天的此项筛查（转介）已登记",
            "this screening or referral of the child on that day is already recorded",
            "date",
        )
    referral = ChildReferral.objects.create(
        person=person,
        kind=kind,
        date=date,
        source=source,
        source_name=name,
        finding=text,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="child_referral",
        object_id=referral.pk,
        # The finding is health information: its text stays out of the log.
        changes={"person_id": person.pk, "kind": kind, "date": date.isoformat(), "source": source},
    )
    return referral


@transaction.atomic
def child_referral_close(
    *,
    actor: User,
    referral_id: int,
    closed_on: dt.date,
    reason: str,
    today: dt.date | None = None,
) -> ChildReferral:
    """Stop following a referred child without an application (not disabled after all,
    the family declined, moved away), with the reason."""
    require_permission(actor, "change", "child_referral", referral_id)
    referral = (
        scope_queryset(actor, ChildReferral.objects.select_for_update())
        .filter(pk=referral_id)
        .first()
    )
    if referral is None:
        raise PermissionRefused("change", "child_referral", referral_id)
    if referral.closed_on is not None:
        raise refuse(
            "referral_closed",
            "该筛查转介已结束跟进",
            "this referral is already closed",
            "closed_on",
        )
    not_after(closed_on, today or local_today(), field="closed_on", label=("结束日期", "date"))
    if closed_on < referral.date:
        raise refuse(
            "referral_close_before",
            f"结束日期不能早于筛查（转介）日期{referral.date}",
            f"the date cannot be before the screening or referral ({referral.date})",
            "closed_on",
        )
    text = clean_text(reason, field="reason", label=("结束跟进原因", "reason"), limit=300)
    referral.closed_on = closed_on
    referral.close_reason = text
    referral.save(update_fields=["closed_on", "close_reason"])
    audit.record(
        actor=actor,
        action="change",
        object_type="child_referral",
        object_id=referral.pk,
        changes={"closed_on": closed_on.isoformat()},
    )
    return referral


# --- the transition at 8 ------------------------------------------------------------------


@dataclass(frozen=True)
class TransitionRun:
    ended: int  # assistance periods ended at the 8th birthday
    opened: int  # hand-overs opened


@transaction.atomic
def child_rehab_transition(*, today: dt.date, now: dt.datetime | None = None) -> TransitionRun:
    """End the assistance of every child who has turned 8 by ``today`` on the day before the
    8th birthday, or the day before ``today`` when the job runs late (a past day's figure
    never changes), and open a hand-over for each child whose assistance was in force on the
    day before their 8th birthday within ``TRANSITION_LOOKBACK``; set-based, and a second
    run on the same day changes nothing."""
    benefit = BenefitItem.objects.filter(code=CHILD_REHAB_BENEFIT).first()
    if benefit is None:
        return TransitionRun(0, 0)
    # Born on or before this day: turned 8 by today (29 February: see ``add_years``).
    born_by = add_years(today, -CHILD_REHAB_AGE_LIMIT) + DAY
    running = (
        Entitlement.objects.filter(
            benefit=benefit, status=EntitlementStatus.ACTIVE, person__birth_date__lte=born_by
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .values_list("pk", "valid_from", "person__birth_date")
    )
    last_days: dict[int, dt.date] = {}
    for pk, start, birth in running:
        eighth = eighth_birthday(birth)
        if eighth <= today:
            last_days[pk] = max(eighth - DAY, today - DAY, start)
    ended = terminate_many(
        last_days=last_days,
        reason_code=EntitlementEvent.Reason.NO_LONGER_ELIGIBLE,
        reason=TRANSITION_REASON,
        source=TRANSITION_SOURCE,
        now=now,
    )
    since = today - TRANSITION_LOOKBACK
    candidates = (
        Entitlement.objects.filter(benefit=benefit)
        .filter(
            Q(pk__in=[row.pk for row in ended])
            | Q(
                person__birth_date__gte=add_years(since, -CHILD_REHAB_AGE_LIMIT) - DAY,
                person__birth_date__lte=born_by,
            )
        )
        .exclude(person_id__in=ChildTransition.objects.values("person_id"))
        .values_list(
            "pk",
            "person_id",
            "valid_from",
            "valid_to",
            "person__birth_date",
            "person__county_code",
            "person__township_code",
            "person__village_code",
        )
        .order_by("person_id", "valid_from")
    )
    ended_ids = {row.pk for row in ended}
    opened: dict[int, ChildTransition] = {}
    for pk, person_id, start, end, birth, county, township, village in candidates:
        eighth = eighth_birthday(birth)
        last_child_day = eighth - DAY
        in_window = since <= eighth <= today or pk in ended_ids
        covered = start <= last_child_day and (end is None or end >= last_child_day)
        if in_window and (covered or pk in ended_ids) and person_id not in opened:
            opened[person_id] = ChildTransition(
                person_id=person_id,
                entitlement_id=pk,
                turned_eight_on=eighth,
                county_code=county,
                township_code=township,
                village_code=village,
            )
    rows = ChildTransition.objects.bulk_create(opened.values())
    if rows:
        audit.record(
            actor=None,
            actor_name="scheduler",
            action="create",
            object_type="child_transition",
            changes={"opened": len(rows), "on": today.isoformat()},
        )
    return TransitionRun(ended=len(ended), opened=len(rows))


@transaction.atomic
def child_transition_close(
    *,
    actor: User,
    transition_id: int,
    closed_on: dt.date,
    note: str,
    today: dt.date | None = None,
) -> ChildTransition:
    """Close a hand-over without an adult plan (no adult rehabilitation need, the family
    declined, moved away), with what was found."""
    require_permission(actor, "create", "service_plan", transition_id)
    found = (
        scope_queryset(actor, ChildTransition.objects.select_for_update())
        .filter(pk=transition_id)
        .first()
    )
    if found is None:
        raise PermissionRefused("create", "service_plan", transition_id)
    if found.handed_over_on is not None:
        raise refuse(
            "transition_closed", "该儿童已完成转衔", "this hand-over is already done", "closed_on"
        )
    not_after(closed_on, today or local_today(), field="closed_on", label=("转衔日期", "date"))
    if closed_on < found.turned_eight_on:
        raise refuse(
            "transition_before_birthday",
            f"转衔日期不能早于年满8周岁的日期{found.turned_eight_on}",
            f"the hand-over cannot be before the 8th birthday ({found.turned_eight_on})",
            "closed_on",
        )
    text = clean_text(note, field="note", label=("转衔情况", "what was found"), limit=300)
    found.handed_over_on = closed_on
    found.note = text
    found.closed_by = actor
    found.save(update_fields=["handed_over_on", "note", "closed_by"])
    audit.record(
        actor=actor,
        action="change",
        object_type="child_transition",
        object_id=found.pk,
        changes={"handed_over_on": closed_on.isoformat()},
    )
    return found
