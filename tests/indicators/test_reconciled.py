"""Indicators reconciled against values worked out by hand on a small registry.

Nine people in two counties with known facts over 2021–2025 (see ``registry``); each
expected number below is counted by hand from that description, as of the mid-term and
the final evaluation dates, on whichever database the suite runs on.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dpf.indicators import compute
from dpf.indicators.models import Plan
from dpf.registry import services
from dpf.registry.models import (
    InsuranceEnrolment,
    NeedsSurvey,
    Person,
    SchoolEnrolment,
)
from tests.factories import make_person

pytestmark = pytest.mark.django_db

MID, FINAL = dt.date(2023, 12, 31), dt.date(2025, 12, 31)
A_VILLAGE, B_VILLAGE = "150402001001", "150404002001"


def _cert(actor, person, *, level, start, end, category=4):
    return services.certificate_issue(
        actor=actor,
        person=person,
        category=category,
        level=level,
        issue_date=start,
        valid_from=start,
        expires_on=end,
    )


def _insure(person, kind, start, end=None):
    InsuranceEnrolment.objects.create(person=person, kind=kind, valid_from=start, valid_to=end)


@pytest.fixture
def registry(city_admin):
    """County A (150402): a1 level 1 on 低保, pension and medical insured.
    a2 level 3 from 2022-06, medical insured only until 2023-06-30, survey 2023 income 5,000.
    a3 level 2 valid 2015–2024 (expired before the final date), 低保, pension and medical.
    a4 child born 2015, level 2 intellectual, in school from 2021-09, medical.
    a5 child born 2016, level 3 visual, not in school, medical.
    a6 level 1, pension and medical, died 2024-05-01.
    County B (150404): b1 level 4 from 2021-03, pension and medical.
    b2 born 1955, level 2, 特困, no insurance.   b3 no certificate, medical insured.
    """
    actor = city_admin
    p = {}
    p["a1"] = make_person(actor=actor, name="甲一", village_code=A_VILLAGE)
    p["a2"] = make_person(actor=actor, name="甲二", village_code=A_VILLAGE)
    p["a3"] = make_person(actor=actor, name="甲三", village_code=A_VILLAGE)
    p["a4"] = make_person(
        actor=actor, name="甲四", village_code=A_VILLAGE, birth=dt.date(2015, 3, 1)
    )
    p["a5"] = make_person(
        actor=actor, name="甲五", village_code=A_VILLAGE, birth=dt.date(2016, 5, 1)
    )
    p["a6"] = make_person(actor=actor, name="甲六", village_code=A_VILLAGE)
    p["b1"] = make_person(actor=actor, name="乙一", village_code=B_VILLAGE)
    p["b2"] = make_person(
        actor=actor, name="乙二", village_code=B_VILLAGE, birth=dt.date(1955, 2, 2)
    )
    p["b3"] = make_person(actor=actor, name="乙三", village_code=B_VILLAGE)
    _cert(actor, p["a1"], level=1, start=dt.date(2020, 1, 1), end=dt.date(2029, 12, 31))
    _cert(actor, p["a2"], level=3, start=dt.date(2022, 6, 1), end=dt.date(2032, 5, 31))
    _cert(actor, p["a3"], level=2, start=dt.date(2015, 1, 1), end=dt.date(2024, 12, 31))
    _cert(actor, p["a4"], level=2, category=5, start=dt.date(2019, 1, 1), end=dt.date(2028, 12, 31))
    _cert(actor, p["a5"], level=3, category=1, start=dt.date(2020, 1, 1), end=dt.date(2029, 12, 31))
    _cert(actor, p["a6"], level=1, start=dt.date(2018, 1, 1), end=dt.date(2027, 12, 31))
    _cert(actor, p["b1"], level=4, start=dt.date(2021, 3, 1), end=dt.date(2031, 2, 28))
    _cert(actor, p["b2"], level=2, start=dt.date(2016, 1, 1), end=dt.date(2025, 12, 31))
    for key, status, start in (
        ("a1", "dibao", dt.date(2021, 1, 1)),
        ("a3", "dibao", dt.date(2019, 1, 1)),
        ("b2", "tekun", dt.date(2020, 1, 1)),
    ):
        household = p[key].household
        assert household is not None
        services.household_status_set(
            actor=actor, household=household, status=status, valid_from=start
        )
    _insure(p["a1"], "pension", dt.date(2021, 1, 1))
    _insure(p["a1"], "medical", dt.date(2019, 1, 1))
    _insure(p["a2"], "medical", dt.date(2022, 1, 1), dt.date(2023, 6, 30))
    _insure(p["a3"], "pension", dt.date(2018, 1, 1))
    _insure(p["a3"], "medical", dt.date(2018, 1, 1))
    _insure(p["a4"], "medical", dt.date(2016, 1, 1))
    _insure(p["a5"], "medical", dt.date(2017, 1, 1))
    _insure(p["a6"], "pension", dt.date(2018, 1, 1))
    _insure(p["a6"], "medical", dt.date(2018, 1, 1))
    _insure(p["b1"], "pension", dt.date(2021, 3, 1))
    _insure(p["b1"], "medical", dt.date(2021, 3, 1))
    _insure(p["b3"], "medical", dt.date(2020, 1, 1))
    SchoolEnrolment.objects.create(
        person=p["a4"], school="红山区实验小学", valid_from=dt.date(2021, 9, 1)
    )
    NeedsSurvey.objects.create(
        person=p["a2"], year=2023, survey_date=dt.date(2023, 7, 1), income_per_capita=Decimal(5000)
    )
    Person.objects.filter(pk=p["a6"].pk).update(death_date=dt.date(2024, 5, 1))
    return p


def _values(as_of: dt.date) -> dict[tuple[str, str], tuple]:
    plan = Plan.objects.get(code="P14")
    return {
        (r.indicator.code, r.region_code): (r.numerator, r.denominator, r.value)
        for r in compute.compute(plan, as_of)
        if r.region_code in ("150400", "150402", "150404")
    }


def _ratio(num: int, den: int) -> tuple:
    value = (Decimal(num) / Decimal(den) * 100).quantize(Decimal("0.0001")) if den else None
    return (Decimal(num), Decimal(den), value)


EXPECTED = {
    MID: {
        # I03 低保 coverage: A = a1, a2 (income below the standard), a3 in; a1 and a3 on 低保.
        ("I03", "150402"): _ratio(2, 3),
        ("I03", "150404"): _ratio(0, 0),
        ("I03", "150400"): _ratio(2, 3),
        # I06 pension, ages 16–59 with a valid certificate: A = a1 ✓ a2 ✗ a3 ✓ a6 ✓; B = b1 ✓.
        ("I06", "150402"): _ratio(3, 4),
        ("I06", "150404"): _ratio(1, 1),
        ("I06", "150400"): _ratio(4, 5),
        # I07 medical: A = a1 ✓ a2 ✗ (lapsed) a3 ✓ a4 ✓ a5 ✓ a6 ✓; B = b1 ✓ b2 ✗ (b3 no cert).
        ("I07", "150402"): _ratio(5, 6),
        ("I07", "150404"): _ratio(1, 2),
        ("I07", "150400"): _ratio(6, 8),
        # I08 school, ages 6–15: a4 ✓ (8), a5 ✗ (7).
        ("I08", "150402"): _ratio(1, 2),
        ("I08", "150404"): _ratio(0, 0),
        ("I08", "150400"): _ratio(1, 2),
    },
    FINAL: {
        # a3's certificate expired on 2024-12-31 and a6 died: both leave every population.
        ("I03", "150402"): _ratio(1, 2),
        ("I03", "150400"): _ratio(1, 2),
        ("I06", "150402"): _ratio(1, 2),
        ("I06", "150404"): _ratio(1, 1),
        ("I06", "150400"): _ratio(2, 3),
        ("I07", "150402"): _ratio(3, 4),
        ("I07", "150404"): _ratio(1, 2),
        ("I07", "150400"): _ratio(4, 6),
        ("I08", "150402"): _ratio(1, 2),
        ("I08", "150400"): _ratio(1, 2),
    },
}


@pytest.mark.parametrize("as_of", [MID, FINAL])
def test_indicators_match_hand_counts(registry, as_of: dt.date) -> None:
    values = _values(as_of)
    for key, expected in EXPECTED[as_of].items():
        assert values[key] == expected, key


def test_zero_denominator_is_no_data(registry) -> None:
    plan = Plan.objects.get(code="P14")
    results = {(r.indicator.code, r.region_code): r for r in compute.compute(plan, MID)}
    assert results[("I08", "150404")].value is None
    assert results[("I08", "150404")].status == "no_data"


def test_records_nobody_counts_yet_are_no_data_not_zero(registry, monkeypatch) -> None:
    from dpf.indicators import specs

    # I11's renovations are counted (dpf.services): take its counter away for this test.
    monkeypatch.delitem(specs._RECORD_COUNTERS, "home_renovation_completed")
    plan = Plan.objects.get(code="P14")
    i11 = next(
        r
        for r in compute.compute(plan, FINAL)
        if r.indicator.code == "I11" and r.region_code == "150400"
    )
    assert i11.value is None
    assert i11.status == "no_data"


def test_one_grouped_query_for_all_person_indicators(
    registry, django_assert_max_num_queries
) -> None:
    plan = Plan.objects.get(code="P14")
    # the facts table (drop, create, drop), the one grouped count,
    # the versions in force of the two allowances, the plan's reference rows, and one
    # grouped count per registered record counter (I09, I10, T0302, T0305 twice, T0306 and
    # I11's accepted renovations of dpf.services; I02's training; T0604's online and all
    # applications of dpf.workflow; T0704's closed and all citizen requests of dpf.portal;
    # T0506's teams, T0507's volunteers and T0508's organisations of dpf.social): a
    # constant, whatever the number of people
    with django_assert_max_num_queries(27):
        compute.compute(plan, FINAL)
