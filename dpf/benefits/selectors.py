"""Reads of the benefits app. Every read of personal data is scoped by the user's region.

Explanations are computed here, when a worker opens an item or a person page: the scan
only writes who is in the queue (set-based), never why (that would evaluate people one by
one). ``eligibility_for_person`` evaluates every benefit for one person with one set of
facts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from dpf.accounts.scoping import scope_queryset
from dpf.benefits.eligibility import (
    Eligibility,
    RulesInForce,
    eligibility_q,
    explain,
    rules_in_force,
)
from dpf.benefits.models import (
    AmountStandard,
    BenefitItem,
    Entitlement,
    RuleMode,
    RuleVersion,
    ScanRun,
    ScanStatus,
    WorkItem,
    WorkItemStatus,
)
from dpf.benefits.receiving import active_entitlements, receiving_sql
from dpf.core.errors import NotFound
from dpf.core.models import EffectiveDated
from dpf.core.regions import counties, display_names
from dpf.registry.models import Person

__all__ = [
    "CatalogueEntry",
    "all_rules_in_force",
    "catalogue",
    "county_names",
    "eligibility_for_person",
    "eligibility_q",
    "last_scan",
    "persons_receiving",
    "queue",
    "work_item_eligibility",
    "work_item_for",
]


def persons_receiving(
    persons: QuerySet[Person], code: str, as_of: dt.date | None = None
) -> QuerySet[Person]:
    """Those of ``persons`` with an active entitlement of ``code`` on ``as_of`` (today)."""
    return persons.filter(receiving_sql(code, as_of or timezone.localdate()))


def all_rules_in_force(as_of: dt.date) -> dict[int, RulesInForce]:
    """The versions in force for every active benefit, in two queries."""
    benefits = list(BenefitItem.objects.filter(active=True))
    versions = RuleVersion.objects.filter(
        EffectiveDated.as_of_q(as_of), benefit__active=True
    ).order_by("benefit_id", "region_code")
    by_benefit: dict[int, list[RuleVersion]] = defaultdict(list)
    for v in versions:
        by_benefit[v.benefit_id].append(v)
    out = {}
    for b in benefits:
        vs = by_benefit.get(b.pk, [])
        out[b.pk] = RulesInForce(
            benefit=b,
            as_of=as_of,
            base=next((v for v in vs if v.mode == RuleMode.BASE), None),
            widenings={v.region_code: v for v in vs if v.mode == RuleMode.WIDEN},
        )
    return out


@dataclass(frozen=True)
class CatalogueEntry:
    benefit: BenefitItem
    rules: RulesInForce
    standards: list[tuple[AmountStandard, str]]  # with the region's name ("" = city-wide)
    widenings: list[tuple[str, RuleVersion]]  # with the county's name
    history: list[RuleVersion]

    @property
    def illustrative(self) -> bool:
        return any(s.illustrative for s, _name in self.standards)


def catalogue(as_of: dt.date) -> list[CatalogueEntry]:
    """The catalogue page: each benefit with its rules and standards (no personal data)."""
    rules = all_rules_in_force(as_of)
    names = county_names()
    standards: dict[int, list[tuple[AmountStandard, str]]] = defaultdict(list)
    for s in AmountStandard.objects.filter(EffectiveDated.as_of_q(as_of)).order_by(
        "region_code", "level"
    ):
        standards[s.benefit_id].append((s, names.get(s.region_code, s.region_code)))
    history: dict[int, list[RuleVersion]] = defaultdict(list)
    for v in RuleVersion.objects.order_by("benefit_id", "mode", "region_code", "-valid_from"):
        history[v.benefit_id].append(v)
    return [
        CatalogueEntry(
            benefit=r.benefit,
            rules=r,
            standards=standards.get(pk, []),
            widenings=[
                (names.get(code, code), version) for code, version in sorted(r.widenings.items())
            ],
            history=history.get(pk, []),
        )
        for pk, r in rules.items()
    ]


def eligibility_for_person(user: Any, person: Person, as_of: dt.date) -> list[Eligibility]:
    """Every active benefit for one person in the user's scope, with explanations.

    A handful of queries whatever the number of benefits: the person's facts once, the
    versions in force once, the active entitlements once.
    """
    from dpf.rules import facts_for_person

    if not scope_queryset(user, Person.objects.filter(pk=person.pk)).exists():
        raise NotFound("person")
    facts = facts_for_person(person, as_of)
    receiving = set(active_entitlements_codes(person, as_of))
    out = []
    for rules in all_rules_in_force(as_of).values():
        result = explain(rules, facts, person.county_code)
        out.append(
            Eligibility(
                benefit=result.benefit,
                eligible=result.eligible,
                base=result.base,
                widening=result.widening,
                widening_region=result.widening_region,
                has_rule=result.has_rule,
                receiving=rules.benefit.code in receiving,
            )
        )
    return out


def active_entitlements_codes(person: Person, as_of: dt.date) -> list[str]:
    return list(
        Entitlement.objects.filter(EffectiveDated.as_of_q(as_of), person=person).values_list(
            "benefit__code", flat=True
        )
    )


def queue(
    user: Any,
    *,
    kind: str | None = None,
    benefit_code: str | None = None,
    status: str = WorkItemStatus.OPEN,
) -> QuerySet[WorkItem]:
    """The worker's queue in the user's scope, ordered by township for grouping."""
    items = WorkItem.objects.filter(status=status)
    if kind:
        items = items.filter(kind=kind)
    if benefit_code:
        items = items.filter(benefit__code=benefit_code)
    return (
        scope_queryset(user, items)
        .select_related("person", "benefit")
        .order_by("township_code", "village_code", "kind", "benefit__order", "id")
    )


def work_item_for(user: Any, pk: int) -> WorkItem:
    item = (
        scope_queryset(user, WorkItem.objects.filter(pk=pk))
        .select_related("person", "benefit", "scan_run", "closed_by")
        .first()
    )
    if item is None:
        raise NotFound("work item")
    return item


def work_item_eligibility(item: WorkItem, as_of: dt.date | None = None) -> Eligibility:
    """Why an item is in the queue: the rules in force evaluated for its person now."""
    from dpf.rules import facts_for_person

    date = as_of or item.as_of
    rules = rules_in_force(item.benefit, date)
    facts = facts_for_person(item.person, date)
    result = explain(rules, facts, item.person.county_code)
    receiving = active_entitlements(item.benefit.code, date).filter(person=item.person).exists()
    return Eligibility(
        benefit=result.benefit,
        eligible=result.eligible,
        base=result.base,
        widening=result.widening,
        widening_region=result.widening_region,
        has_rule=result.has_rule,
        receiving=receiving,
    )


def county_names() -> dict[str, str]:
    """The names of the installation's counties (``core.regions.counties``), by code."""
    return display_names(counties().values_list("code", flat=True))


def last_scan() -> ScanRun | None:
    return ScanRun.objects.filter(status=ScanStatus.DONE).first()
