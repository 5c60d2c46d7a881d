"""Demo applications by channel (issue 20 part 4): the applications behind the allowance
periods the history began since 2021, and a month's applications still in progress on the
demo's date, a few of them refused.

Each period ``dpf.demo.history`` began (not a resumption) from 2021 came from an application
in the month it starts (the workflow starts an entitlement on the first of the month of
application; one application when a person applied for both allowances at once), taken
through the allowance procedure's steps by the officers its steps name, the last approval
linked to the period. How it came in follows the years: online on the portal (the person's
portal account) and proactive proposals (主动发现: the scan's proposal, confirmed by the
village worker with the person's consent) grow from about 15 % in 2021 to about 70 % in
2025, each county a little ahead or behind; the rest at the township window, by phone or on
a home visit. So T0604 (惠残事项网上办理比例) is a figure of the records, below the plan's
100 %. Besides: persons eligible on the demo's date and not receiving have applied in the
last weeks and wait at the step the calendar has reached; a few applications for the nursing
allowance by persons of level 3 or 4 are refused at the county with the reason.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from ``ctx.rng``,
dates from ``ctx.as_of``, never the wall clock; bulk-written in the shapes of
``application_submit``, ``proposal_start``/``proposal_confirm`` and ``item_decide`` (steps,
deadlines in working days, transitions, the waiver of documents the demo does not hold),
with one audit entry for the step. Runs after the history and after the payment lists of the
last months (the demo records no payments before them: the lists would count every earlier
month of a period an application approved as arrears); adds nothing on a second run.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from dpf.accounts.models import User
from dpf.benefits.models import (
    BenefitItem,
    Entitlement,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from dpf.core import audit
from dpf.core.bulk import insert_objects, update_rows
from dpf.core.dates import add_months, month_start
from dpf.core.models import EffectiveDated
from dpf.core.roles import Role
from dpf.core.workdays import add_working_days, working_days_between
from dpf.demo.context import DemoContext
from dpf.demo.history import ALLOWANCES, _Facts
from dpf.demo.history import SOURCE as HISTORY
from dpf.registry.models import Certificate, HouseholdStatus, Person
from dpf.workflow.models import (
    ApplicantKind,
    Application,
    ApplicationItem,
    ApplicationStatus,
    Channel,
    EntitlementEvent,
    ItemStatus,
    Transition,
)
from dpf.workflow.procedures import Procedure, procedures, required_documents
from dpf.workflow.services.proposals import CONSENT_METHODS

FIRST_DAY = dt.date(2021, 1, 1)
AUDIT_TYPE = "demo_applications"
CHUNK = 2_000  # applications built and written at once
FACTS_CHUNK = 5_000  # persons whose facts are read at once
WAIVER = "演示：原件已在窗口当面核验 / demo: originals checked at the window"
PROPOSED_REASON = "主动发现 / proactive proposal"
REFUSAL = "残疾等级为三级或四级，不符合重度残疾人护理补贴条件 / level 3 or 4: not severely disabled"
REFUSED_SHARE = 0.03  # of a year's applications, for the nursing allowance
# Days between one step's start and its decision, by step (the county's review is slowest).
STEP_DAYS = {"window": (0, 2), "township_report": (1, 8), "county_review": (1, 10)}
OTHER_STEP_DAYS = (1, 5)
Person4 = tuple[int, str, str, str]  # pk, county, township, village
_Actor = tuple[int, str]  # a user's id and role, as a transition records them
CHANNELS = [Channel.ONLINE, Channel.PROACTIVE, Channel.WINDOW, Channel.PHONE, Channel.HOME_VISIT]


def _online(year: int) -> tuple[int, int]:
    """Percent online and proactive in ``year``: 10 and 5 in 2021, 50 and 21 in 2025."""
    n = max(0, year - 2021)
    return 10 + 10 * n, 5 + 4 * n


def _moment(rng: random.Random, day: dt.date, after: dt.datetime | None = None) -> dt.datetime:
    zone = timezone.get_current_timezone()
    at = dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.randint(0, 59)), tzinfo=zone)
    if after is not None and at <= after:
        at = after + dt.timedelta(minutes=rng.randint(10, 30))
    return at


@dataclass
class _Planned:
    """One application to write: who, how, when, which benefits and how far it got."""

    person: Person4
    channel: str
    day: dt.date  # the day of application (a proposal: the day the person consented)
    benefits: list[tuple[str, int | None]]  # benefit code, the history's period (approved)
    refuse: bool = False


class _Writer:
    """Builds the rows of the planned applications as the workflow services would."""

    def __init__(self, ctx: DemoContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.rng = rng
        self.as_of = ctx.as_of
        self.benefits = {b.code: b for b in BenefitItem.objects.filter(code__in=ALLOWANCES)}
        self.procedures = procedures()
        # person id -> the user id of their portal account (ids, not User objects: one per
        # online applicant since 2021, hundreds of thousands at a province's scale)
        self.citizens: dict[int, int] = {}
        self.applications: list[Application] = []
        self.items: list[tuple[ApplicationItem, list[Transition]]] = []
        self.work_items: list[tuple[WorkItem, Application]] = []
        self.written = 0  # applications written so far

    def officer(self, role: str, person: Person4) -> User:
        region = {
            str(Role.VILLAGE_WORKER): person[3],
            Role.TOWNSHIP_OFFICER: person[2],
            Role.COUNTY_OFFICER: person[1],
        }.get(role, "150400")
        return self.ctx.clerk(role, region)

    def application(self, plan: _Planned) -> None:
        rng = self.rng
        proactive = plan.channel == Channel.PROACTIVE
        officer: User | None = None
        if plan.channel == Channel.ONLINE:
            creator: _Actor = (self.citizens[plan.person[0]], str(Role.CITIZEN))
            kind = ApplicantKind.SELF
        else:
            role = Role.VILLAGE_WORKER if proactive else Role.TOWNSHIP_OFFICER
            officer = self.officer(role, plan.person)
            creator = (officer.pk, officer.role)
            kind = (
                ApplicantKind.PROPOSAL
                if proactive
                else (ApplicantKind.SELF if rng.random() < 0.7 else ApplicantKind.WORKER)
            )
        submitted = _moment(rng, plan.day)
        opened = submitted
        row = Application(
            person_id=plan.person[0],
            applicant_kind=kind,
            channel=plan.channel,
            status=ApplicationStatus.SUBMITTED,
            county_code=plan.person[1],
            township_code=plan.person[2],
            village_code=plan.person[3],
            created_by_id=creator[0],
            created_at=submitted,
            submitted_at=submitted,
            application_date=plan.day,
        )
        if proactive:  # opened from the scan's proposal, confirmed some days later
            opened = _moment(rng, plan.day - dt.timedelta(days=rng.randint(1, 8)))
            row.created_at = opened
            row.identity_confirmed_at = row.consent_at = submitted
            row.consent_method = rng.choice(list(CONSENT_METHODS))
            row.confirmed_by = officer
            scan_day = opened.date() - dt.timedelta(days=rng.randint(0, 10))
            for code, _period in plan.benefits:  # the scan's proposals, closed as handled
                work_item = WorkItem(
                    person_id=plan.person[0],
                    benefit=self.benefits[code],
                    kind=WorkItemKind.PROPOSAL,
                    status=WorkItemStatus.DONE,
                    as_of=scan_day,
                    county_code=plan.person[1],
                    township_code=plan.person[2],
                    village_code=plan.person[3],
                    created_at=_moment(rng, scan_day).replace(hour=2),
                    closed_at=submitted,
                    closed_by=officer,
                )
                self.work_items.append((work_item, row))
        self.applications.append(row)
        statuses = set()
        for code, period in plan.benefits:
            item = ApplicationItem(
                application=row,
                benefit=self.benefits[code],
                county_code=plan.person[1],
                township_code=plan.person[2],
                village_code=plan.person[3],
                entitlement_id=period,
            )
            procedure = self.procedures.for_benefit(code)
            transitions = [
                self._transition(item, "", "", Transition.Action.SUBMIT, creator, opened)
            ]
            if proactive:
                transitions[0].to_step = procedure.of_kind("proposed").code
                transitions[0].reason = PROPOSED_REASON
                first = procedure.first().code
                transitions.append(
                    self._transition(
                        item,
                        transitions[0].to_step,
                        first,
                        Transition.Action.CONFIRM,
                        creator,
                        submitted,
                    )
                )
            else:
                transitions[0].to_step = procedure.first().code
            transitions += self._steps(item, procedure, plan, submitted, period)
            statuses.add(item.status)
            self.items.append((item, transitions))
        if ItemStatus.IN_PROGRESS not in statuses:
            row.status = ApplicationStatus.DECIDED

    def _transition(
        self,
        item: ApplicationItem,
        from_step: str,
        to_step: str,
        action: str,
        actor: _Actor,
        at: dt.datetime,
        reason: str = "",
        overdue: int = 0,
    ) -> Transition:
        return Transition(
            item=item,
            round=1,
            from_step=from_step,
            to_step=to_step,
            action=action,
            actor_id=actor[0],
            actor_role=actor[1],
            at=at,
            on_date=timezone.localdate(at),
            reason=reason,
            overdue_days=overdue,
        )

    def _steps(
        self,
        item: ApplicationItem,
        procedure: Procedure,
        plan: _Planned,
        start: dt.datetime,
        period: int | None,
    ) -> list[Transition]:
        """Each normal step decided by its role, some days after it began: the last
        approves (a period of the history: never after the demo's date), the county's
        review refuses a refused one; an application of the last weeks stops at the step
        the demo's date has reached."""
        rng = self.rng
        out: list[Transition] = []
        moment = start
        step = procedure.first()
        while True:
            began = moment.date()
            due = add_working_days(began, step.deadline_days) if step.deadline_days else None
            low, high = STEP_DAYS.get(step.code, OTHER_STEP_DAYS)
            day = began + dt.timedelta(days=rng.randint(low, high))
            following = procedure.after(step.code)
            waits = following is None and not plan.refuse  # approval creates a period
            if period is None and (day > self.as_of or waits):  # still at this step
                item.step_code, item.step_role = step.code, step.role
                item.step_started_on, item.step_due_on = began, due
                return out
            moment = _moment(rng, min(day, self.as_of), moment)
            officer = self.officer(step.role, plan.person)
            actor = (officer.pk, officer.role)
            late = 0 if due is None else working_days_between(due, moment.date())
            if plan.refuse and step.role == Role.COUNTY_OFFICER:
                out.append(
                    self._transition(
                        item, step.code, "", Transition.Action.REJECT, actor, moment, REFUSAL, late
                    )
                )
                item.status, item.rejected_step = ItemStatus.REJECTED, step.code
                item.decision_reason, item.decided_at = REFUSAL, moment
                return out
            if following is None:
                names = "、".join(d.name_zh for d in required_documents([procedure.benefit_code]))
                reason = f"免交材料：{names}。理由：{WAIVER}"[:500]
                out.append(
                    self._transition(
                        item, step.code, "", Transition.Action.APPROVE, actor, moment, reason, late
                    )
                )
                item.status, item.decided_at = ItemStatus.APPROVED, moment
                return out
            out.append(
                self._transition(
                    item,
                    step.code,
                    following.code,
                    Transition.Action.ADVANCE,
                    actor,
                    moment,
                    overdue=late,
                )
            )
            step = following

    def write(self) -> int:
        # ids reserved for the rows others name (core.bulk.insert_objects)
        insert_objects(Application, self.applications, numbered=True)
        for work_item, application in self.work_items:
            work_item.note = f"已转入申请 {application.pk} / application {application.pk}"
        insert_objects(WorkItem, [w for w, _ in self.work_items], numbered=True)
        linked: dict[int, int] = {}
        for work_item, application in self.work_items:  # the first proposal opened it
            linked.setdefault(application.pk, work_item.pk)
        update_rows(Application, ["work_item"], linked.items())
        items = [item for item, _ in self.items]
        for item in items:
            item.application_id = item.application.pk
        insert_objects(ApplicationItem, items, numbered=True)
        transitions = []
        for item, rows in self.items:
            for transition in rows:
                transition.item_id = item.pk
                transitions.append(transition)
        insert_objects(Transition, transitions)
        counts = self.ctx.counts
        counts.add(Application._meta.db_table, len(self.applications))
        counts.add(ApplicationItem._meta.db_table, len(items))
        counts.add(Transition._meta.db_table, len(transitions))
        counts.add(WorkItem._meta.db_table, len(self.work_items))
        self.written += len(self.applications)
        self.applications, self.items, self.work_items = [], [], []
        return len(transitions)


def _persons(ids: set[int]) -> dict[int, Person4]:
    return {
        row[0]: row
        for row in Person.objects.filter(pk__in=ids).values_list(
            "pk", "county_code", "township_code", "village_code"
        )
    }


def _began() -> QuerySet[EntitlementEvent]:
    """The history's period starts (not resumptions) from 2021."""
    return EntitlementEvent.objects.filter(
        source=HISTORY, kind=EntitlementEvent.Kind.CREATED, on__gte=FIRST_DAY
    )


def _by_year(as_of: dt.date) -> dict[int, int]:
    """How many applications the periods begun each year make (one per person and start)."""
    return {
        year: _began()
        .filter(on__range=(dt.date(year, 1, 1), min(dt.date(year, 12, 31), as_of)))
        .values("person_id", "on")
        .distinct()
        .count()
        for year in range(FIRST_DAY.year, as_of.year + 1)
    }


Periods = dict[tuple[int, dt.date], list[tuple[str, int]]]  # (person, start) -> benefits


def _periods_by_month(as_of: dt.date) -> Iterator[tuple[dt.date, Periods]]:
    """The periods the history began to ``as_of``, a month at a time in order (by person
    and start), read as one ordered stream: a query per month scanned the events table
    sixty times."""
    rows = (
        _began()
        .filter(on__lte=as_of)
        .values_list("person_id", "on", "benefit__code", "entitlement_id")
        .order_by("on", "person_id", "benefit__code")
        .iterator(chunk_size=CHUNK)
    )
    for month, group in groupby(rows, key=lambda row: month_start(row[1])):
        out: Periods = defaultdict(list)
        for person, start, code, period in group:
            out[person, start].append((code, period))
        yield month, out


def _waiting(as_of: dt.date, wanted: int, rng: random.Random) -> list[tuple[int, str, dt.date]]:
    """Persons eligible on ``as_of`` for an allowance they do not receive and have not
    applied for: (person, benefit code, the day they became eligible), at most ``wanted``."""
    severe = Certificate.objects.filter(
        EffectiveDated.as_of_q(as_of), person=OuterRef("pk"), level__lte=2
    )
    poor = HouseholdStatus.objects.filter(
        EffectiveDated.as_of_q(as_of), household=OuterRef("household_id"), status="dibao"
    )
    free = Person.objects.filter(synthetic=True, death_date__isnull=True, applications__isnull=True)
    candidates: list[tuple[int, str, dt.date]] = []
    for code, condition in (("nursing_allowance", severe), ("living_allowance", poor)):
        receiving = Entitlement.objects.filter(
            EffectiveDated.as_of_q(as_of), person=OuterRef("pk"), benefit__code=code
        )
        ids = list(
            free.filter(Exists(condition))
            .exclude(Exists(receiving))
            .values_list("pk", flat=True)
            .order_by("pk")
        )
        for chunk in range(0, len(ids), FACTS_CHUNK):  # the facts of a few thousand at once
            some = ids[chunk : chunk + FACTS_CHUNK]
            facts = _Facts(some)
            for pk in some:
                for start, end in facts.eligible(pk, code):
                    if start <= as_of <= end:
                        candidates.append((pk, code, start))
    rng.shuffle(candidates)
    chosen: dict[int, tuple[int, str, dt.date]] = {}
    for row in candidates:
        if row[0] not in chosen and len(chosen) < wanted:
            chosen[row[0]] = row
    return list(chosen.values())


def _refused(
    as_of: dt.date, by_year: dict[int, int], rng: random.Random
) -> list[tuple[int, dt.date]]:
    """Persons certified at level 3 or 4 who applied for the nursing allowance while so
    certified, and never receive it: (person, day), about ``REFUSED_SHARE`` of a year's.

    Drawn from a uniform sample of the certificates (reservoir sampling over the rows in
    order), a few times as many as the refusals: the whole list is every level 3–4
    certificate of the registry."""
    wanted = sum(round(n * REFUSED_SHARE) for n in by_year.values())
    size = 4 * wanted
    rows: list[tuple[int, dt.date, dt.date | None]] = []
    certificates = (
        Certificate.objects.filter(
            level__gte=3,
            person__synthetic=True,
            person__death_date__isnull=True,
            person__applications__isnull=True,
        )
        .exclude(person__entitlements__benefit__code="nursing_allowance")
        .values_list("person_id", "valid_from", "valid_to")
        .order_by("person_id", "valid_from")
    )
    for seen, row in enumerate(certificates.iterator(chunk_size=5000)):
        if seen < size:
            rows.append(row)
        else:
            kept = rng.randint(0, seen)
            if kept < size:
                rows[kept] = row
    rng.shuffle(rows)
    out: list[tuple[int, dt.date]] = []
    taken: set[int] = set()
    for year, n in sorted(by_year.items()):
        for _ in range(round(n * REFUSED_SHARE)):
            while rows:
                pk, start, end = rows.pop()
                first = max(start, dt.date(year, 1, 1))
                last = min(end or dt.date.max, dt.date(year, 12, 31), as_of - dt.timedelta(30))
                if pk not in taken and first <= last:
                    taken.add(pk)
                    out.append((pk, first + dt.timedelta(days=rng.randint(0, (last - first).days))))
                    break
    return out


class _Planner:
    """The applications to write, a month at a time: one per period the history began in
    the month, then the month's waiting and refused ones, each with its channel."""

    def __init__(self, ctx: DemoContext, rng: random.Random) -> None:
        self.ctx, self.rng = ctx, rng
        by_year = _by_year(ctx.as_of)
        waiting = _waiting(ctx.as_of, max(3, by_year.get(ctx.as_of.year, 0) // 12), rng)
        refused = _refused(ctx.as_of, by_year, rng)
        # The few not behind a period, by the month they applied in.
        self.extra: dict[dt.date, list[tuple[int, dt.date, str, bool]]] = defaultdict(list)
        for pk, code, eligible in waiting:
            day = max(eligible, ctx.as_of - dt.timedelta(days=rng.randint(0, 30)))
            self.extra[month_start(day)].append((pk, day, code, False))
        for pk, day in refused:
            self.extra[month_start(day)].append((pk, day, "nursing_allowance", True))
        counties = Person.objects.values_list("county_code", flat=True).distinct()
        self.ahead = {county: rng.uniform(0.8, 1.15) for county in sorted(counties)}

    def months(self) -> Iterator[tuple[dt.date, Periods]]:
        """Every month from 2021 to the demo's date, with the periods begun in it."""
        began = _periods_by_month(self.ctx.as_of)
        pending = next(began, None)
        month = month_start(FIRST_DAY)
        while month <= self.ctx.as_of:
            periods: Periods = {}
            if pending is not None and pending[0] == month:
                periods, pending = pending[1], next(began, None)
            yield month, periods
            month = add_months(month, 1)

    def plans(self, month: dt.date, periods: Periods) -> list[_Planned]:
        rng, as_of = self.rng, self.ctx.as_of
        extra = self.extra.pop(month, [])
        persons = _persons({p for p, _ in periods} | {pk for pk, *_ in extra})

        def plan(pk: int, day: dt.date, benefits: list[tuple[str, int | None]]) -> _Planned:
            person = persons[pk]
            online, proactive = (
                round(share * self.ahead[person[1]]) for share in _online(day.year)
            )
            rest = max(0, 100 - online - proactive)
            weights = [online, proactive, rest * 70 // 100, rest * 10 // 100, rest * 20 // 100]
            channel = rng.choices(CHANNELS, weights=weights)[0]
            return _Planned(person, str(channel), day, benefits)

        out: list[_Planned] = []
        for (pk, start), benefits in periods.items():
            last = min(start + dt.timedelta(days=14), as_of)
            day = start + dt.timedelta(days=rng.randint(0, (last - start).days))
            out.append(plan(pk, day, list(benefits)))
        for pk, day, code, refuse in extra:
            planned = plan(pk, day, [(code, None)])
            planned.refuse = refuse
            out.append(planned)
        return out


def applications(ctx: DemoContext) -> None:
    if audit.recorded(AUDIT_TYPE):
        return
    rng = ctx.rng("applications")
    writer = _Writer(ctx, rng)
    if len(writer.benefits) != len(ALLOWANCES):
        return
    planner = _Planner(ctx, rng)
    # A month at a time, written every ``CHUNK`` applications, so that memory stays flat
    # whatever the registry's size (all at once: 420 MB at 50,000 persons; all planned at
    # once, then written in chunks: about 95 MB more per 100,000 persons, 1.5 GB at
    # 1,000,000); the rows in the order of the months in each table.
    transitions = 0
    for month, periods in planner.months():
        plans = planner.plans(month, periods)
        # The portal accounts of the month's online applicants who have none yet: opened
        # the day they first applied (the months come in order).
        first_use: dict[int, dt.datetime] = {}
        for plan in plans:
            pk = plan.person[0]
            if plan.channel == Channel.ONLINE and pk not in writer.citizens:
                moment = _moment(rng, plan.day).replace(hour=0, minute=0)
                first_use[pk] = min(first_use.get(pk, moment), moment)
        if first_use:
            accounts = ctx.portal_users(first_use)
            writer.citizens.update((pk, user.pk) for pk, user in accounts.items())
        # The officers the steps name, one clerk per region, made at once.
        places = {
            Role.VILLAGE_WORKER: {p.person[3] for p in plans if p.channel == Channel.PROACTIVE},
            Role.TOWNSHIP_OFFICER: {p.person[2] for p in plans},
            Role.COUNTY_OFFICER: {p.person[1] for p in plans},
        }
        for role, codes in places.items():
            ctx.prepare_clerks(role, codes)
        for n, planned in enumerate(plans, 1):
            writer.application(planned)
            if n % CHUNK == 0:
                transitions += writer.write()
        transitions += writer.write()
    audit.record(
        actor=None,
        actor_name="dpf demo generate",
        action="create",
        object_type=AUDIT_TYPE,
        changes={
            "applications": writer.written,
            "transitions": transitions,
            "as_of": str(ctx.as_of),
        },
    )
