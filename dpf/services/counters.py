"""How service records count for the plan's indicators (registered by the indicators app,
which sits above this one): each counter gives ``{township_code: count}`` as of a date, and
each persons filter the ``Person`` condition behind a figure (the drill-down)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Count, Q

from dpf.registry.models import Person
from dpf.services.models import (
    DeviceFitting,
    DeviceFollowUp,
    HomeRenovation,
    Institution,
    InstitutionKind,
    RehabSession,
)
from dpf.services.services import DEVICE_NEED_RULE, REHAB_NEED_RULE


def _need_q(as_of: dt.date, rule: str = REHAB_NEED_RULE) -> Q:
    from dpf.rules import compile_rule  # local: the rule engine loads its catalogue lazily

    return compile_rule(rule).q(as_of)


def _by_township(condition: Q) -> dict[str, int]:
    rows = (
        Person.objects.filter(condition).order_by().values("township_code").annotate(n=Count("id"))
    )
    return {row["township_code"]: row["n"] for row in rows}


def rehab_served_q(as_of: dt.date, period_start: dt.date | None = None) -> Q:
    """Persons with a rehabilitation need on ``as_of`` who received at least one session in
    the plan year of ``as_of`` (1 January to ``as_of``): the numerator of I09."""
    return _need_q(as_of) & Q(pk__in=rehab_served_members(as_of))


def rehab_served_members(as_of: dt.date, period_start: dt.date | None = None) -> Any:
    """The persons with a rehabilitation session from 1 January of ``as_of``'s year to it."""
    year_start = as_of.replace(month=1, day=1)
    sessions = RehabSession.objects.filter(date__gte=year_start, date__lte=as_of)
    return sessions.values("plan__person_id")


def family_doctor_q(as_of: dt.date, period_start: dt.date | None = None) -> Q:
    """Persons with a rehabilitation need on ``as_of`` who hold a family-doctor contract in
    force on that date (the health commission's roster): the numerator of T0302."""
    return _need_q(as_of) & Q(pk__in=family_doctor_members(as_of))


def family_doctor_members(as_of: dt.date, period_start: dt.date | None = None) -> Any:
    """The persons holding a family-doctor contract in force on ``as_of``."""
    from dpf.exchange.models import FamilyDoctorContract  # the roster's table

    contracts = FamilyDoctorContract.objects.filter(FamilyDoctorContract.as_of_q(as_of))
    return contracts.values("person_id")


def rehab_served_count(as_of: dt.date, period_start: dt.date | None) -> dict[str, int]:
    return _by_township(rehab_served_q(as_of))


def family_doctor_count(as_of: dt.date, period_start: dt.date | None) -> dict[str, int]:
    return _by_township(family_doctor_q(as_of))


def designated_institutions(as_of: dt.date) -> Q:
    return Q(kind=InstitutionKind.REHABILITATION, designated_from__lte=as_of) & (
        Q(designated_to__isnull=True) | Q(designated_to__gte=as_of)
    )


def designated_institution_count(as_of: dt.date, period_start: dt.date | None) -> dict[str, int]:
    """City-designated rehabilitation institutions on ``as_of``, where each stands (T0306)."""
    rows = (
        Institution.objects.filter(designated_institutions(as_of))
        .order_by()
        .values("township_code")
        .annotate(n=Count("id"))
    )
    return {row["township_code"]: row["n"] for row in rows}


def device_fitted_q(as_of: dt.date, period_start: dt.date | None = None) -> Q:
    """Persons with a device need on ``as_of`` who were fitted in the plan year of
    ``as_of`` or hold a device within its replacement period: the numerator of I10."""
    return _need_q(as_of, DEVICE_NEED_RULE) & Q(pk__in=device_fitted_members(as_of))


def device_fitted_members(as_of: dt.date, period_start: dt.date | None = None) -> Any:
    """The persons fitted from 1 January of ``as_of``'s year to it, or holding a device
    within its replacement period on ``as_of``."""
    year_start = as_of.replace(month=1, day=1)
    fitted = DeviceFitting.objects.filter(fitted_on__lte=as_of).filter(
        Q(fitted_on__gte=year_start) | Q(replace_after__gt=as_of)
    )
    return fitted.values("person_id")


def device_fitted_count(as_of: dt.date, period_start: dt.date | None) -> dict[str, int]:
    return _by_township(device_fitted_q(as_of))


def _follow_ups(as_of: dt.date, *, satisfied: bool) -> Any:
    rows = DeviceFollowUp.objects.filter(date__gte=as_of.replace(month=1, day=1), date__lte=as_of)
    if satisfied:
        rows = rows.filter(satisfaction__gte=DeviceFollowUp.SATISFIED_FROM)
    return rows


def _follow_up_count(as_of: dt.date, *, satisfied: bool) -> dict[str, int]:
    rows = (
        _follow_ups(as_of, satisfied=satisfied)
        .order_by()
        .values("fitting__person__township_code")
        .annotate(n=Count("id"))
    )
    return {row["fitting__person__township_code"]: row["n"] for row in rows}


def follow_up_count(as_of: dt.date, period_start: dt.date | None) -> dict[str, int]:
    """Follow-up visits of the plan year of ``as_of`` (the denominator of T0305)."""
    return _follow_up_count(as_of, satisfied=False)


def satisfied_follow_up_count(as_of: dt.date, period_start: dt.date | None) -> dict[str, int]:
    """Those where the person answered 4 or 5 of 5 (the numerator of T0305)."""
    return _follow_up_count(as_of, satisfied=True)


def followed_up_q(as_of: dt.date, period_start: dt.date | None = None) -> Q:
    return Q(pk__in=_follow_ups(as_of, satisfied=False).values("fitting__person_id"))


def satisfied_q(as_of: dt.date, period_start: dt.date | None = None) -> Q:
    return Q(pk__in=_follow_ups(as_of, satisfied=True).values("fitting__person_id"))


def _accepted(as_of: dt.date, period_start: dt.date | None) -> Any:
    """Renovations accepted in ``[period_start, as_of]`` (from the start of the year of
    ``as_of`` when no period is given): a household counts once, in its year of acceptance
    (a household never has two accepted renovations)."""
    start = period_start if period_start is not None else as_of.replace(month=1, day=1)
    return HomeRenovation.objects.filter(accepted_on__gte=start, accepted_on__lte=as_of)


def renovation_count(as_of: dt.date, period_start: dt.date | None) -> dict[str, int]:
    """Households whose renovation was accepted in the period, where the home stands (I11;
    the indicators app asks a cumulative count from the plan's start to its end at the
    latest)."""
    rows = (
        _accepted(as_of, period_start)
        .order_by()
        .values("township_code")
        .annotate(n=Count("household_id", distinct=True))
    )
    return {row["township_code"]: row["n"] for row in rows}


def renovation_q(as_of: dt.date, period_start: dt.date | None = None) -> Q:
    return Q(pk__in=_accepted(as_of, period_start).values("person_id"))


RECORD_COUNTERS: dict[str, Callable[[dt.date, dt.date | None], dict[str, int]]] = {
    "rehab_service_person": rehab_served_count,
    "family_doctor_contract_person": family_doctor_count,
    "designated_rehab_institution": designated_institution_count,
    "device_fitted_person": device_fitted_count,
    "device_follow_up": follow_up_count,
    "device_follow_up_satisfied": satisfied_follow_up_count,
    "home_renovation_completed": renovation_count,
}
RECORD_PERSONS: dict[str, Callable[[dt.date, dt.date | None], Q]] = {
    "rehab_service_person": rehab_served_q,
    "family_doctor_contract_person": family_doctor_q,
    "device_fitted_person": device_fitted_q,
    "device_follow_up": followed_up_q,
    "device_follow_up_satisfied": satisfied_q,
    "home_renovation_completed": renovation_q,
}
# The persons of the kinds above that count persons with a need, before the need: the
# indicators count them within their denominators (``dpf.indicators.specs.members_within``).
RECORD_MEMBERS: dict[str, Callable[[dt.date, dt.date | None], Any]] = {
    "rehab_service_person": rehab_served_members,
    "family_doctor_contract_person": family_doctor_members,
    "device_fitted_person": device_fitted_members,
}
