"""``dpf bench indicators``: the newest snapshot kept current as persons change (issue 21).

In the database of ``DATABASE_URL`` (a generated registry): the shipped plan's snapshot of
the date stored in full, without and then with the persons' contributions kept (the
maintained run); one person moved to another township through the service, the
commit's refresh timed inside it (what the clerk's request waits for); then ``changed``
persons changed set-based as a roster commit changes them (``bench.scan.change_facts``),
their refresh timed; last, every stored figure compared with a full ``compute``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import connection

from dpf.bench.scan import change_facts
from dpf.core.errors import ValidationFailed
from dpf.indicators import compute as kpi
from dpf.indicators import refresh, services
from dpf.indicators.models import Contribution, Snapshot, SnapshotRun
from dpf.registry import changes
from dpf.registry.models import Person
from dpf.registry.services import on_facts_changed


@dataclass
class Measurement:
    persons: int
    database: str
    as_of: str
    full_snapshot_seconds: float
    maintained_snapshot_seconds: float
    contributions: int
    one_change_request_seconds: float
    one_change_refresh_seconds: float
    changed_persons: int
    changed_refresh_seconds: float
    figures_moved: int
    equal_to_full_compute: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _figures(run: SnapshotRun) -> dict[tuple[int, str], tuple[Any, ...]]:
    rows = Snapshot.objects.filter(run=run).values_list(
        "indicator_id", "region_code", "numerator", "denominator", "value", "status"
    )
    return {(i, r): tuple(rest) for i, r, *rest in rows}


def measure(*, as_of: dt.date, changed: int, seed: int, say: Callable[[str], None]) -> Measurement:
    persons = Person.objects.count()
    if persons == 0:
        raise ValidationFailed("empty", "登记库为空", "the registry is empty", field=None)
    plan = services.load_shipped_plan()
    say(f"{persons} persons on {connection.vendor}; full snapshot …")
    started = time.perf_counter()
    services.snapshot_store(plan=plan, as_of=as_of, maintain=False)
    full = time.perf_counter() - started
    say(f"full {full:.2f} s; maintained snapshot …")
    started = time.perf_counter()
    run = services.snapshot_store(plan=plan, as_of=as_of, maintain=True)
    maintained = time.perf_counter() - started

    refreshed: list[float] = []

    def timed() -> None:
        began = time.perf_counter()
        refresh.after_facts_changed()
        refreshed.append(time.perf_counter() - began)

    on_facts_changed("indicators.refresh", timed)  # the same listener, timed
    rng = random.Random(seed)
    living = Person.objects.filter(death_date__isnull=True).order_by("pk")
    mover = living[rng.randrange(min(living.count(), 10_000))]
    elsewhere = (
        Person.objects.exclude(township_code=mover.township_code)
        .order_by("pk")
        .values_list("village_code", flat=True)
        .first()
    )
    say(f"maintained {maintained:.2f} s; one person moved to {elsewhere} …")
    started = time.perf_counter()
    changes.person_move_record(
        actor=None, person=mover, village_code=str(elsewhere), on=as_of, reason="迁居", today=as_of
    )
    request = time.perf_counter() - started
    one = sum(refreshed)
    on_facts_changed("indicators.refresh", lambda: None)  # refreshed below, timed
    try:
        queued = change_facts(count=changed, seed=seed, as_of=as_of) if changed else 0
    finally:
        on_facts_changed("indicators.refresh", refresh.after_facts_changed)
    say(f"request {request:.3f} s (refresh {one:.3f} s); {queued} persons changed; refresh …")
    started = time.perf_counter()
    moved = refresh.snapshots_refresh()
    many = time.perf_counter() - started
    say(f"refresh {many:.3f} s; full compute to compare …")
    expected = {
        (r.indicator.pk, r.region_code): (r.numerator, r.denominator, r.value, r.status)
        for r in kpi.compute(plan, as_of)
    }
    return Measurement(
        persons=persons,
        database=connection.vendor,
        as_of=as_of.isoformat(),
        full_snapshot_seconds=round(full, 2),
        maintained_snapshot_seconds=round(maintained, 2),
        contributions=Contribution.objects.filter(run=run).count(),
        one_change_request_seconds=round(request, 3),
        one_change_refresh_seconds=round(one, 3),
        changed_persons=queued,
        changed_refresh_seconds=round(many, 3),
        figures_moved=sum(moved.values()),
        equal_to_full_compute=_figures(run) == expected,
    )
