"""The one owner of spreadsheet cells: formula neutralising (CSV/formula injection) and
numbers written as numbers with a number format (:func:`append_row`).

Every workbook or CSV the platform writes passes its text cells through :func:`neutralise`:
a value a spreadsheet program would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe, so it is shown as text.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Text a spreadsheet could run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_workbook(workbook: Any) -> None:
    """Neutralise every text cell of an (editable, not write-only) openpyxl workbook in place."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.value = neutralise(cell.value)


# Numbers: a workbook cell holds the number itself with a number format, never its text,
# so a reader can sum, sort and chart it; the format rounds it for display only.


def number_format(places: int = 0, *, percent: bool = False) -> str:
    """The Excel number format showing ``places`` decimals, with thousands separators
    (``#,##0.0``); ``percent``: the cell holds a fraction shown as a percentage (``0.0%``)."""
    decimals = "." + "0" * places if places > 0 else ""
    return f"0{decimals}%" if percent else f"#,##0{decimals}"


def append_row(sheet: Any, values: list[Any], formats: dict[int, str] | None = None) -> None:
    """Append ``values`` to ``sheet``; the cell at each 0-based index of ``formats`` gets
    that number format when it holds a number (a text in its place, e.g. "少于5", stays
    text). ``Decimal`` values are written as numbers (openpyxl would keep them exact,
    some readers show them as text)."""
    row = [float(v) if isinstance(v, Decimal) else v for v in values]
    sheet.append(row)
    for index, fmt in (formats or {}).items():
        cell = sheet.cell(row=sheet.max_row, column=index + 1)
        if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
            cell.number_format = fmt
