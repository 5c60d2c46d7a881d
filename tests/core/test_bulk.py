"""``dpf.core.bulk.insert_rows``: COPY on PostgreSQL, ``executemany`` on SQLite; the values
read back through the model are the values written, and a failure leaves nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from dpf.core import bulk
from dpf.core.models import CalendarDay
from dpf.indicators.models import Indicator, Plan, Snapshot, SnapshotRun

pytestmark = pytest.mark.django_db

# Text COPY's format has to escape: tab, newline, carriage return, backslash, the "\N" of
# NULL, and CJK.
AWKWARD = ["含\t制表符", "两\n行", "回车\r", "反斜杠\\", "\\N", "春节 Spring Festival", "'引号\""]


def test_text_dates_and_awkward_characters_come_back_as_written() -> None:
    days = [dt.date(2099, 1, 1) + dt.timedelta(days=i) for i in range(len(AWKWARD))]
    bulk.insert_rows(
        CalendarDay,
        ["date", "kind", "name"],
        ((d, "holiday", n) for d, n in zip(days, AWKWARD, strict=True)),
    )
    stored = {c.date: c.name for c in CalendarDay.objects.filter(date__in=days)}
    assert stored == dict(zip(days, AWKWARD, strict=True))


def test_decimals_and_nulls_come_back_as_written() -> None:
    plan = Plan.objects.get(code="P14")
    indicator = Indicator.objects.filter(plan=plan).order_by("code").first()
    assert indicator is not None
    run = SnapshotRun.objects.create(plan=plan, as_of=dt.date(2025, 6, 30))
    rows = [
        (run.pk, indicator.pk, dt.date(2025, 6, 30), "150402", "county", Decimal("12.50"),
         Decimal("40.00"), Decimal("31.2500"), None, Decimal("90.00"), "at_risk"),
        (run.pk, indicator.pk, dt.date(2025, 6, 30), "150403", "county", None, None, None,
         None, None, "no_data"),
    ]  # fmt: skip
    columns = ["run_id", "indicator_id", "as_of", "region_code", "region_level", "numerator"]
    columns += ["denominator", "value", "reference", "target", "status"]
    bulk.insert_rows(Snapshot, columns, iter(rows))
    stored = Snapshot.objects.filter(run=run).order_by("region_code")
    assert [tuple(getattr(s, c) for c in columns) for s in stored] == rows


def test_a_failing_row_leaves_nothing_of_the_batch() -> None:
    days = [dt.date(2098, 3, 1), dt.date(2098, 3, 2), dt.date(2098, 3, 1)]  # the last clashes
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_rows(CalendarDay, ["date", "kind", "name"], ((d, "holiday", "x") for d in days))
    assert not CalendarDay.objects.filter(date__year=2098).exists()
