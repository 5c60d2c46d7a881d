"""The proactive scan (主动发现): every benefit over the whole registry, set-based.

Per benefit, in its own transaction:

1. ONE condition over ``Person``: the base rule in force OR, per county with a widening in
   force, ``county_code == C AND widening`` (``eligibility.eligibility_q``);
2. the rule is evaluated ONCE (a full scan first materialises the facts in force on the
   date for all benefits, ``dpf.rules.materialise``, and evaluates each rule over that
   table's columns): its eligible persons go to a scratch TEMP table
   (``ScanEligible``) that the counts (eligible, receiving, covered = eligible and
   receiving), inserts and updates below join against;
3. ``INSERT … SELECT`` of a ``proposal`` for every eligible person not receiving and a
   ``review`` for every person receiving who is no longer eligible; the partial unique
   index "one open item per (person, benefit, kind)" plus ``ON CONFLICT DO NOTHING`` make a
   second run add nothing. An item a worker closed (done or dismissed) is not raised again
   until a fact about the person changes after it was closed;
4. open items that no longer apply (the person became ineligible, started or stopped
   receiving) are marked ``obsolete`` by one ``UPDATE``.

No step loops over people in Python: the number of queries depends on the number of
benefits, never on the number of persons. Explanations are not computed here (that would
evaluate people one by one); the worker's page computes them when an item is opened.

Resumable: a benefit's counts are saved in the same transaction as its items, so a run
that died is continued by the next run with the same date, mode and benefits, which skips
the benefits already done. Incremental: only persons whose ``FactsMark`` is after
the start of the last finished run that covered the benefit (a run's start, not its end,
so a change made during a run is seen by the next one). Changes that come from the
calendar alone (a birthday, a certificate reaching its expiry date) change no fact: a full
run (e.g. nightly or monthly) finds them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import OperationalError, connection, transaction
from django.db.models import (
    BigIntegerField,
    CharField,
    DateField,
    DateTimeField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from dpf.accounts.models import User
from dpf.benefits.eligibility import eligibility_condition, rules_in_force, rules_of
from dpf.benefits.exclusive import losing_choice, partners
from dpf.benefits.models import (
    BenefitItem,
    ScanEligible,
    ScanRun,
    ScanStatus,
    WorkItem,
    WorkItemKind,
    WorkItemStatus,
)
from dpf.benefits.receiving import active_entitlements
from dpf.core import audit
from dpf.core.errors import ValidationFailed
from dpf.registry.models import Person
from dpf.rules.materialise import FactsTable, facts_in_force

Progress = Callable[[str], None]

_SCAN_LOCK = 0x44504653  # "DPFS": one scan at a time on PostgreSQL
_ITEM_COLUMNS = (
    ("person_id", "_person"),
    ("benefit_id", "_benefit"),
    ("kind", "_kind"),
    ("status", "_status"),
    ("scan_run_id", "_run"),
    ("as_of", "_as_of"),
    ("county_code", "_county"),
    ("township_code", "_township"),
    ("village_code", "_village"),
    ("created_at", "_created"),
    ("note", "_note"),
)


def _benefits(codes: Iterable[str] | None) -> list[BenefitItem]:
    items = BenefitItem.objects.filter(active=True)
    if codes is None:
        return list(items)
    wanted = list(dict.fromkeys(codes))
    found = {b.code: b for b in items.filter(code__in=wanted)}
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise ValidationFailed(
            "benefit_unknown",
            f"惠残事项不存在或未启用：{', '.join(unknown)}",
            f"unknown or inactive benefit: {', '.join(unknown)}",
            field="benefit",
        )
    return [found[c] for c in wanted]


def _last_done_starts(codes: list[str]) -> dict[str, dt.datetime]:
    """For each code, the start of the newest finished run that covered it."""
    out: dict[str, dt.datetime] = {}
    runs = ScanRun.objects.filter(status=ScanStatus.DONE).order_by("-started_at")
    for started, covered in runs.values_list("started_at", "benefit_codes")[:500]:
        for code in covered or []:
            if code in codes and code not in out:
                out[code] = started
        if len(out) == len(codes):
            break
    return out


def _resumable(as_of: dt.date, mode: str, codes: list[str]) -> ScanRun | None:
    last = ScanRun.objects.order_by("-started_at", "-id").first()
    if (
        last is not None
        and last.status in (ScanStatus.RUNNING, ScanStatus.FAILED)
        and last.as_of == as_of
        and last.mode == mode
        and list(last.benefit_codes) == codes
    ):
        return last
    return None


def _insert_items(
    persons: QuerySet[Person],
    *,
    benefit: BenefitItem,
    kind: str,
    run: ScanRun,
    as_of: dt.date,
    now: dt.datetime,
) -> int:
    """``INSERT INTO workitem … SELECT … FROM person WHERE …``: one statement, no loop."""
    select = persons.annotate(
        _person=F("pk"),
        _benefit=Value(benefit.pk, output_field=BigIntegerField()),
        _kind=Value(kind, output_field=CharField()),
        _status=Value(WorkItemStatus.OPEN.value, output_field=CharField()),
        _run=Value(run.pk, output_field=BigIntegerField()),
        _as_of=Value(as_of, output_field=DateField()),
        _county=F("county_code"),
        _township=F("township_code"),
        _village=F("village_code"),
        _created=Value(now, output_field=DateTimeField()),
        _note=Value("", output_field=CharField()),
    ).values(*(alias for _, alias in _ITEM_COLUMNS))
    sql, params = select.query.get_compiler(connection=connection).as_sql()
    table = connection.ops.quote_name(WorkItem._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c, _ in _ITEM_COLUMNS)
    aliases = ", ".join(f"s.{connection.ops.quote_name(a)}" for _, a in _ITEM_COLUMNS)
    # Identifiers come from model metadata and values stay parameters (no injection).
    # "WHERE 1 = 1" keeps SQLite from reading ON CONFLICT as part of the SELECT.
    statement = (
        f"INSERT INTO {table} ({columns}) SELECT {aliases} FROM ({sql}) s "  # noqa: S608
        "WHERE 1 = 1 ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return max(cursor.rowcount, 0)


def _fill_eligible(persons: QuerySet[Any]) -> None:
    """Replace the scratch set with the ids of ``persons`` (one INSERT … SELECT)."""
    table = connection.ops.quote_name(ScanEligible._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {table} (person_id bigint PRIMARY KEY)")
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - a fixed identifier
        try:
            sql, params = (
                persons.values("pk").distinct().query.get_compiler(connection=connection).as_sql()
            )
        except EmptyResultSet:  # no rule in force: nobody is eligible
            return
        cursor.execute(f"INSERT INTO {table} (person_id) {sql}", params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ANALYZE {table}")  # temp tables get no autovacuum statistics


def scan_benefit(
    benefit: BenefitItem,
    *,
    as_of: dt.date,
    run: ScanRun,
    since: dt.datetime | None,
    facts: FactsTable | None = None,
) -> dict[str, Any]:
    """Scan one benefit (see the module docstring); returns its counts. ``facts``: the
    facts in force on ``as_of`` already materialised for a full scan."""
    now = timezone.now()
    rules = rules_in_force(benefit, as_of)
    persons = Person.objects.all()
    items = WorkItem.objects.filter(benefit=benefit, status=WorkItemStatus.OPEN)
    if since is not None:
        persons = persons.filter(facts_mark__changed_at__gt=since)
        # Driven from the changed persons (the index on their marks' time, then the open
        # items' unique index, person first), not from every open item of the benefit,
        # which grows with the registry (issue 21).
        items = items.filter(person_id__in=persons.values("pk"))

    # The rule is evaluated once: its eligible persons go to a scratch table, and every
    # step below joins against that (an indexed look-up, never the rule again).
    if facts is not None and since is None:
        _fill_eligible(facts.queryset().filter(eligibility_condition(rules, facts)))
    else:
        _fill_eligible(persons.filter(eligibility_condition(rules)))
    if partners(benefit.code):  # pay the higher one (择高享受): the losers leave the set
        in_scratch = Exists(ScanEligible.objects.filter(person_id=OuterRef("pk")))
        losing = losing_choice(benefit, as_of, Person.objects.filter(in_scratch))
        ScanEligible.objects.filter(person_id__in=losing.values("pk")).delete()
    eligible_now = ScanEligible.objects.filter(person_id=OuterRef("pk"))
    in_set = Exists(eligible_now)
    receiving = Exists(active_entitlements(benefit.code, as_of).filter(person_id=OuterRef("pk")))
    eligible = persons.filter(in_set)

    def already_queued(kind: str) -> Exists:
        """An open item, or one a worker closed after the person's facts last changed."""
        same = WorkItem.objects.filter(person_id=OuterRef("pk"), benefit=benefit, kind=kind)
        closed_since_change = Q(status__in=[WorkItemStatus.DONE, WorkItemStatus.DISMISSED]) & (
            Q(person__facts_mark__isnull=True)
            | Q(closed_at__gte=F("person__facts_mark__changed_at"))
        )
        return Exists(same.filter(Q(status=WorkItemStatus.OPEN) | closed_since_change))

    # Counted as joins (semi-joins), not as per-row FILTER (WHERE EXISTS …) subplans.
    covered_ids = ScanEligible.objects.filter(
        Exists(active_entitlements(benefit.code, as_of).filter(person_id=OuterRef("person_id")))
    )
    counts: dict[str, Any] = {
        "eligible": ScanEligible.objects.count(),
        "receiving": persons.filter(receiving).count(),
        "covered": covered_ids.count(),
    }
    counts.update(
        {
            "rule_version": rules.base.pk if rules.base else None,
            "widened_counties": sorted(rules.widenings),
            "since": since.isoformat() if since else None,
        }
    )
    counts["proposed"] = _insert_items(
        eligible.exclude(receiving).exclude(already_queued(WorkItemKind.PROPOSAL)),
        benefit=benefit,
        kind=WorkItemKind.PROPOSAL,
        run=run,
        as_of=as_of,
        now=now,
    )
    counts["to_review"] = _insert_items(
        persons.filter(receiving).exclude(in_set).exclude(already_queued(WorkItemKind.REVIEW)),
        benefit=benefit,
        kind=WorkItemKind.REVIEW,
        run=run,
        as_of=as_of,
        now=now,
    )
    item_receiving = Exists(
        active_entitlements(benefit.code, as_of).filter(person_id=OuterRef("person_id"))
    )
    item_eligible = Exists(ScanEligible.objects.filter(person_id=OuterRef("person_id")))
    stale_proposals = items.filter(kind=WorkItemKind.PROPOSAL).filter(
        ~Q(item_eligible) | Q(item_receiving)
    )
    stale_reviews = items.filter(kind=WorkItemKind.REVIEW).filter(
        Q(item_eligible) | ~Q(item_receiving)
    )
    obsolete = {
        "status": WorkItemStatus.OBSOLETE,
        "closed_at": now,
        "note": "扫描时已不适用 / no longer applies at the scan",
    }
    counts["withdrawn"] = stale_proposals.update(**obsolete) + stale_reviews.update(**obsolete)
    return counts


def _lock(acquire: bool, wait_seconds: int = 0) -> bool:
    """Take (or give back) the one-scan-at-a-time lock; with ``wait_seconds`` wait that long
    for a running scan to finish before giving up."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if not acquire:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_SCAN_LOCK])
            return True
        if wait_seconds <= 0:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_SCAN_LOCK])
            return bool(cursor.fetchone()[0])
        cursor.execute("SELECT current_setting('lock_timeout')")
        before = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('lock_timeout', %s, false)", [f"{wait_seconds}s"])
        try:
            with transaction.atomic():  # a savepoint: a timeout must not break an outer block
                cursor.execute("SELECT pg_advisory_lock(%s)", [_SCAN_LOCK])
            return True
        except OperationalError:  # lock_timeout: the other scan is still running
            return False
        finally:
            cursor.execute("SELECT set_config('lock_timeout', %s, false)", [before])


def scan(
    *,
    as_of: dt.date | None = None,
    benefit_codes: Iterable[str] | None = None,
    incremental: bool = False,
    progress: Progress | None = None,
    actor: User | None = None,
    wait_seconds: int = 0,
) -> ScanRun:
    """Run the proactive scan; returns the finished ``ScanRun`` with per-benefit counts.

    While another scan runs it is refused (``scan_running``) at once, or after waiting up
    to ``wait_seconds`` for that scan to finish (the follow-up scan a roster commit
    queues when it could not rescan, ``dpf.exchange.services.imports.batch_commit``)."""
    as_of = as_of or timezone.localdate()
    benefits = _benefits(benefit_codes)
    codes = [b.code for b in benefits]
    mode = ScanRun.Mode.INCREMENTAL if incremental else ScanRun.Mode.FULL
    say = progress or (lambda _message: None)
    if not _lock(True, wait_seconds):
        raise ValidationFailed(
            "scan_running", "另一次扫描正在运行", "another scan is running", field=None
        )
    try:
        run = _resumable(as_of, mode, codes)
        if run is not None:
            say(f"resuming scan #{run.pk}: {len(run.counts)}/{len(codes)} done")
            run.status = ScanStatus.RUNNING
            run.save(update_fields=["status"])
        else:
            starts = _last_done_starts(codes) if incremental else {}
            run = ScanRun.objects.create(
                started_at=timezone.now(),
                as_of=as_of,
                benefit_codes=codes,
                mode=mode,
                since=min(starts.values()) if starts else None,
                actor_name=getattr(actor, "username", "") or "system",
            )
        starts = _last_done_starts(codes) if incremental else {}
        todo = [b for b in benefits if b.code not in run.counts]
        try:
            with _materialised(todo, as_of, incremental) as facts:
                _scan_each(benefits, run=run, as_of=as_of, starts=starts, facts=facts, say=say)
        except BaseException as exc:
            run.status = ScanStatus.FAILED
            run.error = type(exc).__name__[:300]
            run.save(update_fields=["status", "error"])
            raise
        run.status = ScanStatus.DONE
        run.finished_at = timezone.now()
        run.progress = f"{len(benefits)}/{len(benefits)}"
        run.save(update_fields=["status", "finished_at", "progress"])
        audit.record(
            actor=actor,
            actor_name="" if actor else "scan",
            action="create",
            object_type="scan_run",
            object_id=run.pk,
            changes={
                "as_of": as_of.isoformat(),
                "mode": mode,
                "proposed": sum(c["proposed"] for c in run.counts.values()),
                "to_review": sum(c["to_review"] for c in run.counts.values()),
            },
        )
        return run
    finally:
        _lock(False)


def _materialised(
    benefits: list[BenefitItem], as_of: dt.date, incremental: bool
) -> AbstractContextManager[FactsTable | None]:
    """A full scan reads every fact table once for all benefits (``dpf.rules.materialise``);
    an incremental one evaluates the few changed persons directly."""
    if incremental or not benefits:
        return nullcontext(None)
    roots = [r.root for b in benefits for r in rules_of(rules_in_force(b, as_of))]
    return facts_in_force(as_of, roots)


def _scan_each(
    benefits: list[BenefitItem],
    *,
    run: ScanRun,
    as_of: dt.date,
    starts: dict[str, dt.datetime],
    facts: FactsTable | None,
    say: Progress,
) -> None:
    for i, benefit in enumerate(benefits, start=1):
        if benefit.code in run.counts:
            continue
        with transaction.atomic():
            counts = scan_benefit(
                benefit, as_of=as_of, run=run, since=starts.get(benefit.code), facts=facts
            )
            run.counts = {**run.counts, benefit.code: counts}
            run.progress = f"{i}/{len(benefits)} {benefit.code}"
            run.save(update_fields=["counts", "progress"])
        say(
            f"[{i}/{len(benefits)}] {benefit.code}: eligible {counts['eligible']}, "
            f"receiving {counts['receiving']}, proposed {counts['proposed']}, "
            f"to review {counts['to_review']}"
        )
