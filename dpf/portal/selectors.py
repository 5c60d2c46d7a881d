"""Reads of the portal. A citizen reaches their own person and their current dependants'
(the "self" scope), nothing else: any other id is ``NotFound`` (a 404), exactly like a
record that does not exist. Staff queues are scoped by region as everywhere else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, QuerySet

from dpf.accounts.permissions import has_permission
from dpf.accounts.scoping import scope_queryset, self_person_ids
from dpf.benefits.eligibility import Eligibility, explain
from dpf.benefits.models import Entitlement
from dpf.benefits.selectors import active_entitlements_codes, all_rules_in_force
from dpf.core.dates import local_today as today
from dpf.core.errors import NotFound
from dpf.core.models import EffectiveDated
from dpf.core.regions import display_names
from dpf.portal.models import CitizenAccount, CitizenRequest, RequestEvent, RequestStatus
from dpf.registry.models import Certificate, GuardianLink, Person
from dpf.workflow.models import (
    Application,
    ApplicationItem,
    ItemStatus,
    PaymentLine,
    Transition,
)
from dpf.workflow.procedures import DocumentType, procedures
from dpf.workflow.selectors import missing_documents

SELF_IDS_ATTR = "_dpf_self_person_ids"


# The self scope -------------------------------------------------------------------------


def account_of(user: Any) -> CitizenAccount | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return CitizenAccount.objects.filter(user_id=user.pk).select_related("person").first()


def own_person_of(user: Any) -> int | None:
    """The citizen account's own person (registered with ``dpf.accounts.scoping``)."""
    found: int | None = (
        CitizenAccount.objects.filter(user_id=user.pk).values_list("person_id", flat=True).first()
    )
    return found


def _dependant_links(person_id: int, on: dt.date) -> QuerySet[GuardianLink]:
    return GuardianLink.objects.filter(
        EffectiveDated.as_of_q(on), guardian_id=person_id, dependant__death_date__isnull=True
    )


def resolve_self_scope(user: Any) -> frozenset[int]:
    """The citizen's own person and current dependants (one query; cached on the user for
    the request). Registered with ``dpf.accounts.scoping`` by the portal's app config."""
    cached: frozenset[int] | None = getattr(user, SELF_IDS_ATTR, None)
    if cached is not None:
        return cached
    own = (
        CitizenAccount.objects.filter(user_id=user.pk)
        .order_by()
        .values_list("person_id", flat=True)
    )
    dependants = (
        GuardianLink.objects.filter(
            EffectiveDated.as_of_q(today()),
            guardian_id__in=own,
            dependant__death_date__isnull=True,
        )
        .order_by()
        .values_list("dependant_id", flat=True)
    )
    ids = frozenset(own.union(dependants))
    setattr(user, SELF_IDS_ATTR, ids)
    return ids


@dataclass(frozen=True)
class ActingChoice:
    person_id: int
    name: str
    relation: str  # "" for oneself


def acting_choices(user: Any, account: CitizenAccount) -> list[ActingChoice]:
    """Oneself first, then each current dependant (the "acting for" switch)."""
    choices = [ActingChoice(account.person_id, account.person.name, "")]
    links = (
        _dependant_links(account.person_id, today())
        .select_related("dependant")
        .order_by("dependant__name", "dependant_id")
    )
    for link in links:
        choices.append(
            ActingChoice(link.dependant_id, link.dependant.name, link.get_relation_display())
        )
    return choices


def person_for(user: Any, person_id: int) -> Person:
    """One of the citizen's persons, or NotFound."""
    if person_id not in self_person_ids(user):
        raise NotFound("person")
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise NotFound("person")
    return person


# My certificate -------------------------------------------------------------------------


def certificate_of(person: Person, on: dt.date | None = None) -> Certificate | None:
    """The certificate in force today, or else the latest one (to show it has lapsed)."""
    day = on or today()
    rows = Certificate.objects.filter(person=person).order_by("-valid_from", "-id")
    return rows.filter(EffectiveDated.as_of_q(day)).first() or rows.first()


# My entitlements ------------------------------------------------------------------------


def entitlements_of(person: Person) -> list[Entitlement]:
    return list(
        Entitlement.objects.filter(person=person)
        .select_related("benefit")
        .order_by("-valid_from", "-id")
    )


def payment_lines_of(person: Person, limit: int = 24) -> list[PaymentLine]:
    """The latest payment lines (one per benefit and month), newest first."""
    return list(
        PaymentLine.objects.filter(person=person)
        .select_related("benefit")
        .order_by("-month", "benefit__order", "-id")[:limit]
    )


def other_help(person: Person, on: dt.date | None = None) -> list[Eligibility]:
    """Benefits the rule engine finds the person eligible for, not received and not applied
    for: the explanation is the engine's own (``dpf.benefits.eligibility.explain``)."""
    from dpf.rules import facts_for_person

    day = on or today()
    receiving = set(active_entitlements_codes(person, day))
    applying = set(
        ApplicationItem.objects.filter(
            application__person=person, status=ItemStatus.IN_PROGRESS
        ).values_list("benefit__code", flat=True)
    )
    facts = facts_for_person(person, day)
    out = []
    for rules in all_rules_in_force(day).values():
        if rules.benefit.code in receiving | applying:
            continue
        result = explain(rules, facts, person.county_code)
        if result.eligible:
            out.append(result)
    return out


def applying_codes(person: Person) -> set[str]:
    return set(
        ApplicationItem.objects.filter(
            application__person=person, status=ItemStatus.IN_PROGRESS
        ).values_list("benefit__code", flat=True)
    )


# My applications ------------------------------------------------------------------------


def applications_of(person: Person) -> list[Application]:
    return list(
        Application.objects.filter(person=person)
        .prefetch_related("items__benefit")
        .order_by("-created_at", "-id")[:50]
    )


def application_for(user: Any, application_id: int) -> Application:
    application = (
        Application.objects.filter(pk=application_id, person_id__in=self_person_ids(user))
        .select_related("person")
        .prefetch_related("items__benefit", "documents")
        .first()
    )
    if application is None:
        raise NotFound("application")
    return application


@dataclass(frozen=True)
class ItemView:
    item: ApplicationItem
    step_name: str
    step_name_en: str
    overdue: bool


@dataclass(frozen=True)
class HistoryRow:
    transition: Transition
    benefit_name: str
    from_name: str
    to_name: str


@dataclass(frozen=True)
class ApplicationView:
    application: Application
    items: list[ItemView]
    history: list[HistoryRow]
    missing: list[DocumentType]


def application_view(application: Application, on: dt.date | None = None) -> ApplicationView:
    """Each item's current step by NAME, the history with step names, missing documents."""
    procs = procedures()
    day = on or today()

    def name(benefit_code: str, code: str) -> tuple[str, str]:
        step = procs.step(benefit_code, code) if code else None
        return (step.name_zh, step.name_en) if step else ("", "")

    items = []
    for item in application.items.all():
        zh, en = name(item.benefit.code, item.step_code)
        items.append(
            ItemView(
                item=item,
                step_name=zh,
                step_name_en=en,
                overdue=item.step_due_on is not None and item.step_due_on < day,
            )
        )
    transitions = (
        Transition.objects.filter(item__application=application)
        .select_related("item__benefit")
        .order_by("at", "id")
    )
    history = [
        HistoryRow(
            transition=t,
            benefit_name=t.item.benefit.name_zh,
            from_name=name(t.item.benefit.code, t.from_step)[0],
            to_name=name(t.item.benefit.code, t.to_step)[0],
        )
        for t in transitions
    ]
    return ApplicationView(
        application=application,
        items=items,
        history=history,
        missing=missing_documents(application),
    )


# Complaints and requests ----------------------------------------------------------------


def requests_of(person: Person) -> list[CitizenRequest]:
    return list(CitizenRequest.objects.filter(person=person).order_by("-created_at", "-id")[:50])


def request_for(user: Any, request_id: int) -> CitizenRequest:
    found = (
        CitizenRequest.objects.filter(pk=request_id, person_id__in=self_person_ids(user))
        .select_related("person")
        .first()
    )
    if found is None:
        raise NotFound("citizen_request")
    return found


def request_events(request: CitizenRequest) -> list[RequestEvent]:
    return list(request.events.order_by("at", "id"))


OVERDUE = "overdue"


def request_queue(
    user: Any, status: str = "", on: dt.date | None = None
) -> QuerySet[CitizenRequest]:
    """The staff queue: the township's requests for township officers, the county's for
    county officers, the city's for the city (the region scope), the nearest deadline
    first. ``status`` filters by state, or ``overdue``: open past the deadline on ``on``."""
    rows = CitizenRequest.objects.all()
    if status == OVERDUE:
        rows = rows.exclude(status=RequestStatus.CLOSED).filter(due_on__lt=on or today())
    elif status in RequestStatus.values:
        rows = rows.filter(status=status)
    else:
        rows = rows.exclude(status=RequestStatus.CLOSED)
    return (
        scope_queryset(user, rows)
        .select_related("person", "repeat_of")
        .order_by(F("due_on").asc(nulls_last=True), "created_at", "id")
    )


@dataclass(frozen=True)
class OverdueCount:
    region_code: str
    name: str
    count: int


def overdue_counts(user: Any, on: dt.date | None = None) -> list[OverdueCount]:
    """Open requests past their deadline, counted for the user's region and by the level
    below it (the city sees each county, a county each township): the escalation the
    county and the city follow. One grouped query."""
    day = on or today()
    rows = scope_queryset(
        user,
        CitizenRequest.objects.exclude(status=RequestStatus.CLOSED).filter(due_on__lt=day),
    )
    region = getattr(user, "region", None)
    level = getattr(region, "level", "")
    column = "county_code" if level == "city" else "township_code"
    if level not in ("city", "county"):
        return []
    grouped = {
        r[column]: r["n"] for r in rows.values(column).annotate(n=Count("id")).order_by(column)
    }
    names = display_names(set(grouped))
    return [OverdueCount(code, names.get(code, code), n) for code, n in grouped.items()]


def escalated_count(user: Any) -> int:
    """Open requests escalated to the user's level (a county officer: to the county, the
    city: to the city) in the user's region, for the queue's notice."""
    level = getattr(getattr(user, "region", None), "level", "")
    if level not in ("city", "county"):
        return 0
    rows = CitizenRequest.objects.exclude(status=RequestStatus.CLOSED).filter(escalation=level)
    return scope_queryset(user, rows).count()


def request_for_staff(user: Any, request_id: int) -> CitizenRequest:
    found = (
        scope_queryset(user, CitizenRequest.objects.filter(pk=request_id))
        .select_related("person")
        .first()
    )
    if found is None:
        raise NotFound("citizen_request")
    return found


def request_person_id(user: Any, request_id: int) -> int | None:
    """The person a citizen request of ``user``'s region is about (a legal aid referral
    names the request it came from); ``None`` for a request the user may not see."""
    rows = scope_queryset(user, CitizenRequest.objects.filter(pk=request_id))
    return rows.values_list("person_id", flat=True).first()


def person_for_staff(user: Any, person_id: int) -> Person:
    person = scope_queryset(user, Person.objects.filter(pk=person_id)).first()
    if person is None:
        raise NotFound("person")
    return person


def has_account(person: Person) -> bool:
    return CitizenAccount.objects.filter(person=person).exists()


def may_open_account(user: Any, person: Person) -> bool:
    """Whether the staff person page offers 开通居民账号: the user's role may create citizen
    accounts (the permission ``account_new`` declares), the person is alive and has none yet.

    The person comes from a page already scoped to the user; the service checks again.
    """
    if not has_permission(user, "create", "citizen_account") or person.death_date is not None:
        return False
    return not has_account(person)
