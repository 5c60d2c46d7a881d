"""Reads of service records, always through the service scope (``scoping.scope_services``):
an institution's staff see their own institution's clients, region staff their region's."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Max, Q, QuerySet, Sum

from dpf.accounts.permissions import PermissionRefused
from dpf.accounts.scoping import (
    region_in_scope,
    regions_to_pick,
    scope_queryset,
    scope_services,
)
from dpf.core.errors import NotFound
from dpf.core.i18n import localised
from dpf.core.models import RegionLevel
from dpf.core.roles import Role
from dpf.registry.models import Person, SchoolEnrolment
from dpf.services.models import (
    CarePlacement,
    DeviceCatalogueItem,
    DeviceFitting,
    HomeRenovation,
    Institution,
    NotEnrolled,
    RehabPlan,
    RehabSession,
    RenovationPhoto,
)
from dpf.services.services import CARE_INSTITUTION_KINDS, REHAB_INSTITUTION_KINDS


def institutions(user: Any) -> QuerySet[Institution]:
    """The institutions a user may list: institution staff only their own; region staff
    those of their region (the city sees all)."""
    qs = Institution.objects.order_by("county_code", "kind", "code")
    if getattr(user, "role", None) == Role.INSTITUTION_STAFF:
        return qs.filter(code=getattr(user, "institution_code", "") or "-")
    region = getattr(user, "region", None)
    if region is None:
        return qs.none()
    return qs.filter(county_code__startswith=region.prefix[:6])


def institution_for(user: Any, institution_id: int) -> Institution:
    """One institution the user may list; refused (404, audited) otherwise."""
    found = institutions(user).filter(pk=institution_id).first()
    if found is None:
        raise PermissionRefused("view", "service_record", institution_id)
    return found


def township_choices(user: Any) -> list[tuple[str, str]]:
    """The townships of the user's region, named with their county ("红山区 / 站前街道"),
    for an institution's form (the service checks the one chosen again)."""
    rows = list(regions_to_pick(user, [RegionLevel.COUNTY, RegionLevel.TOWNSHIP]))
    counties = {r.code: localised(r.name, r.name_en) for r in rows if r.level == RegionLevel.COUNTY}
    return [
        (r.code, f"{counties.get(r.code[:6], '')} / {localised(r.name, r.name_en)}")
        for r in rows
        if r.level == RegionLevel.TOWNSHIP
    ]


def device_catalogue(on: dt.date) -> tuple[list[DeviceCatalogueItem], list[DeviceCatalogueItem]]:
    """The catalogue (the city's, not personal data): the versions in force on ``on``, and
    every version, by code and latest first."""
    rows = list(DeviceCatalogueItem.objects.order_by("code", "-valid_from"))
    in_force = [i for i in rows if i.valid_from <= on and (i.valid_to is None or i.valid_to >= on)]
    in_force.sort(key=lambda i: (i.kind, i.code))
    return in_force, rows


def device_item(item_id: int) -> DeviceCatalogueItem:
    """One catalogue version (not personal data); 404 when there is none."""
    found = DeviceCatalogueItem.objects.filter(pk=item_id).first()
    if found is None:
        raise NotFound("device_catalogue")
    return found


def rehab_institutions() -> QuerySet[Institution]:
    """Institutions a plan may name (not personal data: the city's list)."""
    return Institution.objects.filter(kind__in=REHAB_INSTITUTION_KINDS).order_by(
        "county_code", "code"
    )


def rehab_plans(user: Any, *, open_only: bool = True) -> QuerySet[RehabPlan]:
    """The plans of the user's clients (or region), with their session counts: one query."""
    qs = scope_services(user, RehabPlan.objects.all())
    if open_only:
        qs = qs.filter(closed_on__isnull=True)
    return (
        qs.select_related("person", "institution")
        .defer("person__id_number")
        .annotate(session_count=Count("sessions"), last_session=Max("sessions__date"))
        .order_by("start", "pk")
    )


def rehab_plan_for(user: Any, plan_id: int) -> RehabPlan:
    """One plan of the user's clients; refused (404, audited) outside the scope."""
    plan = (
        scope_services(user, RehabPlan.objects.select_related("person", "institution"))
        .defer("person__id_number")
        .filter(pk=plan_id)
        .first()
    )
    if plan is None:
        raise PermissionRefused("view", "service_record", plan_id)
    return plan


def sessions_of(plan: RehabPlan) -> list[RehabSession]:
    return list(plan.sessions.select_related("recorded_by").order_by("date", "pk"))


def person_for_plan(user: Any, person_id: int) -> Person:
    """A person of the officer's region a plan may be made for; refused (404) otherwise."""
    person = scope_queryset(user, Person.objects.defer("id_number")).filter(pk=person_id).first()
    if person is None or not region_in_scope(user, person.village_code):
        raise PermissionRefused("create", "service_plan", person_id)
    return person


def fittings_of(plan: RehabPlan) -> list[DeviceFitting]:
    """The plan's fittings with their follow-ups (two queries)."""
    return list(
        plan.fittings.select_related("item").prefetch_related("follow_ups").order_by("fitted_on")
    )


def device_items_on(day: dt.date) -> list[tuple[str, str]]:
    """Catalogue items in force on ``day`` (not personal data: the city's catalogue)."""
    rows = (
        DeviceCatalogueItem.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .order_by("kind", "code")
    )
    return [(i.code, f"{i.name}（{i.code}，{i.standard_amount} 元）") for i in rows]


def renovations(user: Any, *, accepted: bool = False) -> QuerySet[HomeRenovation]:
    """The renovations of the user's region, under way (oldest assessment first) or
    accepted (latest first), with their item count and total cost: one query."""
    qs = scope_queryset(user, HomeRenovation.objects.all()).filter(accepted_on__isnull=not accepted)
    order = ["-accepted_on", "-pk"] if accepted else ["assessed_on", "pk"]
    return (
        qs.select_related("person")
        .defer("person__id_number")
        .annotate(item_count=Count("items"), total_cost=Sum("items__cost"))
        .order_by(*order)
    )


def renovation_for(user: Any, renovation_id: int) -> HomeRenovation:
    """One renovation of the user's region; refused (404, audited) outside the scope."""
    renovation = (
        scope_queryset(user, HomeRenovation.objects.select_related("person"))
        .defer("person__id_number")
        .filter(pk=renovation_id)
        .first()
    )
    if renovation is None:
        raise PermissionRefused("view", "home_renovation", renovation_id)
    return renovation


def renovation_photos(renovation: HomeRenovation) -> list[RenovationPhoto]:
    """The completion photos of a renovation already read through ``renovation_for``."""
    return list(
        RenovationPhoto.objects.filter(renovation=renovation)
        .only("renovation_id", "number", "content_type", "size", "uploaded_at")
        .order_by("number")
    )


def renovation_photo_for(user: Any, renovation_id: int, number: int) -> RenovationPhoto:
    """One completion photo, by its number, of a renovation of the user's region: outside
    the scope refused (404, audited) as the renovation itself is; a number the renovation
    does not have is "not found", the same answer."""
    renovation = renovation_for(user, renovation_id)
    photo = RenovationPhoto.objects.filter(renovation=renovation, number=number).first()
    if photo is None:
        raise NotFound("photo")
    return photo


def not_enrolled_queue(user: Any) -> QuerySet[NotEnrolled]:
    """Children of the user's region on the not-enrolled follow-up list, unresolved, the
    longest waiting first, with their visit count and last visit: one query."""
    return (
        scope_queryset(user, NotEnrolled.objects.filter(resolved_on__isnull=True))
        .select_related("person")
        .defer("person__id_number")
        .annotate(visit_count=Count("visits"), last_visit=Max("visits__date"))
        .order_by("since", "pk")
    )


def child_for(user: Any, person_id: int) -> Person:
    """A child of the user's region (its schooling page); refused (404, audited) outside."""
    person = scope_queryset(user, Person.objects.defer("id_number")).filter(pk=person_id).first()
    if person is None:
        raise PermissionRefused("view", "education_record", person_id)
    return person


def schooling_of(person: Person) -> tuple[list[SchoolEnrolment], list[NotEnrolled]]:
    """The child's enrolments and not-enrolled follow-ups (with visits), latest first."""
    enrolments = list(SchoolEnrolment.objects.filter(person=person).order_by("-valid_from"))
    records = list(
        NotEnrolled.objects.filter(person=person)
        .prefetch_related("visits")
        .order_by("-since", "-pk")
    )
    return enrolments, records


def schooling_status_on(
    enrolments: list[SchoolEnrolment], records: list[NotEnrolled], day: dt.date
) -> str:
    """The status in force on ``day``, in words: the enrolment's mode, not enrolled or
    left school with the reason, or unknown."""
    for e in enrolments:
        if e.in_force_on(day):
            return f"{e.get_mode_display()}（{e.school}）"
    for r in records:
        if r.since <= day and (r.resolved_on is None or r.resolved_on > day):
            return f"{r.get_kind_display()}（{r.get_reason_display()}）"
    return ""


def care_institutions() -> QuerySet[Institution]:
    """Care institutions a placement may name (the city's list, not personal data)."""
    kinds = {k for kinds in CARE_INSTITUTION_KINDS.values() for k in kinds}
    return Institution.objects.filter(kind__in=kinds).order_by("county_code", "code")


def care_placements(user: Any, on: dt.date, *, current: bool = True) -> QuerySet[CarePlacement]:
    """Placements of my institution's clients (or my region): in force on ``on`` (or, not
    ``current``, the ones that ended), with person and institution: one query."""
    qs = scope_services(user, CarePlacement.objects.all())
    in_force = Q(start__lte=on) & (Q(ended_on__isnull=True, end__gte=on) | Q(ended_on__gte=on))
    qs = qs.filter(in_force) if current else qs.exclude(in_force).filter(start__lte=on)
    return (
        qs.select_related("person", "institution")
        .defer("person__id_number")
        .order_by("start", "pk")
    )


def care_placement_for(user: Any, placement_id: int) -> CarePlacement:
    """One placement of my clients (or region); refused (404, audited) outside the scope."""
    placement = (
        scope_services(user, CarePlacement.objects.select_related("person", "institution"))
        .defer("person__id_number")
        .filter(pk=placement_id)
        .first()
    )
    if placement is None:
        raise PermissionRefused("view", "service_record", placement_id)
    return placement
