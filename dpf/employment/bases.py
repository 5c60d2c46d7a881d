"""Training bases (残疾人职业培训基地) and skills-master studios (技能大师工作室) of each county
(issue 19 part 6): the register, the courses held at each, and the counts the plan asks for
by county (bases and studios in force, courses held at them, completed person-times there).

A base is designated over ``[valid_from, valid_to]`` (``EffectiveDated``); a course is held
at a base of its own county designated on the course's first day (``training.course_create``
checks it with ``base_for_course``). Registering a base, or renaming one, links the courses
of its county typed before bases were records whose base name is exactly the base's name and
which started while it was designated; other typed names stay as typed.

Writes are keyword-only, transactional and audited; reads go through
``dpf.accounts.scoping`` (a base by its county: a county's staff their county's, the city's
every county's). Bases hold no personal data.
"""

from __future__ import annotations

import datetime as dt
from itertools import groupby
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, has_permission, require_permission
from dpf.accounts.scoping import region_filter, regions_to_pick
from dpf.core import audit
from dpf.core.i18n import localised
from dpf.core.inputs import clean_text, not_after, refuse
from dpf.core.models import EffectiveDated, RegionLevel
from dpf.employment.models import (
    TrainingAttendance,
    TrainingBase,
    TrainingBaseKind,
    TrainingCourse,
)
from dpf.employment.records import _county_in_scope

CAPACITY_MAX = 10_000
# The fields of a base as the services take them (and the audit compares them).
FIELDS = ("kind", "name", "county_code", "operator", "trades", "capacity", "valid_from", "valid_to")


def _scope(user: Any, prefix: str = "") -> Q | None:
    """The filter on a base's ``county_code`` (at ``prefix``) for ``user``; ``None``:
    nothing. Bases are a county's: staff of a county, the city or the province only."""
    region = getattr(user, "region", None)
    if (
        region is None
        or region.level not in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)
        or not has_permission(user, "view", "training")
    ):
        return None
    return region_filter(user, prefix)


def bases(user: Any, *, county_code: str = "", kind: str = "") -> QuerySet[TrainingBase]:
    """The bases and studios of ``user``'s region, optionally of one county and one kind."""
    condition = _scope(user)
    if condition is None:
        return TrainingBase.objects.none()
    rows = TrainingBase.objects.filter(condition)
    if county_code:
        rows = rows.filter(county_code=county_code)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("county_code", "kind", "name", "pk")


def base_for(user: Any, base_id: int) -> TrainingBase:
    found = bases(user).filter(pk=base_id).first()
    if found is None:
        raise PermissionRefused("view", "training", base_id)
    return found


def base_rows(
    user: Any, *, start: dt.date, end: dt.date, county_code: str = "", kind: str = ""
) -> QuerySet[TrainingBase]:
    """``bases`` with, for each, the courses held there that started in ``[start, end]``
    (``courses_held``) and the attendances completed there in it (``completed``: person-times,
    one query however many rows)."""
    return bases(user, county_code=county_code, kind=kind).annotate(
        courses_held=Count("courses", filter=Q(courses__start__range=(start, end)), distinct=True),
        completed=Count(
            "courses__attendances",
            filter=Q(courses__attendances__completed_on__range=(start, end)),
        ),
    )


def courses_at(user: Any, base: TrainingBase) -> QuerySet[TrainingCourse]:
    """The courses held at ``base`` (one of ``user``'s), newest first, with their counts."""
    return (
        TrainingCourse.objects.filter(base=base_for(user, base.pk))
        .annotate(
            attendees=Count("attendances"),
            completed=Count("attendances", filter=Q(attendances__completed_on__isnull=False)),
        )
        .order_by("-start", "-pk")
    )


def base_choices(user: Any) -> list[tuple[str, list[tuple[int, str]]]]:
    """The bases a course form offers ``user``: those of their region, grouped by county
    (``<optgroup>``), each named with its kind (two queries)."""
    names = {
        c.code: localised(c.name, c.name_en) for c in regions_to_pick(user, [RegionLevel.COUNTY])
    }
    rows = bases(user).order_by("county_code", "name", "pk")
    return [
        (
            names.get(county, county),
            [(b.pk, f"{b.name}（{b.get_kind_display()}）") for b in group],
        )
        for county, group in groupby(rows, key=lambda b: b.county_code)
    ]


def base_for_course(
    actor: Any, base_id: int | None, *, county_code: str, start: dt.date
) -> TrainingBase | None:
    """The base a course of ``county_code`` starting on ``start`` is held at, or the
    refusal: one of the actor's, of the course's county, designated on its first day."""
    if base_id is None:
        return None
    base = bases(actor).filter(pk=base_id).first()
    if base is None:
        raise refuse(
            "base_not_found",
            "所选培训基地不存在或不在本人管辖范围内",
            "The training base does not exist or is outside your region",
            "base_id",
        )
    if base.county_code != county_code:
        raise refuse(
            "base_other_county",
            "所选培训基地不在本期培训所在的旗县区",
            "The training base is not in the course's county",
            "base_id",
        )
    if not base.in_force_on(start):
        raise refuse(
            "base_not_designated",
            "培训开始之日所选基地不在认定期内",
            "The training base was not designated on the day the course starts",
            "base_id",
        )
    return base


def _capacity(raw: object) -> int:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= CAPACITY_MAX:
        raise refuse(
            "capacity",
            f"培训能力应为1至{CAPACITY_MAX}人",
            f"The capacity is 1 to {CAPACITY_MAX:,} persons",
            "capacity",
        )
    return value


def _checked(
    actor: Any,
    *,
    kind: str,
    name: str,
    county_code: str,
    operator: str,
    trades: str,
    capacity: object,
    valid_from: dt.date,
    valid_to: dt.date | None,
    today: dt.date,
) -> dict[str, Any]:
    """The base's fields as stored, or the first refusal."""
    if kind not in TrainingBaseKind.values:
        raise refuse(
            "base_kind",
            "请选择类别：培训基地或技能大师工作室",
            "Choose the kind: training base or skills-master studio",
            "kind",
        )
    fields: dict[str, Any] = {
        "kind": kind,
        "name": clean_text(name, field="name", label=("名称", "name"), limit=100),
        "county_code": _county_in_scope(actor, county_code or ""),
        "operator": clean_text(
            operator, field="operator", label=("依托单位", "operating organisation"), limit=100
        ),
        "trades": clean_text(
            trades, field="trades", label=("培训项目（工种）", "trades taught"), limit=200
        ),
        "capacity": _capacity(capacity),
    }
    if not isinstance(valid_from, dt.date):
        raise refuse("required", "请填写认定日期", "Enter the date of designation", "valid_from")
    not_after(valid_from, today, field="valid_from", label=("认定日期", "date of designation"))
    if valid_to is not None and valid_to < valid_from:
        raise refuse(
            "date_range",
            "撤销或到期日期早于认定日期",
            "The designation ends before it starts",
            "valid_to",
        )
    fields["valid_from"], fields["valid_to"] = valid_from, valid_to
    return fields


def _duplicate() -> Exception:
    return refuse(
        "duplicate_name",
        "本旗县区已有同名的培训基地或技能大师工作室",
        "The county already has a training base or studio of this name",
        "name",
    )


def _link_named_courses(actor: User, base: TrainingBase) -> list[int]:
    """Link the courses of the base's county typed with exactly its name, with no base yet,
    that started while it was designated; audited with their ids."""
    named = TrainingCourse.objects.filter(
        base__isnull=True,
        county_code=base.county_code,
        training_base=base.name,
        start__gte=base.valid_from,
    )
    if base.valid_to is not None:
        named = named.filter(start__lte=base.valid_to)
    ids = list(named.order_by("pk").values_list("pk", flat=True))
    if ids:
        TrainingCourse.objects.filter(pk__in=ids).update(base=base)
        audit.record(
            actor=actor,
            action="change",
            object_type="training_base",
            object_id=base.pk,
            changes={"linked_courses": ids},
        )
    return ids


def base_register(
    *,
    actor: User,
    today: dt.date,
    kind: str,
    name: str,
    county_code: str,
    operator: str,
    trades: str,
    capacity: object,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> TrainingBase:
    """Register a training base or studio of a county in the actor's region (designated
    on ``valid_from``, not after ``today``)."""
    require_permission(actor, "create", "training")
    fields = _checked(
        actor,
        kind=kind,
        name=name,
        county_code=county_code,
        operator=operator,
        trades=trades,
        capacity=capacity,
        valid_from=valid_from,
        valid_to=valid_to,
        today=today,
    )
    try:
        with transaction.atomic():
            base = TrainingBase.objects.create(created_by=actor, **fields)
            audit.record(
                actor=actor,
                action="create",
                object_type="training_base",
                object_id=base.pk,
                changes={
                    "kind": base.kind,
                    "county_code": base.county_code,
                    "valid_from": base.valid_from.isoformat(),
                },
            )
            _link_named_courses(actor, base)
    except IntegrityError:
        raise _duplicate() from None
    return base


def base_change(
    *,
    actor: User,
    base_id: int,
    today: dt.date,
    kind: str,
    name: str,
    county_code: str,
    operator: str,
    trades: str,
    capacity: object,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> TrainingBase:
    """Correct a base of the actor's region or record the end of its designation. The
    courses already held there must stay in its county and within its designation; the
    changed fields are audited with their former and new values."""
    require_permission(actor, "change", "training", base_id)
    try:
        with transaction.atomic():
            base = base_for(actor, base_id)
            TrainingBase.objects.select_for_update().filter(pk=base.pk).first()
            fields = _checked(
                actor,
                kind=kind,
                name=name,
                county_code=county_code,
                operator=operator,
                trades=trades,
                capacity=capacity,
                valid_from=valid_from,
                valid_to=valid_to,
                today=today,
            )
            held = TrainingCourse.objects.filter(base=base)
            if held.exclude(county_code=fields["county_code"]).exists():
                raise refuse(
                    "base_has_courses",
                    "该基地已举办本旗县区的培训，不能改到其他旗县区",
                    "Courses of its county were held at this base: it cannot move county",
                    "county_code",
                )
            early = held.filter(start__lt=fields["valid_from"]).exists()
            late = fields["valid_to"] is not None and (
                held.filter(start__gt=fields["valid_to"]).exists()
            )
            if early or late:
                raise refuse(
                    "courses_outside_designation",
                    "已有在本基地举办的培训开始于认定期之外，请核对认定日期和撤销或到期日期",
                    "A course held at this base started outside these designation dates",
                    "valid_from" if early else "valid_to",
                )
            changes = audit.changed_fields({key: getattr(base, key) for key in FIELDS}, fields)
            if not changes:
                return base
            for key, value in fields.items():
                setattr(base, key, value)
            base.save(update_fields=list(fields))
            audit.record(
                actor=actor,
                action="change",
                object_type="training_base",
                object_id=base.pk,
                changes=changes,
            )
            _link_named_courses(actor, base)
    except IntegrityError:
        raise _duplicate() from None
    return base


def bases_by_county(user: Any, *, year: int, today: dt.date) -> list[dict[str, Any]]:
    """Every county of ``user``'s region: the bases and the studios designated on the last
    day of ``year`` (or ``today`` when earlier), the courses held at the county's bases that
    started in the year, and the attendances completed there in the year (person-times, by
    the base's county, not the trainee's); zeros for a county without any (four queries)."""
    condition = _scope(user)
    by_base, by_course = _scope(user, "base__"), _scope(user, "course__base__")
    if condition is None or by_base is None or by_course is None:
        return []
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    on = min(end, today)
    designated = {
        row["county_code"]: row
        for row in TrainingBase.objects.filter(condition, EffectiveDated.as_of_q(on))
        .order_by()
        .values("county_code")
        .annotate(
            bases=Count("pk", filter=Q(kind=TrainingBaseKind.BASE)),
            studios=Count("pk", filter=Q(kind=TrainingBaseKind.STUDIO)),
        )
    }
    held = dict(
        TrainingCourse.objects.filter(by_base, start__range=(start, end))
        .order_by()
        .values("base__county_code")
        .annotate(n=Count("pk"))
        .values_list("base__county_code", "n")
    )
    completed = dict(
        TrainingAttendance.objects.filter(by_course, completed_on__range=(start, end))
        .order_by()
        .values("course__base__county_code")
        .annotate(n=Count("pk"))
        .values_list("course__base__county_code", "n")
    )
    rows = []
    for county in regions_to_pick(user, [RegionLevel.COUNTY]):
        found = designated.get(county.code, {})
        rows.append(
            {
                "county_code": county.code,
                "name": localised(county.name, county.name_en),
                "bases": found.get("bases", 0),
                "studios": found.get("studios", 0),
                "courses": held.get(county.code, 0),
                "completed": completed.get(county.code, 0),
            }
        )
    return rows


def county_totals(rows: list[dict[str, Any]]) -> dict[str, int]:
    """The sums of ``bases_by_county``'s columns."""
    return {key: sum(r[key] for r in rows) for key in ("bases", "studios", "courses", "completed")}
