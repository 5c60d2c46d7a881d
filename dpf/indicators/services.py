"""Writes of the indicators app: plans, hand-entered values, snapshots."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from dpf.accounts.models import User
from dpf.accounts.permissions import require_permission
from dpf.core import audit, bulk
from dpf.core.inputs import refuse
from dpf.core.models import Region
from dpf.core.text import check_text_characters
from dpf.indicators import compute as kpi
from dpf.indicators import refresh
from dpf.indicators.models import (
    Contribution,
    Indicator,
    ManualValue,
    Plan,
    RegionTarget,
    Snapshot,
    SnapshotRun,
)
from dpf.indicators.plandefs import check_plan
from dpf.indicators.quality import quality_by_region
from dpf.jobs.models import Job
from dpf.jobs.services import job_start

PLAN_14TH = Path(__file__).parent / "data" / "plan_14th.json"


def _decimal(value: Any, field: str) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise refuse("number", f"{field} 不是数字", f"{field} is not a number", field) from None


def _date(value: Any, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise refuse(
            "date",
            f"{field} 不是有效日期（YYYY-MM-DD）",
            f"{field} is not a date (YYYY-MM-DD)",
            field,
        ) from None


@transaction.atomic
def plan_load(
    *, actor: User | None, data: dict[str, Any], replace: bool = False, draft: bool = False
) -> Plan:
    """Create a plan and its indicators from a definition (the shape of plan_14th.json).

    ``draft`` (an upload from the page): the plan is written unpublished, so what users see
    by default does not change until ``plan_publish``; otherwise (the command line, the
    shipped plan) it is published at once.

    The whole definition is checked first (``plandefs.check_plan``: rules type-check, known
    benefits, comparison, kind, targets in range); any problem refuses it and nothing is
    written. A plan code that exists is refused unless ``replace``.
    """
    if actor is not None:  # None: the command line (``dpf`` management commands)
        require_permission(actor, "change", "indicators")
    check = check_plan(data, replace=replace)
    if not check.ok:
        raise check.problems[0].error
    prepared = check.indicators
    start, end = _date(data["start"], "start"), _date(data["end"], "end")
    if replace:
        Plan.objects.filter(code=data["code"]).delete()
    plan = Plan.objects.create(
        code=data["code"],
        name_zh=data["name_zh"],
        name_en=data["name_en"],
        start=start,
        end=end,
        mid_term=_date(data["mid_term"], "mid_term") if data.get("mid_term") else None,
        source=data.get("source", ""),
        published_at=None if draft else timezone.now(),
        published_by=None if draft or actor is None else actor,
    )
    Indicator.objects.bulk_create(
        [
            Indicator(
                plan=plan,
                code=item["code"],
                name_zh=item["name_zh"],
                name_en=item["name_en"],
                unit=item["unit"],
                kind=item["kind"],
                comparison=item["comparison"],
                target=_decimal(item["target"], "target"),
                numerator=item["numerator"],
                denominator=item.get("denominator") or {},
                scale=_decimal(item.get("scale", "1"), "scale"),
                cumulative=bool(item.get("cumulative", False)),
                main=bool(item.get("main", False)),
                section=item.get("section", ""),
                order=int(item.get("order", 0)),
                note=item.get("note", ""),
            )
            for item in prepared
        ]
    )
    by_code = {ind.code: ind for ind in plan.indicators.all()}
    RegionTarget.objects.bulk_create(
        [
            RegionTarget(
                indicator=by_code[item["code"]],
                region_code=code,
                target=_decimal(value, "region_targets"),
            )
            for item in prepared
            for code, value in (item.get("region_targets") or {}).items()
        ]
    )
    audit.record(
        actor=actor,
        action="create",
        object_type="plan",
        object_id=plan.code,
        changes={"status": "draft" if draft else "published"},
    )
    return plan


@transaction.atomic
def plan_publish(*, actor: User | None, code: str) -> Plan:
    """Publish the draft plan ``code``: from now on the pages open on it by default (the
    newest published plan). Publishing twice is refused; nothing else changes."""
    require_permission(actor, "change", "indicators")
    plan = Plan.objects.select_for_update().filter(code=code).first()
    if plan is None:
        raise refuse("unknown_plan", f"没有规划 {code}", f"No plan {code}", "plan")
    if plan.published_at is not None:
        raise refuse(
            "already_published",
            f"规划 {code} 已发布",
            f"Plan {code} is already published",
            "plan",
        )
    plan.published_at = timezone.now()
    plan.published_by = actor
    plan.save(update_fields=["published_at", "published_by"])
    audit.record(
        actor=actor,
        action="change",
        object_type="plan",
        object_id=plan.code,
        changes={"status": ["draft", "published"]},
    )
    return plan


def load_shipped_plan() -> Plan:
    data = json.loads(PLAN_14TH.read_text(encoding="utf-8"))
    existing = Plan.objects.filter(code=data["code"]).first()
    return existing or plan_load(actor=None, data=data)


@transaction.atomic
def manual_value_enter(
    *,
    actor: User,
    indicator: Indicator,
    region_code: str,
    year: int,
    value: Decimal,
    source: str,
    reference: Decimal | None = None,
) -> ManualValue:
    """Enter (or correct: the old row is kept, superseded) a hand-entered statistic."""
    require_permission(actor, "change", "manual_value", indicator.pk)
    if not indicator.is_manual:
        raise refuse("not_manual", "该指标不是人工录入指标", "this indicator is not hand-entered")
    plan = indicator.plan
    if not plan.start.year <= year <= plan.end.year + 1:
        raise refuse("year", "年度不在规划期内", "the year is outside the plan period", "year")
    if not Region.objects.filter(code=region_code).exists():
        raise refuse("region", "地区不存在", "unknown region", "region_code")
    if indicator.min_value is not None and value < indicator.min_value:
        raise refuse("range", "数值低于允许范围", "the value is below the allowed range", "value")
    if indicator.max_value is not None and value > indicator.max_value:
        raise refuse("range", "数值超出允许范围", "the value is above the allowed range", "value")
    if indicator.unit == "%" and not Decimal("-100") <= value <= Decimal("1000"):
        raise refuse("range", "百分比数值超出合理范围", "the percentage is out of range", "value")
    if not (source or "").strip():
        raise refuse("source", "请填写数据来源", "the source is required", "source")
    check_text_characters(source, field="source", label_zh="数据来源", label_en="source")
    previous = (
        ManualValue.objects.select_for_update()
        .filter(indicator=indicator, region_code=region_code, year=year, superseded_at__isnull=True)
        .first()
    )
    if previous is not None:
        previous.superseded_at = timezone.now()
        previous.save(update_fields=["superseded_at"])
    row = ManualValue.objects.create(
        indicator=indicator,
        region_code=region_code,
        year=year,
        value=value,
        reference=reference,
        source=source.strip(),
        entered_by=actor,
    )
    audit.record(
        actor=actor,
        action="change" if previous else "create",
        object_type="manual_value",
        object_id=row.pk,
        changes={
            "indicator": indicator.code,
            "region": region_code,
            "year": year,
            "before": str(previous.value) if previous else None,
            "after": str(value),
        },
    )
    return row


@transaction.atomic
def snapshot_store(
    *,
    plan: Plan,
    as_of: dt.date,
    actor: User | None = None,
    maintain: bool | None = None,
    roll: bool = True,
    changes_seen: bool = False,
) -> SnapshotRun:
    """Compute every indicator for every region and store it (replacing that date's run).
    ``actor`` is ``None`` for the scheduled job and the command line.

    ``maintain`` (by default: when no finished run of the plan has a later date): keep each
    person's contribution, so that changes to persons are applied to these figures as they
    commit (``dpf.indicators.refresh``); the plan's other runs stop being maintained. A
    maintained run of an earlier date is rolled forward to this one when it can be
    (``refresh.roll_forward``: only the persons whose facts may read differently are
    evaluated again; the same figures); ``roll=False`` computes the date in full;
    ``changes_seen``: see ``roll_forward`` (the demo's generation)."""
    if actor is not None:
        require_permission(actor, "create", "snapshot", plan.code)
    if maintain is None:
        later = SnapshotRun.objects.filter(plan=plan, as_of__gt=as_of, finished_at__isnull=False)
        maintain = not later.exists()
    # By the plan's indicator ids, not a join: Django writes a join in a DELETE as a
    # self-join subquery, which PostgreSQL planned as nested sequential scans when the
    # table's statistics were stale (the demo's five years of monthly snapshots stored in
    # one transaction: minutes per month in the PostgreSQL run of tests/demo).
    indicator_ids = list(plan.indicators.values_list("pk", flat=True))
    Snapshot.objects.filter(indicator_id__in=indicator_ids, as_of=as_of).delete()
    runs = SnapshotRun.objects.filter(plan=plan)
    runs.filter(as_of=as_of).delete()  # its contributions with it (one DELETE by run id)
    regions = kpi.regions_for_report()
    quality = quality_by_region(as_of, regions)
    run = None
    if maintain and roll:
        run = refresh.roll_forward(
            plan=plan, as_of=as_of, quality=quality, changes_seen=changes_seen
        )
    if run is None:
        run = _snapshot_computed(plan, as_of, quality, maintain=maintain)
    if actor is not None:
        audit.record(actor=actor, action="create", object_type="snapshot", object_id=run.pk)
    return run


def _snapshot_computed(
    plan: Plan, as_of: dt.date, quality: dict[str, Any], *, maintain: bool
) -> SnapshotRun:
    """The full computation of a date (``kpi.compute``), stored."""
    if maintain:  # one maintained run per plan: the others' contributions go
        others = list(SnapshotRun.objects.filter(plan=plan).values_list("pk", flat=True))
        Contribution.objects.filter(run_id__in=others).delete()
        SnapshotRun.objects.filter(pk__in=others).update(
            maintained_since=None, contribution_keys=[]
        )
    run = SnapshotRun.objects.create(plan=plan, as_of=as_of, quality=quality)
    results = kpi.compute(plan, as_of, keep=refresh.keep_contributions(run) if maintain else None)
    _insert_snapshots(run, as_of, results)
    run.finished_at = timezone.now()
    run.save(update_fields=["finished_at", "maintained_since", "contribution_keys"])
    return run


SNAPSHOT_KIND = "indicators.snapshot"


def snapshot_start(*, actor: User, plan: Plan, as_of: Any) -> tuple[Job, bool]:
    """Queue the recomputation of one date's snapshot (every indicator for every region:
    minutes at a city's scale, longer than a request should take) as the job
    ``indicators.snapshot``; a second start of the same plan and date while the first runs
    joins it. A date that is not one is refused here, before anything is queued."""
    require_permission(actor, "create", "snapshot", plan.code)
    day = _date(as_of, "as_of")
    key = f"{SNAPSHOT_KIND}:{plan.code}:{day.isoformat()}"
    return job_start(
        actor=actor, kind=SNAPSHOT_KIND, key=key, params={"plan": plan.code, "as_of": str(day)}
    )


# The columns a snapshot row is written with, in order (every field but the id).
_SNAPSHOT_COLUMNS = (
    "run_id",
    "indicator_id",
    "as_of",
    "region_code",
    "region_level",
    "numerator",
    "denominator",
    "value",
    "reference",
    "target",
    "status",
)


def _insert_snapshots(run: SnapshotRun, as_of: dt.date, results: list[kpi.Result]) -> None:
    """One row per indicator and region, written as plain values
    (``dpf.core.bulk.insert_prepared``: COPY on PostgreSQL, one ``executemany`` on SQLite):
    ``bulk_create`` built and prepared 3,800 model instances a run, a quarter of a
    snapshot's time (the demo stores 60). The values
    are those ``bulk_create`` hands to the driver (Django 5.2 passes a Decimal to both
    backends unchanged; ``compute`` has quantised it); ``tests/indicators`` read them back
    through the model."""
    bulk.insert_prepared(
        Snapshot,
        _SNAPSHOT_COLUMNS,
        (
            (
                run.pk,
                r.indicator.pk,
                as_of,
                r.region_code,
                r.region_level,
                r.numerator,
                r.denominator,
                r.value,
                r.reference,
                r.target,
                r.status,
            )
            for r in results
        ),
    )


def month_ends(start: dt.date, end: dt.date) -> list[dt.date]:
    """The last day of every month from ``start`` to ``end`` (the monthly schedule)."""
    days: list[dt.date] = []
    year, month = start.year, start.month
    while True:
        nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
        last = nxt - dt.timedelta(days=1)
        if last > end:
            break
        days.append(last)
        year, month = nxt.year, nxt.month
    return days
