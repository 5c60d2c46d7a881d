"""Writes of the services app: institutions, rehabilitation plans, sessions and outcomes.

Every function is keyword-only, transactional and audited; a refusal is a ``DomainError``
with both languages and nothing is written.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import region_in_scope, scope_queryset, scope_services
from dpf.core import audit
from dpf.core.dates import add_months, add_years, local_today
from dpf.core.errors import NotFound
from dpf.core.inputs import clean_text, not_after, refuse
from dpf.core.models import Region, RegionLevel
from dpf.core.roles import Role
from dpf.registry.models import Person, SchoolEnrolment
from dpf.registry.services import mark_facts_changed
from dpf.services.child_rehab import (
    MAX_PLAN_COST,
    check_child_plan,
    hand_over_to_plan,
    is_child,
)
from dpf.services.models import (
    CareKind,
    CarePlacement,
    DeviceCatalogueItem,
    DeviceFitting,
    DeviceFollowUp,
    HomeRenovation,
    Institution,
    InstitutionKind,
    NotEnrolled,
    NotEnrolledKind,
    NotEnrolledReason,
    NotEnrolledVisit,
    RehabKind,
    RehabOutcome,
    RehabPlan,
    RehabSession,
    RenovationItem,
    RenovationItemKind,
    RenovationPhoto,
)
from dpf.workflow import documents
from dpf.workflow import services as workflow_services

# Institutions that give rehabilitation services under a plan.
REHAB_INSTITUTION_KINDS = (InstitutionKind.REHABILITATION, InstitutionKind.DEVICE_CENTRE)
MAX_PLANNED_SESSIONS = 366
# The condition of the rule language that says a person needs rehabilitation on a date
# (the survey in force, with the certificate: the population of I09 and T0302).
REHAB_NEED_RULE = "alive && certificate.valid && survey.rehab_need"
# The population of I10: an assistive-device need found by the survey in force.
DEVICE_NEED_RULE = "alive && certificate.valid && survey.device_need"


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else local_today()


MAX_CAPACITY = 100_000


def _institution_fields(
    actor: User | None,
    *,
    name: str,
    kind: str,
    township_code: str,
    capacity: int,
    licence_number: str,
    services_offered: str,
    designated_from: dt.date | None,
    designated_to: dt.date | None,
) -> dict[str, object]:
    """An institution's fields as stored, or the first refusal: a known kind, a township of
    the actor's region (any, for a command), a capacity of 0 to ``MAX_CAPACITY``, text
    cleaned and bounded, and designation dates only for a rehabilitation institution (the
    city designates those, T0306), the start given when the end is and not after it."""
    name = clean_text(name, field="name", label=("机构名称", "institution name"), limit=100)
    if kind not in InstitutionKind.values:
        raise refuse("institution_kind", "请选择机构类型", "choose the institution kind", "kind")
    township = Region.objects.filter(
        code=(township_code or "").strip(), level=RegionLevel.TOWNSHIP
    ).first()
    if township is None or (actor is not None and not region_in_scope(actor, township.code)):
        raise refuse(
            "institution_region",
            "所选苏木乡镇（街道）不存在或不在本人管辖范围内",
            "the township does not exist or is outside your region",
            "township_code",
        )
    if isinstance(capacity, bool) or not isinstance(capacity, int):
        raise refuse(
            "capacity", "请填写服务能力（人数）", "give the capacity (persons)", "capacity"
        )
    if capacity < 0:
        raise refuse(
            "capacity", "服务能力不能为负数", "the capacity cannot be negative", "capacity"
        )
    if capacity > MAX_CAPACITY:
        raise refuse(
            "capacity",
            f"服务能力不超过{MAX_CAPACITY}人",
            f"the capacity is at most {MAX_CAPACITY} persons",
            "capacity",
        )
    licence = clean_text(
        licence_number,
        field="licence_number",
        label=("执业许可证号", "licence number"),
        limit=50,
        required=False,
    )
    offered = clean_text(
        services_offered,
        field="services_offered",
        label=("服务项目", "services offered"),
        limit=200,
        required=False,
    )
    designated = designated_from is not None or designated_to is not None
    if designated and kind != InstitutionKind.REHABILITATION:
        raise refuse(
            "designation_kind",
            "只有康复机构由市残联定点，其他类型的机构不填写定点日期",
            "only rehabilitation institutions are designated by the city: leave the "
            "designation dates empty for other kinds",
            "designated_from",
        )
    if designated_to is not None and designated_from is None:
        raise refuse(
            "designation_start",
            "填写定点终止日期时须填写定点起始日期",
            "give the start of the designation when giving its end",
            "designated_from",
        )
    if (
        designated_to is not None
        and designated_from is not None
        and designated_to < designated_from
    ):
        raise refuse(
            "designation_interval",
            "定点终止日期不能早于起始日期",
            "the designation cannot end before it starts",
            "designated_to",
        )
    return {
        "name": name,
        "kind": kind,
        "county_code": township.code[:6],
        "township_code": township.code,
        "capacity": capacity,
        "licence_number": licence,
        "services_offered": offered,
        "designated_from": designated_from,
        "designated_to": designated_to,
    }


@transaction.atomic
def institution_register(
    *,
    actor: User | None,
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
    """Register a service institution (the city's list; ``actor`` None: a command). Its
    code is what its staff accounts carry and never changes."""
    if actor is not None:
        require_permission(actor, "create", "institution")
    code = (code or "").strip()
    letters = code.replace("-", "")
    if len(code) > 40 or not letters.isascii() or not letters.isalnum():
        raise refuse(
            "institution_code",
            "机构代码为1至40位字母、数字或连字符",
            "the institution code is 1 to 40 letters, digits or hyphens",
            "code",
        )
    if Institution.objects.filter(code=code).exists():
        raise refuse(
            "institution_exists", "机构代码已存在", "the institution code already exists", "code"
        )
    fields = _institution_fields(
        actor,
        name=name,
        kind=kind,
        township_code=township_code,
        capacity=capacity,
        licence_number=licence_number,
        services_offered=services_offered,
        designated_from=designated_from,
        designated_to=designated_to,
    )
    institution = Institution.objects.create(code=code, **fields)
    audit.record(
        actor=actor,
        action="create",
        object_type="institution",
        object_id=institution.pk,
        changes={
            "code": code,
            **{k: _audited(v) for k, v in fields.items() if v not in ("", None)},
        },
        actor_name="" if actor is not None else "system",
    )
    return institution


def _audited(value: object) -> object:
    return value.isoformat() if isinstance(value, dt.date) else value


def _kind_keeps_its_records(institution: Institution, kind: str) -> None:
    """An institution's kind may be corrected only to one that still gives the services on
    record at it (a rehabilitation plan, a care placement of each kind)."""
    if kind == institution.kind:
        return
    gives_rehab = kind in REHAB_INSTITUTION_KINDS
    care_kinds = set(institution.care_placements.values_list("kind", flat=True).distinct())
    if (not gives_rehab and institution.rehab_plans.exists()) or any(
        kind not in CARE_INSTITUTION_KINDS[CareKind(k)] for k in care_kinds
    ):
        raise refuse(
            "institution_kind_in_use",
            "该机构已有服务记录，机构类型只能改为仍提供这些服务的类型",
            "this institution has service records: its kind may only become one that still "
            "gives those services",
            "kind",
        )


@transaction.atomic
def institution_change(
    *,
    actor: User,
    institution_id: int,
    name: str,
    kind: str,
    township_code: str,
    capacity: int,
    licence_number: str = "",
    services_offered: str = "",
    designated_from: dt.date | None = None,
    designated_to: dt.date | None = None,
) -> Institution:
    """Correct an institution of the actor's region, or set or end its designation; the
    changed fields are audited with their former and new values. Its code stays; an
    institution with staff accounts stays in its county (the accounts are placed there)."""
    require_permission(actor, "change", "institution", institution_id)
    institution = Institution.objects.select_for_update().filter(pk=institution_id).first()
    if institution is None or not region_in_scope(actor, institution.township_code):
        raise PermissionRefused("change", "institution", institution_id)
    fields = _institution_fields(
        actor,
        name=name,
        kind=kind,
        township_code=township_code,
        capacity=capacity,
        licence_number=licence_number,
        services_offered=services_offered,
        designated_from=designated_from,
        designated_to=designated_to,
    )
    _kind_keeps_its_records(institution, kind)
    if (
        fields["county_code"] != institution.county_code
        and User.objects.filter(
            role=Role.INSTITUTION_STAFF, institution_code=institution.code
        ).exists()
    ):
        raise refuse(
            "institution_county_accounts",
            "该机构已有工作人员账号（账号属于机构所在旗县区），不能迁往其他旗县区",
            "this institution has staff accounts, placed in its county: it cannot move to "
            "another county",
            "township_code",
        )
    before = {key: getattr(institution, key) for key in fields}
    changes = audit.changed_fields(before, fields)
    if not changes:
        return institution
    for key, value in fields.items():
        setattr(institution, key, value)
    institution.save(update_fields=list(fields))
    audit.record(
        actor=actor,
        action="change",
        object_type="institution",
        object_id=institution.pk,
        changes=changes,
    )
    return institution


def _has_need(person: Person, on: dt.date, rule_text: str) -> bool:
    from dpf.rules import compile_rule  # local: the rule engine loads its catalogue lazily

    rule = compile_rule(rule_text)
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
def rehab_plan_create(  # noqa: C901
    *,
    actor: User | None,
    person_id: int,
    institution_id: int,
    kind: str,
    start: dt.date,
    end: dt.date,
    planned_sessions: int,
    cost: Decimal | None = None,
) -> RehabPlan:
    """Turn a person's rehabilitation need into a service plan at an institution (一人一案):
    the person becomes the institution's client. The family doctor of a contract in force on
    ``start`` is written into the plan. A child's plan is the child rehabilitation assistance
    (``child_rehab.check_child_plan``: its cost within the yearly standard); an adult's plan
    closes the hand-over of a child who turned 8 (``child_rehab.hand_over_to_plan``)."""
    require_permission(actor, "create", "service_plan", person_id)
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None or not region_in_scope(actor, person.village_code):
        raise NotFound("person")
    institution = Institution.objects.filter(
        pk=institution_id, kind__in=REHAB_INSTITUTION_KINDS
    ).first()
    if institution is None:
        raise refuse(
            "institution",
            "请选择提供康复服务的机构",
            "choose an institution that gives rehabilitation services",
            "institution",
        )
    if kind not in RehabKind.values:
        raise refuse("rehab_kind", "服务类型无效", "unknown service kind", "kind")
    if end < start:
        raise refuse(
            "plan_interval",
            "计划结束日期不能早于开始日期",
            "the plan cannot end before it starts",
            "end",
        )
    if (end - start).days > 366:
        raise refuse(
            "plan_too_long",
            "一个服务计划不超过一年",
            "a service plan lasts at most one year",
            "end",
        )
    if not 1 <= planned_sessions <= MAX_PLANNED_SESSIONS:
        raise refuse(
            "planned_sessions",
            f"计划服务次数应为1至{MAX_PLANNED_SESSIONS}次",
            f"the planned sessions must be 1 to {MAX_PLANNED_SESSIONS}",
            "planned_sessions",
        )
    if kind == RehabKind.DEVICE:
        if not _has_need(person, start, DEVICE_NEED_RULE):
            raise refuse(
                "no_device_need",
                "此人在计划开始日期没有持证且经需求调查确认的辅助器具需求",
                "on the plan's start date this person has no assistive-device need found by "
                "the survey (with a valid certificate)",
                "start",
            )
    elif not _has_need(person, start, REHAB_NEED_RULE):
        raise refuse(
            "no_rehab_need",
            "此人在计划开始日期没有持证且经需求调查确认的康复需求",
            "on the plan's start date this person has no rehabilitation need found by the "
            "survey (with a valid certificate)",
            "start",
        )
    child = is_child(person, start)
    if child:
        check_child_plan(person, institution, start, end, cost)
    elif cost is not None and not Decimal(0) <= cost <= MAX_PLAN_COST:
        raise refuse(
            "plan_cost",
            "计划费用应为0至1,000,000.00元",
            "the cost must be 0 to 1,000,000.00 yuan",
            "cost",
        )
    plan = RehabPlan.objects.create(
        person=person,
        institution=institution,
        kind=kind,
        start=start,
        end=end,
        planned_sessions=planned_sessions,
        cost=cost,
        family_doctor=_family_doctor(person, start),
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    handed_over = None if child else hand_over_to_plan(person, plan)
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
            "cost": None if cost is None else str(cost),
            "handed_over": handed_over,
        },
    )
    return plan


def _plan_for_service(actor: User | None, plan_id: int) -> RehabPlan:
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
    actor: User | None,
    plan_id: int,
    date: dt.date,
    content: str,
    today: dt.date | None = None,
) -> RehabSession:
    """Record one session given to an institution's client under an open plan."""
    plan = _plan_for_service(actor, plan_id)
    if plan.closed_on is not None:
        raise refuse(
            "plan_closed",
            "该服务计划已结案，不能再记录服务",
            "the plan is closed: no more sessions can be recorded",
            "date",
        )
    if not plan.start <= date <= plan.end:
        raise refuse(
            "session_outside_plan",
            f"服务日期须在计划期内（{plan.start}至{plan.end}）",
            f"the session date must be within the plan ({plan.start} to {plan.end})",
            "date",
        )
    if date > _today(today):
        raise refuse(
            "session_in_future",
            "服务日期不能晚于今天",
            "the session date cannot be after today",
            "date",
        )
    text = clean_text(content, field="content", label=("服务内容", "content"), limit=200)
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
    actor: User | None,
    plan_id: int,
    outcome: str,
    closed_on: dt.date,
    today: dt.date | None = None,
) -> RehabPlan:
    """Close a plan with its outcome assessment (康复效果评估), after its last session."""
    plan = _plan_for_service(actor, plan_id)
    if plan.closed_on is not None:
        raise refuse("plan_closed", "该服务计划已结案", "the plan is already closed", "outcome")
    if outcome not in RehabOutcome.values:
        raise refuse("outcome", "请选择康复效果评估结果", "choose the outcome", "outcome")
    last = plan.sessions.order_by("-date").values_list("date", flat=True).first()
    if last is None:
        raise refuse(
            "no_sessions",
            "尚无服务记录，不能结案",
            "a plan without sessions cannot be closed",
            "outcome",
        )
    if closed_on < last or closed_on > _today(today):
        raise refuse(
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


# --- assistive devices ------------------------------------------------------------------------


MAX_DEVICE_AMOUNT = Decimal("1000000")


@transaction.atomic
def device_item_add(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: str,
    standard_amount: Decimal,
    replacement_years: int,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> DeviceCatalogueItem:
    """Add a version of a catalogue item (the city's; ``actor`` None: a command). Versions of
    one code never overlap."""
    if actor is not None:
        require_permission(actor, "create", "device_catalogue")
    code = (code or "").strip()
    letters = code.replace("-", "")
    if len(code) > 30 or not letters.isascii() or not letters.isalnum():
        raise refuse(
            "device_code",
            "目录编码为1至30位字母、数字或连字符",
            "the catalogue code is 1 to 30 letters, digits or hyphens",
            "code",
        )
    name = clean_text(name, field="name", label=("辅具名称", "device name"), limit=100)
    from dpf.registry.models import DeviceKind

    if kind not in DeviceKind.values or not kind:
        raise refuse("device_kind", "辅具类别无效", "unknown device kind", "kind")
    if (
        not standard_amount.is_finite()
        or not Decimal(0) <= standard_amount <= MAX_DEVICE_AMOUNT
        or standard_amount != standard_amount.quantize(Decimal("0.01"))
    ):
        raise refuse(
            "standard_amount",
            f"补贴标准应为0至{MAX_DEVICE_AMOUNT}元、最多两位小数的金额",
            f"the standard amount must be 0 to {MAX_DEVICE_AMOUNT} yuan with at most two decimals",
            "standard_amount",
        )
    if isinstance(replacement_years, bool) or not 1 <= replacement_years <= 20:
        raise refuse(
            "replacement_years",
            "更换周期应为1至20年",
            "the replacement period must be 1 to 20 years",
            "replacement_years",
        )
    if valid_to is not None and valid_to < valid_from:
        raise refuse(
            "valid_interval",
            "失效日期不能早于生效日期",
            "it cannot end before it starts",
            "valid_to",
        )
    versions = DeviceCatalogueItem.objects.select_for_update().filter(code=code)
    other_kind = versions.exclude(kind=kind).first()
    if other_kind is not None:
        raise refuse(
            "device_item_kind",
            f"该目录编码的辅具类别为“{other_kind.get_kind_display()}”，新版本不能改变类别",
            f"this catalogue code is of the kind {other_kind.kind}: a new version keeps it",
            "kind",
        )
    end = valid_to or dt.date.max
    overlapping = versions.filter(valid_from__lte=end).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from)
    )
    if overlapping.exists():
        raise refuse(
            "device_item_overlap",
            "该目录编码在这段时间已有生效的版本；调整标准时，请先为现行版本填写失效日期",
            "a version of this catalogue code is already in force in that period: to change "
            "the standard, first end the version in force",
            "valid_from",
        )
    item = DeviceCatalogueItem.objects.create(
        code=code,
        name=name,
        kind=kind,
        standard_amount=standard_amount,
        replacement_years=replacement_years,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="device_catalogue",
        object_id=item.pk,
        changes={
            "code": code,
            "name": name,
            "kind": kind,
            "standard_amount": str(standard_amount),
            "replacement_years": replacement_years,
            "valid_from": valid_from.isoformat(),
            "valid_to": valid_to.isoformat() if valid_to else None,
        },
        actor_name="" if actor is not None else "system",
    )
    return item


@transaction.atomic
def device_item_end(*, actor: User, item_id: int, valid_to: dt.date) -> DeviceCatalogueItem:
    """End a catalogue version still in force with no end: its last day is ``valid_to``
    (a new standard is then a new version from the next day). A fitting already recorded
    under it after that day keeps it from ending then."""
    require_permission(actor, "change", "device_catalogue", item_id)
    item = DeviceCatalogueItem.objects.select_for_update().filter(pk=item_id).first()
    if item is None:
        raise PermissionRefused("change", "device_catalogue", item_id)
    if item.valid_to is not None:
        raise refuse(
            "device_item_ended",
            f"该版本已于{item.valid_to}失效",
            f"this version already ends on {item.valid_to}",
            "valid_to",
        )
    if valid_to < item.valid_from:
        raise refuse(
            "valid_interval",
            f"失效日期不能早于生效日期（{item.valid_from}）",
            f"it cannot end before it starts ({item.valid_from})",
            "valid_to",
        )
    later = DeviceFitting.objects.filter(item=item, fitted_on__gt=valid_to).order_by("fitted_on")
    first_later = later.values_list("fitted_on", flat=True).first()
    if first_later is not None:
        raise refuse(
            "device_item_in_use",
            f"已有{first_later}按此版本补贴的适配记录，失效日期不能早于该日",
            f"a fitting on {first_later} was subsidised under this version: it cannot end "
            "before that day",
            "valid_to",
        )
    changes = audit.changed_fields({"valid_to": item.valid_to}, {"valid_to": valid_to})
    item.valid_to = valid_to
    item.save(update_fields=["valid_to"])
    audit.record(
        actor=actor,
        action="change",
        object_type="device_catalogue",
        object_id=item.pk,
        changes={"code": item.code, **changes},
    )
    return item


@transaction.atomic
def device_fitting_record(
    *,
    actor: User | None,
    plan_id: int,
    item_code: str,
    assessed_on: dt.date,
    fitted_on: dt.date,
    supplier: str,
    today: dt.date | None = None,
) -> DeviceFitting:
    """Record the assessment and fitting of a device to the client of a device plan. A
    second device of the same kind within the replacement period of the first is refused."""
    plan = _plan_for_service(actor, plan_id)
    if plan.kind != RehabKind.DEVICE:
        raise refuse(
            "not_a_device_plan",
            "只有辅助器具适配计划可以记录适配",
            "fittings are recorded under an assistive-device plan only",
            "item_code",
        )
    if plan.closed_on is not None:
        raise refuse("plan_closed", "该服务计划已结案", "the plan is closed", "fitted_on")
    if assessed_on > fitted_on:
        raise refuse(
            "fitted_before_assessment",
            "适配日期不能早于评估日期",
            "the device cannot be fitted before the assessment",
            "fitted_on",
        )
    for field, day in (("assessed_on", assessed_on), ("fitted_on", fitted_on)):
        if not plan.start <= day <= plan.end:
            raise refuse(
                "outside_plan",
                f"日期须在计划期内（{plan.start}至{plan.end}）",
                f"the date must be within the plan ({plan.start} to {plan.end})",
                field,
            )
    if fitted_on > _today(today):
        raise refuse(
            "fitted_in_future",
            "适配日期不能晚于今天",
            "the fitting date cannot be after today",
            "fitted_on",
        )
    item = (
        DeviceCatalogueItem.objects.filter(
            code=(item_code or "").strip(), valid_from__lte=fitted_on
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=fitted_on))
        .first()
    )
    if item is None:
        raise refuse(
            "device_item",
            "适配日期没有生效的该辅具目录项",
            "no catalogue item of that code is in force on the fitting date",
            "item_code",
        )
    supplier = clean_text(supplier, field="supplier", label=("供应商", "supplier"), limit=100)
    Person.objects.select_for_update().filter(pk=plan.person_id).first()  # one fitting at a time
    held = (
        DeviceFitting.objects.filter(person_id=plan.person_id, kind=item.kind)
        .filter(fitted_on__lte=fitted_on, replace_after__gt=fitted_on)
        .order_by("-fitted_on")
        .first()
    )
    if held is not None:
        raise refuse(
            "device_within_replacement",
            f"此人已于{held.fitted_on}适配同类辅具，{held.replace_after}前不能再次补贴适配",
            f"a device of this kind was fitted on {held.fitted_on}: no second one before "
            f"{held.replace_after}",
            "fitted_on",
        )
    later = DeviceFitting.objects.filter(
        person_id=plan.person_id, kind=item.kind, fitted_on__gt=fitted_on
    ).exists()
    if later:
        raise refuse(
            "device_within_replacement",
            "此人在该日期之后已适配同类辅具",
            "a device of this kind was fitted after that date",
            "fitted_on",
        )
    fitting = DeviceFitting.objects.create(
        plan=plan,
        person_id=plan.person_id,
        item=item,
        kind=item.kind,
        assessed_on=assessed_on,
        fitted_on=fitted_on,
        replace_after=add_years(fitted_on, item.replacement_years),
        supplier=supplier,
        subsidy_amount=item.standard_amount,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="device_fitting",
        object_id=fitting.pk,
        changes={"plan_id": plan.pk, "item": item.code, "fitted_on": fitted_on.isoformat()},
    )
    return fitting


@transaction.atomic
def device_follow_up_record(
    *,
    actor: User | None,
    fitting_id: int,
    date: dt.date,
    satisfaction: int,
    in_use: bool = True,
    today: dt.date | None = None,
) -> DeviceFollowUp:
    """Record a follow-up visit with the person's satisfaction (1 to 5)."""
    require_permission(actor, "create", "service_record", fitting_id)
    fitting = (
        scope_services(actor, DeviceFitting.objects.select_for_update(), "plan__")
        .filter(pk=fitting_id)
        .first()
    )
    if fitting is None:
        raise PermissionRefused("create", "service_record", fitting_id)
    if (
        isinstance(satisfaction, bool)
        or not isinstance(satisfaction, int)
        or not (1 <= satisfaction <= 5)
    ):
        raise refuse(
            "satisfaction_scale",
            "满意度应为1至5的整数（5为非常满意）",
            "the satisfaction must be a whole number from 1 to 5 (5: very satisfied)",
            "satisfaction",
        )
    if date < fitting.fitted_on or date > _today(today):
        raise refuse(
            "follow_up_date",
            f"回访日期须在适配日期（{fitting.fitted_on}）之后且不晚于今天",
            f"the follow-up must be on or after the fitting ({fitting.fitted_on}) and not "
            "after today",
            "date",
        )
    follow_up = DeviceFollowUp.objects.create(
        fitting=fitting,
        date=date,
        satisfaction=satisfaction,
        in_use=in_use,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="device_follow_up",
        object_id=follow_up.pk,
        changes={"fitting_id": fitting.pk, "satisfaction": satisfaction},
    )
    return follow_up


# --- home accessibility renovation (I11) ------------------------------------------------------

# Who may have their home renovated: a certified person alive on the assessment date.
RENOVATION_RULE = "alive && certificate.valid"
MAX_RENOVATION_ITEMS = 20
MAX_ITEM_COST = Decimal("100000")
# Completion photos: stored apart from application documents, through the same checks.
PHOTO_FOLDER = "renovation-photos"
MAX_PHOTOS = 6
PHOTO_MAX_BYTES = 5 * 1024 * 1024
# Together within the web server's request limit (deploy/nginx-dpf.conf, 21 MB).
PHOTOS_MAX_TOTAL = 20 * 1024 * 1024


def _renovation_for_write(actor: User | None, renovation_id: int) -> HomeRenovation:
    """The renovation locked for a write, if it is in the actor's region; otherwise the same
    answer as "does not exist"."""
    require_permission(actor, "change", "home_renovation", renovation_id)
    renovation = (
        scope_queryset(actor, HomeRenovation.objects.select_for_update())
        .filter(pk=renovation_id)
        .first()
    )
    if renovation is None:
        raise PermissionRefused("change", "home_renovation", renovation_id)
    return renovation


@transaction.atomic
def renovation_assess(
    *,
    actor: User | None,
    person_id: int,
    assessed_on: dt.date,
    assessment: str,
    today: dt.date | None = None,
) -> HomeRenovation:
    """Record the assessment of a certified person's home (入户评估): the household's
    renovation starts. A household with a renovation under way or already accepted is
    refused (a household is renovated, and counted, once)."""
    require_permission(actor, "create", "home_renovation", person_id)
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None or not region_in_scope(actor, person.village_code):
        raise NotFound("person")
    not_after(
        assessed_on, _today(today), field="assessed_on", label=("评估日期", "assessment date")
    )
    if person.household_id is None:
        raise refuse(
            "no_household",
            "此人尚未登记家庭，请先登记家庭再评估",
            "this person has no registered household: register the household first",
            "assessed_on",
        )
    if not _has_need(person, assessed_on, RENOVATION_RULE):
        raise refuse(
            "not_certified",
            "评估日期此人没有有效的残疾人证",
            "on the assessment date this person holds no valid disability certificate",
            "assessed_on",
        )
    text = clean_text(assessment, field="assessment", label=("评估意见", "assessment"), limit=300)
    earlier = HomeRenovation.objects.filter(household_id=person.household_id).order_by("-pk")
    accepted = earlier.filter(accepted_on__isnull=False).first()
    if accepted is not None:
        raise refuse(
            "household_renovated",
            f"该家庭已于{accepted.accepted_on}完成无障碍改造验收，不能重复改造",
            f"this household's renovation was accepted on {accepted.accepted_on}: it is not "
            "renovated (or counted) twice",
            "assessed_on",
        )
    if earlier.exists():
        raise refuse(
            "household_in_progress",
            "该家庭已有进行中的无障碍改造",
            "this household already has a renovation under way",
            "assessed_on",
        )
    renovation = HomeRenovation.objects.create(
        person=person,
        household_id=person.household_id,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        assessed_on=assessed_on,
        assessment=text,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="home_renovation",
        object_id=renovation.pk,
        changes={"person_id": person.pk, "assessed_on": assessed_on.isoformat()},
    )
    return renovation


@transaction.atomic
def renovation_plan_approve(
    *,
    actor: User | None,
    renovation_id: int,
    items: list[tuple[str, str, Decimal]],
    contractor: str,
    approved_on: dt.date,
    today: dt.date | None = None,
) -> HomeRenovation:
    """Approve the plan of items (kind, description, cost) and the contractor (改造方案)."""
    renovation = _renovation_for_write(actor, renovation_id)
    if renovation.approved_on is not None:
        raise refuse(
            "plan_approved", "改造方案已批准", "the plan is already approved", "approved_on"
        )
    if not 1 <= len(items) <= MAX_RENOVATION_ITEMS:
        raise refuse(
            "renovation_items",
            f"改造方案须有1至{MAX_RENOVATION_ITEMS}个项目",
            f"a plan has 1 to {MAX_RENOVATION_ITEMS} items",
            "items",
        )
    rows = []
    for kind, description, cost in items:
        if kind not in RenovationItemKind.values:
            raise refuse("renovation_item_kind", "改造项目无效", "unknown item", "items")
        if not Decimal(0) <= cost <= MAX_ITEM_COST or cost != cost.quantize(Decimal("0.01")):
            raise refuse(
                "renovation_item_cost",
                f"每项费用应为0至{MAX_ITEM_COST}元、最多两位小数",
                f"each item costs 0 to {MAX_ITEM_COST} yuan with at most two decimals",
                "items",
            )
        note = clean_text(
            description, field="items", label=("项目说明", "description"), limit=200, required=False
        )
        rows.append(RenovationItem(renovation=renovation, kind=kind, description=note, cost=cost))
    contractor = clean_text(
        contractor, field="contractor", label=("施工单位", "contractor"), limit=100
    )
    if approved_on < renovation.assessed_on:
        raise refuse(
            "approved_before_assessment",
            f"批准日期不能早于评估日期（{renovation.assessed_on}）",
            f"the plan cannot be approved before the assessment ({renovation.assessed_on})",
            "approved_on",
        )
    not_after(approved_on, _today(today), field="approved_on", label=("批准日期", "approval date"))
    RenovationItem.objects.bulk_create(rows)
    renovation.contractor = contractor
    renovation.approved_on = approved_on
    renovation.save(update_fields=["contractor", "approved_on"])
    audit.record(
        actor=actor,
        action="approve",
        object_type="home_renovation",
        object_id=renovation.pk,
        changes={
            "approved_on": approved_on.isoformat(),
            "items": len(rows),
            "total": str(sum((r.cost for r in rows), Decimal(0))),
        },
    )
    return renovation


def _checked_photos(
    photos: list[tuple[str, bytes]],
) -> list[tuple[documents.CheckedFile, bytes]]:
    """Each photo checked by ``documents.check`` (JPEG or PNG by content, the size limit),
    1 to ``MAX_PHOTOS`` of them and together within ``PHOTOS_MAX_TOTAL``."""
    if not photos:
        raise refuse(
            "photos_required",
            "登记完工须上传至少一张完工照片（JPEG或PNG）",
            "a completion needs at least one photo of the work (JPEG or PNG)",
            "photos",
        )
    if len(photos) > MAX_PHOTOS:
        raise refuse(
            "too_many_photos",
            f"每次完工最多上传{MAX_PHOTOS}张照片",
            f"at most {MAX_PHOTOS} photos per completion",
            "photos",
        )
    if sum(len(data) for _name, data in photos) > PHOTOS_MAX_TOTAL:
        raise refuse(
            "photos_too_large",
            f"完工照片合计不能超过{PHOTOS_MAX_TOTAL // (1024 * 1024)}MB",
            f"the photos together must not exceed {PHOTOS_MAX_TOTAL // (1024 * 1024)} MB",
            "photos",
        )
    return [
        (
            documents.check(
                name,
                data,
                accept=documents.PHOTO_TYPES,
                max_bytes=PHOTO_MAX_BYTES,
                field="photos",
            ),
            data,
        )
        for name, data in photos
    ]


def renovation_complete(
    *,
    actor: User | None,
    renovation_id: int,
    completed_on: dt.date,
    photos: list[tuple[str, bytes]],
    note: str = "",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> HomeRenovation:
    """Record that the contractor finished the work (完工) with 1 to ``MAX_PHOTOS`` photos
    of it, each a (file name, content) pair: JPEG or PNG judged by content, stored encrypted
    with the renovation (``RenovationPhoto``). A refusal writes nothing: no row, no file."""
    require_permission(actor, "change", "home_renovation", renovation_id)
    checked = _checked_photos(photos)
    stored: list[str] = []
    saved = False
    try:
        with transaction.atomic():
            renovation = _renovation_for_write(actor, renovation_id)
            if renovation.approved_on is None:
                raise refuse(
                    "plan_not_approved",
                    "改造方案尚未批准，不能登记完工",
                    "the plan is not approved yet: the work cannot be completed",
                    "completed_on",
                )
            if renovation.completed_on is not None:
                raise refuse(
                    "completed", "已登记完工", "the work is already completed", "completed_on"
                )
            if completed_on < renovation.approved_on:
                raise refuse(
                    "completed_before_approval",
                    f"完工日期不能早于方案批准日期（{renovation.approved_on}）",
                    "the work cannot be completed before the plan's approval "
                    f"({renovation.approved_on})",
                    "completed_on",
                )
            not_after(
                completed_on,
                _today(today),
                field="completed_on",
                label=("完工日期", "completion date"),
            )
            renovation.completion_note = clean_text(
                note, field="note", label=("完工说明", "note"), limit=300, required=False
            )
            renovation.completed_on = completed_on
            renovation.save(update_fields=["completed_on", "completion_note"])
            uploaded_at = now or timezone.now()
            rows = []
            for number, (file, data) in enumerate(checked, start=1):
                stored.append(documents.store(file, data, folder=PHOTO_FOLDER))
                rows.append(
                    RenovationPhoto(
                        renovation=renovation,
                        number=number,
                        original_name=file.safe_name,
                        stored_name=stored[-1],
                        content_type=file.content_type,
                        size=file.size,
                        sha256=file.sha256,
                        uploaded_by=actor if getattr(actor, "pk", None) else None,
                        uploaded_at=uploaded_at,
                    )
                )
            RenovationPhoto.objects.bulk_create(rows)
            audit.record(
                actor=actor,
                action="change",
                object_type="home_renovation",
                object_id=renovation.pk,
                changes={
                    "completed_on": completed_on.isoformat(),
                    "photos": [
                        {"type": f.content_type, "size": f.size, "sha256": f.sha256}
                        for f, _data in checked
                    ],
                },
            )
            saved = True
    finally:
        if not saved:
            for name in stored:
                documents.remove(name, folder=PHOTO_FOLDER)
    return renovation


@transaction.atomic
def renovation_accept(
    *,
    actor: User | None,
    renovation_id: int,
    accepted_on: dt.date,
    note: str = "",
    today: dt.date | None = None,
) -> HomeRenovation:
    """Accept the completed work at a visit (验收): from this date the household counts
    for I11, once."""
    renovation = _renovation_for_write(actor, renovation_id)
    if renovation.approved_on is None or renovation.completed_on is None:
        raise refuse(
            "not_completed",
            "改造方案未批准或尚未完工，不能验收",
            "the plan is not approved or the work not completed: it cannot be accepted",
            "accepted_on",
        )
    if renovation.accepted_on is not None:
        raise refuse("accepted", "已验收", "already accepted", "accepted_on")
    if accepted_on < renovation.completed_on:
        raise refuse(
            "accepted_before_completion",
            f"验收日期不能早于完工日期（{renovation.completed_on}）",
            f"the work cannot be accepted before its completion ({renovation.completed_on})",
            "accepted_on",
        )
    not_after(
        accepted_on, _today(today), field="accepted_on", label=("验收日期", "acceptance date")
    )
    other = HomeRenovation.objects.filter(
        household_id=renovation.household_id, accepted_on__isnull=False
    ).exclude(pk=renovation.pk)
    if other.exists():
        raise refuse(
            "household_renovated",
            "该家庭已有验收的无障碍改造，不能重复计数",
            "this household already has an accepted renovation: it is not counted twice",
            "accepted_on",
        )
    renovation.acceptance_note = clean_text(
        note, field="note", label=("验收意见", "note"), limit=300, required=False
    )
    renovation.accepted_on = accepted_on
    renovation.save(update_fields=["accepted_on", "acceptance_note"])
    audit.record(
        actor=actor,
        action="approve",
        object_type="home_renovation",
        object_id=renovation.pk,
        changes={"accepted_on": accepted_on.isoformat()},
    )
    return renovation


# --- compulsory education (I08) ---------------------------------------------------------------

SCHOOL_AGE = (6, 15)  # compulsory-school age (义务教育阶段), completed years


def _child_for_write(actor: User | None, person_id: int) -> Person:
    """The child locked for a write, if in the actor's region; otherwise "not found"."""
    require_permission(actor, "create", "education_record", person_id)
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None or not region_in_scope(actor, person.village_code):
        raise NotFound("person")
    return person


def _school_age(person: Person, on: dt.date) -> bool:
    from dpf.core.dates import age_on

    return SCHOOL_AGE[0] <= age_on(person.birth_date, on) <= SCHOOL_AGE[1]


@transaction.atomic
def schooling_enrol(
    *,
    actor: User | None,
    person_id: int,
    mode: str,
    school: str,
    valid_from: dt.date,
    age_reason: str = "",
    today: dt.date | None = None,
) -> SchoolEnrolment:
    """Record that a child is in school from ``valid_from`` (regular school, special school
    or home teaching 送教上门): the registry's enrolment fact, as the school roster writes
    it. An enrolment in force that started earlier ends the day before (a change of school
    or mode); the child's open not-enrolled follow-up is resolved. A child outside 6-15 is
    accepted only with a stated reason (kept in the audit log)."""
    person = _child_for_write(actor, person_id)
    if mode not in SchoolEnrolment.Mode.values:
        raise refuse("school_mode", "请选择就读方式", "choose how the child is taught", "mode")
    school = clean_text(school, field="school", label=("学校", "school"), limit=100)
    not_after(valid_from, _today(today), field="valid_from", label=("入学日期", "enrolment date"))
    reason = " ".join((age_reason or "").split())
    if not _school_age(person, valid_from) and not reason:
        raise refuse(
            "outside_school_age",
            "该儿童在入学日期不在6至15周岁，请说明原因",
            "on the enrolment date the child is not between 6 and 15: state the reason",
            "age_reason",
        )
    if reason:
        reason = clean_text(reason, field="age_reason", label=("原因", "reason"), limit=200)
    rows = SchoolEnrolment.objects.select_for_update().filter(person=person)
    later = rows.filter(valid_from__gte=valid_from).first()
    if later is not None:
        raise refuse(
            "schooling_overlap",
            f"此人已有自{later.valid_from}起的就学记录",
            f"this child already has a schooling record from {later.valid_from}",
            "valid_from",
        )
    current = rows.filter(SchoolEnrolment.as_of_q(valid_from)).first()
    if current is not None:  # ends because another begins: no reason for leaving
        current.valid_to = valid_from - dt.timedelta(days=1)
        current.leave_reason = ""
        current.save(update_fields=["valid_to", "leave_reason"])
    enrolment = SchoolEnrolment.objects.create(
        person=person, school=school, mode=mode, valid_from=valid_from, source="staff"
    )
    mark_facts_changed([person.pk])  # in_school is a rule fact (education_aid)
    open_record = NotEnrolled.objects.filter(person=person, resolved_on__isnull=True).first()
    if open_record is not None:
        open_record.resolved_on = max(valid_from, open_record.since)
        open_record.resolution = str(_enrolled_resolution(mode, school))
        open_record.save(update_fields=["resolved_on", "resolution"])
    audit.record(
        actor=actor,
        action="create",
        object_type="school_enrolment",
        object_id=enrolment.pk,
        changes={"person_id": person.pk, "mode": mode, "valid_from": valid_from.isoformat()},
        reason=reason,
    )
    return enrolment


def _enrolled_resolution(mode: str, school: str) -> str:
    return f"{SchoolEnrolment.Mode(mode).label}：{school}"


def _open_not_enrolled(
    person: Person, kind: str, reason: str, since: dt.date, note: str, actor: User | None
) -> NotEnrolled:
    if reason not in NotEnrolledReason.values:
        raise refuse("not_enrolled_reason", "请选择原因", "choose the reason", "reason")
    if NotEnrolled.objects.filter(person=person, resolved_on__isnull=True).exists():
        raise refuse(
            "not_enrolled_open",
            "此人已在未入学跟进名单中",
            "this child is already on the not-enrolled follow-up list",
            "since",
        )
    record = NotEnrolled.objects.create(
        person=person,
        kind=kind,
        reason=reason,
        note=clean_text(note, field="note", label=("情况说明", "note"), limit=300, required=False),
        since=since,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="not_enrolled",
        object_id=record.pk,
        changes={"person_id": person.pk, "kind": kind, "reason": reason},
    )
    return record


@transaction.atomic
def schooling_leave(
    *,
    actor: User | None,
    person_id: int,
    left_on: dt.date,
    reason: str,
    note: str = "",
    today: dt.date | None = None,
) -> NotEnrolled:
    """A child left school on ``left_on`` (辍学): the enrolment in force ends that day and,
    for a child of 6-15, the county follows the child from the next day."""
    person = _child_for_write(actor, person_id)
    not_after(left_on, _today(today), field="left_on", label=("离校日期", "date of leaving"))
    current = (
        SchoolEnrolment.objects.select_for_update()
        .filter(person=person)
        .filter(SchoolEnrolment.as_of_q(left_on))
        .first()
    )
    if current is None:
        raise refuse(
            "not_in_school",
            "此人在该日期没有在读记录",
            "this child is not in school on that date",
            "left_on",
        )
    if SchoolEnrolment.objects.filter(person=person, valid_from__gt=left_on).exists():
        raise refuse(
            "schooling_overlap",
            "此人在该日期之后还有就学记录",
            "this child has a schooling record after that date",
            "left_on",
        )
    since = left_on + dt.timedelta(days=1)
    if not _school_age(person, since):
        raise refuse(
            "outside_school_age",
            "该儿童离校时不在6至15周岁（义务教育阶段已结束或未开始），只需结束就学记录",
            "the child is not between 6 and 15 when leaving: end the schooling record only",
            "left_on",
        )
    current.valid_to = left_on
    current.leave_reason = SchoolEnrolment.LeaveReason.DROPPED_OUT
    current.save(update_fields=["valid_to", "leave_reason"])
    mark_facts_changed([person.pk])
    audit.record(
        actor=actor,
        action="change",
        object_type="school_enrolment",
        object_id=current.pk,
        changes={"valid_to": left_on.isoformat(), "leave_reason": current.leave_reason},
    )
    return _open_not_enrolled(person, NotEnrolledKind.LEFT, reason, since, note, actor)


@transaction.atomic
def not_enrolled_record(
    *,
    actor: User | None,
    person_id: int,
    since: dt.date,
    reason: str,
    note: str = "",
    today: dt.date | None = None,
) -> NotEnrolled:
    """A child of 6-15 who is not in school (未入学), with the reason: on the county's
    follow-up list until resolved."""
    person = _child_for_write(actor, person_id)
    not_after(since, _today(today), field="since", label=("起始日期", "start date"))
    if not _school_age(person, since):
        raise refuse(
            "outside_school_age",
            "该儿童在该日期不在6至15周岁（义务教育阶段）",
            "on that date the child is not between 6 and 15 (compulsory-school age)",
            "since",
        )
    in_school = SchoolEnrolment.objects.filter(person=person).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=since)
    )
    if in_school.exists():
        raise refuse(
            "in_school",
            "此人在该日期或之后有在读记录；离校请登记辍学",
            "this child is in school on or after that date: record leaving school instead",
            "since",
        )
    return _open_not_enrolled(person, NotEnrolledKind.NOT_ENROLLED, reason, since, note, actor)


def _not_enrolled_for_write(actor: User | None, record_id: int) -> NotEnrolled:
    require_permission(actor, "change", "education_record", record_id)
    record = (
        scope_queryset(actor, NotEnrolled.objects.select_for_update()).filter(pk=record_id).first()
    )
    if record is None:
        raise PermissionRefused("change", "education_record", record_id)
    return record


@transaction.atomic
def not_enrolled_visit(
    *,
    actor: User | None,
    record_id: int,
    date: dt.date,
    note: str,
    today: dt.date | None = None,
) -> NotEnrolledVisit:
    """A follow-up visit to a child on the not-enrolled list (跟进走访)."""
    record = _not_enrolled_for_write(actor, record_id)
    if record.resolved_on is not None:
        raise refuse("resolved", "该跟进已解决", "this follow-up is resolved", "date")
    if date < record.since:
        raise refuse(
            "visit_before_since",
            f"走访日期不能早于起始日期（{record.since}）",
            f"the visit cannot be before the start ({record.since})",
            "date",
        )
    not_after(date, _today(today), field="date", label=("走访日期", "visit date"))
    text = clean_text(note, field="note", label=("走访情况", "visit note"), limit=300)
    visit = NotEnrolledVisit.objects.create(
        record=record,
        date=date,
        note=text,
        recorded_by=actor if getattr(actor, "pk", None) else None,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="not_enrolled_visit",
        object_id=visit.pk,
        changes={"record_id": record.pk, "date": date.isoformat()},
    )
    return visit


@transaction.atomic
def not_enrolled_resolve(
    *,
    actor: User | None,
    record_id: int,
    resolved_on: dt.date,
    resolution: str,
    today: dt.date | None = None,
) -> NotEnrolled:
    """Close a follow-up without an enrolment (moved away, aged out, died …), saying why;
    an enrolment closes it by itself."""
    record = _not_enrolled_for_write(actor, record_id)
    if record.resolved_on is not None:
        raise refuse("resolved", "该跟进已解决", "this follow-up is resolved", "resolved_on")
    if resolved_on < record.since:
        raise refuse(
            "resolved_before_since",
            f"解决日期不能早于起始日期（{record.since}）",
            f"it cannot be resolved before the start ({record.since})",
            "resolved_on",
        )
    not_after(
        resolved_on, _today(today), field="resolved_on", label=("解决日期", "resolution date")
    )
    record.resolution = clean_text(
        resolution, field="resolution", label=("解决情况", "resolution"), limit=300
    )
    record.resolved_on = resolved_on
    record.save(update_fields=["resolved_on", "resolution"])
    audit.record(
        actor=actor,
        action="change",
        object_type="not_enrolled",
        object_id=record.pk,
        changes={"resolved_on": resolved_on.isoformat()},
    )
    return record


# --- care services (托养) ---------------------------------------------------------------------

# Which institutions give each kind of care (a sunshine home 阳光家园 gives residential and
# day care; home-based care is given by any care institution).
CARE_INSTITUTION_KINDS = {
    CareKind.RESIDENTIAL: (InstitutionKind.CARE_RESIDENTIAL, InstitutionKind.SUNSHINE_HOME),
    CareKind.DAY: (InstitutionKind.CARE_DAY, InstitutionKind.SUNSHINE_HOME),
    CareKind.HOME: (
        InstitutionKind.CARE_RESIDENTIAL,
        InstitutionKind.CARE_DAY,
        InstitutionKind.SUNSHINE_HOME,
    ),
}
MAX_CARE_MONTHS = 36
MAX_CARE_SUBSIDY = Decimal("10000")
# The catalogue's benefit a placement's subsidy is paid as (残疾人托养服务补贴).
CARE_BENEFIT = "care_service"


@transaction.atomic
def care_placement_create(
    *,
    actor: User,
    person_id: int,
    institution_id: int,
    kind: str,
    start: dt.date,
    months: int,
    monthly_subsidy: Decimal,
    now: dt.datetime | None = None,
) -> CarePlacement:
    """Place a certified person in care (托养) at an institution for ``months`` months from
    ``start`` with a monthly subsidy: the institution's client from then on. Two placements
    of one person never overlap.

    A subsidy above 0 is the catalogue's care benefit (``CARE_BENEFIT``) granted for the
    placement's days at that amount (``workflow.entitlement_grant``): the monthly payment
    list of each month whose first day the placement covers pays it. Refused, nothing
    written, when the person already holds that benefit on any of those days (from an
    application, say): a month is never paid twice."""
    require_permission(actor, "create", "service_plan", person_id)
    person = Person.objects.select_for_update().filter(pk=person_id).first()
    if person is None or not region_in_scope(actor, person.village_code):
        raise NotFound("person")
    if kind not in CareKind.values:
        raise refuse("care_kind", "请选择托养方式", "choose the kind of care", "kind")
    institution = Institution.objects.filter(
        pk=institution_id, kind__in=CARE_INSTITUTION_KINDS[CareKind(kind)]
    ).first()
    if institution is None:
        raise refuse(
            "care_institution",
            "请选择提供该托养方式的托养机构",
            "choose a care institution that gives this kind of care",
            "institution",
        )
    if isinstance(months, bool) or not 1 <= months <= MAX_CARE_MONTHS:
        raise refuse(
            "care_months",
            f"托养月数应为1至{MAX_CARE_MONTHS}个月",
            f"the months of care must be 1 to {MAX_CARE_MONTHS}",
            "months",
        )
    if not Decimal(
        0
    ) <= monthly_subsidy <= MAX_CARE_SUBSIDY or monthly_subsidy != monthly_subsidy.quantize(
        Decimal("0.01")
    ):
        raise refuse(
            "care_subsidy",
            f"每月补贴应为0至{MAX_CARE_SUBSIDY}元、最多两位小数",
            f"the monthly subsidy must be 0 to {MAX_CARE_SUBSIDY} yuan with at most two decimals",
            "monthly_subsidy",
        )
    if not _has_need(person, start, RENOVATION_RULE):
        raise refuse(
            "not_certified",
            "托养开始日期此人没有有效的残疾人证",
            "on the start date this person holds no valid disability certificate",
            "start",
        )
    end = add_months(start, months) - dt.timedelta(days=1)
    overlapping = (
        CarePlacement.objects.filter(person=person, start__lte=end)
        .filter(Q(ended_on__isnull=True, end__gte=start) | Q(ended_on__gte=start))
        .first()
    )
    if overlapping is not None:
        raise refuse(
            "care_overlap",
            f"此人在这段时间已有托养安置（{overlapping.start}至{overlapping.last_day}）",
            f"this person is already in care in that period ({overlapping.start} to "
            f"{overlapping.last_day})",
            "start",
        )
    placement = CarePlacement.objects.create(
        person=person,
        institution=institution,
        kind=kind,
        start=start,
        months=months,
        end=end,
        monthly_subsidy=monthly_subsidy,
        county_code=person.county_code,
        township_code=person.township_code,
        village_code=person.village_code,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    if monthly_subsidy > 0:
        placement.entitlement = workflow_services.entitlement_grant(
            actor=actor,
            person=person,
            benefit_code=CARE_BENEFIT,
            valid_from=start,
            valid_to=end,
            monthly_amount=monthly_subsidy,
            source=f"care_placement:{placement.pk}",
            field="monthly_subsidy",
            now=now,
        )
        placement.save(update_fields=["entitlement"])
    audit.record(
        actor=actor,
        action="create",
        object_type="care_placement",
        object_id=placement.pk,
        changes={
            "person_id": person.pk,
            "institution": institution.code,
            "kind": kind,
            "start": start.isoformat(),
            "months": months,
            "monthly_subsidy": str(monthly_subsidy),
            "entitlement": placement.entitlement_id,
        },
    )
    return placement


@transaction.atomic
def care_placement_end(
    *,
    actor: User,
    placement_id: int,
    ended_on: dt.date,
    reason: str,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> CarePlacement:
    """End a placement before its months run out (the person left, moved, died …), by the
    institution or the county. Its subsidy ends with it: the care benefit is terminated
    from the next day, so no month whose first day is after ``ended_on`` is paid."""
    require_permission(actor, "create", "service_record", placement_id)
    placement = (
        scope_services(actor, CarePlacement.objects.select_for_update())
        .filter(pk=placement_id)
        .first()
    )
    if placement is None:
        raise PermissionRefused("create", "service_record", placement_id)
    if placement.ended_on is not None:
        raise refuse("care_ended", "该托养已结束", "this placement has ended", "ended_on")
    if not placement.start <= ended_on <= placement.end:
        raise refuse(
            "care_end_date",
            f"结束日期须在托养期内（{placement.start}至{placement.end}）",
            f"the end must be within the placement ({placement.start} to {placement.end})",
            "ended_on",
        )
    not_after(ended_on, _today(today), field="ended_on", label=("结束日期", "end date"))
    placement.end_reason = clean_text(
        reason, field="reason", label=("结束原因", "reason"), limit=200
    )
    placement.ended_on = ended_on
    placement.save(update_fields=["ended_on", "end_reason"])
    if placement.entitlement_id is not None:
        workflow_services.entitlement_close(
            actor=actor,
            entitlement_id=placement.entitlement_id,
            last_day=ended_on,
            reason=f"托养安置结束 / care placement ended: {placement.end_reason}",
            source=f"care_placement:{placement.pk}",
            now=now,
        )
    audit.record(
        actor=actor,
        action="change",
        object_type="care_placement",
        object_id=placement.pk,
        changes={"ended_on": ended_on.isoformat(), "entitlement": placement.entitlement_id},
    )
    return placement
