"""Child rehabilitation assistance (issue 18 part 4, T0303): a child's plan is given at a
designated institution, only once the assistance was approved through the workflow (the
catalogue's benefit child_rehab in force), and ends before the 8th birthday; T0303 reads
the approved assistance of children 0-7 with a need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dpf.benefits.models import BenefitItem
from dpf.benefits.services.entitlements import entitlement_create
from dpf.core.errors import ValidationFailed
from dpf.indicators import compute
from dpf.indicators.models import Plan
from dpf.registry import services as registry
from dpf.registry.models import NeedsSurvey
from dpf.services import services
from dpf.services.models import RehabPlan
from tests.factories import make_person
from tests.services.conftest import Rehab

pytestmark = pytest.mark.django_db


def _child(name: str, birth: dt.date):
    person = make_person(name=name, birth=birth)
    registry.certificate_issue(
        actor=None, person=person, category=4, level=2, issue_date=dt.date(2023, 6, 1)
    )
    NeedsSurvey.objects.create(
        person=person, year=2025, survey_date=dt.date(2025, 2, 1), rehab_need=True
    )
    return person


def _approve(person, valid_from: dt.date = dt.date(2025, 1, 1)) -> None:
    entitlement_create(
        actor=None,
        person=person,
        benefit=BenefitItem.objects.get(code="child_rehab"),
        valid_from=valid_from,
        monthly_amount=Decimal("1500.00"),
    )


def _plan(rehab: Rehab, person, *, end: dt.date = dt.date(2025, 12, 31), institution=None):
    return services.rehab_plan_create(
        actor=rehab.officer,
        person_id=person.pk,
        institution_id=(institution or rehab.ours).pk,
        kind="training",
        start=dt.date(2025, 3, 1),
        end=end,
        planned_sessions=40,
    )


def test_a_childs_plan_needs_the_approved_assistance(rehab: Rehab) -> None:
    child = _child("小明", dt.date(2020, 4, 1))
    with pytest.raises(ValidationFailed) as info:
        _plan(rehab, child)
    assert info.value.code == "child_rehab_not_approved"
    assert info.value.message_zh
    assert info.value.message_en
    assert not RehabPlan.objects.exists()
    _approve(child)
    plan = _plan(rehab, child)
    assert plan.institution == rehab.ours


def test_a_childs_plan_is_at_a_designated_institution(rehab: Rehab) -> None:
    child = _child("小红", dt.date(2020, 4, 1))
    _approve(child)
    plain = services.institution_register(
        actor=None,
        code="REHAB-C",
        name="未定点康复机构",
        kind="rehabilitation",
        township_code="150402001",
    )
    with pytest.raises(ValidationFailed) as info:
        _plan(rehab, child, institution=plain)
    assert info.value.code == "child_institution_not_designated"
    assert not RehabPlan.objects.exists()


def test_the_plan_ends_before_the_eighth_birthday(rehab: Rehab) -> None:
    child = _child("小刚", dt.date(2017, 6, 15))
    _approve(child)
    with pytest.raises(ValidationFailed) as info:
        _plan(rehab, child)
    assert info.value.code == "child_turns_eight"
    assert "2025-06-15" in info.value.message_zh
    assert "2025-06-14" in info.value.message_en
    assert not RehabPlan.objects.exists()
    plan = _plan(rehab, child, end=dt.date(2025, 6, 14))
    assert plan.end == dt.date(2025, 6, 14)


def test_an_adult_plan_needs_no_child_assistance(rehab: Rehab) -> None:
    plan = _plan(rehab, rehab.needy)  # 1980: the adult services, no child_rehab needed
    assert plan.person == rehab.needy


def test_t0303_counts_the_approved_assistance_of_children_with_a_need(rehab: Rehab) -> None:
    served = _child("小华", dt.date(2020, 4, 1))
    _approve(served)
    _child("小丽", dt.date(2021, 8, 1))  # a need, no assistance approved yet
    plan = Plan.objects.get(code="P14")
    t0303 = next(
        r
        for r in compute.compute(plan, dt.date(2025, 12, 31))
        if r.indicator.code == "T0303" and r.region_code == "150402"
    )
    assert (t0303.numerator, t0303.denominator) == (Decimal(1), Decimal(2))
    assert t0303.value == Decimal("50.0000")
