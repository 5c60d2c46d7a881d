"""Reads of the portal. A citizen reaches their own person and their current dependants'
(the "self" scope), nothing else: any other id is ``NotFound`` (a 404), exactly like a
record that does not exist. Staff queues are scoped by region as everywhere else.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from dpf.accounts.models import User
from dpf.accounts.permissions import Scope, has_permission, roles_with, scope_of
from dpf.accounts.scoping import scope_queryset, self_person_ids
from dpf.benefits.eligibility import Eligibility, explain
from dpf.benefits.models import Entitlement
from dpf.benefits.selectors import active_entitlements_codes, all_rules_in_force
from dpf.core.dates import local_today as today
from dpf.core.errors import NotFound
from dpf.core.models import EffectiveDated, Region, RegionLevel
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


def request_events(request: CitizenRequest, *, internal: bool = False) -> list[RequestEvent]:
    """The request's history; the assignments (internal routing, which names staff) only
    for the staff page (``internal``)."""
    rows = request.events.order_by("at", "id")
    if not internal:
        return list(rows.filter(assigned_region=""))
    return list(rows.select_related("assigned_to"))


def staff_requests(user: Any, action: str = "view") -> QuerySet[CitizenRequest]:
    """The citizen requests ``user`` may see (``action="view"``) or handle (``"change"``):
    those of their region (the township's for a township officer, the county's for a county
    officer …); under a grant of the ``assigned`` scope (a village worker) only those
    assigned to them by name within their region. None without a grant (deny by default).
    Every staff read and write of a request starts here."""
    scope = scope_of(user, action, "citizen_request")
    if scope not in (Scope.REGION, Scope.ASSIGNED):
        return CitizenRequest.objects.none()
    rows = scope_queryset(user, CitizenRequest.objects.all())
    if scope == Scope.ASSIGNED:
        rows = rows.filter(assigned_to=user.pk)
    return rows


def assigned_to_me_q(user: Any) -> Q:
    """Requests assigned to ``user``: by name, or to their region without a name."""
    return Q(assigned_to=user.pk) | Q(
        assigned_to__isnull=True, assigned_region=getattr(user, "region_id", None) or "-"
    )


OVERDUE = "overdue"


def request_queue(
    user: Any, status: str = "", on: dt.date | None = None, *, mine: bool = False
) -> QuerySet[CitizenRequest]:
    """The staff queue: the township's requests for township officers, the county's for
    county officers, the city's for the city (the region scope), the ones assigned to them
    for a village worker, the nearest deadline first. ``status`` filters by state, or
    ``overdue``: open past the deadline on ``on``; ``mine``: only those assigned to
    ``user`` (by name or to their region)."""
    rows = staff_requests(user)
    if status == OVERDUE:
        rows = rows.exclude(status=RequestStatus.CLOSED).filter(due_on__lt=on or today())
    elif status in RequestStatus.values:
        rows = rows.filter(status=status)
    else:
        rows = rows.exclude(status=RequestStatus.CLOSED)
    if mine:
        rows = rows.filter(assigned_to_me_q(user))
    return rows.select_related("person", "repeat_of", "assigned_to").order_by(
        F("due_on").asc(nulls_last=True), "created_at", "id"
    )


def assigned_to_me_count(user: Any) -> int:
    """Open requests assigned to ``user`` (by name or to their region): the queue's notice."""
    rows = staff_requests(user).exclude(status=RequestStatus.CLOSED)
    return rows.filter(assigned_to_me_q(user)).count()


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
    rows = staff_requests(user).exclude(status=RequestStatus.CLOSED).filter(due_on__lt=day)
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
    rows = staff_requests(user).exclude(status=RequestStatus.CLOSED)
    return rows.filter(escalation=level).count()


def request_for_staff(user: Any, request_id: int) -> CitizenRequest:
    found = (
        staff_requests(user).filter(pk=request_id).select_related("person", "assigned_to").first()
    )
    if found is None:
        raise NotFound("citizen_request")
    return found


def request_person_id(user: Any, request_id: int) -> int | None:
    """The person a citizen request of ``user``'s region is about (a legal aid referral
    names the request it came from); ``None`` for a request the user may not see."""
    rows = staff_requests(user).filter(pk=request_id)
    return rows.values_list("person_id", flat=True).first()


# Assignment down the region tree ----------------------------------------------------------

# Regions a request is assigned to without naming anyone: a county (by the city) or a
# township (by the city or the county). A village's request goes to a named village worker.
ASSIGNABLE_REGION_LEVELS = (RegionLevel.COUNTY, RegionLevel.TOWNSHIP)


def chain_below(user: Any, request: CitizenRequest) -> list[str]:
    """The regions of the request's own chain (its county, township and village) strictly
    below ``user``'s region, top down: where ``user`` may send it. Empty for a user whose
    region does not hold the request, and for a village worker (nothing lies below)."""
    region = getattr(user, "region", None)
    if region is None:
        return []
    chain = [request.county_code, request.township_code, request.village_code]
    return [c for c in chain if c and c != region.code and c.startswith(region.prefix)]


@dataclass(frozen=True)
class AssignTarget:
    value: str  # the form's choice: "region:<code>" or "user:<id>"
    label: str


def assignee_candidates(user: Any, request: CitizenRequest) -> QuerySet[User]:
    """Active staff accounts of a region in ``chain_below`` whose role may handle citizen
    requests (the permission table), by region then name: the people ``user`` may name."""
    roles = [str(r) for r in roles_with("change", "citizen_request")]
    return (
        User.objects.filter(
            is_active=True, role__in=roles, region_id__in=chain_below(user, request)
        )
        .select_related("region")
        .order_by("region_id", "last_name", "first_name", "username")
    )


def assignment_targets(user: Any, request: CitizenRequest) -> list[AssignTarget]:
    """What the assignment form offers ``user`` for this request: the counties and
    townships of its chain below the user's region, then the staff who may handle it there.
    The service checks the choice again (``casework.request_assign``)."""
    below = chain_below(user, request)
    if not below:
        return []
    regions = Region.objects.filter(code__in=below, level__in=ASSIGNABLE_REGION_LEVELS)
    names = display_names(below)
    targets = [
        AssignTarget(f"region:{r.code}", names.get(r.code, r.code))
        for r in regions.order_by("code")
    ]
    for staff in assignee_candidates(user, request):
        who = staff.get_full_name() or staff.username
        where = names.get(str(staff.region_id), str(staff.region_id))
        label = f"{who}（{staff.get_role_display()} · {where}）"
        targets.append(AssignTarget(f"user:{staff.pk}", label))
    return targets


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
