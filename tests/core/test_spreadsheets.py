"""The streaming workbook writer (dpf/core/spreadsheets.py, ``write_xlsx``): what openpyxl
reads back is what was written, text neutralised, numbers as numbers."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook

from dpf.core.spreadsheets import write_xlsx


def _read(rows: Sequence[Sequence[object]]) -> list[tuple[object, ...]]:
    out = io.BytesIO()
    assert write_xlsx(out, "名册", rows) == len(rows)
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["名册"]
    return list(book.active.iter_rows(values_only=True))


def test_cells_come_back_as_written_text_neutralised_numbers_as_numbers():
    rows: list[list[object]] = [
        ["标题"],
        [1, "张三", Decimal("95.50"), 0, True, None, "<b>&amp;</b>", " 前后空格 "],
        [2, "=SUM(A1:A2)", Decimal("-1.25"), 7, False, 2.5, "+86 138", "@张"],
        [3, "a\x01b\x1fc", gettext_lazy("姓名"), 10**12, None, None, "-", "\tx"],
    ]
    assert _read(rows) == [
        ("标题", None, None, None, None, None, None, None),
        (1, "张三", 95.5, 0, True, None, "<b>&amp;</b>", " 前后空格 "),
        (2, "'=SUM(A1:A2)", -1.25, 7, False, 2.5, "'+86 138", "'@张"),
        (3, "abc", "姓名", 10**12, None, None, "'-", "'\tx"),
    ]


def test_a_row_wider_than_sixteen_columns_and_many_rows():
    wide = [list(range(30))]
    assert _read(wide) == [tuple(range(30))]
    many = [[n, f"村{n % 7}"] for n in range(2500)]  # more than one written chunk
    assert _read(many) == [(n, f"村{n % 7}") for n in range(2500)]


@pytest.mark.parametrize("value", [dt.date(2026, 1, 1), Decimal("NaN"), float("inf"), b"x"])
def test_a_cell_of_another_kind_is_refused(value):
    with pytest.raises(TypeError):
        write_xlsx(io.BytesIO(), "s", [[value]])
