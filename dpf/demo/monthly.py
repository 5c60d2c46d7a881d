"""The demo's monthly routine, through the real services: each county's payment lists
(generated and approved by the county officer) and the indicator snapshot of each month
end from January 2021 to the demo's date (so the dashboard's trends span five years)."""

from __future__ import annotations

import datetime as dt

from dpf.benefits.models import BenefitItem
from dpf.core.roles import Role
from dpf.demo.context import DemoContext
from dpf.demo.history import ALLOWANCES, _at
from dpf.demo.places import COUNTIES
from dpf.indicators import services as indicators
from dpf.workflow import services as workflow
from dpf.workflow.models import PaymentList

SERIES_FROM = dt.date(2021, 1, 1)
# Payment lists for the last quarter only: every county, both allowances, each month since
# 2021 would add a million payment lines to a 20,000-person demo (and minutes).
PAYMENT_MONTHS = 3


def _month_starts(last: dt.date, n: int) -> list[dt.date]:
    months: list[dt.date] = []
    year, month = last.year, last.month
    for _ in range(n):
        months.append(dt.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return sorted(months)


def payment_lists(ctx: DemoContext, *, months: int = PAYMENT_MONTHS) -> None:
    """Generate (one officer) and approve (another: four eyes) each county's lists of the
    last ``months`` months, on the 10th; a list that exists already is left as it is."""
    benefits = list(BenefitItem.objects.filter(code__in=ALLOWANCES).order_by("code"))
    existing = set(PaymentList.objects.values_list("county_code", "benefit_id", "month"))
    made = 0
    for month in _month_starts(ctx.as_of, months):
        day = month.replace(day=10) if month.replace(day=10) <= ctx.as_of else ctx.as_of
        for county in COUNTIES:
            clerk = ctx.county_clerk(county.code)
            # Four eyes: another officer of the county approves the list.
            approver = ctx.clerk(Role.COUNTY_OFFICER, county.code, number=2)
            for benefit in benefits:
                if (county.code, benefit.pk, month) in existing:
                    continue
                plist = workflow.payment_list_generate(
                    actor=clerk,
                    county_code=county.code,
                    benefit=benefit,
                    month=month,
                    today=day,
                    now=_at(day),
                )
                workflow.payment_list_approve(
                    actor=approver, list_id=plist.pk, now=_at(day) + dt.timedelta(hours=2)
                )
                made += 1
    ctx.counts.add(PaymentList._meta.db_table, made)


def snapshots(ctx: DemoContext) -> None:
    """The snapshot of every month end from January 2021 to the demo's date (and of the
    demo's date itself when it is not a month end).

    The first month is computed in full and maintained (each person's contribution kept);
    each later one rolls the maintained run forward (``indicators.refresh.roll_forward``:
    only the persons whose facts may read differently on the new month end are evaluated
    again, about a tenth of them; the figures equal a full computation, tested there and
    in ``tests/demo``), so the newest is the maintained one, as a full computation of each
    would leave it. The sixty months at 50,000 persons: SQLite 67.5 s in full, 44.8 s
    rolled; PostgreSQL 55.3 s in full, 65.5 s rolled there, but a roll was the cheaper at
    200,000 and 1,000,000 (docs/benchmarks.md, "The monthly snapshots rolled")."""
    plan = indicators.load_shipped_plan()
    days = indicators.month_ends(SERIES_FROM, ctx.as_of)
    if not days or days[-1] != ctx.as_of:
        days.append(ctx.as_of)
    for day in days:  # every change is this transaction's own (``changes_seen``)
        indicators.snapshot_store(plan=plan, as_of=day, maintain=True, changes_seen=True)
    ctx.counts.add("indicators_snapshotrun", len(days))
