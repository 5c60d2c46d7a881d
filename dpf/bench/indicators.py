"""``dpf bench indicators``: the newest snapshot kept current as persons change (issue 21).

In the database of ``DATABASE_URL`` (a generated registry): the shipped plan's snapshot of
the date stored in full, without and then with the persons' contributions kept (the
maintained run); one person moved to another township through the service, the
commit's refresh timed inside it (what the clerk's request waits for); then ``changed``
persons changed set-based as a roster commit changes them (``bench.scan.change_facts``),
their refresh timed; last, every stored figure compared with a full ``compute``.

The one-person step measures the request's refresh only when the listener refreshed in the
request: with more than ``refresh.IN_REQUEST`` persons changed since the snapshot (right
after a demo generation, every person is) it queues the job ``indicators.refresh`` instead,
and the result says so (``one_change_refreshed_in_request`` false, no refresh time).
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
    # Whether the move's listener refreshed in the request; when it queued the job instead
    # (more than ``refresh.IN_REQUEST`` persons changed since the snapshot: the pending
    # count) the request refreshed nothing and no refresh time is given.
    one_change_refreshed_in_request: bool
    one_change_queued_as_job: bool
    one_change_pending_persons: int | None
    one_change_refresh_seconds: float | None
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
    queued: list[int] = []  # persons changed since the snapshot, when the job was queued

    def timed() -> None:
        since = run.maintained_since
        began = time.perf_counter()
        refresh.after_facts_changed()
        spent = time.perf_counter() - began
        # A refresh in the request moves the run's ``maintained_since``; a queued job not.
        run.refresh_from_db(fields=["maintained_since"])
        if run.maintained_since != since:
            refreshed.append(spent)
        elif since is not None:
            queued.append(refresh.changed_since(since).count())

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
    one = sum(refreshed) if refreshed else None
    if queued:
        say(
            f"the move's refresh was queued as the job {refresh.REFRESH_KIND}, not run in the "
            f"request: {queued[0]} persons changed since the snapshot (more than "
            f"{refresh.IN_REQUEST}, as right after a demo generation); "
            "no one-person refresh time was measured"
        )
    on_facts_changed("indicators.refresh", lambda: None)  # refreshed below, timed
    try:
        changed_count = change_facts(count=changed, seed=seed, as_of=as_of) if changed else 0
    finally:
        on_facts_changed("indicators.refresh", refresh.after_facts_changed)
    spent = f"refresh {one:.3f} s" if one is not None else "no refresh in the request"
    say(f"request {request:.3f} s ({spent}); {changed_count} persons changed; refresh …")
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
        one_change_refreshed_in_request=bool(refreshed),
        one_change_queued_as_job=bool(queued),
        one_change_pending_persons=queued[0] if queued else None,
        one_change_refresh_seconds=round(one, 3) if one is not None else None,
        changed_persons=changed_count,
        changed_refresh_seconds=round(many, 3),
        figures_moved=sum(moved.values()),
        equal_to_full_compute=_figures(run) == expected,
    )
