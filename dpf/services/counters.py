"""How service records count for the plan's indicators (registered by the indicators app,
which sits above this one): each counter gives ``{township_code: count}`` as of a date, and
each persons filter the ``Person`` condition behind a figure (the drill-down)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db.models import Count, Q

from dpf.registry.models import Person
from dpf.services.models import Institution, InstitutionKind, RehabSession
from dpf.services.services import REHAB_NEED_RULE


def _need_q(as_of: dt.date) -> Q:
    from dpf.rules import compile_rule  # local: the rule engine loads its catalogue lazily

    return compile_rule(REHAB_NEED_RULE).q(as_of)


def _by_township(condition: Q) -> dict[str, int]:
    rows = (
        Person.objects.filter(condition).order_by().values("township_code").annotate(n=Count("id"))
    )
    return {row["township_code"]: row["n"] for row in rows}


def rehab_served_q(as_of: dt.date, period_start: dt.date | None = None) -> Q:
    """Persons with a rehabilitation need on ``as_of`` who received at least one session in
    the plan year of ``as_of`` (1 January to ``as_of``): the numerator of I09."""
    year_start = as_of.replace(month=1, day=1)
    served = RehabSession.objects.filter(date__gte=year_start, date__lte=as_of).values(
        "plan__person_id"
    )
    return _need_q(as_of) & Q(pk__in=served)


def family_doctor_q(as_of: dt.date, period_start: dt.date | None = None) -> Q:
    """Persons with a rehabilitation need on ``as_of`` who hold a family-doctor contract in
    force on that date (the health commission's roster): the numerator of T0302."""
    from dpf.exchange.models import FamilyDoctorContract  # the roster's table

    holders = FamilyDoctorContract.objects.filter(FamilyDoctorContract.as_of_q(as_of)).values(
        "person_id"
    )
    return _need_q(as_of) & Q(pk__in=holders)


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


RECORD_COUNTERS: dict[str, Callable[[dt.date, dt.date | None], dict[str, int]]] = {
    "rehab_service_person": rehab_served_count,
    "family_doctor_contract_person": family_doctor_count,
    "designated_rehab_institution": designated_institution_count,
}
RECORD_PERSONS: dict[str, Callable[[dt.date, dt.date | None], Q]] = {
    "rehab_service_person": rehab_served_q,
    "family_doctor_contract_person": family_doctor_q,
}
