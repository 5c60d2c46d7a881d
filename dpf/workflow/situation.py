"""Reads for the person page: one person's whole situation in a fixed number of queries.

What the person receives now (with amount and since when), the applications in progress
(with the step they wait at), the recent payments (for those who may read payment lists),
and what the rules say the person may be eligible for and does not receive, with the
rule's explanation. Every read is scoped by the user's region (deny by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from dpf.accounts.permissions import has_permission
from dpf.accounts.scoping import scope_queryset
from dpf.benefits import selectors as benefit_selectors
from dpf.benefits.eligibility import Eligibility, explain
from dpf.benefits.models import Entitlement
from dpf.core.errors import NotFound
from dpf.core.i18n import localised
from dpf.core.models import EffectiveDated
from dpf.registry.models import Person
from dpf.workflow.models import ApplicationItem, ItemStatus, PaymentLine
from dpf.workflow.procedures import procedures

# A person page lists this many payment lines (the newest months first).
RECENT_PAYMENTS = 12


@dataclass(frozen=True)
class ItemInProgress:
    """An application item under way, with the name of the step it waits at."""

    item: ApplicationItem
    step_name_zh: str
    step_name_en: str

    @property
    def step_name(self) -> str:
        return localised(self.step_name_zh, self.step_name_en)


@dataclass(frozen=True)
class Situation:
    as_of: dt.date
    receiving: list[Entitlement]
    in_progress: list[ItemInProgress]
    # None: the user may not read payment lists (the page says so instead of a table).
    payments: list[PaymentLine] | None
    # Eligible by the rules in force, not receiving and not applied for.
    unclaimed: list[Eligibility]
    applied_for: set[str]


def person_situation(user: Any, person_id: int, on: dt.date) -> Situation:
    """The person page's sections for ``person_id`` in ``user``'s scope, as of ``on``.

    Queries do not grow with the number of entitlements, applications or payments: one each
    (with their benefit, application and list joined), the procedures once, and the rule
    evaluation's fixed handful (``benefits.selectors.eligibility_for_person``).
    """
    person = (
        scope_queryset(user, Person.objects.filter(pk=person_id))
        .select_related("household")
        .first()
    )
    if person is None:
        raise NotFound("person")
    receiving: list[Entitlement] = []
    if has_permission(user, "view", "entitlement"):
        receiving = list(
            Entitlement.objects.filter(EffectiveDated.as_of_q(on), person=person)
            .select_related("benefit")
            .order_by("benefit__order", "benefit__code")
        )
    in_progress: list[ItemInProgress] = []
    if has_permission(user, "view", "application"):
        items = list(
            scope_queryset(
                user,
                ApplicationItem.objects.filter(
                    application__person=person, status=ItemStatus.IN_PROGRESS
                ),
            )
            .select_related("application", "benefit")
            .order_by("application__created_at", "id")
        )
        procs = procedures() if items else None
        for item in items:
            step = procs.step(item.benefit.code, item.step_code) if procs else None
            in_progress.append(
                ItemInProgress(
                    item=item,
                    step_name_zh=step.name_zh if step else item.step_code,
                    step_name_en=step.name_en if step else item.step_code,
                )
            )
    payments: list[PaymentLine] | None = None
    if has_permission(user, "view", "payment_list"):
        payments = list(
            scope_queryset(user, PaymentLine.objects.filter(person=person))
            .select_related("benefit", "payment_list")
            .only(
                "pk",
                "month",
                "amount",
                "arrears_amount",
                "deduction_amount",
                "net_amount",
                "status",
                "failure_reason",
                "benefit__code",
                "benefit__name_zh",
                "benefit__name_en",
                "payment_list__id",
                "payment_list__status",
            )
            .order_by("-month", "benefit__order", "id")[:RECENT_PAYMENTS]
        )
    applied_for = {row.item.benefit.code for row in in_progress}
    unclaimed = _unclaimed(person, on, {e.benefit.code for e in receiving} | applied_for)
    return Situation(
        as_of=on,
        receiving=receiving,
        in_progress=in_progress,
        payments=payments,
        unclaimed=unclaimed,
        applied_for=applied_for,
    )


def _unclaimed(person: Person, on: dt.date, taken: set[str]) -> list[Eligibility]:
    """Benefits the rules in force grant ``person`` on ``on`` that are not in ``taken``
    (received or applied for), each with its explanation: the facts read once, the
    versions in force once (``eligibility_for_person`` without its second scope check)."""
    from dpf.rules import facts_for_person

    rules = benefit_selectors.all_rules_in_force(on)
    if not rules:
        return []
    facts = facts_for_person(person, on)
    results = (explain(r, facts, person.county_code) for r in rules.values())
    return [e for e in results if e.eligible and e.benefit.code not in taken]
