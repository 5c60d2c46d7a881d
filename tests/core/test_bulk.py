"""``dpf.core.bulk``: COPY on PostgreSQL, ``executemany`` on SQLite. The values read back
through the model are the values written (stored as ``bulk_create`` would store them),
ids are reserved without ever handing one out twice, and a failure leaves nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, connection, transaction

from dpf.benefits.models import BenefitItem, Entitlement
from dpf.core import bulk
from dpf.core.models import CalendarDay
from dpf.indicators.models import Indicator, Plan, Snapshot, SnapshotRun
from dpf.registry.models import Household
from tests.factories import make_person

pytestmark = pytest.mark.django_db

# Text COPY's format has to escape: tab, newline, carriage return, backslash, the "\N" of
# NULL, and CJK.
AWKWARD = ["含\t制表符", "两\n行", "回车\r", "反斜杠\\", "\\N", "春节 Spring Festival", "'引号\""]


def test_text_dates_and_awkward_characters_come_back_as_written() -> None:
    days = [dt.date(2099, 1, 1) + dt.timedelta(days=i) for i in range(len(AWKWARD))]
    bulk.insert_prepared(
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
    bulk.insert_prepared(Snapshot, columns, iter(rows))
    stored = Snapshot.objects.filter(run=run).order_by("region_code")
    assert [tuple(getattr(s, c) for c in columns) for s in stored] == rows


def test_a_failing_row_leaves_nothing_of_the_batch() -> None:
    days = [dt.date(2098, 3, 1), dt.date(2098, 3, 2), dt.date(2098, 3, 1)]  # the last clashes
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_prepared(
            CalendarDay, ["date", "kind", "name"], ((d, "holiday", "x") for d in days)
        )
    assert not CalendarDay.objects.filter(date__year=2098).exists()


FIELDS = ("county_code", "township_code", "village_code", "address")


def test_rows_are_stored_as_the_model_stores_them() -> None:
    n = bulk.insert_rows(
        Household,
        FIELDS,
        [
            ("150402", "150402001", "150402001001", "红山区某路1号"),
            ("150402", "150402001", "150402001002", ""),
        ],
    )
    assert n == 2
    first, second = Household.objects.order_by("pk")
    assert first.address == "红山区某路1号"  # decrypted on read
    assert second.address == ""
    assert first.synthetic is False  # the model's default for a column left out
    assert first.created_at is not None  # auto_now_add, as bulk_create sets it
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM registry_household WHERE id = %s", [first.pk])
        (stored,) = cursor.fetchone()
    assert "红山区" not in stored  # encrypted at rest


def test_reserved_ids_are_new_and_written_as_given() -> None:
    bulk.insert_rows(Household, FIELDS, [("150402", "150402001", "150402001001", "")])
    existing = Household.objects.get().pk
    ids = bulk.reserve_ids(Household, 3)
    assert len(set(ids)) == 3
    assert min(ids) > existing
    bulk.insert_rows(
        Household, ("id", *FIELDS), [(pk, "150402", "150402001", "150402001001", "") for pk in ids]
    )
    assert sorted(Household.objects.values_list("pk", flat=True)) == [existing, *sorted(ids)]
    Household.objects.filter(pk__in=ids).delete()
    # Neither a later reservation nor the database's own numbering reuses a deleted id.
    assert min(bulk.reserve_ids(Household, 2)) > max(ids)
    bulk.insert_rows(Household, FIELDS, [("150402", "150402001", "150402001001", "")])
    last = Household.objects.order_by("pk").last()
    assert last is not None
    assert last.pk > max(ids)


def test_a_row_of_the_wrong_length_or_a_non_column_is_refused() -> None:
    with pytest.raises(ValueError, match="values"):
        bulk.insert_rows(Household, FIELDS, [("150402", "150402001", "150402001001")])
    with pytest.raises(ValueError, match="not a column"):
        bulk.insert_rows(Household, ("members",), [(1,)])
    assert not Household.objects.exists()


def test_updated_rows_hold_the_new_values_and_the_others_are_untouched() -> None:
    plan = Plan.objects.get(code="P14")
    indicator = Indicator.objects.filter(plan=plan).order_by("code").first()
    assert indicator is not None
    run = SnapshotRun.objects.create(plan=plan, as_of=dt.date(2025, 6, 30))
    regions = ["150402", "150403", "150404", "150421"]
    Snapshot.objects.bulk_create(
        Snapshot(run=run, indicator=indicator, as_of=run.as_of, region_code=code,
                 region_level="county", numerator=Decimal("1.00"), value=Decimal("2.0000"),
                 status="met")
        for code in regions
    )  # fmt: skip
    ids = dict(Snapshot.objects.filter(run=run).values_list("region_code", "pk"))
    changed = {
        "150402": (Decimal("12.50"), Decimal("31.2500"), "at_risk"),
        "150404": (None, None, "no_data"),  # to NULL
        "150421": (Decimal("0.00"), Decimal("0.0000"), "行\t含制表符"),
    }
    rows = [(ids[code], *values) for code, values in changed.items()]
    assert bulk.update_rows(Snapshot, ("numerator", "value", "status"), rows) == 3
    stored = {
        s.region_code: (s.numerator, s.value, s.status) for s in Snapshot.objects.filter(run=run)
    }
    assert stored == {**changed, "150403": (Decimal("1.00"), Decimal("2.0000"), "met")}
    assert bulk.update_rows(Snapshot, ("status",), []) == 0


def test_a_failing_update_leaves_every_row_as_it_was() -> None:
    days = [dt.date(2097, 5, 1), dt.date(2097, 5, 2), dt.date(2097, 5, 3)]
    bulk.insert_prepared(
        CalendarDay, ["date", "kind", "name"], ((d, "holiday", "旧") for d in days)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        # the name changes, then a NULL where the column refuses one
        bulk.update_rows(CalendarDay, ("name",), [(days[0], "新"), (days[1], None)])
    assert set(CalendarDay.objects.filter(date__in=days).values_list("name", flat=True)) == {"旧"}


def test_an_update_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="values"):
        bulk.update_rows(Household, ("village_code",), [(1, "150402001001", "extra")])
    with pytest.raises(ValueError, match="not a column"):
        bulk.update_rows(Household, ("id",), [(1, 2)])
    with pytest.raises(ValueError, match="not a column"):
        bulk.update_rows(Household, ("members",), [(1, 2)])


def test_create_in_batches_writes_as_the_objects_come() -> None:
    # each object is made when the one before it is written or batched: when the k-th is
    # made, the whole batches before it are in the table already (nothing held whole)
    seen: list[int] = []
    days = [dt.date(2097, 1, 1) + dt.timedelta(days=i) for i in range(11)]

    def made() -> Iterator[CalendarDay]:
        for k, day in enumerate(days):
            seen.append(CalendarDay.objects.filter(date__year=2097).count())
            assert seen[-1] == k // 4 * 4
            yield CalendarDay(date=day, kind="holiday", name=f"第{k}天")

    assert bulk.create_in_batches(CalendarDay, made(), size=4) == 11
    stored = CalendarDay.objects.filter(date__year=2097).order_by("date")
    assert [(c.date, c.name) for c in stored] == [(d, f"第{k}天") for k, d in enumerate(days)]
    assert seen == [0, 0, 0, 0, 4, 4, 4, 4, 8, 8, 8]
    assert bulk.create_in_batches(CalendarDay, iter(()), size=4) == 0


def _periods(person: Any, benefit: Any, start: dt.date) -> list[Entitlement]:
    """Unsaved allowance periods with nulls, decimals, defaults left out and a timestamp
    set on insert (the demo's shape)."""
    return [
        Entitlement(person=person, benefit=benefit, valid_from=start, valid_to=None,
                    monthly_amount=Decimal("120.50"), status_reason="审批通过 / approved"),
        Entitlement(person=person, benefit=benefit, valid_from=start.replace(year=start.year - 2),
                    valid_to=start.replace(year=start.year - 1), status="terminated",
                    monthly_amount=None, source="demo", status_reason="终止：死亡"),
    ]  # fmt: skip


def test_insert_objects_writes_what_bulk_create_writes() -> None:
    benefit = BenefitItem.objects.get(code="living_allowance")
    first, second = make_person(), make_person(name="李秀英", birth=dt.date(1975, 3, 2))
    Entitlement.objects.bulk_create(_periods(first, benefit, dt.date(2024, 1, 1)))
    made = _periods(second, benefit, dt.date(2024, 1, 1))
    ids = bulk.reserve_ids(Entitlement, len(made))
    for row, pk in zip(made, ids, strict=True):
        row.pk = pk
    assert bulk.insert_objects(Entitlement, made) == 2
    columns = [f.attname for f in Entitlement._meta.concrete_fields]
    columns = [c for c in columns if c not in ("id", "person_id", "created_at", "recorded_at")]

    def stored(person: Any) -> list[tuple[Any, ...]]:
        return list(Entitlement.objects.filter(person=person).order_by("pk").values_list(*columns))

    assert stored(second) == stored(first)
    assert sorted(Entitlement.objects.filter(person=second).values_list("pk", flat=True)) == ids
    # the timestamps set on insert are set
    assert not Entitlement.objects.filter(person=second, created_at__isnull=True).exists()
    # without ids the database numbers them; some with and some without is refused
    # (another person: one person's periods of a benefit never overlap)
    third = make_person(name="王芳", birth=dt.date(1990, 8, 9))
    assert bulk.insert_objects(Entitlement, _periods(third, benefit, dt.date(2024, 1, 1))) == 2
    assert stored(third) == stored(first)
    fourth = make_person(name="赵军", birth=dt.date(1960, 1, 5))
    mixed = _periods(fourth, benefit, dt.date(2024, 1, 1))
    mixed[0].pk = bulk.reserve_ids(Entitlement, 1)[0]
    with pytest.raises(ValueError, match="some objects have an id"):
        bulk.insert_objects(Entitlement, mixed)
    assert Entitlement.objects.count() == 6
