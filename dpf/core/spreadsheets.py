"""The one owner of spreadsheet-formula neutralising (CSV/formula injection).

Every workbook or CSV the platform writes passes its text cells through :func:`neutralise`:
a value a spreadsheet program would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe, so it is shown as text.
"""

from __future__ import annotations

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
