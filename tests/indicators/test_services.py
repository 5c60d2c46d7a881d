"""Indicator services: plan loading refusals, hand-entered values with history, status."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from dpf.accounts.permissions import PermissionRefused
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
    with pytest.raises(PermissionRefused):
        services.plan_load(actor=county_officer, data=dict(data, code="P15"))
    assert not Plan.objects.filter(code="P15").exists()


def test_only_city_admin_enters_values_and_stores_snapshots(plan: Plan, county_officer) -> None:
    """The services refuse by the permission table, not only the routes."""
    with pytest.raises(PermissionRefused):
        services.manual_value_enter(
            actor=county_officer,
            indicator=plan.indicators.get(code="I01"),
            region_code="150400",
            year=2025,
            value=Decimal("5"),
            source="统计局",
        )
    with pytest.raises(PermissionRefused):
        services.snapshot_store(plan=plan, as_of=dt.date(2025, 12, 31), actor=county_officer)
    assert not ManualValue.objects.exists()


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
    assert rows[0].superseded_at is not None
    assert rows[1].superseded_at is None


@pytest.mark.parametrize(
    ("field", "kwargs", "code"),
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


def _count_plan(region_targets: object) -> dict:
    data = json.loads(services.PLAN_14TH.read_text(encoding="utf-8"))
    i11 = next(i for i in data["indicators"] if i["code"] == "I11")
    i09 = next(i for i in data["indicators"] if i["code"] == "I09")
    i11 = dict(i11, numerator={"persons": "alive"}, region_targets=region_targets)
    return dict(data, code="P15", indicators=[i11, i09])


def test_county_target_from_the_plan_file_and_counts_without_one_have_no_status(
    city_admin,
) -> None:
    """Issue 18 part 10: a count is the city's sum, so a county is measured against its own
    target (from the plan file) or, without one, shown without a status; a rate without
    one is still measured against the city's."""
    from tests.factories import make_person

    plan = services.plan_load(actor=city_admin, data=_count_plan({"150402": 2}))
    for _ in range(3):
        make_person(village_code="150402001001")
    make_person(village_code="150404002001")
    results = {(r.indicator.code, r.region_code): r for r in compute.compute(plan, plan.end)}
    own = results[("I11", "150402")]
    assert (own.value, own.target, own.status) == (Decimal(3), Decimal(2), Status.ACHIEVED)
    without = results[("I11", "150404")]
    assert (without.value, without.target, without.status) == (
        Decimal(1),
        None,
        Status.NO_TARGET,
    )
    township = results[("I11", "150402001")]
    assert township.target is None
    assert township.status == Status.NO_TARGET
    city = results[("I11", "150400")]
    assert city.target == Decimal(3700)
    assert city.status == Status.NOT_ACHIEVED
    assert city.as_dict()["target"] == 3700
    assert without.as_dict()["target"] is None
    # A rate without a county target: the city's target, a status from it.
    rate = results[("I09", "150404")]
    assert rate.target == Decimal(92)


@pytest.mark.parametrize(
    ("region_targets", "code"),
    [
        ({"999999": 5}, "region_target_region"),
        ({"150402001": 5}, "region_target_region"),
        ({"150402": -1}, "target_range"),
        ({"150402": "many"}, "target"),
        ([5], "region_targets"),
    ],
)
def test_county_target_refusals(city_admin, region_targets: object, code: str) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.plan_load(actor=city_admin, data=_count_plan(region_targets))
    assert info.value.code == code
    assert info.value.field == "indicators[1].region_targets"
    assert not Plan.objects.filter(code="P15").exists()
