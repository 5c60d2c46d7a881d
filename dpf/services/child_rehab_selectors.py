"""Reads of the child rehabilitation assistance: the county's follow-up list of screened or
referred children without an application, one referral with what followed it, the
hand-overs at 8, and a child's yearly standard beside the plans that use it. Always through
the region scope (``scoping.scope_queryset``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from dpf.accounts.permissions import PermissionRefused
from dpf.accounts.scoping import region_in_scope, scope_queryset
from dpf.benefits.models import Entitlement
from dpf.core.dates import age_on
from dpf.registry.models import Person
from dpf.services.child_models import ChildReferral, ChildTransition
from dpf.services.child_rehab import (
    CHILD_REHAB_AGE_LIMIT,
    CHILD_REHAB_BENEFIT,
    YearlyStandard,
    child_standard,
    cost_used,
)
from dpf.services.models import RehabPlan
from dpf.workflow.models import ApplicationItem, ItemStatus


def referrals(user: Any, *, to_follow: bool = True) -> QuerySet[ChildReferral]:
    """The screenings and referrals of the user's region: those still to follow (open, no
    application for the assistance since, the assistance not in force since), the oldest
    first; or every one, the latest first. One query."""
    qs = scope_queryset(user, ChildReferral.objects.all())
    if to_follow:
        # An application for the assistance (not withdrawn) made on or after the referral.
        applied = ApplicationItem.objects.filter(
            Q(application__application_date__gte=OuterRef("date"))
            | Q(
                application__application_date__isnull=True,
                application__created_at__date__gte=OuterRef("date"),
            ),
            application__person_id=OuterRef("person_id"),
            benefit__code=CHILD_REHAB_BENEFIT,
        ).exclude(status=ItemStatus.WITHDRAWN)
        # The assistance in force on or after the referral (approved before it, or from a
        # source without an application).
        served = Entitlement.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=OuterRef("date")),
            person_id=OuterRef("person_id"),
            benefit__code=CHILD_REHAB_BENEFIT,
        )
        qs = qs.filter(closed_on__isnull=True).filter(~Exists(applied), ~Exists(served))
        order = ["date", "pk"]
    else:
        order = ["-date", "-pk"]
    return qs.select_related("person").defer("person__id_number").order_by(*order)


def referral_for(user: Any, referral_id: int) -> ChildReferral:
    """One referral of the user's region; refused (404, audited) outside the scope."""
    found = (
        scope_queryset(user, ChildReferral.objects.select_related("person", "created_by"))
        .defer("person__id_number")
        .filter(pk=referral_id)
        .first()
    )
    if found is None:
        raise PermissionRefused("view", "child_referral", referral_id)
    return found


def referral_followed_by(referral: ChildReferral) -> list[ApplicationItem]:
    """The applications for the assistance made on or after the referral (its person's,
    already in scope), the first first."""
    return list(
        ApplicationItem.objects.filter(
            Q(application__application_date__gte=referral.date)
            | Q(
                application__application_date__isnull=True,
                application__created_at__date__gte=referral.date,
            ),
            application__person_id=referral.person_id,
            benefit__code=CHILD_REHAB_BENEFIT,
        )
        .select_related("application")
        .order_by("application__created_at", "pk")
    )


def assistance_of(person: Person) -> list[Entitlement]:
    """The child's assistance periods (a person already in scope), the latest first."""
    return list(
        Entitlement.objects.filter(person=person, benefit__code=CHILD_REHAB_BENEFIT).order_by(
            "-valid_from"
        )
    )


def referrals_of(person: Person) -> list[ChildReferral]:
    """Every screening and referral of the child (a person already in scope)."""
    return list(ChildReferral.objects.filter(person=person).order_by("date", "pk"))


def person_for_referral(user: Any, person_id: int) -> Person:
    """A person of the user's region a referral may be recorded for; 404 otherwise."""
    person = scope_queryset(user, Person.objects.defer("id_number")).filter(pk=person_id).first()
    if person is None or not region_in_scope(user, person.village_code):
        raise PermissionRefused("create", "child_referral", person_id)
    return person


def transitions(user: Any, *, open_only: bool = True) -> QuerySet[ChildTransition]:
    """Hand-overs at 8 of the user's region: open (the oldest birthday first), or done (the
    latest first); with the child and the adult plan: one query."""
    qs = scope_queryset(user, ChildTransition.objects.all()).filter(
        handed_over_on__isnull=open_only
    )
    order = ["turned_eight_on", "pk"] if open_only else ["-handed_over_on", "-pk"]
    return (
        qs.select_related("person", "plan", "plan__institution")
        .defer("person__id_number")
        .order_by(*order)
    )


def transition_for(user: Any, transition_id: int) -> ChildTransition:
    """One hand-over of the user's region; refused (404, audited) outside the scope."""
    found = (
        scope_queryset(
            user,
            ChildTransition.objects.select_related(
                "person", "entitlement", "plan", "plan__institution"
            ),
        )
        .defer("person__id_number")
        .filter(pk=transition_id)
        .first()
    )
    if found is None:
        raise PermissionRefused("view", "service_plan", transition_id)
    return found


def child_plans_of(person: Person) -> list[RehabPlan]:
    """The plans of the child (a person already in scope) made before the 8th birthday,
    the latest first."""
    plans = RehabPlan.objects.filter(person=person).select_related("institution")
    return [
        p
        for p in plans.order_by("-start", "-pk")
        if age_on(person.birth_date, p.start) < CHILD_REHAB_AGE_LIMIT
    ]


@dataclass(frozen=True)
class ChildBudget:
    """A child's yearly standard and what the plans starting that year use of it."""

    year: int
    standard: YearlyStandard | None
    used: Decimal

    @property
    def left(self) -> Decimal | None:
        if self.standard is None:
            return None
        return max(self.standard.amount - self.used, Decimal("0.00"))


def child_budget(person: Person, year: int) -> ChildBudget:
    """The yearly standard of a child (a person already in scope) for ``year`` and the
    amount used by the plans starting that year."""
    return ChildBudget(
        year=year, standard=child_standard(person, year), used=cost_used(person, year)
    )


def plan_budget(plan: RehabPlan) -> ChildBudget | None:
    """For a child's plan (already in scope), its start year's standard and use; ``None``
    for an adult's plan."""
    if age_on(plan.person.birth_date, plan.start) >= CHILD_REHAB_AGE_LIMIT:
        return None
    return child_budget(plan.person, plan.start.year)


def is_child_on(person: Person, day: dt.date) -> bool:
    return age_on(person.birth_date, day) < CHILD_REHAB_AGE_LIMIT
