"""The register of disability service facilities (残疾人服务设施, plan 三(六)5): rehabilitation,
care, employment, culture and sport buildings, where each stands, its floor area, the year it
opened and its state (planned, under construction, open, closed) with the date each state
began. Kept by the city and the counties for their region; facilities hold no personal data.

No indicator of the plan counts facilities (T0306 counts designated rehabilitation
*institutions*, registered by the services app), so no record counter is registered here."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, QuerySet, Sum

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import region_in_scope, scope_queryset
from dpf.core import audit
from dpf.core.inputs import refuse
from dpf.core.models import Region, RegionLevel
from dpf.core.text import check_text_characters
from dpf.social.models import Facility, FacilityKind, FacilityState

AREA_MAX = Decimal("1000000")
FIRST_YEAR = 1949
# The date each state began, in the order the states follow one another.
STATE_DATES = (
    ("planned_on", FacilityState.PLANNED),
    ("building_from", FacilityState.BUILDING),
    ("opened_on", FacilityState.OPEN),
    ("closed_on", FacilityState.CLOSED),
)
_ORDER = [state for _field, state in STATE_DATES]
_DATED = (FacilityState.BUILDING, FacilityState.CLOSED)


def facilities(actor: User | None, *, county: str = "", kind: str = "") -> QuerySet[Facility]:
    """The facilities of ``actor``'s region, optionally of one county and one kind."""
    require_permission(actor, "view", "facility")
    rows = scope_queryset(actor, Facility.objects.all())
    if county:
        rows = rows.filter(county_code=county)
    if kind:
        rows = rows.filter(kind=kind)
    return rows.order_by("county_code", "kind", "name", "pk")


def facility_for(actor: User | None, facility_id: int) -> Facility:
    found = facilities(actor).filter(pk=facility_id).first()
    if found is None:
        raise PermissionRefused("view", "facility", facility_id)
    return found


def _area(value: str) -> Decimal:
    try:
        area = Decimal(str(value or "").strip().replace(",", ""))
    except InvalidOperation:
        area = Decimal(-1)
    if not area.is_finite() or not Decimal(0) < area <= AREA_MAX:
        raise refuse(
            "floor_area",
            "请填写大于0的建筑面积（平方米）",
            "enter a floor area above 0 (square metres)",
            "floor_area",
        )
    return area.quantize(Decimal("0.1"))


def _checked(  # noqa: C901
    actor: User | None,
    *,
    name: str,
    kind: str,
    township_code: str,
    floor_area: str,
    opening_year: int | None,
    state: str,
    dates: dict[str, dt.date | None],
    today: dt.date,
) -> dict[str, Any]:
    """The facility's fields, or the first refusal: a known kind and state, a township in
    the actor's region, the date of the current state (from under construction on) and
    of no later one, dates in order and not in the future, the opening year of an open or
    closed facility (the year of its opening date when that is known)."""
    text = " ".join((name or "").split())
    check_text_characters(text, field="name", label_zh="设施名称", label_en="name")
    if not text:
        raise refuse("required", "请填写设施名称", "please give the name", "name")
    if len(text) > 100:
        raise refuse("too_long", "设施名称不超过100字", "at most 100 characters", "name")
    if kind not in FacilityKind.values:
        raise refuse("kind", "请选择设施类型", "choose the kind", "kind")
    if state not in FacilityState.values:
        raise refuse("state", "请选择设施状态", "choose the state", "state")
    township = Region.objects.filter(code=township_code or "", level=RegionLevel.TOWNSHIP).first()
    if township is None or not region_in_scope(actor, township.code):
        raise refuse("region", "所选地区不存在或不在权限范围内", "unknown region", "township_code")
    reached = _ORDER.index(FacilityState(state))
    previous: dt.date | None = None
    for index, (field, step) in enumerate(STATE_DATES):
        value = dates.get(field)
        if index > reached and value is not None:
            raise refuse(
                "state_date_ahead",
                f"状态为“{FacilityState(state).label}”的设施不能填写“{step.label}”的日期",
                f"a facility in state {state} has no date of the state {step.value}",
                field,
            )
        # A state's date is needed from under construction on; an old facility may be
        # known to be open only by its opening year.
        if index == reached and step in _DATED and value is None:
            raise refuse(
                "state_date_missing",
                f"请填写进入“{step.label}”状态的日期",
                f"give the date the state {step.value} began",
                field,
            )
        if value is None:
            continue
        if value > today:
            raise refuse(
                "date_in_future", "日期不能晚于今天", "the date is not in the future", field
            )
        if previous is not None and value < previous:
            raise refuse(
                "dates_out_of_order",
                "各状态日期须依次不早于前一状态的日期",
                "each state's date is on or after the previous state's",
                field,
            )
        previous = value
    opened_on = dates.get("opened_on")
    if opened_on is not None:
        if opening_year is not None and opening_year != opened_on.year:
            raise refuse(
                "opening_year_mismatch",
                "投入使用年份须与投入使用日期的年份一致",
                "the opening year is the year of the opening date",
                "opening_year",
            )
        opening_year = opened_on.year
    if opening_year is not None and not FIRST_YEAR <= opening_year <= today.year:
        raise refuse(
            "opening_year",
            f"投入使用年份须在{FIRST_YEAR}年至今年之间",
            f"the opening year is between {FIRST_YEAR} and this year",
            "opening_year",
        )
    if state in (FacilityState.OPEN, FacilityState.CLOSED) and opening_year is None:
        raise refuse(
            "opening_year_missing",
            "已投入使用或已停用的设施须填写投入使用年份",
            "an open or closed facility has an opening year",
            "opening_year",
        )
    if state in (FacilityState.PLANNED, FacilityState.BUILDING) and opening_year is not None:
        raise refuse(
            "opening_year_early",
            "尚未投入使用的设施不能填写投入使用年份",
            "a facility not yet open has no opening year",
            "opening_year",
        )
    return {
        "name": text,
        "kind": kind,
        "county_code": township.code[:6],
        "township_code": township.code,
        "floor_area": _area(floor_area),
        "opening_year": opening_year,
        "state": state,
        **{field: dates.get(field) for field, _step in STATE_DATES},
    }


def facility_record(
    *,
    actor: User | None,
    today: dt.date,
    name: str,
    kind: str,
    township_code: str,
    floor_area: str,
    state: str,
    opening_year: int | None = None,
    planned_on: dt.date | None = None,
    building_from: dt.date | None = None,
    opened_on: dt.date | None = None,
    closed_on: dt.date | None = None,
) -> Facility:
    """Register a facility of the actor's region."""
    require_permission(actor, "create", "facility")
    fields = _checked(
        actor,
        name=name,
        kind=kind,
        township_code=township_code,
        floor_area=floor_area,
        opening_year=opening_year,
        state=state,
        dates={
            "planned_on": planned_on,
            "building_from": building_from,
            "opened_on": opened_on,
            "closed_on": closed_on,
        },
        today=today,
    )
    with transaction.atomic():
        facility = Facility.objects.create(created_by=actor, **fields)
        audit.record(
            actor=actor,
            action="create",
            object_type="facility",
            object_id=facility.pk,
            changes={"state": state, "kind": kind},
        )
    return facility


def facility_change(
    *,
    actor: User | None,
    facility_id: int,
    today: dt.date,
    name: str,
    kind: str,
    township_code: str,
    floor_area: str,
    state: str,
    opening_year: int | None = None,
    planned_on: dt.date | None = None,
    building_from: dt.date | None = None,
    opened_on: dt.date | None = None,
    closed_on: dt.date | None = None,
) -> Facility:
    """Correct a facility or move it to its next state (with that state's date); the
    changed fields are audited with their former and new values."""
    require_permission(actor, "change", "facility", facility_id)
    with transaction.atomic():
        facility = facility_for(actor, facility_id)
        Facility.objects.select_for_update().filter(pk=facility.pk).first()
        fields = _checked(
            actor,
            name=name,
            kind=kind,
            township_code=township_code,
            floor_area=floor_area,
            opening_year=opening_year,
            state=state,
            dates={
                "planned_on": planned_on,
                "building_from": building_from,
                "opened_on": opened_on,
                "closed_on": closed_on,
            },
            today=today,
        )
        changes = audit.changed_fields({key: getattr(facility, key) for key in fields}, fields)
        if not changes:
            return facility
        for key, value in fields.items():
            setattr(facility, key, value)
        facility.save(update_fields=list(fields))
        audit.record(
            actor=actor,
            action="change",
            object_type="facility",
            object_id=facility.pk,
            changes=changes,
        )
    return facility


def facility_totals(rows: QuerySet[Facility]) -> list[dict[str, Any]]:
    """Counts and floor area by state of the facilities listed (already scoped)."""
    found = {
        r["state"]: r
        for r in rows.order_by().values("state").annotate(n=Count("id"), area=Sum("floor_area"))
    }
    return [
        {
            "state": state.label,
            "n": found.get(state.value, {}).get("n", 0),
            "area": found.get(state.value, {}).get("area") or Decimal(0),
        }
        for state in FacilityState
    ]
