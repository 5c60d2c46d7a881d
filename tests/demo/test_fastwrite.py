"""``dpf.demo.fastwrite``: rows written with COPY / executemany as ``bulk_create`` would
store them, and ids reserved without ever handing one out twice."""

from __future__ import annotations

import pytest
from django.db import connection

from dpf.demo.fastwrite import insert_rows, reserve_ids
from dpf.registry.models import Household

pytestmark = pytest.mark.django_db

FIELDS = ("county_code", "township_code", "village_code", "address")


def test_rows_are_stored_as_the_model_stores_them() -> None:
    n = insert_rows(
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
    insert_rows(Household, FIELDS, [("150402", "150402001", "150402001001", "")])
    existing = Household.objects.get().pk
    ids = reserve_ids(Household, 3)
    assert len(set(ids)) == 3
    assert min(ids) > existing
    insert_rows(
        Household, ("id", *FIELDS), [(pk, "150402", "150402001", "150402001001", "") for pk in ids]
    )
    assert sorted(Household.objects.values_list("pk", flat=True)) == [existing, *sorted(ids)]
    Household.objects.filter(pk__in=ids).delete()
    # Neither a later reservation nor the database's own numbering reuses a deleted id.
    assert min(reserve_ids(Household, 2)) > max(ids)
    insert_rows(Household, FIELDS, [("150402", "150402001", "150402001001", "")])
    last = Household.objects.order_by("pk").last()
    assert last is not None
    assert last.pk > max(ids)


def test_a_row_of_the_wrong_length_or_a_non_column_is_refused() -> None:
    with pytest.raises(ValueError, match="values"):
        insert_rows(Household, FIELDS, [("150402", "150402001", "150402001001")])
    with pytest.raises(ValueError, match="not a column"):
        insert_rows(Household, ("members",), [(1,)])
    assert not Household.objects.exists()
