"""Volunteers for disabled people (助残志愿服务, plan 三(五)6–7): teams, volunteers
registered with their consent, events with sign-up, attendance and hours, and the disabled
persons served.

Staff of the city, a county or a township keep the teams, volunteers and events of their
region. A volunteer's own account (role ``volunteer``) sees only the events of its team (or
of no team in its county) and those it signed up for, with the least data needed to serve:
the event, the meeting place and the names of the persons served — never an ID number, an
address, a phone number or a benefit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from dpf.accounts.credentials import check_username, one_time_password
from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import region_in_scope, scope_queryset
from dpf.core import audit
from dpf.core.crypto import lookup_hash
from dpf.core.errors import ValidationFailed
from dpf.core.idnumber import parse_id_number
from dpf.core.inputs import clean_text, refuse
from dpf.core.models import Region, RegionLevel
from dpf.core.roles import Role
from dpf.core.text import check_name_characters
from dpf.registry.models import Person
from dpf.registry.services import id_lookup_hash
from dpf.social.models import (
    EventSignup,
    Volunteer,
    VolunteerEvent,
    VolunteerStatus,
    VolunteerTeam,
)

CAPACITY_MAX = 1000


def _region(actor: User | None, code: str, level: str, field: str) -> Region:
    region = Region.objects.filter(code=code or "", level=level).first()
    if region is None or not region_in_scope(actor, region.code):
        raise refuse("region", "所选地区不存在或不在权限范围内", "unknown region", field)
    return region


def _team(actor: User | None, team_id: int | None) -> VolunteerTeam | None:
    if team_id is None:
        return None
    team = scope_queryset(actor, VolunteerTeam.objects.all()).filter(pk=team_id).first()
    if team is None:
        raise refuse("team", "所选队伍不存在", "no such team", "team_id")
    return team


# --- staff: teams, volunteers, events --------------------------------------------------------


def team_create(
    *, actor: User | None, name: str, township_code: str, leader_name: str = "", founded_on: dt.date
) -> VolunteerTeam:
    require_permission(actor, "create", "volunteer")
    township = _region(actor, township_code, RegionLevel.TOWNSHIP, "township_code")
    team = VolunteerTeam.objects.create(
        name=clean_text(name, field="name", label=("队伍名称", "team name"), limit=100),
        county_code=township.code[:6],
        township_code=township.code,
        leader_name=clean_text(
            leader_name, field="leader_name", label=("负责人", "leader"), limit=50, required=False
        ),
        founded_on=founded_on,
        created_by=actor,
    )
    audit.record(actor=actor, action="create", object_type="volunteer_team", object_id=team.pk)
    return team


def consent_required() -> ValidationFailed:
    return refuse(
        "consent_required",
        "须经本人同意才能登记为志愿者",
        "a volunteer is registered only with their consent",
        "consent",
    )


def volunteer_details(skills: str, availability: str) -> tuple[str, str]:
    """The volunteer's skills and when they can serve (both optional, one line each)."""
    return (
        clean_text(skills, field="skills", label=("特长技能", "skills"), limit=200, required=False),
        clean_text(
            availability,
            field="availability",
            label=("可服务时间", "availability"),
            limit=200,
            required=False,
        ),
    )


def volunteer_phone(phone: str) -> str:
    phone = (phone or "").strip()
    if phone and not (phone.isdigit() and 7 <= len(phone) <= 15):
        raise refuse("phone", "联系电话格式不正确", "the phone number is not valid", "phone")
    return phone


def volunteer_hash(normalized_id_number: str) -> str:
    return lookup_hash(normalized_id_number, purpose="volunteer")


def registration_create(*, actor: User | None, audit_as: str = "", **fields: Any) -> Volunteer:
    """Write one registration (staff's or the citizen's own); a second live registration of
    the same ID number is refused (a unique constraint, so two at once make one)."""
    try:
        with transaction.atomic():
            volunteer = Volunteer.objects.create(created_by=actor, **fields)
    except IntegrityError:
        raise refuse(
            "volunteer_registered",
            "该身份证号码已登记为志愿者",
            "this ID number is already registered as a volunteer",
            "id_number",
        ) from None
    audit.record(
        actor=actor,
        action="create",
        object_type="volunteer",
        object_id=volunteer.pk,
        changes={
            "id_number": volunteer.id_number_masked,
            "consent_on": volunteer.consent_on.isoformat(),
            "status": volunteer.status,
            **({"via": audit_as} if audit_as else {}),
        },
    )
    return volunteer


def volunteer_register(
    *,
    actor: User | None,
    name: str,
    id_number: str,
    phone: str = "",
    village_code: str,
    consent: bool,
    team_id: int | None = None,
    skills: str = "",
    availability: str = "",
    today: dt.date,
) -> Volunteer:
    """Register a volunteer who has agreed to it (the consent is recorded with its date);
    staff's registration takes effect at once (``approved``)."""
    require_permission(actor, "create", "volunteer")
    if not consent:
        raise consent_required()
    name = " ".join((name or "").split())
    check_name_characters(name)
    if not 1 <= len(name) <= 50:
        raise refuse("name", "请填写姓名（不超过50字）", "give the name (at most 50)", "name")
    number = parse_id_number(id_number or "", today=today)
    phone = volunteer_phone(phone)
    skills, availability = volunteer_details(skills, availability)
    village = _region(actor, village_code, RegionLevel.VILLAGE, "village_code")
    team = _team(actor, team_id)
    return registration_create(
        actor=actor,
        name=name,
        id_number=number.normalized,
        id_number_hash=volunteer_hash(number.normalized),
        id_number_masked=number.masked,
        phone=phone,
        county_code=village.code[:6],
        township_code=village.code[:9],
        village_code=village.code,
        team=team,
        skills=skills,
        availability=availability,
        consent_on=today,
        registered_on=today,
        status=VolunteerStatus.APPROVED,
        decided_by=actor,
        decided_on=today,
    )


def volunteer_account_open(
    *, actor: User | None, volunteer_id: int, username: str
) -> tuple[User, str]:
    """Open the volunteer's own account (role ``volunteer``) with a one-time password, shown
    once; the volunteer sets their own at the first log-in."""
    require_permission(actor, "change", "volunteer", volunteer_id)
    volunteer = volunteers(actor).filter(pk=volunteer_id).first()
    if volunteer is None:
        raise PermissionRefused("change", "volunteer", volunteer_id)
    if volunteer.user_id is not None:
        raise refuse("account_exists", "该志愿者已有账号", "this volunteer has an account", None)
    if volunteer.status != VolunteerStatus.APPROVED:
        raise refuse(
            "volunteer_not_approved",
            "只有已注册的志愿者才能开通账号",
            "an account is opened for a registered volunteer only",
            None,
        )
    username = check_username(username)
    password = one_time_password()
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            role=Role.VOLUNTEER,
            first_name=volunteer.name[:150],
            must_change_password=True,
        )
        volunteer.user = user
        volunteer.save(update_fields=["user"])
        audit.record(
            actor=actor,
            action="create",
            object_type="volunteer_account",
            object_id=volunteer.pk,
            changes={"username": username},
        )
    return user, password


def event_create(
    *,
    actor: User | None,
    title: str,
    township_code: str,
    meeting_place: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    capacity: int,
    team_id: int | None = None,
) -> VolunteerEvent:
    require_permission(actor, "create", "volunteer")
    township = _region(actor, township_code, RegionLevel.TOWNSHIP, "township_code")
    if ends_at <= starts_at:
        raise refuse(
            "ends_before", "结束时间须晚于开始时间", "the end must be after the start", "ends_at"
        )
    if not 1 <= capacity <= CAPACITY_MAX:
        raise refuse(
            "capacity", f"招募人数为1至{CAPACITY_MAX}人", f"1 to {CAPACITY_MAX}", "capacity"
        )
    event = VolunteerEvent.objects.create(
        title=clean_text(title, field="title", label=("活动名称", "title"), limit=100),
        team=_team(actor, team_id),
        county_code=township.code[:6],
        township_code=township.code,
        meeting_place=clean_text(
            meeting_place,
            field="meeting_place",
            label=("集合地点", "meeting place"),
            limit=200,
        ),
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        created_by=actor,
    )
    audit.record(actor=actor, action="create", object_type="volunteer_event", object_id=event.pk)
    return event


def attendance_record(
    *, actor: User | None, event_id: int, signup_id: int, attended: bool, hours: str
) -> EventSignup:
    """Record whether a signed-up volunteer came and the hours served (0 when absent)."""
    require_permission(actor, "change", "volunteer", event_id)
    event = event_for(actor, event_id)
    signup = event.signups.filter(pk=signup_id).first()
    if signup is None:
        raise refuse("signup", "没有这条报名", "no such sign-up", "signup_id")
    try:
        amount = Decimal(str(hours or "0").strip())
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or not Decimal(0) <= amount <= Decimal(24):
        raise refuse("hours", "服务时长为0至24小时", "hours are 0 to 24", "hours")
    if not attended and amount:
        raise refuse("hours_absent", "未参加的志愿者没有服务时长", "no hours when absent", "hours")
    signup.attended = attended
    signup.hours = amount.quantize(Decimal("0.1"))
    signup.save(update_fields=["attended", "hours"])
    audit.record(
        actor=actor,
        action="change",
        object_type="volunteer_event",
        object_id=event.pk,
        changes={"signup": signup.pk, "attended": attended, "hours": str(signup.hours)},
    )
    return signup


def served_add(*, actor: User | None, event_id: int, id_number: str) -> Person:
    """A disabled person of the staff member's region, named by ID number, served at the
    event (another region's person: the same "not found")."""
    require_permission(actor, "change", "volunteer", event_id)
    event = event_for(actor, event_id)
    number = parse_id_number(id_number or "")
    person = (
        scope_queryset(actor, Person.objects.all())
        .filter(id_number_hash=id_lookup_hash(number.normalized))
        .first()
    )
    if person is None:
        raise refuse("person", "该人员不存在或不在权限范围内", "no such person", "id_number")
    event.served.add(person)
    audit.record(
        actor=actor,
        action="change",
        object_type="volunteer_event",
        object_id=event.pk,
        changes={"served_person": person.pk},
    )
    return person


def served_of(event: VolunteerEvent) -> list[Person]:
    """The persons served at an event already read through ``event_for`` (so in scope)."""
    return list(event.served.order_by("name", "pk"))


def signups_of(event: VolunteerEvent) -> list[EventSignup]:
    return list(event.signups.select_related("volunteer").order_by("signed_up_at", "pk"))


def teams(actor: User | None) -> QuerySet[VolunteerTeam]:
    require_permission(actor, "view", "volunteer")
    return (
        scope_queryset(actor, VolunteerTeam.objects.all())
        .annotate(
            members=Count("volunteers", filter=Q(volunteers__status=VolunteerStatus.APPROVED))
        )
        .order_by("township_code", "name")
    )


def volunteers(actor: User | None) -> QuerySet[Volunteer]:
    require_permission(actor, "view", "volunteer")
    return scope_queryset(actor, Volunteer.objects.select_related("team", "user")).order_by(
        "-registered_on", "-pk"
    )


def events(actor: User | None) -> QuerySet[VolunteerEvent]:
    require_permission(actor, "view", "volunteer")
    return (
        scope_queryset(actor, VolunteerEvent.objects.select_related("team"))
        .annotate(signed=Count("signups", distinct=True))
        .order_by("-starts_at", "-pk")
    )


def event_for(actor: User | None, event_id: int) -> VolunteerEvent:
    require_permission(actor, "view", "volunteer", event_id)
    event = scope_queryset(actor, VolunteerEvent.objects.select_related("team")).filter(pk=event_id)
    found = event.first()
    if found is None:
        raise PermissionRefused("view", "volunteer", event_id)
    return found


# --- the volunteer's own account --------------------------------------------------------------


@dataclass(frozen=True)
class MyEvent:
    """What a volunteer sees of an event: no ID numbers, addresses, phones or benefits."""

    event_id: int
    title: str
    meeting_place: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    places_left: int
    signed_up: bool
    hours: Decimal | None
    served_names: tuple[str, ...]


def own_volunteer(user: Any) -> Volunteer | None:
    """The registration a ``volunteer`` account acts for (none when withdrawn)."""
    if (
        not getattr(user, "is_authenticated", False)
        or not getattr(user, "is_active", False)
        or getattr(user, "role", None) != Role.VOLUNTEER
    ):
        return None
    return Volunteer.objects.filter(user=user, status=VolunteerStatus.APPROVED).first()


def _visible_events(volunteer: Volunteer) -> QuerySet[VolunteerEvent]:
    own_team = (
        Q(team_id=volunteer.team_id)
        if volunteer.team_id
        else Q(team__isnull=True, county_code=volunteer.county_code)
    )
    return VolunteerEvent.objects.filter(own_team | Q(signups__volunteer=volunteer)).distinct()


def my_events(*, actor: User | None) -> list[MyEvent]:
    """The events a volunteer may see: its team's (or, without a team, its county's events
    of no team) and those it signed up for."""
    require_permission(actor, "view", "volunteer_record")
    volunteer = own_volunteer(actor)
    if volunteer is None:
        return []
    rows = list(
        _visible_events(volunteer)
        .annotate(signed=Count("signups", distinct=True))
        .order_by("-starts_at", "-pk")[:100]
    )
    mine = {
        s.event_id: s
        for s in EventSignup.objects.filter(volunteer=volunteer, event__in=[e.pk for e in rows])
    }
    names: dict[int, list[str]] = {}
    for event_id, name in (
        VolunteerEvent.served.through.objects.filter(volunteerevent_id__in=list(mine))
        .order_by("volunteerevent_id", "person__name")
        .values_list("volunteerevent_id", "person__name")
    ):
        names.setdefault(event_id, []).append(name)
    return [
        MyEvent(
            event_id=e.pk,
            title=e.title,
            meeting_place=e.meeting_place,
            starts_at=e.starts_at,
            ends_at=e.ends_at,
            places_left=max(0, e.capacity - e.signed),
            signed_up=e.pk in mine,
            hours=mine[e.pk].hours if e.pk in mine and mine[e.pk].attended else None,
            served_names=tuple(names.get(e.pk, ())),
        )
        for e in rows
    ]


def event_signup(
    *, actor: User | None, event_id: int, now: dt.datetime | None = None
) -> EventSignup:
    """Sign the volunteer up: once per event, within its capacity, before it starts."""
    require_permission(actor, "create", "volunteer_record", event_id)
    volunteer = own_volunteer(actor)
    if volunteer is None:
        raise PermissionRefused("create", "volunteer_record", event_id)
    moment = now or timezone.now()
    with transaction.atomic():
        event = _visible_events(volunteer).filter(pk=event_id).values_list("pk", flat=True).first()
        if event is None:
            raise PermissionRefused("create", "volunteer_record", event_id)
        # The event row locked: two volunteers taking the last place one after the other.
        locked = VolunteerEvent.objects.select_for_update().get(pk=event)
        if locked.starts_at <= moment:
            raise refuse("event_started", "活动已开始，不能报名", "the event has started", None)
        if EventSignup.objects.filter(event=locked, volunteer=volunteer).exists():
            raise refuse("already_signed_up", "您已报名该活动", "you have already signed up", None)
        if EventSignup.objects.filter(event=locked).count() >= locked.capacity:
            raise refuse("event_full", "活动名额已满", "the event is full", None)
        signup = EventSignup.objects.create(event=locked, volunteer=volunteer, signed_up_at=moment)
        audit.record(
            actor=actor, action="create", object_type="volunteer_signup", object_id=signup.pk
        )
    return signup
