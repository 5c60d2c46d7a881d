"""Applications since 2021 taken through the real workflow services, for a sample of
persons of 红山区 (150402, where the demo accounts work).

Each journey is what an officer does on the pages: the township window submits the
application, each step of the benefit's procedure passes it on (some are rejected at
the county and appealed to the city, which overturns), the final approval creates the
entitlement; later some are suspended and resumed, some terminated. Every call passes
the day it happened (``today``/``now``), so the transitions, deadlines and audit entries
carry the history's dates. The bulk of the registry gets its periods from
``dpf.demo.history`` instead: calling the services 20,000 times would take minutes.
"""

from __future__ import annotations

import datetime as dt

from dpf.accounts.models import User
from dpf.benefits.models import BenefitItem
from dpf.core.roles import Role
from dpf.demo.context import DemoContext
from dpf.demo.history import ALLOWANCES, _at, _Facts
from dpf.registry.models import Person
from dpf.workflow import services as workflow
from dpf.workflow.models import (
    ApplicantKind,
    ApplicationItem,
    Channel,
    EntitlementEvent,
    ItemStatus,
)
from dpf.workflow.procedures import procedures

JOURNEY_COUNTY = "150402"
JOURNEYS = 40
JOURNEYS_FROM = dt.date(2021, 1, 4)
CITY = "150400"
Reason = EntitlementEvent.Reason


def _actor(ctx: DemoContext, role: str, person: Person) -> User:
    regions: dict[str, str] = {
        Role.TOWNSHIP_OFFICER: person.township_code,
        Role.VILLAGE_WORKER: person.village_code,
        Role.COUNTY_OFFICER: person.county_code,
    }
    region = regions.get(role, CITY)
    return ctx.clerk(role, region)


def journeys(ctx: DemoContext, *, count: int = JOURNEYS) -> None:
    """Up to ``count`` applications of persons who became eligible after 2020."""
    latest = ctx.as_of - dt.timedelta(days=60)
    if latest < JOURNEYS_FROM:
        return
    candidates = list(
        Person.objects.filter(
            synthetic=True,
            county_code=JOURNEY_COUNTY,
            death_date__isnull=True,
            certificates__isnull=False,
        )
        .exclude(entitlements__isnull=False)
        .exclude(applications__isnull=False)
        .distinct()
        .order_by("pk")[: count * 10]
    )
    if not candidates:
        return
    facts = _Facts([p.pk for p in candidates])
    benefits = {b.code: b for b in BenefitItem.objects.filter(code__in=ALLOWANCES)}
    rng = ctx.rng("journeys")
    done = 0
    for person in candidates:
        if done >= count:
            break
        for code in ALLOWANCES:
            spans = [
                (s, e)
                for s, e in facts.eligible(person.pk, code)
                if e > ctx.as_of and s <= latest and code in benefits
            ]
            if not spans:
                continue
            start = max(spans[-1][0], JOURNEYS_FROM)
            applied = start + dt.timedelta(days=rng.randint(5, 90))
            if applied > latest:
                continue
            ctx.journey_person_ids.add(person.pk)
            _journey(ctx, person, benefits[code], applied, rng.random())
            done += 1
            break
    ctx.counts.add("demo journeys (applications through the services)", done)


def _journey(
    ctx: DemoContext, person: Person, benefit: BenefitItem, day: dt.date, roll: float
) -> None:
    application = workflow.application_submit(
        actor=_actor(ctx, Role.TOWNSHIP_OFFICER, person),
        person=person,
        benefit_codes=[benefit.code],
        applicant_kind=ApplicantKind.SELF if roll < 0.6 else ApplicantKind.WORKER,
        channel=Channel.WINDOW if roll < 0.7 else Channel.HOME_VISIT,
        now=_at(day),
        today=day,
    )
    item = ApplicationItem.objects.get(application=application)
    procedure = procedures().for_benefit(benefit.code)
    rejected = False
    step_days = 1 + int(roll * 7)
    while item.status == ItemStatus.IN_PROGRESS:
        day += dt.timedelta(days=step_days)
        step = procedure.step(item.step_code)
        assert step is not None
        actor = _actor(ctx, step.role, person)
        if step.kind == "appeal":
            item = workflow.item_decide(
                actor=actor,
                item_id=item.pk,
                expected_step=step.code,
                decision=workflow.OVERTURN,
                reason="复核：证件与条件符合 / review: certificate and conditions met",
                today=day,
                now=_at(day),
            )
            continue
        if step.role == Role.COUNTY_OFFICER and not rejected and roll > 0.88:
            rejected = True
            item = workflow.item_decide(
                actor=actor,
                item_id=item.pk,
                expected_step=step.code,
                decision=workflow.REJECT,
                reason="材料不全：缺残疾人证复印件 / a copy of the certificate is missing",
                today=day,
                now=_at(day),
            )
            day += dt.timedelta(days=5)
            item = workflow.item_appeal(
                actor=_actor(ctx, Role.TOWNSHIP_OFFICER, person),
                item_id=item.pk,
                reason="已补交残疾人证复印件 / the copy has been handed in",
                today=day,
                now=_at(day),
            )
            continue
        item = workflow.item_decide(
            actor=actor,
            item_id=item.pk,
            expected_step=step.code,
            decision=workflow.ADVANCE,
            # the demo holds no scans: the approval records why they are waived
            waiver_reason="演示：原件已在窗口当面核验 / demo: originals checked at the window",
            today=day,
            now=_at(day),
        )
    entitlement_id = item.entitlement_id
    if entitlement_id is None:
        return
    county = ctx.county_clerk(person.county_code)
    if roll < 0.15 and day + dt.timedelta(days=400) < ctx.as_of:
        on = (day + dt.timedelta(days=200)).replace(day=1)
        workflow.suspend(
            actor=county,
            entitlement_id=entitlement_id,
            on=on,
            reason_code=Reason.OTHER,
            reason="年度核查联系不上 / not reached at the yearly check",
            now=_at(on),
        )
        back = (on + dt.timedelta(days=95)).replace(day=1)
        workflow.resume(
            actor=county,
            entitlement_id=entitlement_id,
            on=back,
            reason="已联系并核实 / reached and checked",
            now=_at(back),
        )
    elif roll > 0.95 and day + dt.timedelta(days=200) < ctx.as_of:
        on = (day + dt.timedelta(days=150)).replace(day=1)
        workflow.terminate(
            actor=county,
            entitlement_id=entitlement_id,
            on=on,
            reason_code=Reason.MOVED_AWAY,
            reason="",
            now=_at(on),
        )
