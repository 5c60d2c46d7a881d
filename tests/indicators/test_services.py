"""Indicator services: plan loading refusals, hand-entered values with history, status."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from dpf.core.errors import ValidationFailed
from dpf.indicators import compute, services
from dpf.indicators.models import Indicator, ManualValue, Plan, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan() -> Plan:
    return Plan.objects.get(code="P14")


def test_fourteenth_plan_ships_with_eleven_main_indicators(plan: Plan) -> None:
    main = list(plan.indicators.filter(main=True).order_by("order").values_list("code", flat=True))
    assert main == [f"I{n:02d}" for n in range(1, 12)]
    assert plan.start == dt.date(2021, 1, 1)
    assert plan.end == dt.date(2025, 12, 31)


def test_plan_definition_refusals(city_admin) -> None:
    data = json.loads(services.PLAN_14TH.read_text(encoding="utf-8"))
    with pytest.raises(ValidationFailed) as info:
        services.plan_load(actor=city_admin, data=data)
    assert info.value.code == "plan_exists"
    bad = dict(data, code="P15", start="2030-01-01", end="2026-01-01")
    with pytest.raises(ValidationFailed) as info:
        services.plan_load(actor=city_admin, data=bad)
    assert info.value.code == "date_range"
    bad = dict(data, code="P15", indicators=[dict(data["indicators"][0], comparison="~")])
    with pytest.raises(ValidationFailed) as info:
        services.plan_load(actor=city_admin, data=bad)
    assert info.value.code == "comparison"
    bad = dict(data, code="P15", indicators=[dict(data["indicators"][1], numerator={})])
    with pytest.raises(ValidationFailed):
        services.plan_load(actor=city_admin, data=bad)
    assert not Plan.objects.filter(code="P15").exists()


def test_only_city_admin_loads_plans(county_officer) -> None:
    data = json.loads(services.PLAN_14TH.read_text(encoding="utf-8"))
    with pytest.raises(ValidationFailed) as info:
        services.plan_load(actor=county_officer, data=dict(data, code="P15"))
    assert info.value.code == "forbidden"


def test_manual_value_correction_keeps_history(plan: Plan, city_admin) -> None:
    i01 = plan.indicators.get(code="I01")
    services.manual_value_enter(
        actor=city_admin,
        indicator=i01,
        region_code="150400",
        year=2025,
        value=Decimal("5.1"),
        reference=Decimal("5.0"),
        source="统计局",
    )
    services.manual_value_enter(
        actor=city_admin,
        indicator=i01,
        region_code="150400",
        year=2025,
        value=Decimal("4.8"),
        reference=Decimal("5.0"),
        source="统计局（更正）",
    )
    rows = ManualValue.objects.filter(indicator=i01).order_by("entered_at")
    assert [r.value for r in rows] == [Decimal("5.1"), Decimal("4.8")]
    assert rows[0].superseded_at is not None and rows[1].superseded_at is None


@pytest.mark.parametrize(
    "field,kwargs,code",
    [
        ("year", {"year": 2019}, "year"),
        ("region", {"region_code": "999999"}, "region"),
        ("value", {"value": Decimal("5000")}, "range"),
        ("source", {"source": "  "}, "source"),
    ],
)
def test_manual_value_refusals(plan: Plan, city_admin, field, kwargs, code) -> None:
    i01 = plan.indicators.get(code="I01")
    args = {
        "actor": city_admin,
        "indicator": i01,
        "region_code": "150400",
        "year": 2025,
        "value": Decimal("5"),
        "source": "统计局",
    }
    args.update(kwargs)
    with pytest.raises(ValidationFailed) as info:
        services.manual_value_enter(**args)
    assert info.value.code == code
    assert not ManualValue.objects.exists()


def test_computed_indicator_refuses_manual_value(plan: Plan, city_admin) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.manual_value_enter(
            actor=city_admin,
            indicator=plan.indicators.get(code="I07"),
            region_code="150400",
            year=2025,
            value=Decimal("90"),
            source="x",
        )
    assert info.value.code == "not_manual"


def _indicator(plan: Plan, **kw) -> Indicator:
    base = {"comparison": ">=", "cumulative": False}
    base.update(kw)
    return Indicator(
        plan=plan,
        code="X",
        name_zh="x",
        name_en="x",
        unit="%",
        kind="binding",
        target=Decimal("100"),
        numerator={},
        **base,
    )


def test_status_rules(plan: Plan) -> None:
    ratio = _indicator(plan)
    mid, end = dt.date(2023, 12, 31), dt.date(2025, 12, 31)
    assert compute.status_of(ratio, None, Decimal(100), plan, mid) == Status.NO_DATA
    assert compute.status_of(ratio, Decimal(100), Decimal(100), plan, mid) == Status.ACHIEVED
    assert compute.status_of(ratio, Decimal(96), Decimal(100), plan, mid) == Status.ON_TRACK
    assert compute.status_of(ratio, Decimal(90), Decimal(100), plan, mid) == Status.AT_RISK
    assert compute.status_of(ratio, Decimal(99), Decimal(100), plan, end) == Status.NOT_ACHIEVED
    count = _indicator(plan, cumulative=True)
    # Three of five years elapsed at the mid-term: 60 % of 3,700 = 2,220 is on track.
    assert compute.status_of(count, Decimal(2300), Decimal(3700), plan, mid) == Status.ON_TRACK
    assert compute.status_of(count, Decimal(1000), Decimal(3700), plan, mid) == Status.AT_RISK


def test_as_of_before_plan_start_refused(plan: Plan) -> None:
    with pytest.raises(ValidationFailed) as info:
        compute.compute(plan, dt.date(2020, 12, 31))
    assert info.value.code == "as_of_before_plan"


def test_month_ends() -> None:
    days = services.month_ends(dt.date(2024, 1, 15), dt.date(2024, 4, 30))
    assert days == [
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 31),
        dt.date(2024, 4, 30),
    ]


def test_every_shipped_spec_type_checks(plan: Plan) -> None:
    from dpf.indicators.specs import validate_spec

    for ind in plan.indicators.all():
        validate_spec(ind.numerator, field=f"{ind.code}.numerator")
        validate_spec(ind.denominator, field=f"{ind.code}.denominator")
