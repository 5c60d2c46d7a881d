"""T0604 (惠残事项网上办理比例) counted from the channel recorded on each application:
items that came in online or proactively ÷ all items submitted in the year to date."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.workflow import counters
from tests.benefits.conftest import person_with
from tests.workflow.conftest import ALLOWANCES, submit_bundle

pytestmark = pytest.mark.django_db


def test_online_share_counts_items_by_channel_and_year(officers, regions) -> None:
    worker = officers["village_worker"]
    people = [person_with(level=1, household="dibao", long_term_care=True) for _ in range(4)]
    day = dt.date(2025, 9, 15)
    submit_bundle(worker, people[0], day, channel="window")
    submit_bundle(worker, people[1], day, channel="online")
    submit_bundle(worker, people[2], day, channel="phone")
    submit_bundle(worker, people[3], dt.date(2024, 12, 30), channel="online")  # last year
    township = people[0].township_code
    per_bundle = len(ALLOWANCES)
    as_of = dt.date(2025, 12, 31)
    assert counters.items_submitted(as_of, None) == {township: 3 * per_bundle}
    assert counters.items_online(as_of, None) == {township: 1 * per_bundle}
    # before the September bundles nothing of 2025 is counted
    assert counters.items_submitted(dt.date(2025, 9, 14), None) == {}
    # from a cumulative indicator's plan start, last year's bundle counts too
    assert counters.items_online(as_of, dt.date(2021, 1, 1)) == {township: 2 * per_bundle}


def test_t0604_is_computed_from_the_records(officers, regions) -> None:
    from dpf.indicators.compute import compute
    from dpf.indicators.models import Plan

    worker = officers["village_worker"]
    day = dt.date(2025, 9, 15)
    submit_bundle(worker, person_with(level=1, household="dibao"), day, channel="online")
    submit_bundle(worker, person_with(level=1, household="dibao"), day, channel="window")
    plan = Plan.objects.get(code="P14")
    city = next(
        r
        for r in compute(plan, dt.date(2025, 12, 31))
        if r.indicator.code == "T0604" and r.region_level == "city"
    )
    assert (city.numerator, city.denominator) == (len(ALLOWANCES), 2 * len(ALLOWANCES))
    assert city.value == 50
