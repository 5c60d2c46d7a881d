"""Complaints, petitions (信访), the 12385 hotline and home-visit requests: casework.

A request comes in from the portal (the citizen), the window or the 12385 hotline (an
officer records it for a registered person). Each gets a deadline in working days by kind
(``DEADLINES``, over the holiday calendar), goes to the queue of the person's township and
county, may be assigned down the region tree (to a township, or by name to a township
officer or a village worker of the person's place: ``request_assign``), is taken up,
answered (the reply the citizen reads) and closed with the citizen's satisfaction from the
return call. A request past its deadline is overdue: the county's
and the city's queues count it (``selectors.overdue_counts``). A repeated complaint by the
same person on the same matter while the first is still open is linked to it
(``repeat_of``), not counted twice.

T0704 (信访事项办结率) = complaints closed within their deadline ÷ complaints due in the
period, first complaints only (``complaint_counts``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import has_permission, require_permission
from dpf.accounts.scoping import person_in_scope
from dpf.core import audit
from dpf.core.errors import NotFound
from dpf.core.inputs import refuse
from dpf.core.models import Region
from dpf.core.text import check_text_characters
from dpf.core.workdays import add_working_days
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
from dpf.portal.selectors import ASSIGNABLE_REGION_LEVELS, chain_below, staff_requests
from dpf.registry.models import Person

REQUEST_TEXT_MAX = 2000

# Working days from the day a request comes in to its deadline, by kind. A local policy the
# federation sets: the petition regulation (《信访工作条例》2022, art. 32) allows at most 60
# days from acceptance, which 40 working days keeps within; a home visit is arranged within
# 10 working days and any other request (a question, a consultation) answered within 5.
DEADLINES = {
    RequestKind.COMPLAINT: 40,
    RequestKind.HOME_VISIT: 10,
    RequestKind.OTHER: 5,
}

# What a request's text and an officer's answer are called in a refusal.
_TEXT_LABELS = {"text": ("内容", "text"), "note": ("答复或说明", "answer")}


def _clean_text(raw: str, *, field: str, required: bool) -> str:
    """Free text: line breaks allowed; control and text-direction characters refused (they
    could make staff or the citizen read something else than was written)."""
    text = (raw or "").strip()
    label_zh, label_en = _TEXT_LABELS[field]
    check_text_characters(text, field=field, label_zh=label_zh, label_en=label_en, multiline=True)
    if required and not text:
        raise refuse("text_required", "请填写内容", "please write something", field)
    if len(text) > REQUEST_TEXT_MAX:
        raise refuse(
            "text_long",
            f"内容不超过{REQUEST_TEXT_MAX}字",
            f"at most {REQUEST_TEXT_MAX} characters",
            field,
        )
    return text


def due_on(kind: str, received: dt.date) -> dt.date:
    """The deadline of a request of ``kind`` that came in on ``received``."""
    return add_working_days(received, DEADLINES[RequestKind(kind)])


def _check_choice(value: str, choices: Any, code: str, zh: str, en: str) -> None:
    if value not in choices.values:
        raise refuse(code, zh, en, code)


def _create(
    *,
    actor: User,
    person: Person,
    kind: str,
    category: str,
    channel: str,
    text: str,
    contact_preference: str,
    now: dt.datetime,
) -> CitizenRequest:
    _check_choice(kind, RequestKind, "kind", "请选择类型", "choose the kind of request")
    _check_choice(category, RequestCategory, "category", "请选择事项分类", "choose the category")
    _check_choice(
        contact_preference,
        ContactPreference,
        "contact_preference",
        "请选择联系方式",
        "choose how we contact you",
    )
    text = _clean_text(text, field="text", required=True)
    received = timezone.localdate(now)
    # The same person on the same matter while the first is still open: linked, not doubled.
    first = (
        CitizenRequest.objects.select_for_update()
        .filter(person=person, kind=kind, category=category, repeat_of__isnull=True)
        .exclude(status=RequestStatus.CLOSED)
        .order_by("created_at", "id")
        .first()
    )
    request = CitizenRequest.objects.create(
        kind=kind,
        category=category,
        channel=channel,
        text=text,
        contact_preference=contact_preference,
        person=person,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor,
        created_at=now,
        updated_at=now,
        due_on=first.due_on if first is not None else due_on(kind, received),
        repeat_of=first,
    )
    RequestEvent.objects.create(
        request=request,
        from_status="",
        to_status=RequestStatus.OPEN,
        actor=actor,
        actor_role=str(getattr(actor, "role", "")),
        at=now,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="citizen_request",
        object_id=request.pk,
        changes={
            "person": person.pk,
            "kind": kind,
            "category": category,
            "channel": channel,
            "repeat_of": first.pk if first is not None else None,
        },
    )
    return request


@transaction.atomic
def request_submit(
    *,
    actor: User,
    person_id: int,
    kind: str,
    text: str,
    contact_preference: str,
    category: str = RequestCategory.OTHER,
    now: dt.datetime | None = None,
) -> CitizenRequest:
    """A citizen's complaint or request from the portal, for themself or a dependant; it
    goes to the queue of the person's township (and county)."""
    require_permission(actor, "create", "citizen_request")
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not person_in_scope(
        actor, person_id=person.pk, village_code=person.village_code
    ):
        raise NotFound("person")
    return _create(
        actor=actor,
        person=person,
        kind=kind,
        category=category,
        channel=RequestChannel.PORTAL,
        text=text,
        contact_preference=contact_preference,
        now=now or timezone.now(),
    )


@transaction.atomic
def request_intake(
    *,
    actor: User,
    person_id: int,
    channel: str,
    kind: str,
    category: str,
    text: str,
    contact_preference: str = ContactPreference.PHONE,
    now: dt.datetime | None = None,
) -> CitizenRequest:
    """An officer records a request made at the window or on the 12385 hotline for a person
    of their region (the caller found by ID number on the intake page)."""
    require_permission(actor, "create", "citizen_request")
    if channel not in (RequestChannel.WINDOW, RequestChannel.HOTLINE):
        raise refuse(
            "channel", "请选择窗口或12385热线", "choose the window or the hotline", "channel"
        )
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not person_in_scope(
        actor, person_id=person.pk, village_code=person.village_code
    ):
        raise NotFound("person")
    return _create(
        actor=actor,
        person=person,
        kind=kind,
        category=category,
        channel=channel,
        text=text,
        contact_preference=contact_preference,
        now=now or timezone.now(),
    )


TAKE = "take"
ANSWER = "answer"
CLOSE = "close"
REQUEST_ACTIONS = (TAKE, ANSWER, CLOSE)
_NEXT = {
    TAKE: RequestStatus.IN_PROGRESS,
    ANSWER: RequestStatus.ANSWERED,
    CLOSE: RequestStatus.CLOSED,
}
_FROM = {
    TAKE: {RequestStatus.OPEN},
    ANSWER: {RequestStatus.OPEN, RequestStatus.IN_PROGRESS, RequestStatus.ANSWERED},
    CLOSE: {RequestStatus.OPEN, RequestStatus.IN_PROGRESS, RequestStatus.ANSWERED},
}


@transaction.atomic
def request_act(
    *,
    actor: User,
    request_id: int,
    action: str,
    note: str = "",
    satisfaction: str = "",
    expected_status: str | None = None,
    now: dt.datetime | None = None,
) -> CitizenRequest:
    """An officer takes up, answers (the reply the citizen reads) or closes a request. A
    request is closed only once answered (a reply given now or before), with the
    citizen's satisfaction from the return call."""
    require_permission(actor, "change", "citizen_request", request_id)
    request = staff_requests(actor, "change").select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound("citizen_request")
    if action not in REQUEST_ACTIONS:
        raise refuse("action", "操作无效", "invalid action", "action")
    note = _clean_text(note, field="note", required=action == ANSWER)
    if request.status not in _FROM[action] or (
        expected_status is not None and request.status != expected_status
    ):
        raise refuse(
            "request_changed",
            "该诉求的状态已变化，请刷新后查看",
            "the request's state has changed: reload the page",
        )
    if action == CLOSE:
        if not (request.reply or note):
            raise refuse(
                "reply_required",
                "办结前须答复群众：请填写答复",
                "a request is closed only after a reply: write the answer",
                "note",
            )
        if satisfaction not in Satisfaction.values:
            raise refuse(
                "satisfaction",
                "请选择回访满意度",
                "choose the citizen's satisfaction from the return call",
                "satisfaction",
            )
    elif satisfaction:
        raise refuse(
            "satisfaction_at_close",
            "满意度在办结时填写",
            "the satisfaction is recorded when the request is closed",
            "satisfaction",
        )
    now = now or timezone.now()
    before = request.status
    request.status = _NEXT[action]
    if note and (action == ANSWER or not request.reply):
        request.reply = note
    if action == CLOSE:
        request.closed_at = now
        request.satisfaction = satisfaction
    request.updated_at = now
    request.save(update_fields=["status", "reply", "updated_at", "closed_at", "satisfaction"])
    RequestEvent.objects.create(
        request=request,
        from_status=before,
        to_status=request.status,
        note=note,
        actor=actor,
        actor_role=str(getattr(actor, "role", "")),
        at=now,
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="citizen_request",
        object_id=request.pk,
        changes={"status": [before, request.status], "satisfaction": satisfaction or None},
    )
    return request


# --- Assignment down the region tree ----------------------------------------------------


def assignment_of(request: CitizenRequest) -> str:
    """The request's assignment as the form's hidden token ("" when nobody is assigned):
    an officer's choice is refused when another officer re-assigned it meanwhile."""
    if request.assigned_to_id is not None:
        return f"user:{request.assigned_to_id}"
    return f"region:{request.assigned_region}" if request.assigned_region else ""


def _assignee(actor: User, request: CitizenRequest, user_id: int) -> User:
    """The named staff member, when they work in a region of the request's chain below
    ``actor``'s and their role may handle citizen requests; else refused (an unknown id
    reads the same as one outside the chain)."""
    below = chain_below(actor, request)
    assignee = User.objects.filter(pk=user_id).select_related("region").first()
    if assignee is None or assignee.region_id not in below:
        raise refuse(
            "assignee_outside",
            "只能分派给本诉求所在地区、您的下级地区的工作人员",
            "assign only to staff of the request's own region below yours",
            "target",
        )
    if not has_permission(assignee, "change", "citizen_request"):
        raise refuse(
            "assignee_not_caseworker",
            "该账号不能办理群众诉求（已停用或没有诉求办理权限），请另选承办人",
            "this account may not handle citizen requests (disabled or without the "
            "permission): choose someone else",
            "target",
        )
    return assignee


def _assigned_region(actor: User, request: CitizenRequest, region_code: str) -> str:
    """A county or township of the request's chain below ``actor``'s region; else refused."""
    level = Region.objects.filter(code=region_code).values_list("level", flat=True).first()
    if region_code not in chain_below(actor, request) or level not in ASSIGNABLE_REGION_LEVELS:
        raise refuse(
            "assignee_outside",
            "只能分派给本诉求所在地区、您的下级地区（旗县区或苏木乡镇）",
            "assign only to the request's own county or township below your region",
            "target",
        )
    return region_code


@transaction.atomic
def request_assign(
    *,
    actor: User,
    request_id: int,
    to_region: str = "",
    to_user_id: int | None = None,
    note: str = "",
    expected_assignment: str | None = None,
    now: dt.datetime | None = None,
) -> CitizenRequest:
    """Assign a request down the region tree: the city to a county or township of the
    request's chain, the county to its township, either of them (or the township) to a
    named staff member of a region below their own in that chain who may handle requests
    (a township officer, a village worker of the person's village). Re-assigning replaces
    the assignee. The assignee finds it under "assigned to me"; the deadline does not
    change. Each assignment is a ``RequestEvent`` and an audit entry."""
    require_permission(actor, "change", "citizen_request", request_id)
    request = staff_requests(actor, "change").select_for_update().filter(pk=request_id).first()
    if request is None:
        raise NotFound("citizen_request")
    note = _clean_text(note, field="note", required=False)
    if request.status == RequestStatus.CLOSED:
        raise refuse(
            "request_closed",
            "已办结的诉求不再分派",
            "a closed request is not assigned",
            "target",
        )
    if expected_assignment is not None and assignment_of(request) != expected_assignment:
        raise refuse(
            "request_changed",
            "该诉求的承办已变化，请刷新后查看",
            "the request has been assigned meanwhile: reload the page",
            "target",
        )
    if bool(to_region) == (to_user_id is not None):
        raise refuse(
            "target_required",
            "请选择承办地区或承办人",
            "choose the region or the person to assign it to",
            "target",
        )
    assignee = _assignee(actor, request, to_user_id) if to_user_id is not None else None
    region = str(assignee.region_id) if assignee else _assigned_region(actor, request, to_region)
    if region == request.assigned_region and (assignee.pk if assignee else None) == (
        request.assigned_to_id
    ):
        raise refuse(
            "already_assigned",
            "该诉求已分派给所选的承办方",
            "the request is already assigned there",
            "target",
        )
    now = now or timezone.now()
    before = assignment_of(request)
    request.assigned_region = region
    request.assigned_to = assignee
    request.assigned_at = now
    request.updated_at = now
    request.save(update_fields=["assigned_region", "assigned_to", "assigned_at", "updated_at"])
    RequestEvent.objects.create(
        request=request,
        from_status=request.status,
        to_status=request.status,
        note=note,
        actor=actor,
        actor_role=str(getattr(actor, "role", "")),
        at=now,
        assigned_region=region,
        assigned_to=assignee,
    )
    audit.record(
        actor=actor,
        action="change",
        object_type="citizen_request",
        object_id=request.pk,
        changes={"assigned": [before, assignment_of(request)]},
    )
    return request


# --- Escalation of overdue requests -----------------------------------------------------

# A request this many days past its deadline goes from the county's attention to the city's.
CITY_ESCALATION_DAYS = 15


@transaction.atomic
def escalate_overdue(*, on: dt.date, now: dt.datetime | None = None) -> tuple[int, int]:
    """Escalate the open requests past their deadline on ``on``: to the county the day
    after the deadline, to the city ``CITY_ESCALATION_DAYS`` later (the daily job
    ``portal.casework_escalation``). The county's and the city's queues count them.

    Run again (the same day, or after a crash: one transaction) it changes nothing more.
    Returns how many requests it escalated to the county and to the city."""
    now = now or timezone.now()
    open_overdue = CitizenRequest.objects.exclude(status=RequestStatus.CLOSED).filter(due_on__lt=on)
    to_city = open_overdue.filter(due_on__lt=on - dt.timedelta(days=CITY_ESCALATION_DAYS)).exclude(
        escalation=Escalation.CITY
    )
    city = to_city.update(escalation=Escalation.CITY, escalated_at=now)
    county = open_overdue.filter(escalation=Escalation.NONE).update(
        escalation=Escalation.COUNTY, escalated_at=now
    )
    if county or city:
        audit.record(
            actor=None,
            actor_name="scheduler",
            action="change",
            object_type="citizen_request",
            changes={"escalated": {"county": county, "city": city}, "on": on.isoformat()},
        )
    return county, city


# --- T0704 -------------------------------------------------------------------------------


def _complaints_due(as_of: dt.date, start: dt.date | None) -> Q:
    """First complaints due in the period: from ``start`` (a cumulative indicator's plan
    start) or else from 1 January of ``as_of``'s year (the rate of the year to date)."""
    since = start or dt.date(as_of.year, 1, 1)
    return Q(kind=RequestKind.COMPLAINT, repeat_of__isnull=True, due_on__range=(since, as_of))


def complaints_due(as_of: dt.date, start: dt.date | None) -> dict[str, int]:
    """First complaints whose deadline fell in [start, as_of], by township (denominator)."""
    rows = (
        CitizenRequest.objects.filter(_complaints_due(as_of, start))
        .values("township_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["township_code"]: r["n"] for r in rows}


def complaints_closed_in_time(as_of: dt.date, start: dt.date | None) -> dict[str, int]:
    """Of those, the ones closed on or before their deadline (numerator)."""
    rows = (
        CitizenRequest.objects.filter(_complaints_due(as_of, start), status=RequestStatus.CLOSED)
        .annotate(closed_on=TruncDate("closed_at", tzinfo=timezone.get_current_timezone()))
        .filter(closed_on__lte=F("due_on"))
        .values("township_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["township_code"]: r["n"] for r in rows}
