"""Reads for dashboards and reports: snapshots only, never a computation on the fly.

The one exception is the drill-down list, which is a scoped query of persons (for users
allowed to see them) built from the same rule as the number it explains.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from dpf.accounts.scoping import scope_queryset
from dpf.core.errors import NotFound
from dpf.core.models import Region, RegionLevel
from dpf.indicators.compute import CITY
from dpf.indicators.models import Indicator, Plan, Snapshot, SnapshotRun
from dpf.indicators.specs import person_q
from dpf.registry.models import Person

SUPPRESS_BELOW = 5


def plans() -> list[Plan]:
    return list(Plan.objects.order_by("-start"))


def plan_by_code(code: str | None) -> Plan:
    qs = Plan.objects.order_by("-start")
    plan = qs.filter(code=code).first() if code else qs.first()
    if plan is None:
        raise NotFound("plan")
    return plan


def snapshot_dates(plan: Plan) -> list[dt.date]:
    return list(
        SnapshotRun.objects.filter(plan=plan, finished_at__isnull=False)
        .order_by("-as_of")
        .values_list("as_of", flat=True)
    )


def run_for(plan: Plan, as_of: dt.date | None) -> SnapshotRun | None:
    runs = SnapshotRun.objects.filter(plan=plan, finished_at__isnull=False)
    if as_of is not None:
        return runs.filter(as_of=as_of).first()
    return runs.order_by("-as_of").first()


def region_or_city(code: str | None) -> Region:
    region = Region.objects.filter(code=code or CITY).first()
    if region is None or region.level not in (
        RegionLevel.CITY,
        RegionLevel.COUNTY,
        RegionLevel.TOWNSHIP,
    ):
        raise NotFound("region")
    return region


@dataclass
class Row:
    indicator: Indicator
    snapshot: Snapshot | None


def dashboard_rows(run: SnapshotRun, region: Region) -> list[Row]:
    """Every indicator of the run's plan with its snapshot for ``region`` (one query each)."""
    snaps = {s.indicator_id: s for s in Snapshot.objects.filter(run=run, region_code=region.code)}
    indicators = Indicator.objects.filter(plan_id=run.plan_id).order_by("order", "code")
    return [Row(ind, snaps.get(ind.pk)) for ind in indicators]


def by_child_region(
    run: SnapshotRun, indicator: Indicator, region: Region
) -> list[tuple[Region, Snapshot | None]]:
    """The indicator for each county of the city (or each township of a county)."""
    child_level = RegionLevel.COUNTY if region.level == RegionLevel.CITY else RegionLevel.TOWNSHIP
    children = list(Region.objects.filter(parent=region, level=child_level).order_by("code"))
    snaps = {
        s.region_code: s
        for s in Snapshot.objects.filter(
            run=run, indicator=indicator, region_code__in=[c.code for c in children]
        )
    }
    return [(c, snaps.get(c.code)) for c in children]


def trend(indicator: Indicator, region: Region, until: dt.date) -> list[Snapshot]:
    """The indicator's monthly snapshots for ``region`` up to ``until``."""
    return list(
        Snapshot.objects.filter(
            indicator=indicator, region_code=region.code, as_of__lte=until
        ).order_by("as_of")
    )


def drilldown_persons(
    user: Any, indicator: Indicator, as_of: dt.date, region: Region, part: str
) -> QuerySet[Person]:
    """The persons behind a number: ``numerator``, ``denominator`` or ``gap`` (in the
    denominator but not the numerator, e.g. eligible but not receiving). Scoped to ``user``.
    """
    den_q = person_q(indicator.denominator, as_of) if indicator.denominator else None
    num_q = person_q(indicator.numerator, as_of)
    if part == "numerator" and num_q is not None:
        condition = num_q & den_q if den_q is not None else num_q
    elif part == "denominator" and den_q is not None:
        condition = den_q
    elif part == "gap" and den_q is not None and num_q is not None:
        condition = den_q & ~num_q
    else:
        raise NotFound("list")
    region_q = (
        Q(county_code__startswith=region.prefix)
        if len(region.code) == 6
        else Q(township_code=region.code)
    )
    qs = Person.objects.filter(region_q).filter(condition)
    return scope_queryset(user, qs).order_by("county_code", "name", "pk")


def suppress(value: Any, *, count: bool = True) -> str | None:
    """Small-number suppression for published tables: a count of 1–4 becomes ``<5``."""
    if value is None:
        return None
    if count and 0 < value < SUPPRESS_BELOW:
        return f"<{SUPPRESS_BELOW}"
    return None
