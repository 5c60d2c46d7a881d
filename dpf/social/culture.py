"""Culture and sport activities of disabled people (文化体育活动, plan 三(五)): an activity
(kind, date, place, the county organising it) and its participants, persons of the registry
named by ID number within the staff member's region; the participation counts (人次) by
county for the plan's reporting.

No indicator of the plan has a target for participation, so no record counter is
registered; ``participation_by_township`` has a record counter's shape for when one is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import region_in_scope, scope_queryset
from dpf.core import audit
from dpf.core.idnumber import parse_id_number
from dpf.core.inputs import clean_text, refuse
from dpf.core.models import Region, RegionLevel
from dpf.core.regions import display_names
from dpf.registry.models import Person
from dpf.registry.services import id_lookup_hash
from dpf.social.models import ActivityKind, ActivityParticipation, CultureActivity


def activities(actor: User | None, *, year: int | None = None) -> QuerySet[CultureActivity]:
    """The activities organised in ``actor``'s region (of one year when given), with the
    number of participations each."""
    require_permission(actor, "view", "culture_activity")
    rows = scope_queryset(actor, CultureActivity.objects.all())
    if year is not None:
        rows = rows.filter(held_on__year=year)
    return rows.annotate(participants=Count("participations")).order_by("-held_on", "-pk")


def activity_for(actor: User | None, activity_id: int) -> CultureActivity:
    found = activities(actor).filter(pk=activity_id).first()
    if found is None:
        raise PermissionRefused("view", "culture_activity", activity_id)
    return found


def participants_of(activity: CultureActivity) -> list[ActivityParticipation]:
    """The participants of an activity already read through ``activity_for``."""
    return list(activity.participations.select_related("person").order_by("person__name", "pk"))


def activity_create(
    *,
    actor: User | None,
    today: dt.date,
    title: str,
    kind: str,
    held_on: dt.date,
    place: str,
    county_code: str,
) -> CultureActivity:
    require_permission(actor, "create", "culture_activity")
    if kind not in ActivityKind.values:
        raise refuse("kind", "请选择活动类型", "choose the kind", "kind")
    county = Region.objects.filter(code=county_code or "", level=RegionLevel.COUNTY).first()
    if county is None or not region_in_scope(actor, county.code):
        raise refuse("region", "所选地区不存在或不在权限范围内", "unknown region", "county_code")
    if held_on > today + dt.timedelta(days=366):
        raise refuse(
            "held_on", "活动日期不能晚于一年以后", "the date is within a year from now", "held_on"
        )
    with transaction.atomic():
        activity = CultureActivity.objects.create(
            title=clean_text(title, field="title", label=("活动名称", "title"), limit=100),
            kind=kind,
            held_on=held_on,
            place=clean_text(place, field="place", label=("活动地点", "place"), limit=200),
            county_code=county.code,
            created_by=actor,
        )
        audit.record(
            actor=actor, action="create", object_type="culture_activity", object_id=activity.pk
        )
    return activity


def participant_add(
    *, actor: User | None, activity_id: int, id_number: str, today: dt.date
) -> ActivityParticipation:
    """A person of the actor's region, named by ID number, took part (another region's
    person: the same "not found"); once per activity, and only once the activity was held."""
    require_permission(actor, "change", "culture_activity", activity_id)
    activity = activity_for(actor, activity_id)
    if activity.held_on > today:
        raise refuse(
            "not_held_yet",
            "活动尚未举行，不能登记参与人员",
            "the activity has not been held yet",
            "id_number",
        )
    number = parse_id_number(id_number or "")
    person = (
        scope_queryset(actor, Person.objects.all())
        .filter(id_number_hash=id_lookup_hash(number.normalized))
        .first()
    )
    if person is None:
        raise refuse("person", "该人员不存在或不在权限范围内", "no such person", "id_number")
    try:
        with transaction.atomic():
            row = ActivityParticipation.objects.create(
                activity=activity,
                person=person,
                county_code=person.county_code,
                township_code=person.township_code,
                village_code=person.village_code,
                recorded_by=actor,
            )
    except IntegrityError:
        raise refuse(
            "participant_twice",
            "该人员已登记参加本次活动",
            "this person is already recorded for the activity",
            "id_number",
        ) from None
    audit.record(
        actor=actor,
        action="change",
        object_type="culture_activity",
        object_id=activity.pk,
        changes={"participant": person.pk},
    )
    return row


def participation_by_township(as_of: dt.date, start: dt.date | None) -> dict[str, int]:
    """Participations (人次) in activities held in ``[start, as_of]`` (the year of
    ``as_of`` when no start is given), by the participant's township: a record counter's
    shape."""
    since = start if start is not None else as_of.replace(month=1, day=1)
    rows = (
        ActivityParticipation.objects.filter(
            activity__held_on__gte=since, activity__held_on__lte=as_of
        )
        .values("township_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["township_code"]: r["n"] for r in rows}


def participation_by_county(actor: User | None, *, year: int) -> list[dict[str, Any]]:
    """For the plan's reporting: in ``year``, by the participant's county within the
    actor's region, the participations (人次), the distinct persons and the activities they
    took part in."""
    require_permission(actor, "view", "culture_activity")
    rows = (
        scope_queryset(actor, ActivityParticipation.objects.all())
        .filter(activity__held_on__year=year)
        .values("county_code")
        .annotate(
            times=Count("id"),
            persons=Count("person_id", distinct=True),
            activities=Count("activity_id", distinct=True),
        )
        .order_by("county_code")
    )
    found = list(rows)
    names = display_names({row["county_code"] for row in found})
    return [{**row, "name": names.get(row["county_code"], "—")} for row in found]
