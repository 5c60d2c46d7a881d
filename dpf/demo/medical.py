"""Demo medical settlements (医保 one-stop settlements with 医疗救助): a handful of
certified persons outside 低保 and 特困 with large bills over the last year, so the risk rule
``large_medical_expense`` finds their households in the demo, and some small bills below
the line beside them.

A demo step (``step(ctx)``, see ``dpf.demo.context``): random numbers from ``ctx.rng``,
dates from ``ctx.as_of``, never the wall clock; bulk-written in the roster's shape (the
checks are the roster's, which tests/exchange exercises). Adds nothing on a second run.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_DOWN, Decimal
from typing import Any

from dpf.registry.models import MedicalSettlement, Person

CANDIDATES = 'alive && certificate.valid && !(household.status in ["dibao", "tekun"])'
LARGE_SHARE = 0.004  # of the candidates: large bills (three settlements, ≥ 27000 left to pay)
SMALL_SHARE = 0.01  # one small bill, far below the line
AT_LEAST = 5  # large cases even in a small demo
CENT = Decimal("0.01")


def _settlement(rng: Any, pk: int, n: int, on: dt.date, low: int, high: int) -> MedicalSettlement:
    total = Decimal(rng.randint(low * 100, high * 100)) / 100
    reimbursed = (total * Decimal(rng.choice(["0.55", "0.6", "0.65"]))).quantize(CENT, ROUND_DOWN)
    assistance = (total * Decimal("0.05")).quantize(CENT, ROUND_DOWN)
    return MedicalSettlement(
        person_id=pk,
        settlement_no=f"JS{on:%Y%m%d}{pk:08d}{n}",
        settled_on=on,
        total=total,
        reimbursed=reimbursed,
        assistance=assistance,
        out_of_pocket=total - reimbursed - assistance,
        source="demo",
    )


def medical_settlements(ctx: Any) -> None:
    if MedicalSettlement.objects.exists():
        return
    from dpf.rules import compile_rule

    rng = ctx.rng("medical")
    as_of: dt.date = ctx.as_of
    ids = list(
        Person.objects.filter(compile_rule(CANDIDATES).q(as_of))
        .exclude(pk__in=ctx.journey_person_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    large = [pk for pk in ids if rng.random() < LARGE_SHARE] or ids[:AT_LEAST]
    small = [pk for pk in ids if pk not in set(large) and rng.random() < SMALL_SHARE]
    rows: list[MedicalSettlement] = []
    for pk in large:
        for n in range(3):
            on = as_of - dt.timedelta(days=rng.randint(0, 330))
            rows.append(_settlement(rng, pk, n, on, 30_000, 120_000))
    for pk in small:
        on = as_of - dt.timedelta(days=rng.randint(0, 330))
        rows.append(_settlement(rng, pk, 0, on, 500, 8_000))
    MedicalSettlement.objects.bulk_create(rows, batch_size=5000)
    ctx.counts.add(MedicalSettlement._meta.db_table, len(rows))
