"""Demo casework (信访与12385热线, issue 20 part 3): complaints, requests for a home visit and
other requests of each county's certified persons from 2021 to the demo's date, about one a
year for every 100 persons, from the portal, the window and the 12385 hotline.

Each has the deadline the service gives its kind (``dpf.portal.casework.due_on``: working
days over the holiday calendar). Most are taken up, answered and closed within it with the
citizen's satisfaction from the return call; some are closed late; a few of the last
months are still open past their deadline, escalated to the county or, long past it, to the
city (as the daily ``escalate_overdue`` job leaves them); a few people called again on the
same matter while it was open, linked to the first (``repeat_of``) and closed with it. Each
county keeps its deadlines a little better or worse, so T0704 (信访事项办结率) differs by
county and is below 100 % for the city.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from ``ctx.rng``,
dates from ``ctx.as_of``, never the wall clock; bulk-written in the shape
``request_submit``, ``request_intake`` and ``request_act`` write (who recorded each step:
the citizen's portal account, the township window's or the county hotline's clerk), with one
audit entry for the step. Adds nothing on a second run.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef
from django.utils import timezone

from dpf.accounts.models import User
from dpf.core import audit
from dpf.core.bulk import create_in_batches
from dpf.core.roles import Role
from dpf.demo.columns import Rows, grouped
from dpf.demo.context import DemoContext
from dpf.portal.casework import CITY_ESCALATION_DAYS, due_on
from dpf.portal.models import (
    CitizenRequest,
    ContactPreference,
    Escalation,
    RequestCategory,
    RequestChannel,
    RequestEvent,
    RequestKind,
    RequestStatus,
    Satisfaction,
)
from dpf.registry.models import Certificate, Person

FIRST_DAY = dt.date(2021, 1, 4)
PERSONS_PER_CASE = 100  # a year
REPEAT_SHARE = 0.06
# Open past the deadline on the demo's date only for cases of the last months: an older one
# was closed, late.
OPEN_OVERDUE_DAYS = 90

KINDS = [(RequestKind.COMPLAINT, 55), (RequestKind.HOME_VISIT, 20), (RequestKind.OTHER, 25)]
CATEGORIES = [
    (RequestCategory.BENEFITS, 35),
    (RequestCategory.SERVICES, 20),
    (RequestCategory.EMPLOYMENT, 10),
    (RequestCategory.RIGHTS, 15),
    (RequestCategory.ACCESSIBILITY, 10),
    (RequestCategory.OTHER, 10),
]
TEXTS = {
    RequestCategory.BENEFITS: [
        "护理补贴两个月没有到账",
        "申请困难残疾人生活补贴后一直没有消息",
        "补贴发放金额比去年少，想问原因",
    ],
    RequestCategory.SERVICES: [
        "孩子的康复训练机构离家太远，希望就近安排",
        "申请的轮椅三个月还没有配发",
        "康复医生上门次数比约定的少",
    ],
    RequestCategory.EMPLOYMENT: [
        "公益性岗位工资拖欠",
        "想参加职业技能培训，不知道在哪里报名",
    ],
    RequestCategory.RIGHTS: [
        "单位以残疾为由不予录用",
        "办理残疾人证换证时被要求重复提交材料",
        "村里低保评议没有考虑残疾情况",
    ],
    RequestCategory.ACCESSIBILITY: [
        "小区出入口台阶没有坡道，轮椅进出困难",
        "社区服务站没有无障碍卫生间",
    ],
    RequestCategory.OTHER: [
        "残疾人证丢失，想问补办流程",
        "想了解托养服务的申请条件",
    ],
}
HOME_VISIT_TEXTS = [
    "老人卧床，无法到窗口办理，请工作人员上门",
    "需要上门评定残疾等级",
    "请上门帮助填写补贴申请",
]
REPLIES = {
    RequestCategory.BENEFITS: "已核实发放记录，差额已于本月补发，并告知发放时间。",
    RequestCategory.SERVICES: "已与服务机构协调，调整了服务安排并告知本人。",
    RequestCategory.EMPLOYMENT: "已转人社部门处理，用人单位已整改并答复本人。",
    RequestCategory.RIGHTS: "已调查核实并督促有关单位纠正，书面答复本人。",
    RequestCategory.ACCESSIBILITY: "已协调物业和社区，列入无障碍改造计划并答复本人。",
    RequestCategory.OTHER: "已电话解答办理流程和所需材料。",
}
HOME_VISIT_REPLY = "工作人员已上门服务并告知办理结果。"
REPEAT_REPLY = "与首次诉求一并办理答复。"
ON_TIME = [
    (Satisfaction.SATISFIED, 70),
    (Satisfaction.BASIC, 20),
    (Satisfaction.UNSATISFIED, 4),
    (Satisfaction.UNREACHABLE, 6),
]
LATE = [
    (Satisfaction.SATISFIED, 40),
    (Satisfaction.BASIC, 35),
    (Satisfaction.UNSATISFIED, 15),
    (Satisfaction.UNREACHABLE, 10),
]
CONTACT = {
    RequestChannel.PORTAL: [
        (ContactPreference.PORTAL, 40),
        (ContactPreference.PHONE, 45),
        (ContactPreference.SMS, 15),
    ],
    RequestChannel.WINDOW: [(ContactPreference.PHONE, 80), (ContactPreference.VISIT, 20)],
    RequestChannel.HOTLINE: [(ContactPreference.PHONE, 90), (ContactPreference.SMS, 10)],
}


def _pick(rng: random.Random, weighted: Sequence[tuple[str, int]]) -> str:
    values, weights = zip(*weighted, strict=True)
    return str(rng.choices(values, weights=weights)[0])


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _moment(rng: random.Random, day: dt.date, after: dt.datetime | None = None) -> dt.datetime:
    """A moment in office hours of ``day``, later than ``after`` (an earlier step that day)."""
    zone = timezone.get_current_timezone()
    at = dt.datetime.combine(day, dt.time(rng.randint(8, 16), rng.randint(0, 59)), tzinfo=zone)
    if after is not None and at <= after:
        at = after + dt.timedelta(minutes=rng.randint(10, 30))
    return at


@dataclass
class _Case:
    """One request drawn, with the steps it went through (status, moment)."""

    person: tuple[int, str, str, str]
    kind: str
    category: str
    channel: str
    received: dt.datetime
    due: dt.date
    steps: list[tuple[str, dt.datetime]] = field(default_factory=list)
    satisfaction: str = ""
    escalation: str = ""
    escalated_at: dt.datetime | None = None
    repeat_of: _Case | None = None
    row: CitizenRequest | None = None

    @property
    def status(self) -> str:
        return self.steps[-1][0] if self.steps else RequestStatus.OPEN

    @property
    def closed_at(self) -> dt.datetime | None:
        return self.steps[-1][1] if self.status == RequestStatus.CLOSED else None


def _channel(rng: random.Random, year: int) -> str:
    """The portal's share grows each year (2021: 15 %, 2025: 43 %); the rest by phone to
    the 12385 hotline or at the window."""
    portal = 15 + 7 * (year - 2021)
    return _pick(
        rng,
        [
            (RequestChannel.PORTAL, portal),
            (RequestChannel.HOTLINE, 45),
            (RequestChannel.WINDOW, 55 - portal),
        ],
    )


def _handle(rng: random.Random, case: _Case, close: dt.date | None, until: dt.date) -> None:
    """Taken up, answered and closed on ``close`` (``None``: still open, moved as far as
    ``until`` allows)."""
    end = close or until
    take = _day(rng, case.received.date(), min(end, case.received.date() + dt.timedelta(days=3)))
    moment = _moment(rng, take, case.received)
    stages = [RequestStatus.IN_PROGRESS, RequestStatus.ANSWERED, RequestStatus.CLOSED]
    if close is None:
        stages = stages[: rng.randint(0, 2)]
    for n, status in enumerate(stages):
        if n:
            day = close if status == RequestStatus.CLOSED else _day(rng, moment.date(), end)
            assert day is not None
            moment = _moment(rng, day, moment)
        case.steps.append((status, moment))


def _outcome(rng: random.Random, case: _Case, as_of: dt.date, on_time: float) -> None:
    received = case.received.date()
    if case.due >= as_of:  # not yet due on the demo's date
        if rng.random() < 0.35:
            _handle(rng, case, _day(rng, received, as_of), as_of)
            case.satisfaction = _pick(rng, ON_TIME)
        else:
            _handle(rng, case, None, as_of)
        return
    roll = rng.random()
    past = (as_of - case.due).days
    if roll < on_time:
        _handle(rng, case, _day(rng, received, case.due), as_of)
        case.satisfaction = _pick(rng, ON_TIME)
    elif roll < on_time + (1 - on_time) * 0.4 or past > OPEN_OVERDUE_DAYS:
        late = _day(rng, case.due + dt.timedelta(days=1), min(as_of, case.due + dt.timedelta(40)))
        _handle(rng, case, late, as_of)
        case.satisfaction = _pick(rng, LATE)
    else:  # still open past its deadline: escalated by the daily job
        _handle(rng, case, None, as_of)
        _escalate(case, as_of)


def _escalate(case: _Case, as_of: dt.date) -> None:
    """What ``escalate_overdue``, run each day, leaves on a request open on ``as_of``: the
    county's the day after the deadline, the city's ``CITY_ESCALATION_DAYS`` later."""
    to_county = case.due + dt.timedelta(days=1)
    to_city = to_county + dt.timedelta(days=CITY_ESCALATION_DAYS)
    city = to_city <= as_of
    case.escalation = Escalation.CITY if city else Escalation.COUNTY
    case.escalated_at = dt.datetime.combine(
        to_city if city else to_county, dt.time(1, 0), tzinfo=timezone.get_current_timezone()
    )


def _repeat(rng: random.Random, first: _Case, as_of: dt.date) -> _Case | None:
    """The same person calling again on the same matter while the first is open."""
    open_until = first.closed_at.date() if first.closed_at else as_of
    start = first.received.date() + dt.timedelta(days=2)
    last = min(open_until - dt.timedelta(days=1), first.received.date() + dt.timedelta(days=20))
    if last < start:
        return None
    day = _day(rng, start, last)
    channel = rng.choice([RequestChannel.HOTLINE, RequestChannel.PORTAL])
    repeat = _Case(
        person=first.person,
        kind=first.kind,
        category=first.category,
        channel=channel,
        received=_moment(rng, day),
        due=first.due,
        repeat_of=first,
    )
    if first.closed_at is not None:  # answered and closed together with the first
        repeat.steps.append((RequestStatus.CLOSED, first.closed_at + dt.timedelta(minutes=5)))
        repeat.satisfaction = first.satisfaction
    elif first.escalation:
        repeat.escalation, repeat.escalated_at = first.escalation, first.escalated_at
    return repeat


def _persons() -> dict[str, Rows]:
    """The certified persons by county: (pk, county, township, village, death date),
    column by column (``dpf.demo.columns``), read as a stream."""
    certified = Exists(Certificate.objects.filter(person=OuterRef("pk")))
    return grouped(
        Person.objects.filter(certified)
        .values_list("pk", "county_code", "township_code", "village_code", "death_date")
        .order_by("pk")
        .iterator(chunk_size=5000),
        key=1,
    )


def _county(
    rng: random.Random,
    county: str,
    persons: Rows,
    as_of: dt.date,
) -> list[_Case]:
    """One county's requests, year by year, in proportion to its persons."""
    # How well the county keeps its deadlines: a complaint (often a matter for another
    # department) less well than a visit or a question.
    complaints_on_time = rng.uniform(0.82, 0.96)
    on_time = {RequestKind.COMPLAINT: complaints_on_time}
    on_time[RequestKind.HOME_VISIT] = on_time[RequestKind.OTHER] = rng.uniform(0.94, 0.99)
    cases: list[_Case] = []
    for year in range(FIRST_DAY.year, as_of.year + 1):
        start, end = max(FIRST_DAY, dt.date(year, 1, 1)), min(as_of, dt.date(year, 12, 31))
        share = ((end - start).days + 1) / 365
        wanted = round(len(persons) * share / PERSONS_PER_CASE * rng.uniform(0.75, 1.25))
        for _ in range(max(1, wanted)):
            received = _day(rng, start, end)
            pk, _county, township, village, death = rng.choice(persons)
            if death is not None and death <= received:
                continue
            kind = _pick(rng, KINDS)
            case = _Case(
                person=(pk, county, township, village),
                kind=kind,
                category=(
                    RequestCategory.SERVICES
                    if kind == RequestKind.HOME_VISIT
                    else _pick(rng, CATEGORIES)
                ),
                channel=_channel(rng, year),
                received=_moment(rng, received),
                due=due_on(kind, received),
            )
            _outcome(rng, case, as_of, on_time[RequestKind(kind)])
            cases.append(case)
            if kind != RequestKind.HOME_VISIT and rng.random() < REPEAT_SHARE:
                repeat = _repeat(rng, case, as_of)
                if repeat is not None:
                    cases.append(repeat)
    _backlog(rng, cases, as_of)
    return cases


def _backlog(rng: random.Random, cases: list[_Case], as_of: dt.date) -> None:
    """Every other county has at least one request open past its deadline on the demo's
    date, so the queues' overdue and escalation counts show something at any demo size:
    when none is, the last one due is left open (not one another request repeats)."""
    if any(c.escalation for c in cases) or rng.random() < 0.5:
        return
    repeated = {id(c.repeat_of) for c in cases if c.repeat_of is not None}
    due = [c for c in cases if c.due < as_of and c.repeat_of is None and id(c) not in repeated]
    if not due:
        return
    # A request for a visit or a question rather than a complaint, where there is one: the
    # complaints' figure (T0704) stays the counties' own.
    last = max(due, key=lambda c: (c.kind != RequestKind.COMPLAINT, c.due, c.received))
    last.steps, last.satisfaction = [], ""
    _handle(rng, last, None, as_of)
    _escalate(last, as_of)


def _draw(ctx: DemoContext) -> list[_Case]:
    rng = ctx.rng("casework")
    cases: list[_Case] = []
    for county, persons in sorted(_persons().items()):
        cases += _county(rng, county, persons, ctx.as_of)
    return cases


def _text(rng: random.Random, case: _Case) -> str:
    if case.kind == RequestKind.HOME_VISIT:
        return rng.choice(HOME_VISIT_TEXTS)
    text = rng.choice(TEXTS[RequestCategory(case.category)])
    return f"再次反映：{text}" if case.repeat_of is not None else text


def _reply(case: _Case) -> str:
    if case.repeat_of is not None:
        return REPEAT_REPLY
    if case.kind == RequestKind.HOME_VISIT:
        return HOME_VISIT_REPLY
    return REPLIES[RequestCategory(case.category)]


def _rows(ctx: DemoContext, cases: list[_Case], citizens: dict[int, User]) -> None:
    """The requests, first ones before the repeats that point to them."""
    rng = ctx.rng("casework-rows")

    def recorded_by(case: _Case) -> User:
        pk, county, township, _village = case.person
        if case.channel == RequestChannel.PORTAL:
            return citizens[pk]
        if case.channel == RequestChannel.HOTLINE:
            return ctx.clerk(Role.COUNTY_OFFICER, county)  # the county's 12385 operator
        return ctx.clerk(Role.TOWNSHIP_OFFICER, township)

    answered = (RequestStatus.ANSWERED, RequestStatus.CLOSED)
    for repeats in (False, True):
        batch = [c for c in cases if (c.repeat_of is not None) == repeats]
        for case in batch:
            pk, county, township, village = case.person
            case.row = CitizenRequest(
                kind=case.kind,
                category=case.category,
                channel=case.channel,
                text=_text(rng, case),
                contact_preference=_pick(rng, CONTACT[RequestChannel(case.channel)]),
                person_id=pk,
                county_code=county,
                township_code=township,
                village_code=village,
                status=case.status,
                reply=_reply(case) if case.status in answered else "",
                created_by=recorded_by(case),
                created_at=case.received,
                updated_at=case.steps[-1][1] if case.steps else case.received,
                due_on=case.due,
                closed_at=case.closed_at,
                satisfaction=case.satisfaction,
                escalation=case.escalation,
                escalated_at=case.escalated_at,
                repeat_of=case.repeat_of.row if case.repeat_of is not None else None,
            )
        CitizenRequest.objects.bulk_create([c.row for c in batch if c.row], batch_size=2000)


def _events(ctx: DemoContext, cases: list[_Case]) -> Iterator[RequestEvent]:
    """Submitted by whoever recorded it; taken up, answered and closed by the township's
    officer, the reply in the event that gave it (as they are made: written in batches)."""
    for case in cases:
        assert case.row is not None
        creator = case.row.created_by
        yield (
            RequestEvent(
                request=case.row,
                from_status="",
                to_status=RequestStatus.OPEN,
                actor=creator,
                actor_role=creator.role,
                at=case.received,
            )
        )
        before: str = RequestStatus.OPEN
        officer = ctx.clerk(Role.TOWNSHIP_OFFICER, case.person[2])
        for status, moment in case.steps:
            replied = status == RequestStatus.ANSWERED or (
                status == RequestStatus.CLOSED and before != RequestStatus.ANSWERED
            )
            yield (
                RequestEvent(
                    request=case.row,
                    from_status=before,
                    to_status=status,
                    note=case.row.reply if replied else "",
                    actor=officer,
                    actor_role=officer.role,
                    at=moment,
                )
            )
            before = status


def casework(ctx: DemoContext) -> None:
    if CitizenRequest.objects.exists():
        return
    cases = _draw(ctx)
    if not cases:
        return
    first_use: dict[int, dt.datetime] = {}
    for case in cases:
        if case.channel == RequestChannel.PORTAL:
            pk = case.person[0]
            first_use[pk] = min(first_use.get(pk, case.received), case.received)
    ctx.prepare_clerks(Role.TOWNSHIP_OFFICER, {c.person[2] for c in cases})
    ctx.prepare_clerks(Role.COUNTY_OFFICER, {c.person[1] for c in cases})
    _rows(ctx, cases, ctx.portal_users(first_use))
    events = create_in_batches(RequestEvent, _events(ctx, cases))
    ctx.counts.add(CitizenRequest._meta.db_table, len(cases))
    ctx.counts.add(RequestEvent._meta.db_table, events)
    audit.record(
        actor=None,
        actor_name="dpf demo generate",
        action="create",
        object_type="demo_casework",
        changes={"requests": len(cases), "events": events, "as_of": str(ctx.as_of)},
    )
