"""Vocational training (残疾人职业技能培训): courses of a county, attendance per person and
completion, and how completed attendance counts for I02 (person-times in the plan period).

Writes are keyword-only, transactional and audited; reads go through
``dpf.accounts.scoping`` (a course by its county, an attendee by the person's region).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, has_permission, require_permission
from dpf.accounts.scoping import region_in_scope, regions_to_pick, scope_queryset
from dpf.core import audit
from dpf.core.i18n import localised
from dpf.core.idnumber import parse_id_number
from dpf.core.inputs import clean_text, refuse
from dpf.core.models import RegionLevel
from dpf.employment import bases, levy
from dpf.employment.models import TrainingAttendance, TrainingCourse, TrainingKind
from dpf.registry.models import Person
from dpf.registry.services import id_lookup_hash


def course_create(
    *,
    actor: User,
    name: str,
    kind: str,
    provider: str,
    county_code: str,
    start: dt.date,
    end: dt.date,
    subsidy_per_person: object = "0",
    base_id: int | None = None,
) -> TrainingCourse:
    """A course of a county in the actor's region, held at one of the county's training
    bases or skills-master studios (``base_id``, designated on the first day) or at none."""
    require_permission(actor, "create", "training")
    if kind not in TrainingKind.values:
        raise refuse("training_kind", "培训类型无效", "The kind of training is not valid", "kind")
    if not (
        len(county_code) == 6 and county_code.isdigit() and region_in_scope(actor, county_code)
    ):
        raise refuse(
            "county_out_of_scope",
            "所选旗县区不存在或不在本人管辖范围内",
            "The county does not exist or is outside your region",
            "county_code",
        )
    if end < start:
        raise refuse(
            "end_before_start", "结束日期早于开始日期", "The end is before the start", "end"
        )
    subsidy = levy.parse_decimal(
        subsidy_per_person, "subsidy_per_person", low=Decimal(0), high=Decimal(100000)
    )
    base = bases.base_for_course(actor, base_id, county_code=county_code, start=start)
    with transaction.atomic():
        course = TrainingCourse.objects.create(
            name=clean_text(name, field="name", label=("培训名称", "name"), limit=100),
            kind=kind,
            provider=clean_text(
                provider, field="provider", label=("培训机构", "provider"), limit=100
            ),
            base=base,
            county_code=county_code,
            start=start,
            end=end,
            subsidy_per_person=subsidy,
            created_by=actor,
        )
        audit.record(
            actor=actor,
            action="create",
            object_type="training_course",
            object_id=course.pk,
            changes={
                "kind": kind,
                "county_code": county_code,
                "start": start.isoformat(),
                "base": base.pk if base else None,
            },
        )
    return course


def courses(user: Any) -> QuerySet[TrainingCourse]:
    """Courses of the counties in ``user``'s region, with their attendance counts."""
    region = getattr(user, "region", None)
    if region is None or not has_permission(user, "view", "training"):
        return TrainingCourse.objects.none()
    return (
        TrainingCourse.objects.filter(county_code__startswith=region.prefix)
        .select_related("base")
        .annotate(
            attendees=Count("attendances"),
            completed=Count("attendances", filter=Q(attendances__completed_on__isnull=False)),
        )
        .order_by("-start", "pk")
    )


def course_for(user: Any, course_id: int) -> TrainingCourse:
    course = courses(user).filter(pk=course_id).first()
    if course is None:
        raise PermissionRefused("view", "training", course_id)
    return course


def attendances_of(user: Any, course: TrainingCourse) -> list[TrainingAttendance]:
    """The course's attendees that ``user`` may see (their region's persons)."""
    persons = scope_queryset(user, Person.objects.all())
    return list(
        course.attendances.filter(person__in=persons).select_related("person").order_by("pk")
    )


def attendance_add(*, actor: User | None, course_id: int, id_number: str) -> TrainingAttendance:
    """Enrol a registered person of the actor's region (found by ID number) in a course."""
    require_permission(actor, "change", "training", course_id)
    course = course_for(actor, course_id)
    normalized = parse_id_number(id_number).normalized
    person = (
        scope_queryset(actor, Person.objects.all())
        .filter(id_number_hash=id_lookup_hash(normalized))
        .first()
    )
    if person is None:
        # The same words whether unregistered or outside the scope: nothing is learnt.
        raise refuse(
            "person_not_found",
            "本辖区没有该身份证号码的登记人员",
            "No registered person of your region has this ID number",
            "id_number",
        )
    try:
        with transaction.atomic():
            attendance = TrainingAttendance.objects.create(course=course, person=person)
            audit.record(
                actor=actor,
                action="enrol",
                object_type="training_course",
                object_id=course.pk,
                changes={"person": person.pk},
            )
    except IntegrityError:
        raise refuse(
            "already_enrolled",
            "该人员已在本培训中",
            "This person is already enrolled in the course",
            "id_number",
        ) from None
    return attendance


def attendance_complete(
    *, actor: User | None, course_id: int, attendance_id: int, completed_on: dt.date
) -> TrainingAttendance:
    """Record that an attendee finished the course (on or after its start)."""
    require_permission(actor, "change", "training", course_id)
    course = course_for(actor, course_id)
    with transaction.atomic():
        persons = scope_queryset(actor, Person.objects.all())
        attendance = (
            TrainingAttendance.objects.select_for_update()
            .filter(pk=attendance_id, course=course, person__in=persons)
            .first()
        )
        if attendance is None:
            raise PermissionRefused("change", "training", attendance_id)
        if completed_on < course.start or attendance.completed_on is not None:
            raise refuse(
                "completion_date",
                "结业日期早于培训开始日期，或已登记结业",
                "The completion date is before the course started, or completion is recorded",
                "completed_on",
            )
        attendance.completed_on = completed_on
        attendance.save(update_fields=["completed_on"])
        audit.record(
            actor=actor,
            action="complete",
            object_type="training_course",
            object_id=course.pk,
            changes={"person": attendance.person_id, "completed_on": completed_on.isoformat()},
        )
    return attendance


# --- I02 -------------------------------------------------------------------------------------


def _completed(as_of: dt.date, period_start: dt.date | None) -> QuerySet[TrainingAttendance]:
    done = TrainingAttendance.objects.filter(completed_on__lte=as_of)
    if period_start is not None:
        done = done.filter(completed_on__gte=period_start)
    return done


def training_attendance_count(as_of: dt.date, period_start: dt.date | None) -> dict[str, int]:
    """Completed attendances (person-times) in ``[period_start, as_of]`` by the person's
    current township: the numerator of I02 (one grouped query)."""
    rows = (
        _completed(as_of, period_start)
        .order_by()
        .values("person__township_code")
        .annotate(n=Count("id"))
    )
    return {row["person__township_code"]: row["n"] for row in rows}


def training_attendance_persons(as_of: dt.date, period_start: dt.date | None) -> Q:
    """The persons behind I02: who completed a course in the period (the drill-down)."""
    return Q(pk__in=_completed(as_of, period_start).values("person_id"))


def training_by_county(user: Any, *, year: int) -> list[dict[str, Any]]:
    """The training report (plan part 8): completed attendances in ``year`` counted as I02
    counts them (``_completed``: person-times by the person's current residence), by county
    within ``user``'s region, with the distinct persons; every county of the region is
    listed, those without any with zero (two queries)."""
    if not has_permission(user, "view", "training"):
        return []
    done = scope_queryset(
        user, _completed(dt.date(year, 12, 31), dt.date(year, 1, 1)), prefix="person__"
    )
    counts = {
        row["person__county_code"]: row
        for row in done.order_by()
        .values("person__county_code")
        .annotate(person_times=Count("id"), persons=Count("person_id", distinct=True))
    }
    rows = []
    for county in regions_to_pick(user, [RegionLevel.COUNTY]):
        found = counts.get(county.code, {})
        rows.append(
            {
                "county_code": county.code,
                "name": localised(county.name, county.name_en),
                "person_times": found.get("person_times", 0),
                "persons": found.get("persons", 0),
            }
        )
    return rows


RECORD_COUNTERS: dict[str, Callable[[dt.date, dt.date | None], dict[str, int]]] = {
    "training_attendance": training_attendance_count,
}
RECORD_PERSONS: dict[str, Callable[[dt.date, dt.date | None], Q]] = {
    "training_attendance": training_attendance_persons,
}
