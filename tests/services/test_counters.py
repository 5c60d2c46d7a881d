"""I09, T0302 and T0306 computed from records made through the services, with the persons
behind each person figure (the drill-down)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dpf.core.models import Region
from dpf.exchange.models import FamilyDoctorContract
from dpf.indicators import compute
from dpf.indicators.models import Indicator, Plan, Status
from dpf.indicators.selectors import drilldown_persons
from dpf.services import services
from tests.services.conftest import Rehab, certified_person, open_plan

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2025, 12, 31)
COUNTY = "150402"


def _figures(as_of: dt.date = AS_OF) -> dict[tuple[str, str], compute.Result]:
    plan = Plan.objects.get(code="P14")
    return {(r.indicator.code, r.region_code): r for r in compute.compute(plan, as_of)}


def test_i09_counts_persons_with_a_need_who_received_a_session_in_the_plan_year(
    rehab: Rehab,
) -> None:
    served = open_plan(rehab)
    services.rehab_session_record(
        actor=rehab.our_staff,
        plan_id=served.pk,
        date=dt.date(2025, 4, 2),
        content="训练",
        today=AS_OF,
    )
    open_plan(rehab, person=rehab.also_needy)  # a plan without a session yet: not served
    # Served in 2025 but the survey of December found no need any more: outside the figure.
    recovered = certified_person(name="孙痊愈", rehab_need=True)
    plan = open_plan(rehab, person=recovered)
    services.rehab_session_record(
        actor=rehab.our_staff,
        plan_id=plan.pk,
        date=dt.date(2025, 5, 2),
        content="训练",
        today=AS_OF,
    )
    # The next round (recorded early, in December) finds no need.
    recovered.surveys.create(year=2026, survey_date=dt.date(2025, 12, 1), rehab_need=False)
    figures = _figures()
    i09 = figures[("I09", COUNTY)]
    assert (i09.numerator, i09.denominator) == (Decimal(1), Decimal(2))
    assert i09.value == Decimal("50.0000")
    assert figures[("I09", "150404")].numerator == 0  # the other county's need, nobody served
    # The next year's figure needs a session in that year.
    assert _figures(dt.date(2026, 1, 31))[("I09", COUNTY)].numerator == 0

    indicator = Indicator.objects.get(plan__code="P14", code="I09")
    county = Region.objects.get(code=COUNTY)
    listed = drilldown_persons(rehab.officer, indicator, AS_OF, county, "numerator")
    assert [p.pk for p in listed] == [rehab.needy.pk]
    gap = drilldown_persons(rehab.officer, indicator, AS_OF, county, "gap")
    assert [p.pk for p in gap] == [rehab.also_needy.pk]


def test_t0302_counts_contracts_in_force_among_persons_with_a_need(rehab: Rehab) -> None:
    FamilyDoctorContract.objects.create(
        person=rehab.needy, institution="社区卫生服务中心", valid_from=dt.date(2025, 1, 1)
    )
    FamilyDoctorContract.objects.create(  # ended before the date
        person=rehab.also_needy,
        institution="社区卫生服务中心",
        valid_from=dt.date(2024, 1, 1),
        valid_to=dt.date(2024, 12, 31),
    )
    FamilyDoctorContract.objects.create(  # no need: outside the population
        person=rehab.no_need, institution="社区卫生服务中心", valid_from=dt.date(2025, 1, 1)
    )
    t0302 = _figures()[("T0302", COUNTY)]
    assert (t0302.numerator, t0302.denominator) == (Decimal(1), Decimal(2))
    indicator = Indicator.objects.get(plan__code="P14", code="T0302")
    listed = drilldown_persons(
        rehab.officer, indicator, AS_OF, Region.objects.get(code=COUNTY), "numerator"
    )
    assert [p.pk for p in listed] == [rehab.needy.pk]


def test_t0306_counts_institutions_designated_on_the_date_by_county(rehab: Rehab) -> None:
    # REHAB-A designated from 2022 in 150402; REHAB-B only 2023-2024 in 150404.
    figures = _figures()
    assert figures[("T0306", COUNTY)].value == 1
    assert figures[("T0306", "150404")].value == 0
    assert figures[("T0306", "150400")].value == 1
    assert figures[("T0306", "150400")].status == Status.NOT_ACHIEVED  # 1 < 12 at the plan's end
    assert _figures(dt.date(2024, 6, 30))[("T0306", "150400")].value == 2
