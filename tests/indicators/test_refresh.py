"""The maintained snapshot follows changes to persons (issue 21): after a seeded random batch
of changes made through the services that own each kind of fact (the incremental benefits
scan's batch, ``tests/benefits/test_scan_incremental.py``, plus new persons), refreshing
only the changed persons leaves every figure equal to a full ``compute`` of the date.

A change applied with the wrong sign, to the wrong township or not rolled up, or a person's
stored contribution not replaced, leaves a figure apart from the full computation and the
comparison fails (tried by breaking ``compute.add_township_counts``'s sign).
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from dpf.benefits import services as benefits
from dpf.indicators import compute as kpi
from dpf.indicators import refresh, services
from dpf.indicators.models import Contribution, Plan, Snapshot, SnapshotRun
from dpf.jobs.models import Job, JobStatus
from dpf.registry import changes, surveys
from dpf.registry import services as registry
from dpf.registry.models import Person
from dpf.workflow.services import deaths
from tests.benefits.test_scan_incremental import (
    AS_OF,
    BUILT,
    CHANGES,
    HOUR,
    TODAY,
    VILLAGES,
    World,
    apply_changes,
    build,
)
from tests.factories import new_id_number

pytestmark = pytest.mark.django_db

Figures = dict[tuple[int, str], tuple[Any, ...]]


def stored(run: SnapshotRun) -> Figures:
    return {
        (row.indicator_id, row.region_code): (
            row.numerator,
            row.denominator,
            row.value,
            row.target,
            row.status,
        )
        for row in Snapshot.objects.filter(run=run)
    }


def computed(plan: Plan) -> Figures:
    return {
        (r.indicator.pk, r.region_code): (r.numerator, r.denominator, r.value, r.target, r.status)
        for r in kpi.compute(plan, AS_OF)
    }


def _register(world: World) -> bool:
    """A new person, certified, in a random village (a new contribution)."""
    village = world.rng.choice(VILLAGES)
    birth = dt.date(world.rng.randint(1950, 2015), world.rng.randint(1, 12), 15)
    sex = world.rng.choice("MF")
    person = registry.person_register(
        actor=None,
        name="新登记",
        id_number=new_id_number(village[:6], birth, sex),
        village_code=village,
    )
    registry.certificate_issue(
        actor=None,
        person=person,
        category=world.rng.randint(1, 7),
        level=world.rng.randint(1, 4),
        issue_date=world.on(birth),
        today=TODAY,
    )
    return True


def _maintained(world: World, time_machine: Any) -> SnapshotRun:
    """The registry built, scanned (so that proposals can be approved) and snapshotted."""
    time_machine.move_to(BUILT, tick=False)
    surveys.survey_round_open(actor=world.city_admin, year=2025, reference_date=dt.date(2025, 1, 1))
    build(world)
    time_machine.shift(HOUR)
    benefits.scan(as_of=AS_OF)
    run = services.snapshot_store(plan=Plan.objects.get(code="P14"), as_of=AS_OF)
    assert run.maintained_since == run.started_at
    assert Contribution.objects.filter(run=run).exists()
    return run


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_refresh_of_the_changed_persons_equals_a_full_computation(seed, time_machine) -> None:
    world = World(random.Random(seed))
    run = _maintained(world, time_machine)
    plan = run.plan
    time_machine.shift(HOUR)
    apply_changes(world)
    for _ in range(3):
        world.applied["person_register"] += _register(world)
    assert set(world.applied) == {*CHANGES, "person_register"}, world.applied
    changed = Person.objects.filter(facts_mark__changed_at__gt=run.started_at).count()
    assert 0 < changed < Person.objects.count()
    full = computed(plan)
    assert stored(run) != full  # the changes moved figures: the comparison below means something

    time_machine.shift(HOUR)
    moved = refresh.snapshots_refresh()

    assert moved[f"P14 {AS_OF}"] > 0
    assert stored(run) == full
    run.refresh_from_db()
    assert run.maintained_since == BUILT + 3 * HOUR
    # The contributions are those a new full snapshot keeps.
    kept = set(
        Contribution.objects.filter(run=run).values_list("person_id", "township_code", "mask")
    )
    again = services.snapshot_store(plan=plan, as_of=AS_OF)
    assert (
        set(
            Contribution.objects.filter(run=again).values_list("person_id", "township_code", "mask")
        )
        == kept
    )
    # Nothing changed since: a refresh moves nothing.
    time_machine.shift(HOUR)
    assert refresh.snapshots_refresh() == {f"P14 {AS_OF}": 0}


def test_moving_township_dying_and_losing_a_certificate(time_machine) -> None:
    world = World(random.Random(7))
    run = _maintained(world, time_machine)
    time_machine.shift(HOUR)
    living = Person.objects.filter(death_date__isnull=True).order_by("pk")
    mover = living.filter(township_code="150402001").first()
    assert mover is not None
    changes.person_move_record(
        actor=None,
        person=mover,
        village_code="150404002001",
        on=AS_OF - dt.timedelta(days=10),
        reason="迁居",
        today=TODAY,
    )
    dying = living.exclude(pk=mover.pk).first()
    assert dying is not None
    deaths.death_record(
        actor=world.officer(dying), person_id=dying.pk, on=AS_OF, reason="火化证明", today=TODAY
    )
    time_machine.shift(HOUR)
    refresh.snapshots_refresh()
    assert stored(run) == computed(run.plan)
    moved_row = Contribution.objects.filter(run=run, person_id=mover.pk).first()
    assert moved_row is None or moved_row.township_code == "150404002"


def test_refreshing_one_or_twenty_persons_takes_the_same_queries(time_machine) -> None:
    world = World(random.Random(3))
    run = _maintained(world, time_machine)
    ids = list(Person.objects.order_by("pk").values_list("pk", flat=True))
    with CaptureQueriesContext(connection) as one:
        refresh.snapshot_refresh(run=run, person_ids=ids[:1])
    with CaptureQueriesContext(connection) as twenty:
        refresh.snapshot_refresh(run=run, person_ids=ids[:20])
    assert len(one.captured_queries) == len(twenty.captured_queries)


def test_a_committed_change_is_applied_at_once(
    time_machine, django_capture_on_commit_callbacks
) -> None:
    """The listener runs once after the commit, however many writes stamped persons (the
    test's transaction holds the building too: all of it is one commit here)."""
    world = World(random.Random(5))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = _maintained(world, time_machine)
        time_machine.shift(HOUR)
        person = Person.objects.filter(death_date__isnull=True).order_by("pk").first()
        assert person is not None
        deaths.death_record(
            actor=world.officer(person),
            person_id=person.pk,
            on=AS_OF,
            reason="火化证明",
            today=TODAY,
        )
        assert stored(run) != computed(run.plan)
    assert [c for c in callbacks if c is registry._facts_listeners] == [registry._facts_listeners]
    assert stored(run) == computed(run.plan)
    assert not Job.objects.filter(kind=refresh.REFRESH_KIND).exists()


def test_many_changed_persons_go_to_the_job(
    time_machine, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    world = World(random.Random(6))
    monkeypatch.setattr(refresh, "IN_REQUEST", 0)
    with django_capture_on_commit_callbacks(execute=True):
        run = _maintained(world, time_machine)
        time_machine.shift(HOUR)
        person = Person.objects.filter(death_date__isnull=True).order_by("pk").first()
        assert person is not None
        changes.person_move_record(
            actor=None,
            person=person,
            village_code=next(v for v in VILLAGES if v != person.village_code),
            on=AS_OF,
            reason="迁居",
            today=TODAY,
        )
    job = Job.objects.get(kind=refresh.REFRESH_KIND)  # the test settings run it at once
    assert job.status == JobStatus.DONE, job.error
    assert stored(run) == computed(run.plan)


def test_beyond_the_limit_the_date_is_recomputed(time_machine) -> None:
    world = World(random.Random(8))
    run = _maintained(world, time_machine)
    time_machine.shift(HOUR)
    apply_changes(world)
    time_machine.shift(HOUR)
    assert refresh.snapshots_refresh(limit=1) == {f"P14 {AS_OF}": -1}
    again = SnapshotRun.objects.get(plan=run.plan, as_of=AS_OF)
    assert again.pk != run.pk
    assert again.maintained_since is not None
    assert stored(again) == computed(run.plan)


@pytest.mark.parametrize("roll", [True, False])
def test_only_the_newest_run_of_a_plan_is_maintained(roll, time_machine) -> None:
    """Computed in full or rolled forward (``refresh.roll_forward``), a later date takes
    over the maintenance; the earlier date keeps its figures under a run not maintained."""
    world = World(random.Random(9))
    run = _maintained(world, time_machine)
    plan = run.plan
    figures = stored(run)
    earlier = services.snapshot_store(plan=plan, as_of=AS_OF - dt.timedelta(days=30))
    assert earlier.maintained_since is None
    assert not Contribution.objects.filter(run=earlier).exists()
    later = services.snapshot_store(plan=plan, as_of=AS_OF + dt.timedelta(days=31), roll=roll)
    assert (later.pk == run.pk) is roll  # rolled: the maintained run moved to the date
    assert later.maintained_since is not None
    assert Contribution.objects.filter(run=later).exists()
    kept = SnapshotRun.objects.get(plan=plan, as_of=AS_OF)
    assert kept.maintained_since is None
    assert not Contribution.objects.filter(run=kept).exists()
    assert stored(kept) == figures
    assert SnapshotRun.objects.filter(plan=plan).count() == 3
