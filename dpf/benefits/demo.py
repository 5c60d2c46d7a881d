"""Enrolling synthetic people in benefits so a demo has coverage to show (``dpf benefits
enrol-demo``; refused on a registry holding real people)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F

from dpf.benefits.eligibility import eligibility_condition
from dpf.benefits.models import Entitlement, EntitlementStatus
from dpf.benefits.selectors import all_rules_in_force
from dpf.core.errors import ValidationFailed
from dpf.registry.models import Person


@transaction.atomic
def enrol_demo(*, as_of: dt.date, share_percent: int, codes: list[str]) -> dict[str, int]:
    """Enrol about ``share_percent`` % of the eligible synthetic people (by person id) in
    the benefits ``codes`` from ``as_of`` minus one year, set-based. Demo data only."""
    if Person.objects.filter(synthetic=False).exists():
        raise ValidationFailed(
            "not_demo",
            "登记库中有真实人员，拒绝生成演示待遇",
            "the registry holds real persons: demo entitlements refused",
            field=None,
        )
    if not 0 <= share_percent <= 100:
        raise ValidationFailed(
            "share", "比例应为0至100", "the share must be 0 to 100", field="share"
        )
    start = as_of - dt.timedelta(days=365)
    out: dict[str, int] = {}
    rules = {r.benefit.code: r for r in all_rules_in_force(as_of).values()}
    for code in codes:
        if code not in rules:
            raise ValidationFailed(
                "benefit_unknown",
                f"惠残事项不存在：{code}",
                f"unknown benefit: {code}",
                field="benefit",
            )
        benefit = rules[code].benefit
        chosen = (
            Person.objects.filter(eligibility_condition(rules[code]))
            .exclude(entitlements__benefit=benefit)
            .annotate(_share=F("pk") % 100)
            .filter(_share__lt=share_percent)
            .values_list("pk", flat=True)
        )
        created = Entitlement.objects.bulk_create(
            (
                Entitlement(
                    person_id=pk,
                    benefit=benefit,
                    status=EntitlementStatus.ACTIVE,
                    valid_from=start,
                    source="demo",
                    status_reason="演示数据 / demo data",
                )
                for pk in chosen.iterator(chunk_size=5000)
            ),
            batch_size=2000,
        )
        out[code] = len(created)
    return out
