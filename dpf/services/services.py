"""Writes of the services app: institutions, rehabilitation plans, sessions and outcomes.

Every function is keyword-only, transactional and audited; a refusal is a ``DomainError``
with both languages and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import region_in_scope, scope_services
from dpf.core import audit
from dpf.core.errors import NotFound, ValidationFailed
from dpf.core.models import Region, RegionLevel
from dpf.core.roles import Role
from dpf.core.text import check_text_characters
from dpf.registry.models import Person
from dpf.services.models import (
    Institution,
    InstitutionKind,
    RehabKind,
    RehabOutcome,
    RehabPlan,
    RehabSession,
)

# Institutions that give rehabilitation services under a plan.
REHAB_INSTITUTION_KINDS = (InstitutionKind.REHABILITATION, InstitutionKind.DEVICE_CENTRE)
MAX_PLANNED_SESSIONS = 366
# The condition of the rule language that says a person needs rehabilitation on a date
# (the survey in force, with the certificate: the population of I09 and T0302).
REHAB_NEED_RULE = "alive && certificate.valid && survey.rehab_need"


def _refuse(code: str, zh: str, en: str, field: str | None = None) -> ValidationFailed:
    return ValidationFailed(code, zh, en, field=field)


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else timezone.localdate()


def _text(raw: str, *, field: str, label_zh: str, label_en: str, limit: int) -> str:
    check_text_characters(raw or "", field=field, label_zh=label_zh, label_en=label_en)
    text = " ".join((raw or "").split())
    if not text:
        raise _refuse("required", f"请填写{label_zh}", f"the {label_en} is required", field)
    if len(text) > limit:
        raise _refuse(
            "too_long",
            f"{label_zh}不超过{limit}字",
            f"the {label_en} is at most {limit} characters",
            field,
        )
    return text


@transaction.atomic
def institution_register(
    *,
    actor: Any,
    code: str,
    name: str,
    kind: str,
    township_code: str,
    capacity: int = 0,
    licence_number: str = "",
    services_offered: str = "",
    designated_from: dt.date | None = None,
    designated_to: dt.date | None = None,
) -> Institution:
    """Register a service institution (the city's list; ``actor`` None: a command)."""
    if actor is not None and getattr(actor, "role", None) != Role.CITY_ADMIN:
        raise PermissionRefused("create", "institution")
    code = (code or "").strip()
    if not code or len(code) > 40 or not code.replace("-", "").isascii():
        raise _refuse(
            "institution_code",
            "机构代码为1至40位字母、数字或连字符",
            "the institution code is 1 to 40 letters, digits or hyphens",
            "code",
        )
    if Institution.objects.filter(code=code).exists():
        raise _refuse(
            "institution_exists", "机构代码已存在", "the institution code already exists", "code"
        )
    name = _text(name, field="name", label_zh="机构名称", label_en="institution name", limit=100)
    if kind not in InstitutionKind.values:
        raise _refuse("institution_kind", "机构类型无效", "unknown institution kind", "kind")
    township = Region.objects.filter(code=township_code, level=RegionLevel.TOWNSHIP).first()
    if township is None:
        raise _refuse(
            "institution_region",
            "所在苏木乡镇（街道）代码无效",
            "the township code is not a known township",
            "township_code",
        )
    if capacity < 0:
        raise _refuse(
            "capacity", "服务能力不能为负数", "the capacity cannot be negative", "capacity"
        )
    if designated_to is not None and (designated_from is None or designated_to < designated_from):
        raise _refuse(
            "designation_interval",
            "定点终止日期不能早于起始日期",
            "the designation cannot end before it starts",
            "designated_to",
        )
    institution = Institution.objects.create(
        code=code,
        name=name,
        kind=kind,
        licence_number=(licence_number or "").strip()[:50],
        county_code=township_code[:6],
        township_code=township_code,
        capacity=capacity,
        services_offered=(services_offered or "").strip()[:200],
        designated_from=designated_from,
        designated_to=designated_to,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="institution",
        object_id=institution.pk,
        changes={"code": code, "kind": kind, "township_code": township_code},
        actor_name="" if actor is not None else "system",
    )
    return institution


def _has_rehab_need(person: Person, on: dt.date) -> bool:
    from dpf.rules import compile_rule  # local: the rule engine loads its catalogue lazily

    rule = compile_rule(REHAB_NEED_RULE)
    return Person.objects.filter(pk=person.pk).filter(rule.q(on)).exists()


def _family_doctor(person: Person, on: dt.date) -> str:
    from dpf.exchange.models import FamilyDoctorContract

    contract = (
        FamilyDoctorContract.objects.filter(person=person)
        .filter(FamilyDoctorContract.as_of_q(on))
        .order_by("-valid_from")
        .first()
    )
    return contract.institution if contract is not None else ""


@transaction.atomic
def rehab_plan_create(
    *,
    actor: Any,
    person_id: int,
    institution_id: int,
    kind: str,
    start: dt.date,
    end: dt.date,
    planned_sessions: int,
) -> RehabPlan:
    """Turn a person's rehabilitation need into a service plan at an institution (一人一案):
    the person becomes the institution's client. The family doctor of a contract in force on
    ``start`` is written into the plan."""
    require_permission(actor, "create", "service_plan", person_id)
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None or not region_in_scope(actor, person.village_code):
        raise NotFound("person")
    institution = Institution.objects.filter(
        pk=institution_id, kind__in=REHAB_INSTITUTION_KINDS
    ).first()
    if institution is None:
        raise _refuse(
            "institution",
            "请选择提供康复服务的机构",
            "choose an institution that gives rehabilitation services",
            "institution",
        )
    if kind not in RehabKind.values:
        raise _refuse("rehab_kind", "服务类型无效", "unknown service kind", "kind")
    if end < start:
        raise _refuse(
            "plan_interval",
            "计划结束日期不能早于开始日期",
            "the plan cannot end before it starts",
            "end",
        )
    if (end - start).days > 366:
        raise _refuse(
            "plan_too_long",
            "一个服务计划不超过一年",
            "a service plan lasts at most one year",
            "end",
        )
    if not 1 <= planned_sessions <= MAX_PLANNED_SESSIONS:
        raise _refuse(
            "planned_sessions",
            f"计划服务次数应为1至{MAX_PLANNED_SESSIONS}次",
            f"the planned sessions must be 1 to {MAX_PLANNED_SESSIONS}",
            "planned_sessions",
        )
    if not _has_rehab_need(person, start):
        raise _refuse(
            "no_rehab_need",
            "此人在计划开始日期没有持证且经需求调查确认的康复需求",
            "on the plan's start date this person has no rehabilitation need found by the "
            "survey (with a valid certificate)",
            "start",
        )
    plan = RehabPlan.objects.create(
        person=person,
        institution=institution,
        kind=kind,
        start=start,
        end=end,
        planned_sessions=planned_sessions,
        family_doctor=_family_doctor(person, start),
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="rehab_plan",
        object_id=plan.pk,
        changes={
            "person_id": person.pk,
            "institution": institution.code,
            "kind": kind,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "planned_sessions": planned_sessions,
        },
    )
    return plan


def _plan_for_service(actor: Any, plan_id: int) -> RehabPlan:
    """The plan locked for a write, if it is one of the actor's clients' (an institution's
    staff: their own institution only); otherwise the same answer as "does not exist"."""
    require_permission(actor, "create", "service_record", plan_id)
    plan = scope_services(actor, RehabPlan.objects.select_for_update()).filter(pk=plan_id).first()
    if plan is None:
        raise PermissionRefused("create", "service_record", plan_id)
    return plan


@transaction.atomic
def rehab_session_record(
    *,
    actor: Any,
    plan_id: int,
    date: dt.date,
    content: str,
    today: dt.date | None = None,
) -> RehabSession:
    """Record one session given to an institution's client under an open plan."""
    plan = _plan_for_service(actor, plan_id)
    if plan.closed_on is not None:
        raise _refuse(
            "plan_closed",
            "该服务计划已结案，不能再记录服务",
            "the plan is closed: no more sessions can be recorded",
            "date",
        )
    if not plan.start <= date <= plan.end:
        raise _refuse(
            "session_outside_plan",
            f"服务日期须在计划期内（{plan.start}至{plan.end}）",
            f"the session date must be within the plan ({plan.start} to {plan.end})",
            "date",
        )
    if date > _today(today):
        raise _refuse(
            "session_in_future",
            "服务日期不能晚于今天",
            "the session date cannot be after today",
            "date",
        )
    text = _text(content, field="content", label_zh="服务内容", label_en="content", limit=200)
    session = RehabSession.objects.create(
        plan=plan,
        date=date,
        content=text,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="rehab_session",
        object_id=session.pk,
        changes={"plan_id": plan.pk, "date": date.isoformat()},
    )
    return session


@transaction.atomic
def rehab_plan_close(
    *,
    actor: Any,
    plan_id: int,
    outcome: str,
    closed_on: dt.date,
    today: dt.date | None = None,
) -> RehabPlan:
    """Close a plan with its outcome assessment (康复效果评估), after its last session."""
    plan = _plan_for_service(actor, plan_id)
    if plan.closed_on is not None:
        raise _refuse("plan_closed", "该服务计划已结案", "the plan is already closed", "outcome")
    if outcome not in RehabOutcome.values:
        raise _refuse("outcome", "请选择康复效果评估结果", "choose the outcome", "outcome")
    last = plan.sessions.order_by("-date").values_list("date", flat=True).first()
    if last is None:
        raise _refuse(
            "no_sessions",
            "尚无服务记录，不能结案",
            "a plan without sessions cannot be closed",
            "outcome",
        )
    if closed_on < last or closed_on > _today(today):
        raise _refuse(
            "closed_on",
            f"结案日期须在最后一次服务（{last}）之后且不晚于今天",
            f"the closing date must be on or after the last session ({last}) and not after today",
            "closed_on",
        )
    plan.outcome = outcome
    plan.closed_on = closed_on
    plan.save(update_fields=["outcome", "closed_on"])
    audit.record(
        actor=actor,
        action="change",
        object_type="rehab_plan",
        object_id=plan.pk,
        changes={"outcome": outcome, "closed_on": closed_on.isoformat()},
    )
    return plan
