"""Reads of the proactive-scan queue grouped by person (issue 17 part 6): one row a person
with the benefits the scan proposes, filtered by benefit, township and village, paged by
person. Scoped: only the user's region's open proposals (``benefit_selectors.queue``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator

from dpf.benefits import selectors as benefit_selectors
from dpf.benefits.models import BenefitItem, WorkItem, WorkItemKind
from dpf.core.models import Region, RegionLevel
from dpf.registry.models import Person
from dpf.workflow.selectors import ProposalRow, with_explanations

PER_PAGE = 20


@dataclass(frozen=True)
class Filters:
    benefit: str = ""
    township: str = ""
    village: str = ""


@dataclass(frozen=True)
class PersonProposals:
    person: Person
    village: str  # the village's name
    township: str  # the township's name
    rows: list[ProposalRow]


def _items(user: Any, filters: Filters) -> Any:
    items = benefit_selectors.queue(
        user, kind=WorkItemKind.PROPOSAL, benefit_code=filters.benefit or None
    )
    if filters.village:
        items = items.filter(village_code=filters.village)
    elif filters.township:
        items = items.filter(township_code=filters.township)
    return items


def people_page(
    user: Any, filters: Filters, page_number: Any, as_of: dt.date
) -> tuple[Page[Any], list[PersonProposals]]:
    """One page of persons with open proposals (by township, village, name), each with all
    their open proposals (the action opens them as one bundle) and the rule explanations.
    A fixed number of queries whatever the page holds."""
    person_ids = (
        _items(user, filters)
        .order_by("township_code", "village_code", "person__name", "person_id")
        .values_list("person_id", flat=True)
        .distinct()
    )
    page = Paginator(person_ids, PER_PAGE).get_page(page_number)
    ids = list(page.object_list)
    every = list(
        benefit_selectors.queue(user, kind=WorkItemKind.PROPOSAL)
        .filter(person_id__in=ids)
        .order_by("person_id", "benefit__order", "id")
    )
    rows = with_explanations(every, as_of)
    by_person: dict[int, list[ProposalRow]] = {}
    for row in rows:
        by_person.setdefault(row.item.person_id, []).append(row)
    codes = {r.item.village_code for r in rows} | {r.item.township_code for r in rows}
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    people = []
    for pid in ids:
        group = by_person.get(pid)
        if not group:
            continue
        first: WorkItem = group[0].item
        people.append(
            PersonProposals(
                person=first.person,
                village=names.get(first.village_code, ""),
                township=names.get(first.township_code, ""),
                rows=group,
            )
        )
    return page, people


def township_choices(user: Any) -> list[tuple[str, str]]:
    """The townships of the user's region (the filter's choices)."""
    return _regions_under(user, RegionLevel.TOWNSHIP, "")


def village_choices(user: Any, township: str) -> list[tuple[str, str]]:
    """The villages of one township of the user's region (none before a township is
    chosen: a city has thousands)."""
    if not township:
        return []
    return _regions_under(user, RegionLevel.VILLAGE, township)


def _regions_under(user: Any, level: str, parent: str) -> list[tuple[str, str]]:
    region = getattr(user, "region", None)
    if region is None:
        return []
    if parent and not parent.startswith(region.prefix):
        return []  # a township outside the user's region: nothing to choose
    rows = Region.objects.filter(level=level, code__startswith=parent or region.prefix)
    rows = rows.order_by("code")
    return list(rows.values_list("code", "name"))


def benefit_choices() -> list[tuple[str, str, str]]:
    """(code, Chinese name, English name) of the benefits the scan proposes."""
    return list(
        BenefitItem.objects.filter(active=True)
        .order_by("order", "code")
        .values_list("code", "name_zh", "name_en")
    )
