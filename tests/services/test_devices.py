"""Assistive devices: the dated catalogue, fitting under a device plan, follow-ups with
satisfaction; I10 and T0305 counted from these records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from dpf.accounts.permissions import PermissionRefused
from dpf.core.errors import ValidationFailed
from dpf.core.models import Region
from dpf.indicators import compute
from dpf.indicators.models import Indicator, Plan
from dpf.indicators.selectors import drilldown_persons
from dpf.registry.models import NeedsSurvey, Person
from dpf.services import services
from dpf.services.models import DeviceFitting, DeviceFollowUp, RehabPlan
from tests.services.conftest import Rehab, certified_person

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 12, 31)


def _device_person(name: str, kind: str = "wheelchair") -> Person:
    person = certified_person(name=name, rehab_need=False)
    # Surveyed in 2021, when the need was found (the survey is in force until the next).
    NeedsSurvey.objects.filter(person=person).update(
        device_need=kind, year=2021, survey_date=dt.date(2021, 1, 15)
    )
    return person


def _device_plan(rehab: Rehab, person: Person, year: int = 2025) -> RehabPlan:
    return services.rehab_plan_create(
        actor=rehab.officer,
        person_id=person.pk,
        institution_id=rehab.ours.pk,
        kind="device",
        start=dt.date(year, 3, 1),
        end=dt.date(year, 12, 31),
        planned_sessions=2,
    )


@pytest.fixture
def wheelchair(rehab: Rehab) -> None:
    services.device_item_add(
        actor=None,
        code="WC-01",
        name="普通轮椅",
        kind="wheelchair",
        standard_amount=Decimal("800.00"),
        replacement_years=3,
        valid_from=dt.date(2021, 1, 1),
    )


def _fit(rehab: Rehab, plan: RehabPlan, day: dt.date, actor=None) -> DeviceFitting:
    return services.device_fitting_record(
        actor=actor or rehab.our_staff,
        plan_id=plan.pk,
        item_code="WC-01",
        assessed_on=day,
        fitted_on=day,
        supplier="赤峰康复器材公司",
        today=TODAY,
    )


def test_a_device_fitted_twice_within_its_replacement_period_is_refused(
    rehab: Rehab, wheelchair: None
) -> None:
    person = _device_person("周轮椅")
    first = _fit(rehab, _device_plan(rehab, person, 2023), dt.date(2023, 4, 1))
    assert first.replace_after == dt.date(2026, 4, 1)
    assert first.subsidy_amount == Decimal("800.00")
    again = _device_plan(rehab, person, 2025)
    with pytest.raises(ValidationFailed) as info:
        _fit(rehab, again, dt.date(2025, 5, 1))
    assert info.value.code == "device_within_replacement"
    assert info.value.message_zh
    assert info.value.message_en
    assert DeviceFitting.objects.count() == 1


def test_fittings_refused_for_another_institution_bad_dates_and_items(
    rehab: Rehab, wheelchair: None
) -> None:
    person = _device_person("吴辅具")
    plan = _device_plan(rehab, person)
    with pytest.raises(PermissionRefused):
        _fit(rehab, plan, dt.date(2025, 4, 1), actor=rehab.their_staff)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"fitted_on": dt.date(2025, 2, 1), "assessed_on": dt.date(2025, 2, 1)}, "outside_plan"),
        ({"assessed_on": dt.date(2025, 5, 2)}, "fitted_before_assessment"),
        ({"item_code": "NOPE"}, "device_item"),
        ({"supplier": ""}, "required"),
    ]
    for change, code in cases:
        args: dict[str, Any] = {
            "actor": rehab.our_staff,
            "plan_id": plan.pk,
            "item_code": "WC-01",
            "assessed_on": dt.date(2025, 4, 1),
            "fitted_on": dt.date(2025, 5, 1),
            "supplier": "公司",
            "today": TODAY,
        } | change
        with pytest.raises(ValidationFailed) as info:
            services.device_fitting_record(**args)
        assert info.value.code == code, change
    training = services.rehab_plan_create(
        actor=rehab.officer,
        person_id=rehab.needy.pk,
        institution_id=rehab.ours.pk,
        kind="training",
        start=dt.date(2025, 3, 1),
        end=dt.date(2025, 6, 1),
        planned_sessions=2,
    )
    with pytest.raises(ValidationFailed) as info:
        _fit(rehab, training, dt.date(2025, 4, 1))
    assert info.value.code == "not_a_device_plan"
    with pytest.raises(ValidationFailed) as info:  # a device plan needs a device need
        _device_plan(rehab, rehab.no_need)
    assert info.value.code == "no_device_need"
    assert not DeviceFitting.objects.exists()


@pytest.mark.parametrize("satisfaction", [0, 6, -1, True])
def test_a_satisfaction_outside_the_scale_is_refused(
    rehab: Rehab, wheelchair: None, satisfaction: int
) -> None:
    fitting = _fit(rehab, _device_plan(rehab, _device_person("郑回访")), dt.date(2025, 4, 1))
    with pytest.raises(ValidationFailed) as info:
        services.device_follow_up_record(
            actor=rehab.our_staff,
            fitting_id=fitting.pk,
            date=dt.date(2025, 6, 1),
            satisfaction=satisfaction,
            today=TODAY,
        )
    assert info.value.code == "satisfaction_scale"
    assert not DeviceFollowUp.objects.exists()


def test_follow_ups_by_another_institution_or_before_the_fitting_are_refused(
    rehab: Rehab, wheelchair: None
) -> None:
    fitting = _fit(rehab, _device_plan(rehab, _device_person("冯回访")), dt.date(2025, 4, 1))
    with pytest.raises(PermissionRefused):
        services.device_follow_up_record(
            actor=rehab.their_staff,
            fitting_id=fitting.pk,
            date=dt.date(2025, 6, 1),
            satisfaction=5,
            today=TODAY,
        )
    with pytest.raises(ValidationFailed) as info:
        services.device_follow_up_record(
            actor=rehab.our_staff,
            fitting_id=fitting.pk,
            date=dt.date(2025, 3, 31),
            satisfaction=5,
            today=TODAY,
        )
    assert info.value.code == "follow_up_date"
    assert not DeviceFollowUp.objects.exists()


def test_catalogue_versions_of_one_code_never_overlap(rehab: Rehab, wheelchair: None) -> None:
    with pytest.raises(ValidationFailed) as info:
        services.device_item_add(
            actor=None,
            code="WC-01",
            name="普通轮椅",
            kind="wheelchair",
            standard_amount=Decimal("900.00"),
            replacement_years=3,
            valid_from=dt.date(2024, 1, 1),
        )
    assert info.value.code == "device_item_overlap"
    with pytest.raises(ValidationFailed) as info:
        services.device_item_add(
            actor=None,
            code="WC-02",
            name="轮椅",
            kind="wheelchair",
            standard_amount=Decimal("1.001"),
            replacement_years=3,
            valid_from=dt.date(2024, 1, 1),
        )
    assert info.value.code == "standard_amount"


def test_i10_and_t0305_are_counted_from_fittings_and_follow_ups(
    rehab: Rehab, wheelchair: None
) -> None:
    # Fitted this year; fitted in 2023 and still within the replacement period; fitted in
    # 2022 (period over on 2025-06-01); never fitted. Only the first two count.
    this_year = _device_person("今年适配")
    held = _device_person("持有辅具")
    expired = _device_person("已过周期")
    never = _device_person("尚未适配")
    fitting = _fit(rehab, _device_plan(rehab, this_year), dt.date(2025, 4, 1))
    _fit(rehab, _device_plan(rehab, held, 2023), dt.date(2023, 6, 1))
    _fit(rehab, _device_plan(rehab, expired, 2022), dt.date(2022, 6, 1))
    for satisfaction in (5, 4, 2):
        services.device_follow_up_record(
            actor=rehab.our_staff,
            fitting_id=fitting.pk,
            date=dt.date(2025, 7, 1),
            satisfaction=satisfaction,
            today=TODAY,
        )
    plan = Plan.objects.get(code="P14")
    figures = {
        r.indicator.code: r for r in compute.compute(plan, TODAY) if r.region_code == "150402"
    }
    i10 = figures["I10"]
    assert (i10.numerator, i10.denominator) == (Decimal(2), Decimal(4))
    t0305 = figures["T0305"]
    assert (t0305.numerator, t0305.denominator) == (Decimal(2), Decimal(3))
    assert t0305.value == Decimal("66.6667")
    indicator = Indicator.objects.get(plan=plan, code="I10")
    county = Region.objects.get(code="150402")
    gap = drilldown_persons(rehab.officer, indicator, TODAY, county, "gap")
    assert {p.pk for p in gap} == {expired.pk, never.pk}
