"""Child rehabilitation assistance (issue 18 part 4, T0303): a child's plan is given at a
designated institution, only once the assistance was approved through the workflow (the
catalogue's benefit child_rehab in force), ends before the 8th birthday and costs no more
than the yearly standard (the catalogue's dated standard, month by month over the year);
T0303 reads the approved assistance of children 0-7 with a need."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dpf.benefits.models import AmountStandard, BenefitItem
from dpf.benefits.services.entitlements import entitlement_create
from dpf.benefits.services.versions import standard_set
from dpf.core.errors import ValidationFailed
from dpf.indicators import compute
from dpf.indicators.models import Plan
from dpf.registry import services as registry
from dpf.registry.models import NeedsSurvey
from dpf.services import child_rehab, services
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


def _plan(
    rehab: Rehab,
    person,
    *,
    start: dt.date = dt.date(2025, 3, 1),
    end: dt.date = dt.date(2025, 12, 31),
    institution=None,
    cost: Decimal | None = Decimal("6000.00"),
):
    return services.rehab_plan_create(
        actor=rehab.officer,
        person_id=person.pk,
        institution_id=(institution or rehab.ours).pk,
        kind="training",
        start=start,
        end=end,
        planned_sessions=40,
        cost=cost,
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
    plan = _plan(rehab, rehab.needy, cost=None)  # 1980: the adult services, no child_rehab
    assert plan.person == rehab.needy
    assert plan.cost is None


def test_a_childs_plan_needs_its_cost(rehab: Rehab) -> None:
    child = _child("小兰", dt.date(2020, 4, 1))
    _approve(child)
    with pytest.raises(ValidationFailed) as info:
        _plan(rehab, child, cost=None)
    assert (info.value.code, info.value.field) == ("child_plan_cost", "cost")
    assert not RehabPlan.objects.exists()


def test_the_yearly_standard_is_the_catalogues_monthly_standard_over_the_year(
    rehab: Rehab,
) -> None:
    """Shipped: 1,500 a month from 2018, illustrative: 18,000 a year."""
    standard = child_rehab.yearly_standard("150402", None, 2025)
    assert standard == child_rehab.YearlyStandard(
        year=2025, amount=Decimal("18000.00"), monthly=Decimal("1500.00"), illustrative=True
    )


def test_a_plan_over_what_is_left_of_the_years_standard_is_refused(rehab: Rehab) -> None:
    child = _child("小杰", dt.date(2020, 4, 1))
    _approve(child)
    _plan(rehab, child, cost=Decimal("12000.00"), end=dt.date(2025, 8, 31))
    with pytest.raises(ValidationFailed) as info:
        _plan(rehab, child, start=dt.date(2025, 9, 1), cost=Decimal("6000.01"))
    refusal = info.value
    assert (refusal.code, refusal.field) == ("child_rehab_over_standard", "cost")
    assert "标准18,000.00元" in refusal.message_zh
    assert "已用12,000.00元" in refusal.message_zh
    assert "standard of 18,000.00 yuan" in refusal.message_en
    assert "6,000.00 left" in refusal.message_en
    assert RehabPlan.objects.filter(person=child).count() == 1
    _plan(rehab, child, start=dt.date(2025, 9, 1), cost=Decimal("6000.00"))  # exactly the rest
    # A plan starting the next year draws on the next year's standard.
    _plan(
        rehab,
        child,
        start=dt.date(2026, 1, 5),
        end=dt.date(2026, 6, 30),
        cost=Decimal("18000.00"),
    )
    assert child_rehab.cost_used(child, 2025) == Decimal("18000.00")
    assert child_rehab.cost_used(child, 2026) == Decimal("18000.00")


def test_a_new_standard_from_july_counts_its_months(rehab: Rehab, city_admin) -> None:
    benefit = BenefitItem.objects.get(code="child_rehab")
    standard_set(
        actor=city_admin,
        benefit=benefit,
        monthly_amount="2000.00",
        valid_from=dt.date(2025, 7, 1),
    )
    standard = child_rehab.yearly_standard("150402", None, 2025)
    assert standard is not None
    assert standard.amount == Decimal("21000.00")  # 6 x 1,500 + 6 x 2,000
    assert standard.monthly is None
    assert standard.illustrative  # January to June are still the shipped example
    next_year = child_rehab.yearly_standard("150402", None, 2026)
    assert next_year is not None
    assert (next_year.amount, next_year.illustrative) == (Decimal("24000.00"), False)
    child = _child("小东", dt.date(2020, 4, 1))
    _approve(child)
    plan = _plan(rehab, child, cost=Decimal("21000.00"))
    assert plan.cost == Decimal("21000.00")


def test_without_a_standard_a_childs_plan_is_refused(rehab: Rehab) -> None:
    AmountStandard.objects.filter(benefit__code="child_rehab").delete()
    child = _child("小北", dt.date(2020, 4, 1))
    _approve(child)
    with pytest.raises(ValidationFailed) as info:
        _plan(rehab, child)
    assert info.value.code == "child_rehab_no_standard"
    assert not RehabPlan.objects.exists()


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


def test_the_childs_plan_page_shows_the_standard_and_the_years_use(rehab: Rehab) -> None:
    from django.test import Client
    from django.urls import reverse

    child = _child("小页", dt.date(2020, 4, 1))
    _approve(child)
    plan = _plan(rehab, child, cost=Decimal("12000.00"), end=dt.date(2025, 8, 31))
    client = Client()
    client.force_login(rehab.officer)
    page = client.get(reverse("services:rehab_plan", args=[plan.pk])).content.decode()
    assert "2025年度残疾儿童康复救助" in page
    # Numbers as the pages show them (floatformat "2g": the Chinese locale groups none).
    assert "18000.00 元" in page
    assert "月标准 1500.00 元 × 12 个月" in page
    assert "示例金额" in page
    assert "12000.00 元" in page  # used
    assert "6000.00 元" in page  # left
    adult = _plan(rehab, rehab.needy, cost=None)
    adult_page = client.get(reverse("services:rehab_plan", args=[adult.pk])).content.decode()
    assert "年度残疾儿童康复救助" not in adult_page
    # Over the rest on the form: shown next to the cost, nothing written.
    form = {
        "institution": rehab.ours.pk,
        "kind": "training",
        "start": "2025-09-01",
        "end": "2025-12-31",
        "planned_sessions": 10,
        "cost": "6000.50",
    }
    refused = client.post(reverse("services:rehab_plan_new", args=[child.pk]), form)
    assert refused.status_code == 400
    assert "尚余6,000.00元" in refused.content.decode()
    assert RehabPlan.objects.filter(person=child).count() == 1
