"""A person's timeline: every dated fact of the registry (certificate, residence,
household status, insurance, school, outside payments, medical settlements, surveys,
employment, record changes) and the services registered by the apps above
(``timeline_sources``), in order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.utils.translation import gettext as _

from dpf.core.dates import local_today as today
from dpf.core.regions import display_names
from dpf.registry.change_models import ChangeKind, RecordChange
from dpf.registry.medical_models import MedicalSettlement
from dpf.registry.models import (
    Certificate,
    CertificateStatus,
    Employment,
    EmploymentKind,
    HouseholdStatus,
    HouseholdStatusCode,
    InsuranceEnrolment,
    InsuranceKind,
    NeedsSurvey,
    OutsidePayment,
    OutsidePaymentKind,
    Person,
    Residence,
    SchoolEnrolment,
    SurveyMethod,
)
from dpf.registry.timeline_sources import ServiceEvent, anchored, service_events

# --- timeline --------------------------------------------------------------------------

KIND_ORDER = {
    "residence": 0,
    "household_status": 1,
    "certificate": 2,
    "insurance": 3,
    "school": 4,
    "outside_payment": 5,
    "medical": 6,
    "survey": 7,
    "employment": 8,
    "service": 9,  # services received, from the apps above (timeline_sources)
    "death": 10,
    "record": 11,
}


@dataclass(frozen=True)
class TimelineEvent:
    """One change of a fact about a person, with who or what said so."""

    date: dt.date
    kind: str
    label: str
    detail: str
    source: str
    order: int = 0


def source_label(source: str, users: dict[str, str] | None = None) -> str:
    """Who or what said so, in words: a staff member by name (``users``: names by id, as
    ``user_names`` reads them), a roster by its batch; never an account number alone."""
    if not source or source == "manual":
        return _("手工录入")
    if source.startswith("user:"):
        return (users or {}).get(source[5:]) or _("工作人员")
    if source.startswith("roster:"):
        batch = source[7:]
        if batch.isdigit():
            return _("部门名单导入（批次 %(id)s）") % {"id": batch}
        return _("部门名单导入")
    if source == "survey":
        return _("需求调查")
    if source in ("staff", "form"):
        return _("工作人员录入")
    if source == "demo":
        return _("演示数据")
    return source


def user_names(sources: Iterable[str]) -> dict[str, str]:
    """The display names of the accounts named by ``user:<id>`` sources, in one query."""
    from dpf.accounts.models import User

    ids = {s[5:] for s in sources if s.startswith("user:") and s[5:].isdigit()}
    if not ids:
        return {}
    rows = User.objects.filter(pk__in=ids).values_list("pk", "first_name", "last_name", "username")
    return {str(pk): f"{first} {last}".strip() or username for pk, first, last, username in rows}


def _starts_next_day(rows: Sequence[Any], row: Any, same: Any = None) -> bool:
    """Does another row (of the same kind, when ``same`` says so) start the day after
    ``row`` ends? Then the end is a change, not a stop, and is not shown twice."""
    if row.valid_to is None:
        return False
    nxt = row.valid_to + dt.timedelta(days=1)
    return any(
        other.valid_from == nxt and (same is None or same(other) == same(row)) for other in rows
    )


@dataclass
class _Facts:
    residences: list[Residence] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    statuses: list[HouseholdStatus] = field(default_factory=list)
    insurances: list[InsuranceEnrolment] = field(default_factory=list)
    schools: list[SchoolEnrolment] = field(default_factory=list)
    payments: list[OutsidePayment] = field(default_factory=list)
    medical: list[MedicalSettlement] = field(default_factory=list)
    surveys: list[NeedsSurvey] = field(default_factory=list)
    changes: list[RecordChange] = field(default_factory=list)
    employments: list[Employment] = field(default_factory=list)
    services: list[ServiceEvent] = field(default_factory=list)


def _timeline(person: Person, facts: _Facts, names: dict[str, str], on: dt.date) -> list[Any]:  # noqa: C901
    events: list[TimelineEvent] = []
    day = dt.timedelta(days=1)

    def add(date: dt.date, kind: str, label: str, detail: str, source: str, pk: int) -> None:
        events.append(TimelineEvent(date, kind, label, detail, source, pk))

    def span(
        rows: Sequence[Any],
        row: Any,
        kind: str,
        labels: tuple[str, str],
        detail: str,
        same: Any = None,
    ) -> None:
        """A fact's start and, unless the next fact of its kind follows at once, its end."""
        add(row.valid_from, kind, labels[0], detail, row.source, row.pk)
        if row.valid_to and not _starts_next_day(rows, row, same):
            add(row.valid_to + day, kind, labels[1], detail, row.source, row.pk)

    for i, res in enumerate(facts.residences):
        place = names.get(res.village_code, res.village_code)
        first = _("登记居住地") if i == 0 else _("迁入")
        span(facts.residences, res, "residence", (first, _("迁出")), place)
    for cert in facts.certificates:
        what = f"{cert.get_category_display()} {cert.get_level_display()}"
        start = _("重新评定，换发残疾人证") if cert.replaces_id else _("发放残疾人证")
        add(cert.valid_from, "certificate", start, what, cert.source, cert.pk)
        if cert.valid_to is None or _starts_next_day(facts.certificates, cert):
            continue
        end = cert.valid_to + day
        if cert.status == CertificateStatus.CANCELLED:
            detail = f"{what} {cert.end_reason}".strip()
            add(end, "certificate", _("注销残疾人证"), detail, cert.source, cert.pk)
        elif cert.status == CertificateStatus.REPLACED:
            add(end, "certificate", _("残疾人证已换发"), what, cert.source, cert.pk)
        elif end <= on:
            add(end, "certificate", _("残疾人证到期"), what, cert.source, cert.pk)
    for st in facts.statuses:
        label = _label(HouseholdStatusCode, st.status)
        span(
            facts.statuses,
            st,
            "household_status",
            (_("家庭经济状况"), _("家庭经济状况结束")),
            label,
        )
    for ins in facts.insurances:
        label = _label(InsuranceKind, ins.kind)
        if ins.government_paid:
            label = _("%(kind)s（政府代缴）") % {"kind": label}
        span(
            facts.insurances, ins, "insurance", (_("参保"), _("停保")), label, same=lambda r: r.kind
        )
    for sch in facts.schools:
        label = f"{sch.school} {sch.grade}".strip() + f"（{sch.get_mode_display()}）"
        add(sch.valid_from, "school", _("入学"), label, sch.source, sch.pk)
        if sch.valid_to and not _starts_next_day(facts.schools, sch):
            if sch.leave_reason:
                why = _("离校原因：%(reason)s") % {"reason": sch.get_leave_reason_display()}
                label = f"{label}；{why}"
            add(sch.valid_to + day, "school", _("离校"), label, sch.source, sch.pk)
    for pay in facts.payments:
        span(
            facts.payments,
            pay,
            "outside_payment",
            (_("开始领取"), _("停止领取")),
            _label(OutsidePaymentKind, pay.kind),
            same=lambda r: r.kind,
        )
    for bill in facts.medical:
        detail = _(
            "结算单 %(number)s：总费用 %(total)s 元，医保报销 %(reimbursed)s 元，"
            "医疗救助 %(assistance)s 元，个人自付 %(own)s 元"
        ) % {
            "number": bill.settlement_no,
            "total": bill.total,
            "reimbursed": bill.reimbursed,
            "assistance": bill.assistance,
            "own": bill.out_of_pocket,
        }
        add(bill.settled_on, "medical", _("医疗费用结算"), detail, bill.source, bill.pk)
    for sv in facts.surveys:
        detail = _("%(year)s年度，%(method)s") % {
            "year": sv.year,
            "method": _label(SurveyMethod, sv.method),
        }
        add(sv.survey_date, "survey", _("需求调查"), detail, sv.surveyor_name or "survey", sv.pk)
    for job in facts.employments:
        what = _label(EmploymentKind, job.kind)
        detail = f"{what} {job.employer_name}".strip()
        span(
            facts.employments,
            job,
            "employment",
            (_("开始就业"), _("就业结束")),
            detail,
            same=lambda r: r.kind,
        )
    for sev in facts.services:
        add(sev.date, "service", sev.label, sev.detail, sev.source, sev.order)
    recorded_death = False
    for ch in facts.changes:
        detail = ch.summary
        why = _("原因：%(reason)s") % {"reason": ch.reason}
        detail = f"{detail}；{why}" if detail else why
        if ch.kind == ChangeKind.DEATH:
            recorded_death = True
            add(ch.effective_on, "death", _("死亡"), detail, f"user:{ch.actor_id or ''}", ch.pk)
            continue
        label = _label(ChangeKind, ch.kind)
        add(ch.effective_on, "record", label, detail, f"user:{ch.actor_id or ''}", ch.pk)
    if person.death_date and not recorded_death:
        add(person.death_date, "death", _("死亡"), "", "manual", 0)
    users = user_names(e.source for e in events)
    named = [replace(e, source=source_label(e.source, users)) for e in events]
    return sorted(named, key=lambda e: (e.date, KIND_ORDER[e.kind], e.order))


def _label(choices: Any, value: str) -> str:
    """The display label of ``value`` in a ``TextChoices`` class (the value if unknown)."""
    return str(choices(value).label) if value in choices.values else value


def _facts_of(person: Person) -> _Facts:
    return _Facts(
        residences=list(person.residences.order_by("valid_from", "pk")),
        certificates=list(person.certificates.defer("number").order_by("valid_from", "pk")),
        statuses=(
            list(
                HouseholdStatus.objects.filter(household_id=person.household_id).order_by(
                    "valid_from", "pk"
                )
            )
            if person.household_id
            else []
        ),
        insurances=list(person.insurances.order_by("valid_from", "pk")),
        schools=list(person.schools.order_by("valid_from", "pk")),
        payments=list(person.outside_payments.order_by("valid_from", "pk")),
        medical=list(
            MedicalSettlement.objects.filter(person=person, **anchored(person)).order_by(
                "settled_on", "pk"
            )
        ),
        surveys=list(person.surveys.order_by("year", "pk")),
        changes=list(person.record_changes.order_by("effective_on", "pk")),
        employments=list(
            Employment.objects.filter(person=person, **anchored(person)).order_by(
                "valid_from", "pk"
            )
        ),
        services=service_events(person),
    )


def person_timeline(person: Person) -> list[TimelineEvent]:
    """Every change of a fact about ``person``, oldest first, each with its source.

    ``person`` must come from a scoped selector (``person_detail``, ``person_for_change``).
    """
    facts = _facts_of(person)
    names = display_names(r.village_code for r in facts.residences)
    return _timeline(person, facts, names, today())
