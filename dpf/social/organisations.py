"""Social organisations helping disabled people (助残社会组织, plan 三(五)8): registration,
incubation (培育孵化, T0508 counts those incubated), services the government buys from them
with a budget, their delivery records and the evaluation. Kept by the city and the counties
for their region; organisations hold no personal data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet, Sum

from dpf.accounts.models import User
from dpf.accounts.permissions import PermissionRefused, require_permission
from dpf.accounts.scoping import region_in_scope, scope_queryset
from dpf.core import audit
from dpf.core.creditcode import normalise_credit_code
from dpf.core.inputs import clean_text, refuse
from dpf.core.models import Region, RegionLevel
from dpf.social.models import (
    OrganisationKind,
    ProjectDelivery,
    ServiceProject,
    SocialOrganisation,
)

BUDGET_MAX = Decimal("100000000")


def organisations(actor: User | None) -> QuerySet[SocialOrganisation]:
    require_permission(actor, "view", "social_organisation")
    return (
        scope_queryset(actor, SocialOrganisation.objects.all())
        .annotate(project_count=Count("projects"))
        .order_by("county_code", "name")
    )


def organisation_for(actor: User | None, organisation_id: int) -> SocialOrganisation:
    found = organisations(actor).filter(pk=organisation_id).first()
    if found is None:
        raise PermissionRefused("view", "social_organisation", organisation_id)
    return found


def projects_of(organisation: SocialOrganisation) -> list[ServiceProject]:
    """The projects of an organisation already read through ``organisation_for``."""
    return list(
        organisation.projects.annotate(
            delivered=Count("deliveries"), served=Sum("deliveries__persons_served")
        ).order_by("-start", "-pk")
    )


def project_for(actor: User | None, project_id: int) -> ServiceProject:
    require_permission(actor, "view", "social_organisation", project_id)
    found = (
        scope_queryset(actor, ServiceProject.objects.select_related("organisation"))
        .filter(pk=project_id)
        .first()
    )
    if found is None:
        raise PermissionRefused("view", "social_organisation", project_id)
    return found


def deliveries_of(project: ServiceProject) -> list[ProjectDelivery]:
    return list(project.deliveries.order_by("delivered_on", "pk"))


def organisation_register(
    *,
    actor: User | None,
    name: str,
    credit_code: str,
    kind: str,
    township_code: str,
    registered_on: dt.date,
    incubation_from: dt.date | None = None,
) -> SocialOrganisation:
    require_permission(actor, "create", "social_organisation")
    code = normalise_credit_code(credit_code)
    if kind not in OrganisationKind.values:
        raise refuse("kind", "请选择组织类型", "choose the kind", "kind")
    township = Region.objects.filter(code=township_code or "", level=RegionLevel.TOWNSHIP).first()
    if township is None or not region_in_scope(actor, township.code):
        raise refuse("region", "所选地区不存在或不在权限范围内", "unknown region", "township_code")
    if incubation_from is not None and incubation_from < registered_on:
        raise refuse(
            "incubation_before_registration",
            "入驻孵化日期不能早于登记日期",
            "incubation starts on or after registration",
            "incubation_from",
        )
    try:
        with transaction.atomic():
            organisation = SocialOrganisation.objects.create(
                name=clean_text(name, field="name", label=("名称", "name"), limit=100),
                credit_code=code,
                kind=kind,
                county_code=township.code[:6],
                township_code=township.code,
                registered_on=registered_on,
                incubation_from=incubation_from,
                created_by=actor,
            )
    except IntegrityError:
        raise refuse(
            "organisation_registered",
            "该统一社会信用代码已登记",
            "this credit code is already registered",
            "credit_code",
        ) from None
    audit.record(
        actor=actor,
        action="create",
        object_type="social_organisation",
        object_id=organisation.pk,
    )
    return organisation


def organisation_incubated(
    *, actor: User | None, organisation_id: int, incubated_on: dt.date
) -> SocialOrganisation:
    """The incubation completed (孵化出壳) on a date: counted by T0508 from then on."""
    require_permission(actor, "change", "social_organisation", organisation_id)
    organisation = organisation_for(actor, organisation_id)
    if organisation.incubation_from is None or incubated_on < organisation.incubation_from:
        raise refuse(
            "incubated_before_start",
            "孵化完成日期须在入驻孵化日期之后（先登记入驻孵化日期）",
            "the incubation ends after it started (record its start first)",
            "incubated_on",
        )
    organisation.incubated_on = incubated_on
    organisation.save(update_fields=["incubated_on"])
    audit.record(
        actor=actor,
        action="change",
        object_type="social_organisation",
        object_id=organisation.pk,
        changes={"incubated_on": incubated_on.isoformat()},
    )
    return organisation


def _money(value: str, field: str) -> Decimal:
    try:
        amount = Decimal(str(value or "").strip().replace(",", ""))
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or not Decimal(0) <= amount <= BUDGET_MAX:
        raise refuse("amount", "请填写不小于0的金额（元）", "enter an amount ≥ 0 (yuan)", field)
    return amount.quantize(Decimal("0.01"))


def project_create(
    *,
    actor: User | None,
    organisation_id: int,
    title: str,
    purchaser: str,
    budget: str,
    start: dt.date,
    end: dt.date,
) -> ServiceProject:
    require_permission(actor, "create", "social_organisation", organisation_id)
    organisation = organisation_for(actor, organisation_id)
    if end < start:
        raise refuse(
            "end_before_start", "结束日期早于开始日期", "the end is before the start", "end"
        )
    project = ServiceProject.objects.create(
        organisation=organisation,
        title=clean_text(title, field="title", label=("项目名称", "title"), limit=100),
        purchaser=clean_text(
            purchaser, field="purchaser", label=("购买主体", "purchaser"), limit=100
        ),
        county_code=organisation.county_code,
        township_code=organisation.township_code,
        budget=_money(budget, "budget"),
        start=start,
        end=end,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="service_project",
        object_id=project.pk,
        changes={"budget": str(project.budget)},
    )
    return project


def delivery_record(
    *,
    actor: User | None,
    project_id: int,
    delivered_on: dt.date,
    description: str,
    persons_served: int,
) -> ProjectDelivery:
    require_permission(actor, "change", "social_organisation", project_id)
    project = project_for(actor, project_id)
    if not project.start <= delivered_on <= project.end:
        raise refuse(
            "delivery_outside_project",
            "服务日期须在项目起止日期之内",
            "the delivery falls within the project's dates",
            "delivered_on",
        )
    if persons_served < 0:
        raise refuse("persons_served", "服务人次不能为负", "not negative", "persons_served")
    delivery = ProjectDelivery.objects.create(
        project=project,
        delivered_on=delivered_on,
        description=clean_text(
            description,
            field="description",
            label=("服务内容", "description"),
            limit=300,
        ),
        persons_served=persons_served,
        recorded_by=actor,
    )
    audit.record(actor=actor, action="change", object_type="service_project", object_id=project.pk)
    return delivery


def project_evaluate(
    *, actor: User | None, project_id: int, evaluated_on: dt.date, score: int, evaluation: str
) -> ServiceProject:
    """The evaluation of a project (绩效评估), once, after at least one delivery."""
    require_permission(actor, "change", "social_organisation", project_id)
    with transaction.atomic():
        project = project_for(actor, project_id)
        ServiceProject.objects.select_for_update().filter(pk=project.pk).first()
        if project.evaluated_on is not None:
            raise refuse("evaluated", "该项目已评估", "the project is already evaluated", None)
        if not project.deliveries.exists():
            raise refuse(
                "no_delivery",
                "没有服务记录的项目不能评估",
                "a project without delivery records cannot be evaluated",
                "evaluated_on",
            )
        if evaluated_on < project.start:
            raise refuse(
                "evaluated_before_start",
                "评估日期不能早于项目开始",
                "the evaluation is after the start",
                "evaluated_on",
            )
        if not 0 <= score <= 100:
            raise refuse("score", "评估得分为0至100分", "the score is 0 to 100", "score")
        project.evaluated_on = evaluated_on
        project.score = score
        project.evaluation = clean_text(
            evaluation,
            field="evaluation",
            label=("评估意见", "evaluation"),
            limit=1000,
        )
        project.save(update_fields=["evaluated_on", "score", "evaluation"])
        audit.record(
            actor=actor,
            action="change",
            object_type="service_project",
            object_id=project.pk,
            changes={"score": score},
        )
    return project
