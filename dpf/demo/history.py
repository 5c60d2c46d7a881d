"""The demo's benefit history, bulk-written: allowance periods with their events.

Who receives the living allowance (困难残疾人生活补贴) and the nursing allowance (重度残疾人
护理补贴), and when, follows from the facts the registry step wrote: a period starts
some weeks after a person becomes eligible (or years later for those the outreach finds
late), and ends when the certificate lapses, the household leaves 低保, or the person
dies. A few periods are suspended for some months and resumed. The rows have the shapes
the workflow services write (``entitlement_create``, ``suspend``, ``resume``,
``terminate``): a suspension or termination closes the period the day before it takes
effect, a resumption opens a new one whose event points back, and the periods of one
person and benefit never overlap. One audit entry records the whole step, as for the
registry step (per-row services are the journeys' job, ``dpf.demo.journeys``).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from dpf.benefits.models import BenefitItem, Entitlement, EntitlementStatus
from dpf.benefits.standards import StandardTable
from dpf.core import audit
from dpf.core.bulk import insert_objects
from dpf.core.dates import month_start
from dpf.demo.context import DemoContext
from dpf.registry.models import (
    Certificate,
    HouseholdStatus,
    NeedsSurvey,
    OutsidePayment,
    Person,
)
from dpf.registry.services import mark_facts_changed
from dpf.workflow.models import EntitlementEvent

CHUNK = 5_000  # persons whose allowance periods are drawn and written at once

Interval = tuple[dt.date, dt.date]  # inclusive; an open end is dt.date.max
OPEN = dt.date.max
DAY = dt.timedelta(days=1)
PERIODS_FROM = dt.date(2016, 1, 1)  # the allowances' rules are in force from 2016
SOURCE = "demo:history"
ALLOWANCES = ("living_allowance", "nursing_allowance")

Reason = EntitlementEvent.Reason
Kind = EntitlementEvent.Kind


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with touching or overlapping intervals joined."""
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and (out[-1][1] == OPEN or start <= out[-1][1] + DAY):
            last = out[-1]
            out[-1] = (last[0], max(last[1], end))
        else:
            out.append((start, end))
    return out


def intersect(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start <= end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: list[Interval], b: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in a:
        pieces = [(start, end)]
        for cut_start, cut_end in b:
            nxt: list[Interval] = []
            for s, e in pieces:
                if cut_end < s or cut_start > e:
                    nxt.append((s, e))
                    continue
                if s < cut_start:
                    nxt.append((s, cut_start - DAY))
                if cut_end != OPEN and cut_end < e:
                    nxt.append((cut_end + DAY, e))
            pieces = nxt
        out += pieces
    return out


def _span(start: dt.date, end: dt.date | None) -> Interval:
    return (start, end or OPEN)


def _of_persons(ids: set[int], column: str) -> Q:
    """The rows of the persons ``ids`` (and, when they are dense, of others between them:
    the caller drops those). A run of ids is read by its range: an IN list of 5,000 ids
    per table cost more to compile and bind than the rows it left out (the allowance
    periods' step, which reads persons in ascending runs); scattered ids by the list."""
    low, high = min(ids), max(ids)
    if high - low < 2 * len(ids):
        return Q(**{f"{column}__gte": low, f"{column}__lte": high})
    return Q(**{f"{column}__in": sorted(ids)})


def _care_need(of: Q, wanted: set[int]) -> dict[int, list[Interval]]:
    """The days each person's surveys found a long-term care need: a survey's answer holds
    until the next survey; the first holds back to 2016."""
    care_need: dict[int, list[Interval]] = defaultdict(list)
    surveys: dict[int, list[tuple[dt.date, bool]]] = defaultdict(list)
    for pid, day, need in (
        NeedsSurvey.objects.filter(of)
        .order_by("person_id", "survey_date")
        .values_list("person_id", "survey_date", "long_term_care_need")
    ):
        if pid in wanted:
            surveys[pid].append((day, need))
    for pid, rows in surveys.items():
        for n, (day, need) in enumerate(rows):
            start = PERIODS_FROM if n == 0 else day
            end = rows[n + 1][0] - DAY if n + 1 < len(rows) else OPEN
            if need and start <= end:
                care_need[pid].append((start, end))
    return care_need


class _Facts:
    """The registry facts the two allowances' rules read, per person, in a few queries."""

    def __init__(self, person_ids: list[int]) -> None:
        wanted = set(person_ids)
        of = _of_persons(wanted, "person_id")
        self.certs: dict[int, list[tuple[dt.date, dt.date, int]]] = defaultdict(list)
        for pid, start, end, level in Certificate.objects.filter(of).values_list(
            "person_id", "valid_from", "valid_to", "level"
        ):
            if pid in wanted:
                self.certs[pid].append((start, end or OPEN, level))
        people = Person.objects.filter(_of_persons(wanted, "pk")).values_list(
            "pk", "household_id", "death_date", "county_code"
        )
        self.household: dict[int, int | None] = {}
        self.death: dict[int, dt.date | None] = {}
        self.county: dict[int, str] = {}
        for pid, household, death, county in people:
            if pid in wanted:
                self.household[pid], self.death[pid], self.county[pid] = household, death, county
        households = {h for h in self.household.values() if h is not None}
        self.status: dict[tuple[int, str], list[Interval]] = defaultdict(list)
        # By the households' index, the statuses filtered here: with the status in the
        # query SQLite chose the index on (status, valid_from) and read every household's
        # 低保 and 特困 rows for each chunk (CPU growing with the registry's square: the
        # step's CPU 64.0 s before, 43.1 s after at 300,000 persons; docs/benchmarks.md).
        # The same rows in the same order.
        for hid, status, start, end in (
            HouseholdStatus.objects.filter(household__in=households)
            .order_by("status", "valid_from", "pk")
            .values_list("household_id", "status", "valid_from", "valid_to")
        ):
            if status in ("dibao", "tekun"):
                self.status[hid, status].append(_span(start, end))
        self.care_need = _care_need(of, wanted)
        self.excluded: dict[tuple[int, str], list[Interval]] = defaultdict(list)
        for pid, kind, start, end in OutsidePayment.objects.filter(
            of, kind__in=("work_injury_care", "orphan_support")
        ).values_list("person_id", "kind", "valid_from", "valid_to"):
            if pid in wanted:
                self.excluded[pid, kind].append(_span(start, end))

    def level_on(self, pid: int, day: dt.date) -> int | None:
        for start, end, level in self.certs[pid]:
            if start <= day <= end:
                return level
        return None

    def eligible(self, pid: int, benefit: str) -> list[Interval]:
        """The days the benefit's rule holds (see the catalogue), from 2016."""
        death = self.death.get(pid)
        alive = [(PERIODS_FROM, death if death is not None else OPEN)]
        hid = self.household.get(pid)
        tekun = merge(self.status[hid, "tekun"]) if hid is not None else []
        if benefit == "living_allowance":
            certified = merge((s, e) for s, e, _ in self.certs[pid])
            dibao = merge(self.status[hid, "dibao"]) if hid is not None else []
            days = intersect(intersect(alive, certified), dibao)
            days = subtract(days, merge(self.excluded[pid, "orphan_support"]))
        else:
            severe = merge((s, e) for s, e, level in self.certs[pid] if level <= 2)
            days = intersect(intersect(alive, severe), merge(self.care_need[pid]))
        days = subtract(days, merge(self.excluded[pid, "work_injury_care"]))
        return subtract(days, tekun)


def plan_periods(  # noqa: C901
    rng: random.Random,
    eligible: list[Interval],
    *,
    as_of: dt.date,
    death: dt.date | None,
) -> list[tuple[dt.date, dt.date | None, str, str]]:
    """The periods (start, last day or None, end status, end reason code) of one person
    and benefit: take-up after a delay, 3% never, some found years later; 5% of long
    periods suspended for some months (a new period on resumption)."""
    roll = rng.random()
    if roll < 0.03:
        return []
    late_from: dt.date | None = None
    if roll > 0.85:  # found later by outreach and the proactive scan (the coverage rises)
        late_from = dt.date(2020, 7, 1) + dt.timedelta(days=rng.randint(0, 1900))
    periods: list[tuple[dt.date, dt.date | None, str, str]] = []
    for start, end in eligible:
        applied = start + dt.timedelta(days=rng.randint(10, 110))
        if late_from is not None:
            applied = max(applied, late_from)
        begin = month_start(applied)
        if begin < PERIODS_FROM:
            begin = PERIODS_FROM
        last = end if end <= as_of else None
        if begin > as_of or (last is not None and begin > last):
            continue
        if periods and periods[-1][1] is not None and begin <= periods[-1][1]:
            continue
        if (
            rng.random() < 0.05
            and ((last or as_of) - begin).days > 500
            and (last is None or last > begin + dt.timedelta(days=500))
        ):
            span = ((last or as_of) - begin).days
            suspended = begin + dt.timedelta(days=rng.randint(180, span - 300))
            resumed = month_start(suspended + dt.timedelta(days=rng.randint(60, 240)))
            if resumed > suspended:
                periods.append((begin, suspended - DAY, EntitlementStatus.SUSPENDED, Reason.OTHER))
                begin = resumed
        if last is None:
            periods.append((begin, None, EntitlementStatus.ACTIVE, ""))
        else:
            reason = (
                Reason.DEATH
                if death is not None and last >= death - DAY
                else (Reason.NO_LONGER_ELIGIBLE)
            )
            periods.append((begin, last, EntitlementStatus.TERMINATED, reason))
    return periods


def _at(day: dt.date) -> dt.datetime:
    """Nine in the morning, local time, of ``day`` (when the county recorded the event)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


SUSPEND_NOTE = "年度核查联系不上 / not reached at the yearly check"


def entitlements_bulk(ctx: DemoContext) -> None:
    """Allowance periods for every certified person of the run who has none yet (those the
    journeys take through the services are left to them)."""
    benefits = {b.code: b for b in BenefitItem.objects.filter(code__in=ALLOWANCES)}
    if len(benefits) != len(ALLOWANCES):
        return
    person_ids = list(
        Person.objects.filter(synthetic=True, certificates__isnull=False)
        .exclude(entitlements__isnull=False)
        .exclude(pk__in=ctx.journey_person_ids)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    if not person_ids:
        return
    tables = {code: StandardTable.load(b) for code, b in benefits.items()}
    rng = random.Random(f"dpf-demo-history:{ctx.seed}")
    written = events_written = 0
    # Chunks of persons (all of a person's periods in one), so that memory stays flat
    # whatever the registry's size (all at once: 1.1 GB at 200,000 persons); the same
    # rows in the same order as one pass, the random draws in the same order.
    for first in range(0, len(person_ids), CHUNK):
        rows = _entitlement_rows(person_ids[first : first + CHUNK], benefits, tables, rng, ctx)
        written += insert_objects(Entitlement, rows, numbered=True)  # the events name them
        events_written += insert_objects(EntitlementEvent, list(_events(rows)))
        mark_facts_changed(person_ids[first : first + CHUNK])
    ctx.counts.add(Entitlement._meta.db_table, written)
    ctx.counts.add(EntitlementEvent._meta.db_table, events_written)
    audit.record(
        actor=None,
        actor_name="dpf demo generate",
        action="create",
        object_type="demo_entitlements",
        changes={"entitlements": written, "events": events_written, "as_of": str(ctx.as_of)},
    )


def _entitlement_rows(
    person_ids: list[int],
    benefits: dict[str, BenefitItem],
    tables: dict[str, StandardTable[Decimal]],
    rng: random.Random,
    ctx: DemoContext,
) -> list[Entitlement]:
    """The allowance periods of ``person_ids``, drawn in their order."""
    facts = _Facts(person_ids)
    plans: list[tuple[int, str, list[tuple[dt.date, dt.date | None, str, str]]]] = []
    for pid in person_ids:
        for code in ALLOWANCES:
            eligible = facts.eligible(pid, code)
            if not eligible:
                continue
            periods = plan_periods(rng, eligible, as_of=ctx.as_of, death=facts.death[pid])
            if periods:
                plans.append((pid, code, periods))
    rows: list[Entitlement] = []
    for pid, code, periods in plans:
        for start, last, status, reason in periods:
            level = facts.level_on(pid, start)
            amount: Decimal | None = tables[code].pick(facts.county[pid], level, start)
            rows.append(
                Entitlement(
                    person_id=pid,
                    benefit=benefits[code],
                    status=status,
                    valid_from=start,
                    valid_to=last,
                    monthly_amount=amount,
                    source=SOURCE,
                    status_reason=_status_reason(status, reason),
                )
            )
    return rows


def _status_reason(status: str, reason: str) -> str:
    if status == EntitlementStatus.ACTIVE:
        return "审批通过 / approved"
    label = str(Reason(reason).label)
    return f"{'暂停' if status == EntitlementStatus.SUSPENDED else '终止'}：{label}"


def _events(rows: list[Entitlement]) -> Iterable[EntitlementEvent]:
    """created / suspended / resumed / terminated, as the workflow services record them."""
    previous: dict[tuple[int, int], Entitlement] = {}
    for row in rows:
        key = (row.person_id, row.benefit_id)
        before = previous.get(key)
        resumed = before is not None and before.status == EntitlementStatus.SUSPENDED
        yield EntitlementEvent(
            entitlement=row,
            person_id=row.person_id,
            benefit_id=row.benefit_id,
            kind=Kind.RESUMED if resumed else Kind.CREATED,
            from_status=EntitlementStatus.SUSPENDED if resumed else "",
            to_status=EntitlementStatus.ACTIVE,
            on=row.valid_from,
            reason_code=Reason.RESUMED if resumed else Reason.APPROVED,
            reason="",
            source=SOURCE,
            previous=before if resumed else None,
            at=_at(row.valid_from),
        )
        if row.valid_to is not None and row.status != EntitlementStatus.ACTIVE:
            suspended = row.status == EntitlementStatus.SUSPENDED
            on = row.valid_to + DAY
            yield EntitlementEvent(
                entitlement=row,
                person_id=row.person_id,
                benefit_id=row.benefit_id,
                kind=Kind.SUSPENDED if suspended else Kind.TERMINATED,
                from_status=EntitlementStatus.ACTIVE,
                to_status=row.status,
                on=on,
                reason_code=Reason.OTHER if suspended else _reason_code(row),
                reason=SUSPEND_NOTE if suspended else "",
                source=SOURCE,
                at=_at(on),
            )
        previous[key] = row


def _reason_code(row: Entitlement) -> str:
    return Reason.DEATH if "死亡" in row.status_reason else Reason.NO_LONGER_ELIGIBLE
