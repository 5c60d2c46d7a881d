"""Computing a plan's indicators as of a date, by township, county and city, in one pass.

The facts in force on the date are materialised once into a temporary table, one row per
person (``dpf.rules.materialise``); every person-based numerator and denominator of the
plan then becomes a filtered ``COUNT`` in a single ``GROUP BY township_code`` query over
that table's plain columns; record counts come from
the apps that own those records; counties and the city are sums of their townships.
Regions are the persons' current residence (see docs/indicators in docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q

from dpf.core.errors import ValidationFailed
from dpf.core.models import Region, RegionLevel
from dpf.core.regions import roll_up, root_code
from dpf.indicators.models import Comparison, Indicator, ManualValue, Plan, RegionTarget, Status
from dpf.indicators.specs import FactsSpecs, members_within, record_counter
from dpf.rules.ast import Node
from dpf.rules.materialise import FactsTable, facts_in_force

ON_TRACK_TOLERANCE = Decimal("0.05")  # a ratio within 5 % of its target is "on track"


@dataclass
class Result:
    indicator: Indicator
    region_code: str
    region_level: str
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    reference: Decimal | None
    target: Decimal | None  # None: a count in a region without its own target
    status: str

    def as_dict(self) -> dict[str, Any]:
        def num(x: Decimal | None) -> float | int | None:
            if x is None:
                return None
            return int(x) if x == x.to_integral_value() else float(x)

        return {
            "code": self.indicator.code,
            "name": self.indicator.name_zh,
            "name_en": self.indicator.name_en,
            "unit": self.indicator.unit,
            "value": num(self.value),
            "numerator": num(self.numerator),
            "denominator": num(self.denominator),
            "reference": num(self.reference),
            "target": num(self.target),
            "comparison": self.indicator.comparison,
            "kind": self.indicator.kind,
            "status": self.status,
        }


@dataclass
class Counts:
    # township code -> count; once rolled up (``compute``): region prefix -> count
    num: dict[str, int] = field(default_factory=dict)
    den: dict[str, int] = field(default_factory=dict)
    num_available: bool = True
    den_available: bool = True


def _meets(value: Decimal, target: Decimal, comparison: str) -> bool:
    if comparison == Comparison.GE:
        return value >= target
    if comparison == Comparison.GT:
        return value > target
    if comparison == Comparison.LE:
        return value <= target
    return value == target


def status_of(
    indicator: Indicator, value: Decimal | None, target: Decimal | None, plan: Plan, as_of: dt.date
) -> str:
    """achieved / on_track / at_risk / not_achieved / no_data / no_target (rules in
    docs/architecture.md, Indicators)."""
    if value is None:
        return Status.NO_DATA
    if target is None:
        return Status.NO_TARGET
    if _meets(value, target, indicator.comparison):
        return Status.ACHIEVED
    if as_of >= plan.end:
        return Status.NOT_ACHIEVED
    if indicator.cumulative:
        elapsed = Decimal((as_of - plan.start).days + 1) / Decimal((plan.end - plan.start).days + 1)
        return Status.ON_TRACK if value >= target * elapsed else Status.AT_RISK
    if indicator.comparison in (Comparison.GE, Comparison.GT):
        return Status.ON_TRACK if value >= target * (1 - ON_TRACK_TOLERANCE) else Status.AT_RISK
    return Status.ON_TRACK if value <= target * (1 + ON_TRACK_TOLERANCE) else Status.AT_RISK


def record_window(
    indicator: Indicator, plan: Plan, as_of: dt.date
) -> tuple[dt.date, dt.date | None]:
    """The (as_of, period_start) a records counter is asked about: a cumulative count runs
    from the plan's start and stops at the plan's end (a later date counts nothing more);
    any other count is as of the date."""
    if indicator.cumulative:
        return min(as_of, plan.end), plan.start
    return as_of, None


def person_conditions(
    indicators: list[Indicator], prepared: FactsSpecs, facts: FactsTable
) -> dict[str, Q]:
    """Every person-based part of the plan as a condition over the materialised facts,
    keyed ``d<indicator id>`` (a denominator) or ``n<indicator id>`` (a numerator, within its
    denominator for a ratio): the one definition the full count and the stored
    contributions of the incremental refresh (``dpf.indicators.refresh``) both use."""
    conditions: dict[str, Q] = {}
    for ind in indicators:
        den_q = prepared.q(ind.denominator, facts) if ind.denominator else None
        num_q = prepared.q(ind.numerator, facts)
        if ind.denominator and den_q is not None:
            conditions[f"d{ind.pk}"] = den_q
            if num_q is not None:
                conditions[f"n{ind.pk}"] = den_q & num_q
        elif not ind.denominator and num_q is not None:
            conditions[f"n{ind.pk}"] = num_q
    return conditions


def person_roots(indicators: list[Indicator], prepared: FactsSpecs) -> list[Node]:
    """The rules behind the plan's person-based parts (what ``facts_in_force`` needs)."""
    specs = [s for ind in indicators for s in (ind.numerator, ind.denominator) if s]
    return [rule.root for spec in specs for rule in prepared.rules(spec)]


def count_by_township(facts: FactsTable, conditions: dict[str, Q]) -> list[dict[str, Any]]:
    """One grouped query: per township, the persons of the facts table matching each
    condition."""
    aggregates = {key: Count("id", filter=q) for key, q in conditions.items()}
    return list(facts.queryset().order_by().values("township_code").annotate(**aggregates))


def within_members(
    indicators: list[Indicator], plan: Plan, as_of: dt.date, keys: Collection[str]
) -> dict[int, Any]:
    """By indicator, the members (``specs.members_within``) of each records numerator counted
    within its person-based denominator, whose key ``d<id>`` is among ``keys``: the one
    choice of which numerators are so counted, for the full computation (over the facts)
    and the maintained run (over its contributions)."""
    found: dict[int, Any] = {}
    for ind in indicators:
        members = members_within(ind)
        if members is not None and f"d{ind.pk}" in keys:
            found[ind.pk] = members(*record_window(ind, plan, as_of))
    return found


def within_conditions(
    indicators: list[Indicator], plan: Plan, as_of: dt.date, conditions: dict[str, Q]
) -> dict[str, Q]:
    """The records numerators counted within their person-based denominators, keyed
    ``r<indicator id>``: the denominator's condition and the kind's members. Not stored as
    contributions (records change without the persons' facts changing); the maintained run
    counts them over its contributions instead (``refresh._within_by_township``)."""
    members = within_members(indicators, plan, as_of, conditions)
    return {f"r{pk}": conditions[f"d{pk}"] & Q(id__in=ids) for pk, ids in members.items()}


def add_township_counts(
    results: dict[int, Counts], rows: Iterable[dict[str, Any]], sign: int = 1
) -> None:
    """Add grouped rows (``count_by_township``'s shape) into ``results`` by indicator: keys
    ``d<id>`` are denominators, ``n<id>`` and ``r<id>`` numerators."""
    for row in rows:
        township = row["township_code"]
        for key, count in row.items():
            if key == "township_code":
                continue
            part, pk = key[0], int(key[1:])
            target = results[pk].den if part == "d" else results[pk].num
            target[township] = target.get(township, 0) + sign * count


# Called while the facts are materialised, with the conditions counted (the snapshot keeps
# each person's contribution then, ``dpf.indicators.refresh``).
KeepFacts = Callable[[FactsTable, dict[str, Q]], None]


def _person_counts(
    indicators: list[Indicator], plan: Plan, as_of: dt.date, keep: KeepFacts | None = None
) -> tuple[dict[int, Counts], set[int]]:
    """One grouped query for every person-based numerator and denominator of the plan, and
    the records numerators counted within them (their indicators returned beside), over
    the facts in force on the date materialised once (``dpf.rules.materialise``)."""
    prepared = FactsSpecs(as_of)
    roots = person_roots(indicators, prepared)
    results: dict[int, Counts] = defaultdict(Counts)
    if not roots:
        return results, set()
    with facts_in_force(as_of, roots) as facts:
        conditions = person_conditions(indicators, prepared, facts)
        if not conditions:
            return results, set()
        within = within_conditions(indicators, plan, as_of, conditions)
        rows = count_by_township(facts, {**conditions, **within})
        if keep is not None:
            keep(facts, conditions)
    add_township_counts(results, rows)
    return results, {int(key[1:]) for key in within}


def record_counts(
    indicators: list[Indicator],
    plan: Plan,
    as_of: dt.date,
    counts: dict[int, Counts],
    counted: Iterable[int] = (),
) -> None:
    """Each records part by its kind's counter, except the numerators of ``counted``
    (indicators whose records numerator was counted within its denominator)."""
    skip = set(counted)
    for ind in indicators:
        for part, spec in (("n", ind.numerator), ("d", ind.denominator)):
            if not spec or "records" not in spec or (part == "n" and ind.pk in skip):
                continue
            counter = record_counter(str(spec["records"]))
            entry = counts.setdefault(ind.pk, Counts())
            if counter is None:
                if part == "n":
                    entry.num_available = False
                else:
                    entry.den_available = False
                continue
            data = counter(*record_window(ind, plan, as_of))
            if part == "n":
                entry.num = data
            else:
                entry.den = data


def _manual(indicators: list[Indicator], as_of: dt.date) -> dict[tuple[int, str], ManualValue]:
    """The value in force for each (indicator, region): latest year not after ``as_of``."""
    manual_ids = [i.pk for i in indicators if i.is_manual]
    found: dict[tuple[int, str], ManualValue] = {}
    rows = ManualValue.objects.filter(
        indicator_id__in=manual_ids, superseded_at__isnull=True, year__lte=as_of.year
    ).order_by("indicator_id", "region_code", "-year")
    for mv in rows:
        found.setdefault((mv.indicator_id, mv.region_code), mv)
    return found


def _quantize(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def regions_for_report(region_code: str | None = None) -> list[Region]:
    """The city, its counties and their townships (or one region and what is under it)."""
    root = region_code or root_code()
    qs = Region.objects.filter(code__startswith=Region(code=root).prefix).filter(
        level__in=[RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP]
    )
    return list(qs.order_by("code"))


def compute(
    plan: Plan, as_of: dt.date, *, region_code: str | None = None, keep: KeepFacts | None = None
) -> list[Result]:
    """Every indicator of ``plan`` for every region (city, counties, townships) as of a date.
    ``keep``: see ``KeepFacts``."""
    if as_of < plan.start:
        raise ValidationFailed(
            "as_of_before_plan",
            f"统计日期早于规划起始日期（{plan.start}）",
            f"the as-of date is before the plan starts ({plan.start})",
            field="as_of",
        )
    indicators = list(plan.indicators.order_by("order", "code"))
    counts, counted = _person_counts(indicators, plan, as_of, keep)
    record_counts(indicators, plan, as_of, counts, counted)
    manual = _manual(indicators, as_of)
    region_targets = _region_targets(plan)
    regions = regions_for_report(region_code)
    for entry in counts.values():  # township counts summed up to every region's prefix
        entry.num, entry.den = roll_up(entry.num, regions), roll_up(entry.den, regions)
    results: list[Result] = []
    for region in regions:
        for ind in indicators:
            target = region_target(ind, region, region_targets)
            results.append(_one(ind, region, counts.get(ind.pk), manual, target, plan, as_of))
    return results


def _region_targets(plan: Plan) -> dict[tuple[int, str], Decimal]:
    return {
        (rt.indicator_id, rt.region_code): rt.target
        for rt in RegionTarget.objects.filter(indicator__plan=plan)
    }


def manual_results(plan: Plan, as_of: dt.date, regions: list[Region]) -> list[Result]:
    """The hand-entered indicators' figures for ``regions``, as ``compute`` gives them (the
    roll of a snapshot to a later date, ``dpf.indicators.refresh.roll_forward``)."""
    indicators = [ind for ind in plan.indicators.order_by("order", "code") if ind.is_manual]
    manual = _manual(indicators, as_of)
    region_targets = _region_targets(plan)
    return [
        _one(ind, region, None, manual, region_target(ind, region, region_targets), plan, as_of)
        for region in regions
        for ind in indicators
    ]


def region_target(
    ind: Indicator, region: Region, region_targets: dict[tuple[int, str], Decimal]
) -> Decimal | None:
    """The target a region is measured against: its own (``RegionTarget``, from the plan
    file's ``region_targets``), else the city's; but a count (no denominator, not
    hand-entered) is the city's sum, so below the city a region without its own target has
    none (its figure is shown without a status)."""
    own = region_targets.get((ind.pk, region.code))
    if own is not None:
        return own
    is_count = not ind.denominator and not ind.is_manual
    if is_count and region.level != RegionLevel.CITY:
        return None
    return ind.target


def counted_value(
    ind: Indicator, numerator: Decimal, denominator: Decimal | None
) -> Decimal | None:
    """A counted indicator's value: the count, or the ratio (None over an empty population)."""
    if not ind.denominator:
        return numerator
    if denominator is None or denominator <= 0:
        return None
    return _quantize(numerator / denominator * ind.scale)


def _one(
    ind: Indicator,
    region: Region,
    counts: Counts | None,
    manual: dict[tuple[int, str], ManualValue],
    target: Decimal | None,
    plan: Plan,
    as_of: dt.date,
) -> Result:
    numerator = denominator = value = reference = None
    if ind.is_manual:
        mv = manual.get((ind.pk, region.code))
        if mv is not None:
            value = numerator = mv.value
            reference = mv.reference
            if ind.numerator.get("compare_with_reference"):
                target = reference if reference is not None else target
                if reference is None:
                    value = None
    elif counts is not None and counts.num_available and counts.den_available:
        numerator = Decimal(counts.num.get(region.prefix, 0))
        if ind.denominator:
            denominator = Decimal(counts.den.get(region.prefix, 0))
        value = counted_value(ind, numerator, denominator)
    return Result(
        indicator=ind,
        region_code=region.code,
        region_level=region.level,
        numerator=numerator,
        denominator=denominator,
        value=value,
        reference=reference,
        target=target,
        status=status_of(ind, value, target, plan, as_of),
    )
