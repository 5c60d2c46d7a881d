"""The maintained snapshot rolled forward to later dates (``refresh.roll_forward``, issue 21)
equals a full ``compute`` of each date.

The world is the incremental scan's (``tests/benefits``) with turns placed in the year after
its date (``tests/rules/test_boundaries.py``: rows ending, new surveys, enrolments, moves and
deaths), snapshotted, then changed at random through the services; the snapshot is rolled a
day, a month and a quarter ahead in turn. After each roll every figure (numerator,
denominator, value, target, status), the persons' contributions and the earlier date's
figures are compared with full computations. Evaluating only the persons changed through
the services (no boundaries) leaves the figures apart, and so does a roll that skips the
record counts or the statuses of the new date: tried.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

import pytest

from dpf.indicators import compute as kpi
from dpf.indicators import refresh, services
from dpf.indicators.models import Contribution, Plan, SnapshotRun
from dpf.registry import surveys
from tests.benefits.test_scan_incremental import AS_OF, BUILT, HOUR, World, apply_changes, build
from tests.indicators.test_refresh import Figures, stored
from tests.rules.test_boundaries import _turns_after

pytestmark = pytest.mark.django_db


def computed_on(plan: Plan, day: dt.date) -> Figures:
    return {
        (r.indicator.pk, r.region_code): (r.numerator, r.denominator, r.value, r.target, r.status)
        for r in kpi.compute(plan, day)
    }


def contributions(run: SnapshotRun) -> set[tuple[Any, ...]]:
    rows = Contribution.objects.filter(run=run)
    return set(rows.values_list("person_id", "township_code", "mask"))


def _world(seed: int, time_machine: Any) -> tuple[World, SnapshotRun]:
    time_machine.move_to(BUILT, tick=False)
    world = World(random.Random(seed))
    surveys.survey_round_open(actor=world.city_admin, year=2025, reference_date=dt.date(2025, 1, 1))
    build(world)
    _turns_after(world)
    time_machine.shift(HOUR)
    run = services.snapshot_store(plan=Plan.objects.get(code="P14"), as_of=AS_OF)
    assert run.maintained_since is not None
    return world, run


@pytest.mark.parametrize("seed", [1])  # one seed: the suite's time (CI budget)
def test_rolled_forward_figures_equal_a_full_computation(seed, time_machine, monkeypatch) -> None:
    # The random changes touch about 40 % of this small world (a cost limit, not a rule).
    monkeypatch.setattr(refresh, "ROLL_SHARE", 1.0)
    world, run = _world(seed, time_machine)
    plan = run.plan
    time_machine.shift(HOUR)
    apply_changes(world)  # through the services: stamped, not yet applied
    # Hand-entered figures of this year and the next (the last roll crosses into it).
    manual = plan.indicators.filter(numerator__manual=True).order_by("pk")
    for year, value in ((2025, "61.5"), (2026, "72.5")):
        services.manual_value_enter(
            actor=world.city_admin,
            indicator=manual[0],
            region_code="150400",
            year=year,
            value=Decimal(value),
            reference=Decimal("70"),
            source="统计年鉴",
        )
    before = stored(run)
    day = AS_OF
    for days in (1, 31, 92, 200):
        time_machine.shift(HOUR)
        earlier, day = day, day + dt.timedelta(days=days)
        full = computed_on(plan, day)
        rolled = services.snapshot_store(plan=plan, as_of=day)
        assert rolled.pk == run.pk  # rolled, not computed again
        assert rolled.as_of == day
        assert stored(rolled) == full
        # The earlier date keeps the figures it had, under a run of its own.
        kept = SnapshotRun.objects.get(plan=plan, as_of=earlier)
        assert stored(kept) == before
        assert not Contribution.objects.filter(run=kept).exists()
        before = full
        rolled_contributions = contributions(rolled)
        # What a full maintained snapshot of the date keeps (then rolled back to the roll:
        # the full computation replaces the run, so it is done in a savepoint).
        again = services.snapshot_store(plan=plan, as_of=day, roll=False)
        assert contributions(again) == rolled_contributions
        assert stored(again) == full
        run = again
    # The three rolls moved figures: the comparisons above were not of unchanged numbers.
    first = stored(SnapshotRun.objects.get(plan=plan, as_of=AS_OF))
    assert first != before


def test_a_roll_that_would_evaluate_too_many_persons_computes_in_full(
    time_machine, monkeypatch
) -> None:
    _unused, run = _world(3, time_machine)
    monkeypatch.setattr(refresh, "ROLL_SHARE", 0.0)
    later = AS_OF + dt.timedelta(days=31)
    full = computed_on(run.plan, later)
    again = services.snapshot_store(plan=run.plan, as_of=later)
    assert again.pk != run.pk
    assert stored(again) == full
    assert again.maintained_since is not None


def test_the_same_date_is_computed_in_full(time_machine) -> None:
    """Recomputing the maintained date (the dashboard's recompute) is never a roll."""
    _unused, run = _world(4, time_machine)
    again = services.snapshot_store(plan=run.plan, as_of=AS_OF)
    assert again.pk != run.pk
    assert not SnapshotRun.objects.filter(pk=run.pk).exists()
