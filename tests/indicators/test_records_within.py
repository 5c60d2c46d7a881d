"""A records numerator counted within its person-based denominator (I09 rehabilitation
served, I10 devices fitted, T0302 family-doctor contracts: ``specs.members_within``) equals
the kind's own counter (the need rule and the records, evaluated over every person): in a
full computation on dates across a year and its turn, and in the maintained snapshot after
service records change while no person's facts do.

The full computation counts the members over the facts it materialised for the
denominators; the maintained run over its stored contributions. Counting the maintained
run's numerator without the members, or with another part's bit, fails here: tried.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from dpf.core.regions import roll_up
from dpf.demo import service_records
from dpf.demo import services as demo
from dpf.exchange.models import FamilyDoctorContract
from dpf.indicators import compute as kpi
from dpf.indicators import refresh, services
from dpf.indicators.models import Plan
from dpf.indicators.specs import members_within, record_counter
from dpf.registry.models import Person
from dpf.services.models import DeviceFitting, RehabSession
from tests.indicators.test_refresh import stored
from tests.indicators.test_roll_forward import computed_on

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 12, 31)
DATES = [dt.date(2024, 12, 31), dt.date(2025, 1, 1), dt.date(2025, 6, 30), AS_OF]
KINDS = ("I09", "I10", "T0302")


def _numerators(plan: Plan, day: dt.date) -> dict[tuple[str, str], Any]:
    return {
        (r.indicator.code, r.region_code): (r.numerator, r.denominator)
        for r in kpi.compute(plan, day)
        if r.indicator.code in KINDS
    }


def _by_counter(plan: Plan, day: dt.date) -> dict[tuple[str, str], int]:
    regions = kpi.regions_for_report()
    found: dict[tuple[str, str], int] = {}
    for ind in plan.indicators.filter(code__in=KINDS):
        counter = record_counter(str(ind.numerator["records"]))
        assert counter is not None
        assert members_within(ind) is not None  # counted within the denominator
        counts = roll_up(counter(*kpi.record_window(ind, plan, day)), regions)
        for region in regions:
            found[(ind.code, region.code)] = counts.get(region.prefix, 0)
    return found


def test_records_numerators_within_their_denominators_equal_the_counters() -> None:
    demo.demo_generate(persons=300, seed=7, as_of=AS_OF, steps=[service_records.rehabilitation])
    plan = Plan.objects.get(code="P14")
    for day in DATES:
        computed = _numerators(plan, day)
        counted = _by_counter(plan, day)
        assert {key: num for key, (num, _den) in computed.items()} == counted, day
    city = kpi.regions_for_report()[0].code
    for code in KINDS:  # neither nobody nor the whole population: the test can fail
        num, den = _numerators(plan, AS_OF)[(code, city)]
        assert 0 < num < den, code

    run = services.snapshot_store(plan=plan, as_of=AS_OF)
    assert run.maintained_since is not None
    before = _numerators(plan, AS_OF)
    # Service records change; no person's facts do (nothing stamps them).
    served = list(RehabSession.objects.order_by("pk").values_list("plan__person_id", flat=True))
    RehabSession.objects.filter(plan__person_id__in=served[::3]).delete()
    contracts = FamilyDoctorContract.objects.filter(valid_from__lte=dt.date(2025, 1, 1))
    ended = list(contracts.order_by("pk").values_list("pk", flat=True))[::2]
    FamilyDoctorContract.objects.filter(pk__in=ended).update(valid_to=dt.date(2025, 3, 31))
    fittings = DeviceFitting.objects.order_by("pk").values_list("pk", flat=True)
    DeviceFitting.objects.filter(pk__in=list(fittings)[::2]).update(
        assessed_on=dt.date(2019, 4, 1),
        fitted_on=dt.date(2019, 5, 1),
        replace_after=dt.date(2021, 5, 1),
    )
    after = _numerators(plan, AS_OF)
    assert all(after[(code, city)] != before[(code, city)] for code in KINDS)

    anyone = Person.objects.order_by("pk").values_list("pk", flat=True)[0]
    refresh.snapshot_refresh(run=run, person_ids=[anyone])
    assert stored(run) == computed_on(plan, AS_OF)
    assert {key: num for key, (num, _den) in after.items()} == _by_counter(plan, AS_OF)
