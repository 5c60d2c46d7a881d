"""Reads of the workflow app, always scoped by the user's region (deny by default).

Queue pages read one page of rows with their person and benefit in one query; a record
outside the scope is ``NotFound``, never told apart from one that does not exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from dpf.accounts.permissions import has_permission
from dpf.accounts.scoping import region_filter, scope_queryset
from dpf.benefits import selectors as benefit_selectors
from dpf.benefits.eligibility import Eligibility, explain
from dpf.benefits.models import Entitlement, ScanRun, WorkItem, WorkItemKind
from dpf.core.dates import local_today as today
from dpf.core.errors import NotFound
from dpf.core.idnumber import parse_id_number
from dpf.core.models import EffectiveDated, Region
from dpf.core.roles import Role
from dpf.jobs.models import ACTIVE, Job, JobOutput, JobStatus
from dpf.registry.models import Person
from dpf.registry.services import id_lookup_hash
from dpf.workflow.models import (
    Application,
    ApplicationItem,
    Document,
    EntitlementEvent,
    ItemStatus,
    PayeeAccount,
    PaymentLine,
    PaymentList,
    Transition,
)
from dpf.workflow.procedures import (
    DocumentType,
    Procedures,
    Step,
    procedures,
    required_documents,
)


def _items(user: Any) -> QuerySet[ApplicationItem]:
    return scope_queryset(
        user, ApplicationItem.objects.filter(status=ItemStatus.IN_PROGRESS)
    ).select_related("application", "application__person", "benefit")


def my_tasks(user: Any) -> QuerySet[ApplicationItem]:
    """Items waiting at a step of the user's role, in the user's region, soonest due first."""
    return (
        _items(user)
        .filter(step_role=getattr(user, "role", ""))
        .order_by(F("step_due_on").asc(nulls_last=True), "id")
    )


def overdue(user: Any, on: dt.date | None = None) -> QuerySet[ApplicationItem]:
    """Items past their step's deadline (any role) in the user's region, most late first."""
    return _items(user).filter(step_due_on__lt=on or today()).order_by("step_due_on", "id")


def overdue_mine(user: Any, on: dt.date | None = None) -> int:
    return my_tasks(user).filter(step_due_on__lt=on or today()).count()


@dataclass(frozen=True)
class TaskRow:
    item: ApplicationItem
    step_name: str
    step_name_en: str
    acting_for: str
    overdue: bool


def task_rows(items: list[ApplicationItem], on: dt.date | None = None) -> list[TaskRow]:
    """Each item with its step's name (the procedures are read once for the page)."""
    procs: Procedures = procedures()
    day = on or today()
    out = []
    for item in items:
        step = procs.step(item.benefit.code, item.step_code)
        out.append(
            TaskRow(
                item=item,
                step_name=step.name_zh if step else item.step_code,
                step_name_en=step.name_en if step else item.step_code,
                acting_for=step.acting_for if step else "",
                overdue=item.step_due_on is not None and item.step_due_on < day,
            )
        )
    return out


def person_by_id_number(user: Any, raw: str) -> Person:
    """The person with this ID number in the user's scope (a bad number is refused)."""
    parsed = parse_id_number(raw)
    person = scope_queryset(
        user, Person.objects.filter(id_number_hash=id_lookup_hash(parsed.normalized))
    ).first()
    if person is None:
        raise NotFound("person")
    return person


def person_for(user: Any, pk: int) -> Person:
    person = scope_queryset(user, Person.objects.filter(pk=pk)).first()
    if person is None:
        raise NotFound("person")
    return person


def application_for(user: Any, pk: int) -> Application:
    application = (
        scope_queryset(user, Application.objects.filter(pk=pk))
        .select_related("person", "created_by", "confirmed_by", "withdrawn_by")
        .prefetch_related("items__benefit", "items__entitlement", "documents")
        .first()
    )
    if application is None:
        raise NotFound("application")
    return application


@dataclass(frozen=True)
class HistoryEntry:
    """One transition with the names of its steps from the procedure definitions (a step
    no longer configured keeps only its code)."""

    transition: Transition
    from_step: Step | None
    to_step: Step | None

    @property
    def actor_role_label(self) -> str:
        role = self.transition.actor_role
        return str(Role(role).label) if role in Role.values else role


def history(application: Application, procs: Procedures | None = None) -> list[HistoryEntry]:
    """The application's transitions in order, each with its from/to steps named."""
    procs = procs or procedures()
    transitions = (
        Transition.objects.filter(item__application=application)
        .select_related("actor", "item__benefit")
        .order_by("at", "id")
    )
    return [
        HistoryEntry(
            transition=t,
            from_step=procs.step(t.item.benefit.code, t.from_step) if t.from_step else None,
            to_step=procs.step(t.item.benefit.code, t.to_step) if t.to_step else None,
        )
        for t in transitions
    ]


def missing_documents(application: Application) -> list[DocumentType]:
    """The one notice: every document the bundle needs that is not uploaded yet."""
    codes = [i.benefit.code for i in application.items.all()]
    guardian = application.applicant_kind == "guardian"
    have = {d.doc_type for d in application.documents.all()}
    return [d for d in required_documents(codes, guardian=guardian) if d.code not in have]


def explanations(user: Any, application: Application, as_of: dt.date) -> list[Eligibility]:
    """The rules evaluated for this person now, for the benefits applied for (failing
    clauses shown: an ineligible person may still apply, the officer decides)."""
    codes = {i.benefit.code for i in application.items.all()}
    results = benefit_selectors.eligibility_for_person(user, application.person, as_of)
    return [e for e in results if e.benefit.code in codes]


def document_for(user: Any, pk: int) -> Document:
    document = (
        Document.objects.filter(pk=pk)
        .filter(application__in=scope_queryset(user, Application.objects.all()))
        .select_related("application")
        .first()
    )
    if document is None:
        raise NotFound("document")
    return document


def item_for(user: Any, pk: int) -> ApplicationItem:
    item = (
        scope_queryset(user, ApplicationItem.objects.filter(pk=pk))
        .select_related("application", "application__person", "benefit")
        .first()
    )
    if item is None:
        raise NotFound("application item")
    return item


# Proposals and reviews from the scan -----------------------------------------------------


@dataclass(frozen=True)
class ProposalRow:
    item: WorkItem
    eligibility: Eligibility | None


def proposals(user: Any) -> QuerySet[WorkItem]:
    """Open proposals in the user's region, ordered by township (for grouping)."""
    return benefit_selectors.queue(user, kind=WorkItemKind.PROPOSAL)


def reviews(user: Any) -> QuerySet[WorkItem]:
    return benefit_selectors.queue(user, kind=WorkItemKind.REVIEW)


def with_explanations(items: list[WorkItem], as_of: dt.date) -> list[ProposalRow]:
    """The rule explanation beside each proposal of one page: the rules in force are read
    once, each person's facts once (a person's proposals share them)."""
    from dpf.rules import facts_for_person

    rules = benefit_selectors.all_rules_in_force(as_of)
    facts: dict[int, Any] = {}
    rows = []
    for w in items:
        if w.person_id not in facts:
            facts[w.person_id] = facts_for_person(w.person, as_of)
        in_force = rules.get(w.benefit_id)
        result = explain(in_force, facts[w.person_id], w.county_code) if in_force else None
        rows.append(ProposalRow(item=w, eligibility=result))
    return rows


def work_item_for(user: Any, pk: int) -> WorkItem:
    return benefit_selectors.work_item_for(user, pk)


def last_scan() -> ScanRun | None:
    """The last finished proactive scan (no personal data): the proposals page says when."""
    return benefit_selectors.last_scan()


# Entitlements ------------------------------------------------------------------------------


def entitlement_for(user: Any, pk: int) -> Entitlement:
    entitlement = (
        scope_queryset(user, Entitlement.objects.filter(pk=pk), prefix="person__")
        .select_related("person", "benefit")
        .first()
    )
    if entitlement is None:
        raise NotFound("entitlement")
    return entitlement


def entitlement_history(entitlement: Entitlement) -> list[EntitlementEvent]:
    """Events of this person and benefit (a resumption is a new entitlement)."""
    return list(
        EntitlementEvent.objects.filter(
            person_id=entitlement.person_id, benefit_id=entitlement.benefit_id
        )
        .select_related("actor")
        .order_by("on", "at", "id")
    )


def status_on(user: Any, person_id: int, benefit_id: int, day: dt.date) -> str | None:
    """The entitlement status on ``day`` from its periods (periods never overlap, so the
    latest one begun by then decides): active within it, its end status after it. None:
    never enrolled by then, a fixed term that ran out, or the person outside ``user``'s
    scope."""
    periods = scope_queryset(
        user,
        Entitlement.objects.filter(person_id=person_id, benefit_id=benefit_id, valid_from__lte=day),
        prefix="person__",
    )
    latest = periods.order_by("-valid_from").first()
    return latest.status_on(day) if latest is not None else None


def entitlements_in_force(user: Any, day: dt.date) -> QuerySet[Entitlement]:
    """Entitlements in force on ``day`` in the user's region (as-of query)."""
    return scope_queryset(
        user, Entitlement.objects.filter(EffectiveDated.as_of_q(day)), prefix="person__"
    )


# Payment lists ------------------------------------------------------------------------------


def payment_lists(user: Any) -> QuerySet[PaymentList]:
    """County officers see their county's lists, city admins every county's."""
    if not has_permission(user, "view", "payment_list"):
        return PaymentList.objects.none()
    condition = region_filter(user)
    if condition is None:
        return PaymentList.objects.none()
    return PaymentList.objects.filter(condition).select_related("benefit", "generated_by")


def payment_list_for(user: Any, pk: int) -> PaymentList:
    plist = payment_lists(user).filter(pk=pk).select_related("approved_by").first()
    if plist is None:
        raise NotFound("payment list")
    return plist


def payment_lines(plist: PaymentList, status: str = "") -> QuerySet[PaymentLine]:
    lines = PaymentLine.objects.filter(payment_list=plist)
    if status:
        lines = lines.filter(status=status)
    return lines.select_related("person").only(
        "pk",
        "township_code",
        "village_code",
        "amount",
        "arrears_months",
        "arrears_amount",
        "deduction_months",
        "deduction_amount",
        "net_amount",
        "bank_name",
        "bank_account_masked",
        "status",
        "failure_reason",
        "person__name",
        "person__id_number_masked",
    )


def status_counts(plist: PaymentList) -> dict[str, int]:
    rows = (
        PaymentLine.objects.filter(payment_list=plist)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["status"]: r["n"] for r in rows}


def counties_for(user: Any) -> list[tuple[str, str]]:
    region = getattr(user, "region", None)
    if region is None:
        return []
    qs = Region.objects.filter(level="county", code__startswith=region.prefix)
    return list(qs.order_by("code").values_list("code", "name"))


# Payee accounts ----------------------------------------------------------------------------


def _current_verified(field: str) -> Subquery:
    current = PayeeAccount.objects.filter(
        person_id=OuterRef("person_id"),
        status=PayeeAccount.Status.VERIFIED,
        valid_to__isnull=True,
    )
    return Subquery(current.values(field)[:1])


def pending_payee_accounts(user: Any) -> QuerySet[PayeeAccount]:
    """Bank account changes waiting for an officer, of persons in the user's region, oldest
    first; each row carries the account paid to now (``current_bank``, ``current_masked``)."""
    return (
        scope_queryset(
            user,
            PayeeAccount.objects.filter(status=PayeeAccount.Status.PENDING),
            prefix="person__",
        )
        .select_related("person", "recorded_by")
        .annotate(
            current_bank=_current_verified("bank_name"),
            current_masked=_current_verified("account_masked"),
        )
        .order_by("recorded_at", "id")
    )


def payee_account_for(user: Any, pk: int) -> PayeeAccount:
    """One account request in the user's region (any status), with the current account."""
    account = (
        scope_queryset(user, PayeeAccount.objects.filter(pk=pk), prefix="person__")
        .select_related("person", "recorded_by", "decided_by")
        .annotate(
            current_bank=_current_verified("bank_name"),
            current_masked=_current_verified("account_masked"),
        )
        .first()
    )
    if account is None:
        raise NotFound("payee_account")
    return account


@dataclass(frozen=True)
class DocumentJob:
    """One of the officer's document jobs for a payment list, as the list page shows it."""

    job: Job
    label: str
    output: JobOutput | None
    active: bool


def document_jobs(user: Any, plist: PaymentList, towns: list[dict[str, Any]]) -> list[DocumentJob]:
    """The officer's last ten bank workbooks and signing PDFs of this list (files are only
    ever offered to whoever started them)."""
    from dpf.jobs.outputs import recent_outputs
    from dpf.workflow.services.bank import BANK_WORKBOOK, DOCUMENT_KINDS

    names = {t["township_code"]: t["name"] for t in towns}
    rows = []
    for job in recent_outputs(
        user, kinds=DOCUMENT_KINDS, belongs=lambda j: j.params.get("list_id") == plist.pk
    ):
        if job.kind == BANK_WORKBOOK:
            label = _("银行代发文件")
        else:
            town = names.get(str(job.params.get("township_code", "")), "")
            label = _("签字用PDF（汇总）") if not town else f"{_('签字用PDF')}：{town}"
            if town and int(job.params.get("volume", 1)) > 1:
                label += f"，{_('第%(n)s册') % {'n': job.params['volume']}}"
        rows.append(
            DocumentJob(
                job=job,
                label=str(label),
                output=getattr(job, "output", None) if job.status == JobStatus.DONE else None,
                active=job.status in ACTIVE,
            )
        )
    return rows
