"""Writing spreadsheets: roster templates, row lists, registry extracts.

Every text cell goes through :func:`neutralise`, so a value that a spreadsheet would run
as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage return) is written as text with a
leading ``'`` (CSV/Excel formula injection). Workbooks are written in openpyxl's
write-only (streaming) mode to a temporary file.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Sequence
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from dpf.core.spreadsheets import neutralise
from dpf.exchange.rostertypes import RosterType

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _cells(sheet: WriteOnlyWorksheet, values: Iterable[Any], *, bold: bool = False) -> list[Any]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        if isinstance(value, str):
            cell.data_type = "s"
        if bold:
            cell.font = Font(bold=True)
        if isinstance(value, dt.date):
            cell.number_format = "yyyy-mm-dd"
        cells.append(cell)
    return cells


class SheetWriter:
    """A streaming workbook: ``add_sheet`` then ``append`` rows, ``finish`` for the file."""

    def __init__(self) -> None:
        self.workbook = Workbook(write_only=True)
        self.sheet: WriteOnlyWorksheet | None = None

    def add_sheet(self, title: str, header: Sequence[str], widths: Sequence[int] = ()) -> None:
        self.sheet = self.workbook.create_sheet(title=title[:31])
        for i, width in enumerate(widths):
            letter = chr(ord("A") + i)
            self.sheet.column_dimensions[letter].width = width
        self.sheet.append(_cells(self.sheet, header, bold=True))

    def append(self, values: Iterable[Any]) -> None:
        assert self.sheet is not None
        self.sheet.append(_cells(self.sheet, values))

    def finish(self) -> IO[bytes]:
        handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (returned open)
        self.workbook.save(handle)
        handle.seek(0)
        return handle


def roster_template(rtype: RosterType) -> IO[bytes]:
    """The Excel template of a roster type: Chinese headers, one synthetic example row."""
    writer = SheetWriter()
    writer.add_sheet(str(rtype.name), [c.header for c in rtype.columns], [22] * len(rtype.columns))
    example = []
    for column in rtype.columns:
        if column.key == "id_number":
            example.append(column.example)
        elif column.key == "name":
            example.append("张海明")
        else:
            example.append(rtype.example_values.get(column.key, ""))
    writer.append(example)
    writer.add_sheet("填写说明", ["列名", "是否必填", "说明", "可用的其他列名"], [18, 10, 40, 60])
    for column in rtype.columns:
        writer.append(
            [
                column.header,
                "必填" if column.required and not column.blank_ok else "可空",
                column.help,
                "、".join(column.variants),
            ]
        )
    writer.append(
        ["", "", "示例行中的身份证号码为虚构号码（校验位正确），导入前请删除示例行。", ""]
    )
    return writer.finish()
