"""The newest snapshot of each plan kept current as persons change (issue 21).

A full snapshot (``services.snapshot_store``) of the newest date of a plan also keeps, set-based,
each person's contribution (``Contribution``: a bit per person-based numerator and denominator,
and the township it counts in) while the facts in force are materialised. When persons'
facts change (their ``FactsMark``, the mark the incremental benefits scan reads too), only
those persons are materialised again (``facts_in_force(person_ids=…)``); their new counts
by township less their stored ones is the change, rolled up to counties and the city as
``compute`` rolls up (sums are linear) and added to the stored figures; their
contributions are replaced. Records parts are counted again: a records numerator counted
within its denominator (``specs.members_within``) over the stored contributions, the others
by their counters; hand-entered values do not depend on persons. The figures then equal a
full ``compute`` of the date (``tests/indicators/test_refresh.py`` compares them after
random changes).

A later date's snapshot moves the maintained run forward the same way (``roll_forward``):
only the persons whose facts may read differently on it (``dpf.rules.boundaries``) or that
changed since are evaluated again (``tests/indicators/test_roll_forward.py``).

The number of queries does not depend on the number of persons changed. After a commit that
changed facts (``dpf.registry.services.on_facts_changed``), a few persons are refreshed at
once, in the request; more are left to the job ``indicators.refresh``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import BigIntegerField, Case, Count, F, Q, Value, When
from django.db.models.lookups import GreaterThan
from django.utils import timezone

from dpf.core import bulk
from dpf.core.regions import roll_up
from dpf.indicators import compute as kpi
from dpf.indicators.models import Contribution, Indicator, Plan, Snapshot, SnapshotRun
from dpf.indicators.specs import FactsSpecs
from dpf.jobs.services import job_start
from dpf.registry.models import Person
from dpf.rules.boundaries import changed_between
from dpf.rules.materialise import FactsTable, calls_of, facts_in_force

# A bigint holds the bits of 63 parts; a plan with more person-based parts is not maintained
# (its figures change with the next full snapshot only).
MAX_KEYS = 63
# A change is marked (``FactsMark``) before its transaction commits: a refresh that
# started in between would not see it and must not skip it next time, so each refresh
# reads the persons changed since the previous one started, less this margin (applying a
# person twice changes nothing: the difference is then zero).
SETTLE = dt.timedelta(minutes=1)
# Up to this many changed persons are refreshed in the request that committed the change
# (tens of milliseconds, docs/benchmarks.md); more go to the job.
IN_REQUEST = 200
# Beyond this many changed persons the job stores a full snapshot instead (cheaper than
# materialising a large part of the registry person by person).
INCREMENTAL_LIMIT = 20_000
REFRESH_KIND = "indicators.refresh"
# Persons materialised at once (listed in a temporary table, by which their stored
# contributions are read and deleted too): the memory of a chunk's ids and counts.
CHUNK = 20_000


def _mask(conditions: dict[str, Q], keys: list[str]) -> Any:
    """The contribution's mask: bit ``i`` when the condition ``keys[i]`` holds."""
    terms = [
        Case(When(conditions[key], then=Value(1 << i)), default=Value(0))
        for i, key in enumerate(keys)
    ]
    total: Any = Value(0)
    for term in terms:
        total = total + term
    return total


def contributions_insert(run: SnapshotRun, facts: FactsTable, conditions: dict[str, Q]) -> None:
    """``INSERT … SELECT`` every counted person's contribution from the materialised facts
    (one statement, no loop over persons); persons counted nowhere get no row."""
    keys = run.contribution_keys
    select = (
        facts.queryset()
        .order_by()
        .annotate(
            c_run=Value(run.pk, output_field=BigIntegerField()),
            c_mask=_mask(conditions, keys),
        )
        .values("c_run", "id", "township_code", "c_mask")
    )
    sql, params = select.query.get_compiler(connection=connection).as_sql()
    quote = connection.ops.quote_name
    table = quote(Contribution._meta.db_table)
    columns = ", ".join(quote(c) for c in ("run_id", "person_id", "township_code", "mask"))
    # identifiers from model metadata; values are parameters of the ORM's SQL
    statement = (
        f"INSERT INTO {table} ({columns}) "  # noqa: S608
        f"SELECT s.c_run, s.id, s.township_code, s.c_mask FROM ({sql}) s WHERE s.c_mask <> 0"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def keep_contributions(run: SnapshotRun) -> kpi.KeepFacts:
    """The ``keep`` of ``compute`` for a maintained run: name the bits, write the rows."""

    def keep(facts: FactsTable, conditions: dict[str, Q]) -> None:
        keys = sorted(conditions)
        if len(keys) > MAX_KEYS:
            return
        run.contribution_keys = keys
        run.maintained_since = run.started_at
        contributions_insert(run, facts, conditions)

    return keep


def _stored_by_township(run: SnapshotRun, persons: Q) -> list[dict[str, Any]]:
    """The stored contributions of ``persons`` (a condition on ``person_id``) counted by
    township and key: the shape of ``compute.count_by_township``."""
    aggregates = {
        key: Count("id", filter=Q(GreaterThan(F("mask").bitand(1 << i), 0)))
        for i, key in enumerate(run.contribution_keys)
    }
    rows = Contribution.objects.filter(persons, run=run).order_by()
    return list(rows.values("township_code").annotate(**aggregates))


def _changes(
    run: SnapshotRun, person_ids: list[int], changes: dict[int, kpi.Counts] | None = None
) -> dict[int, kpi.Counts]:
    """By indicator, the change of each part's count by township when ``person_ids`` are
    counted as they are on the run's date instead of as stored (added into ``changes``);
    their contributions are replaced. ``CHUNK`` persons are materialised at a time."""
    plan = run.plan
    indicators = list(plan.indicators.order_by("order", "code"))
    prepared = FactsSpecs(run.as_of)
    roots = kpi.person_roots(indicators, prepared)
    changes = defaultdict(kpi.Counts) if changes is None else changes
    for start in range(0, len(person_ids), CHUNK):
        chunk = person_ids[start : start + CHUNK]
        with facts_in_force(run.as_of, roots, person_ids=chunk) as facts:
            listed = facts.listed("person_id")  # the chunk, by the table that lists it
            kpi.add_township_counts(changes, _stored_by_township(run, listed), sign=-1)
            conditions = kpi.person_conditions(indicators, prepared, facts)
            if sorted(conditions) != run.contribution_keys:
                raise RuntimeError(f"the parts of plan {plan.code} changed since run {run.pk}")
            kpi.add_township_counts(changes, kpi.count_by_township(facts, conditions))
            Contribution.objects.filter(listed, run=run).delete()
            contributions_insert(run, facts, conditions)
    return changes


def _within_by_township(
    run: SnapshotRun, indicators: list[Indicator]
) -> tuple[list[dict[str, Any]], set[int]]:
    """The records numerators counted within their denominators (``compute.within_members``)
    over the run's stored contributions: the denominator's bit and the kind's members on the
    run's date, by township (one grouped query; no person's facts evaluated again); and
    the indicators so counted."""
    keys = run.contribution_keys
    members = kpi.within_members(indicators, run.plan, run.as_of, keys)
    aggregates = {
        f"r{pk}": Count(
            "id",
            filter=Q(GreaterThan(F("mask").bitand(1 << keys.index(f"d{pk}")), 0))
            & Q(person_id__in=ids),
        )
        for pk, ids in members.items()
    }
    if not aggregates:
        return [], set()
    rows = Contribution.objects.filter(run=run).order_by()
    return list(rows.values("township_code").annotate(**aggregates)), set(members)


def _parts(
    ind: Indicator,
    prefix: str,
    stored: tuple[Decimal, Decimal | None],
    change: kpi.Counts | None,
    recount: kpi.Counts | None,
) -> tuple[Decimal, Decimal | None]:
    """A region's numerator and denominator now: a records part as counted again, a
    person-based part as stored plus the change."""
    numerator, denominator = stored
    if recount is not None and "records" in ind.numerator:
        numerator = Decimal(recount.num.get(prefix, 0))
    elif change is not None:
        numerator += change.num.get(prefix, 0)
    if denominator is not None:
        if recount is not None and "records" in ind.denominator:
            denominator = Decimal(recount.den.get(prefix, 0))
        elif change is not None:
            denominator += change.den.get(prefix, 0)
    return numerator, denominator


def _apply(run: SnapshotRun, changes: dict[int, kpi.Counts]) -> int:
    """Add the changes (rolled up) to the run's figures and count the record-based parts
    again; rewrite the rows whose figures moved (one ``executemany``). Returns how many."""
    plan: Plan = run.plan
    indicators = {ind.pk: ind for ind in plan.indicators.all()}
    recounted: dict[int, kpi.Counts] = defaultdict(kpi.Counts)
    within, counted = _within_by_township(run, list(indicators.values()))
    kpi.add_township_counts(recounted, within)
    kpi.record_counts(list(indicators.values()), plan, run.as_of, recounted, counted)
    regions = kpi.regions_for_report()
    prefixes = {region.code: region.prefix for region in regions}
    for entry in [*changes.values(), *recounted.values()]:
        entry.num, entry.den = roll_up(entry.num, regions), roll_up(entry.den, regions)
    updates: list[tuple[Any, ...]] = []
    rows = Snapshot.objects.filter(run=run).values_list(
        "pk", "indicator_id", "region_code", "numerator", "denominator", "value", "target", "status"
    )
    for pk, ind_id, region_code, numerator, denominator, value, target, status in rows:
        ind = indicators[ind_id]
        if ind.is_manual or numerator is None:
            continue
        new_num, new_den = _parts(
            ind,
            prefixes.get(region_code, region_code),
            (numerator, denominator),
            changes.get(ind_id),
            recounted.get(ind_id),
        )
        new_value = kpi.counted_value(ind, new_num, new_den)
        new_status = kpi.status_of(ind, new_value, target, plan, run.as_of)
        if (new_num, new_den, new_value, new_status) != (numerator, denominator, value, status):
            updates.append((pk, new_num, new_den, new_value, new_status))
    # one statement on PostgreSQL (``executemany`` sent one per row: 0.13 s for a month's
    # roll at 50,000 demo persons), one ``executemany`` on SQLite
    bulk.update_rows(Snapshot, ("numerator", "denominator", "value", "status"), updates)
    return len(updates)


def maintained_runs() -> list[SnapshotRun]:
    return list(
        SnapshotRun.objects.filter(maintained_since__isnull=False, finished_at__isnull=False)
        .select_related("plan")
        .order_by("pk")
    )


def changed_since(since: dt.datetime) -> Any:
    """The persons whose facts changed after ``since`` (less ``SETTLE``)."""
    return Person.objects.filter(facts_mark__changed_at__gt=since - SETTLE)


def snapshot_refresh(*, run: SnapshotRun, person_ids: list[int]) -> int:
    """Apply the changes of ``person_ids`` to the maintained ``run`` (see the module
    docstring) in one transaction; returns the number of figures that moved. Does not move
    ``maintained_since`` (``snapshots_refresh`` does)."""
    if not person_ids:
        return 0
    with transaction.atomic():
        changes = _changes(run, person_ids)
        return _apply(run, changes)


def snapshots_refresh(*, limit: int | None = INCREMENTAL_LIMIT) -> dict[str, int]:
    """Bring every maintained run up to date with the persons changed since it was last
    (the figures moved, by run). Runs one at a time under a row lock, so two refreshes at
    once apply each change once. More than ``limit`` changed persons: the date's full
    snapshot is stored again instead."""
    from dpf.indicators.services import snapshot_store  # services imports this module

    moved: dict[str, int] = {}
    for candidate in maintained_runs():
        with transaction.atomic():
            run = (
                SnapshotRun.objects.select_for_update()
                .select_related("plan")
                .filter(pk=candidate.pk, maintained_since__isnull=False)
                .first()
            )
            if run is None or run.maintained_since is None:
                continue  # replaced by a new snapshot meanwhile
            started = timezone.now()
            ids = list(changed_since(run.maintained_since).values_list("pk", flat=True))
            label = f"{run.plan.code} {run.as_of}"
            if limit is not None and len(ids) > limit:
                snapshot_store(plan=run.plan, as_of=run.as_of, maintain=True)
                moved[label] = -1
                continue
            moved[label] = snapshot_refresh(run=run, person_ids=ids)
            SnapshotRun.objects.filter(pk=run.pk).update(maintained_since=started)
    return moved


def after_facts_changed() -> None:
    """Run after a transaction that changed persons' facts commits: a few persons are
    refreshed at once, so the dashboard shows the change when the page is next read; more
    (a roster) go to the job ``indicators.refresh`` (a second start joins the queued one)."""
    runs = maintained_runs()
    if not runs:
        return
    since = min(run.maintained_since for run in runs if run.maintained_since is not None)
    if changed_since(since).count() <= IN_REQUEST:
        snapshots_refresh()
    else:
        job_start(actor=None, kind=REFRESH_KIND, key=REFRESH_KIND)


# A roll to a later date evaluates again the persons whose facts may differ on it; beyond
# this share of the registry the full snapshot is stored instead.
ROLL_SHARE = 0.25


def _copy_figures(source: SnapshotRun, target: SnapshotRun) -> None:
    """``INSERT … SELECT`` the figures of ``source`` as the figures of ``target`` on its date."""
    quote = connection.ops.quote_name
    table = quote(Snapshot._meta.db_table)
    kept = [
        quote(f.column)
        for f in Snapshot._meta.concrete_fields
        if f.column not in ("id", "run_id", "as_of")
    ]
    columns = ", ".join([quote("run_id"), quote("as_of"), *kept])
    # identifiers from model metadata; values are parameters
    statement = (
        f"INSERT INTO {table} ({columns}) SELECT %s, %s, {', '.join(kept)} "  # noqa: S608
        f"FROM {table} WHERE {quote('run_id')} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [target.pk, target.as_of, source.pk])


def _manual_figures(run: SnapshotRun) -> None:
    """The hand-entered indicators' rows as ``compute`` gives them on the run's date."""
    results = kpi.manual_results(run.plan, run.as_of, kpi.regions_for_report())
    rows = Snapshot.objects.filter(run=run, indicator__in={r.indicator.pk for r in results})
    by_key = {(row.indicator_id, row.region_code): row for row in rows}
    updates: list[tuple[Any, ...]] = []
    for r in results:
        row = by_key.get((r.indicator.pk, r.region_code))
        if row is None:
            continue
        new = (r.numerator, r.value, r.reference, r.target, r.status)
        if new != (row.numerator, row.value, row.reference, row.target, row.status):
            updates.append((row.pk, *new))
    bulk.update_rows(Snapshot, ("numerator", "value", "reference", "target", "status"), updates)


def _rollable(plan: Plan, run: SnapshotRun, as_of: dt.date) -> Q | None:
    """Who must be evaluated again to move ``run`` to ``as_of``, or None when the figures
    cannot be rolled (see ``roll_forward``)."""
    indicators = list(plan.indicators.order_by("order", "code"))
    prepared = FactsSpecs(as_of)
    roots = kpi.person_roots(indicators, prepared)
    if not roots or roots != kpi.person_roots(indicators, FactsSpecs(run.as_of)):
        return None  # another version of a rule is in force on the later date
    keys = kpi.person_conditions(indicators, prepared, FactsTable(as_of, set(calls_of(roots))))
    if sorted(keys) != run.contribution_keys:
        return None  # the plan's parts changed since the run
    regions = {region.code for region in kpi.regions_for_report()}
    stored = Snapshot.objects.filter(run=run).order_by().values_list("region_code", flat=True)
    if set(stored.distinct()) != regions:
        return None
    return changed_between(run.as_of, as_of, roots)


def roll_forward(
    *, plan: Plan, as_of: dt.date, quality: dict[str, Any], changes_seen: bool = False
) -> SnapshotRun | None:
    """Move the plan's maintained run to the later date ``as_of`` instead of computing that
    date in full: its figures of its own date stay, as a run of their own; the persons whose
    facts may read differently on ``as_of`` (``dpf.rules.boundaries``) and those changed
    since its last refresh are evaluated again on ``as_of`` and their difference applied,
    as the refresh does; record counts, hand-entered values and statuses are taken on
    ``as_of``. The figures then equal a full ``compute`` of ``as_of``
    (``tests/indicators/test_roll_forward.py``). Called inside ``snapshot_store``'s
    transaction. None, and nothing written, when the run cannot be rolled: no maintained
    run before the date, another rule version in force, a fact that changes with the date
    in a way the boundaries do not list, the plan's parts or the regions changed, or more
    than ``ROLL_SHARE`` of the persons to evaluate again.

    ``changes_seen``: the caller's own transaction wrote every change there is and the run
    was computed inside it (the demo's generation), so no person marked changed is
    evaluated again for that reason (their marks are minutes old at most, within
    ``SETTLE``, so all of them would be); only those whose facts turn between the dates."""
    run = (
        SnapshotRun.objects.select_for_update()
        .select_related("plan")
        .filter(plan=plan, as_of__lt=as_of, finished_at__isnull=False)
        .filter(maintained_since__isnull=False)
        .order_by("-as_of")
        .first()
    )
    if run is None or run.maintained_since is None or not run.contribution_keys:
        return None
    turning = _rollable(plan, run, as_of)
    if turning is None:
        return None
    started = timezone.now()
    ids = set()
    if not changes_seen:
        ids = set(changed_since(run.maintained_since).values_list("pk", flat=True))
    ids |= set(Person.objects.filter(turning).values_list("pk", flat=True))
    if len(ids) > ROLL_SHARE * Person.objects.count():
        return None
    frozen = SnapshotRun.objects.create(
        plan=plan, as_of=run.as_of, quality=run.quality, finished_at=run.finished_at
    )
    SnapshotRun.objects.filter(pk=frozen.pk).update(started_at=run.started_at)
    Snapshot.objects.filter(run=run).update(run=frozen)
    run.as_of, run.quality, run.started_at = as_of, quality, started
    SnapshotRun.objects.filter(pk=run.pk).update(as_of=as_of, quality=quality, started_at=started)
    _copy_figures(frozen, run)
    _apply(run, _changes(run, sorted(ids)))
    _manual_figures(run)
    run.finished_at, run.maintained_since = timezone.now(), started
    run.evaluated = len(ids)
    SnapshotRun.objects.filter(pk=run.pk).update(
        finished_at=run.finished_at, maintained_since=started
    )
    return run
