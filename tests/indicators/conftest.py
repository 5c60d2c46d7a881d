"""Stored figures with small cells in a small region tree, for the scope and suppression
tests. Snapshots are written directly: the pages must only read them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dpf.core.models import Region
from dpf.indicators.models import Indicator, Plan, Snapshot, SnapshotRun
from tests.factories import ensure_test_regions

AS_OF = dt.date(2025, 12, 31)
EARLIER = dt.date(2025, 11, 30)

# Two more townships in 红山区 (150402), so a county has several township rows.
EXTRA_TOWNSHIPS = [("150402002", "测试街道二"), ("150402003", "测试街道三")]

LEVELS = {6: "county", 9: "township"}

# I08 (disabled children of 6-15 in school): numerator, denominator per region. 150402001
# holds the "1 of 3 disabled children"; 150403 a small numerator in a large population;
# 150404 (and its one township) 1 of 3 again. Counties are the sums of their townships
# (150403 has none in the test tree), the city the sum of its counties.
I08 = {
    "150400": (74, 494),
    "150402": (71, 91),
    "150402001": (1, 3),
    "150402002": (40, 50),
    "150402003": (30, 38),
    "150403": (2, 400),
    "150404": (1, 3),
    "150404002": (1, 3),
}
# I11 (homes made accessible, households: records of persons) and T0306 (designated rehab
# institutions: not persons) are plain counts.
I11 = {
    "150400": 20,
    "150402": 16,
    "150402001": 6,
    "150402002": 6,
    "150402003": 4,
    "150403": 2,
    "150404": 2,
    "150404002": 2,
}
T0306 = {"150400": 5, "150402": 3, "150404": 2}
QUALITY = {
    "150400": {"persons": 494, "surveyed": 300, "stale": 12, "expiring": 10},
    "150402": {"persons": 91, "surveyed": 60, "stale": 9, "expiring": 6},
    "150403": {"persons": 400, "surveyed": 237, "stale": 0, "expiring": 4},
    "150404": {"persons": 3, "surveyed": 3, "stale": 3, "expiring": 0},
}


def _level(code: str) -> str:
    return "city" if code == "150400" else LEVELS[len(code)]


def _rate(n: int, d: int) -> Decimal:
    return (Decimal(n) / Decimal(d) * 100).quantize(Decimal("0.0001"))


def store_run(as_of: dt.date) -> SnapshotRun:
    plan = Plan.objects.get(code="P14")
    quality = {
        code: {**q, "surveyed_share": round(q["surveyed"] * 100 / q["persons"], 1)}
        for code, q in QUALITY.items()
    }
    run = SnapshotRun.objects.create(
        plan=plan, as_of=as_of, finished_at=dt.datetime(2026, 1, 2, tzinfo=dt.UTC), quality=quality
    )
    by_code = {i.code: i for i in Indicator.objects.filter(plan=plan)}
    rows = [
        Snapshot(
            run=run,
            indicator=by_code["I08"],
            as_of=as_of,
            region_code=code,
            region_level=_level(code),
            numerator=n,
            denominator=d,
            value=_rate(n, d),
            target=by_code["I08"].target,
            status="at_risk",
        )
        for code, (n, d) in I08.items()
    ]
    for indicator, counts in (("I11", I11), ("T0306", T0306)):
        rows += [
            Snapshot(
                run=run,
                indicator=by_code[indicator],
                as_of=as_of,
                region_code=code,
                region_level=_level(code),
                numerator=n,
                value=n,
                target=by_code[indicator].target,
                status="on_track",
            )
            for code, n in counts.items()
        ]
    Snapshot.objects.bulk_create(rows)
    return run


@pytest.fixture
def figures(regions) -> SnapshotRun:
    """The run of ``AS_OF`` (and one of ``EARLIER`` with the same figures, for the trend)."""
    ensure_test_regions()
    for code, name in EXTRA_TOWNSHIPS:
        Region.objects.get_or_create(
            code=code,
            defaults={"name": name, "parent_id": "150402", "level": "township", "synthetic": True},
        )
    store_run(EARLIER)
    return store_run(AS_OF)
