"""Reads for dashboards and reports: snapshots only, never a computation on the fly.

Every page reads the region the user may see (``indicator_region``) and the figures as
their audience may see them (``dpf.indicators.disclosure``). The one exception is the
drill-down list, which is a scoped query of persons (for users allowed to see them) built
from the same rule as the number it explains.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from dpf.accounts.permissions import PermissionRefused
from dpf.accounts.scoping import (
    indicator_region_in_scope,
    indicator_root,
    regions_to_pick,
    scope_queryset,
)
from dpf.core.errors import NotFound
from dpf.core.models import Region, RegionLevel
from dpf.core.regions import root_code
from dpf.indicators.compute import record_window
from dpf.indicators.disclosure import (
    Audience,
    Cell,
    CellKey,
    Figure,
    SnapshotFigures,
    indicator_cells,
    quality_figures,
)
from dpf.indicators.models import Indicator, Plan, Snapshot, SnapshotRun
from dpf.indicators.specs import person_q
from dpf.registry.models import Person

FIGURE_LEVELS = (RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP)
REGION_CODE = re.compile(r"[0-9]{6}|[0-9]{9}|[0-9]{12}")


def plans(*, drafts: bool = False) -> list[Plan]:
    """The published plans, newest first; with ``drafts`` (for those who may change plans)
    the drafts too."""
    qs = Plan.objects.order_by("-start")
    return list(qs if drafts else qs.filter(published_at__isnull=False))


def plan_by_code(code: str | None, *, drafts: bool = False) -> Plan:
    """The plan ``code`` (a draft only with ``drafts``); without a code the newest
    published plan: a draft never changes what a page shows by default."""
    qs = Plan.objects.order_by("-start")
    published = qs.filter(published_at__isnull=False)
    plan = (qs if drafts else published).filter(code=code).first() if code else published.first()
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


def region_tree() -> dict[str, str | None]:
    """Parent of every region that has figures (city, counties, townships)."""
    return dict(Region.objects.filter(level__in=FIGURE_LEVELS).values_list("code", "parent_id"))


def _loggable(code: str) -> str:
    """A requested region code as the audit log may keep it (never a typed ID number)."""
    return code if REGION_CODE.fullmatch(code) else "(invalid)"


def indicator_region(user: Any, code: str | None) -> Region:
    """The region an indicator page shows: ``code`` when ``user`` may read its figures
    (``scoping.indicator_region_in_scope``), else refused like any out-of-scope record
    (404, audited as ``permission_denied``); without a code, the user's own region.
    """
    root = indicator_root(user)
    if root is None:
        raise PermissionRefused("view", "indicators", "")
    wanted = code or root or root_code()
    region = Region.objects.filter(code=wanted, level__in=FIGURE_LEVELS).first()
    if region is None or not indicator_region_in_scope(user, region.code):
        raise PermissionRefused("view", "indicators", _loggable(wanted))
    return region


def _figures(snapshots: QuerySet[Snapshot]) -> list[SnapshotFigures]:
    return [
        SnapshotFigures._make(row)
        for row in snapshots.order_by().values_list(*SnapshotFigures._fields)
    ]


@dataclass(frozen=True)
class Shown:
    """The cells a page shows: ``regions`` on ``as_of``, and ``always`` on every date read."""

    as_of: dt.date
    regions: frozenset[str]
    always: frozenset[str] = frozenset()

    def q(self) -> Q:
        return Q(as_of=self.as_of, region_code__in=self.regions) | Q(region_code__in=self.always)

    def __call__(self, key: CellKey) -> bool:
        as_of, _indicator, code = key
        return code in self.always or (as_of == self.as_of and code in self.regions)


def disclosed_cells(
    snapshots: QuerySet[Snapshot],
    shown: Shown,
    top: str,
    indicators: dict[int, Indicator],
    audience: Audience,
) -> dict[CellKey, Cell]:
    """The ``shown`` cells of ``snapshots``, as ``audience`` sees them.

    ``snapshots`` holds every region of the dates and indicators shown; ``top`` is the
    highest region on the page. An audience entitled to ``top`` is entitled to all of it:
    only the cells shown are read. Otherwise the whole tree is read, because the
    complements of a suppressed figure may lie in regions the page does not show.
    """
    if audience.entitled(top):
        rows = _figures(snapshots.filter(shown.q()))
        return indicator_cells(rows, indicators, {}, audience, keep=shown)
    return indicator_cells(_figures(snapshots), indicators, region_tree(), audience, keep=shown)


@dataclass
class Row:
    indicator: Indicator
    cell: Cell | None


def dashboard_rows(run: SnapshotRun, region: Region, audience: Audience) -> list[Row]:
    """Every indicator of the run's plan with its figures for ``region``."""
    indicators = list(Indicator.objects.filter(plan_id=run.plan_id).order_by("order", "code"))
    cells = disclosed_cells(
        Snapshot.objects.filter(run=run),
        Shown(run.as_of, frozenset({region.code})),
        region.code,
        {i.pk: i for i in indicators},
        audience,
    )
    return [Row(ind, cells.get((run.as_of, ind.pk, region.code))) for ind in indicators]


@dataclass
class IndicatorFigures:
    children: list[tuple[Region, Cell | None]]  # each county of the city, township of a county
    trend: list[Cell]  # the region's monthly figures up to the run's date


def indicator_figures(
    run: SnapshotRun, indicator: Indicator, region: Region, audience: Audience
) -> IndicatorFigures:
    """The indicator for each child region of ``region`` and ``region``'s trend."""
    child_level = RegionLevel.COUNTY if region.level == RegionLevel.CITY else RegionLevel.TOWNSHIP
    children = list(Region.objects.filter(parent=region, level=child_level).order_by("code"))
    cells = disclosed_cells(
        Snapshot.objects.filter(indicator=indicator, as_of__lte=run.as_of),
        Shown(run.as_of, frozenset(c.code for c in children), always=frozenset({region.code})),
        region.code,
        {indicator.pk: indicator},
        audience,
    )
    trend = sorted(
        (cell for (_d, _i, code), cell in cells.items() if code == region.code),
        key=lambda cell: cell.as_of,
    )
    return IndicatorFigures(
        children=[(c, cells.get((run.as_of, indicator.pk, c.code))) for c in children],
        trend=trend,
    )


def quality(run: SnapshotRun, region: Region, audience: Audience) -> dict[str, Figure] | None:
    """The data-quality counts of ``region`` beside the figures, suppressed the same way."""
    parent_of = {} if audience.entitled(region.code) else region_tree()
    return quality_figures(run.quality, region.code, parent_of, audience)


def drilldown_persons(
    user: Any, indicator: Indicator, as_of: dt.date, region: Region, part: str
) -> QuerySet[Person]:
    """The persons behind a number: ``numerator``, ``denominator`` or ``gap`` (in the
    denominator but not the numerator, e.g. eligible but not receiving). Scoped to ``user``.
    """
    den_q = person_q(indicator.denominator, as_of) if indicator.denominator else None
    if "records" in indicator.numerator:
        # Records counted over the plan period (I11) list the persons of that window.
        num_q = person_q(indicator.numerator, *record_window(indicator, indicator.plan, as_of))
    else:
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


def drilldown_villages(persons: QuerySet[Person], township: Region) -> list[tuple[Region, int]]:
    """The villages of ``township`` with the number of ``persons`` (already scoped to the
    user) living in each, in code order; one grouped query."""
    counts = dict(
        persons.order_by()
        .values_list("village_code")
        .annotate(n=Count("pk"))
        .values_list("village_code", "n")
    )
    villages = Region.objects.filter(parent=township, level=RegionLevel.VILLAGE).order_by("code")
    return [(v, counts.get(v.code, 0)) for v in villages]


def manual_value_regions(user: Any) -> list[tuple[str, str]]:
    """The city and the counties a hand-entered value can be given for, as (code, name)."""
    rows = regions_to_pick(user, [RegionLevel.CITY, RegionLevel.COUNTY])
    return [(r.code, r.name) for r in rows]
