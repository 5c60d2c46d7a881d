"""The one owner of spreadsheet cells: formula neutralising (CSV/formula injection),
numbers written as numbers with a number format (:func:`append_row`), and the streaming
writer of the long exports (:func:`write_xlsx`).

Every workbook or CSV the platform writes passes its text cells through :func:`neutralise`:
a value a spreadsheet program would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) gets a leading apostrophe, so it is shown as text.
"""

from __future__ import annotations

import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import IO, Any
from xml.sax.saxutils import escape

from django.utils.functional import Promise

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


# A streaming .xlsx writer for the long exports (the bank workbook: 81,485 lines of 14 cells
# at a city's scale). openpyxl's write-only mode builds an element per cell: 36 s for those
# lines on the loaded 2-core test machine (no lxml); this writes the sheet's XML text
# straight into the zip: 3.6 s (docs/benchmarks.md, "Payment documents"). One sheet, text as
# inline strings, numbers as numbers, no styles: what a bank's import reads. Every text
# cell is neutralised here.

_SPREADSHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATIONSHIP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
# Characters XML 1.0 cannot carry (openpyxl refuses them): dropped from text cells.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _package_parts(sheet_title: str) -> dict[str, str]:
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    types = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    return {
        "[Content_Types].xml": (
            f"{_XML}<Types xmlns="
            '"http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{types}.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            f'ContentType="{types}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{types}.styles+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            f'{_XML}<Relationships xmlns="{_PACKAGE_RELS_NS}">'
            f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'{_XML}<workbook xmlns="{_SPREADSHEET_NS}" xmlns:r="{_RELATIONSHIP_NS}">'
            f'<sheets><sheet name="{escape(sheet_title, {chr(34): "&quot;"})}" sheetId="1" '
            'r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML}<Relationships xmlns="{_PACKAGE_RELS_NS}">'
            f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{office}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'{_XML}<styleSheet xmlns="{_SPREADSHEET_NS}">'
            '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
            '<fills count="2"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            "</borders>"
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            "</cellStyleXfs>"
            '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            "</cellXfs>"
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            "</styleSheet>"
        ),
    }


def _column_letters(count: int) -> list[str]:
    letters = []
    for index in range(1, count + 1):
        name = ""
        while index:
            index, rest = divmod(index - 1, 26)
            name = chr(65 + rest) + name
        letters.append(name)
    return letters


def _text(value: str) -> str:
    """A text cell's content: legal XML characters, neutralised, escaped."""
    if _ILLEGAL_XML.search(value):
        value = _ILLEGAL_XML.sub("", value)
    value = neutralise(value)
    if "&" in value or "<" in value or ">" in value:
        value = escape(value)
    return value


def _string_cell(value: str) -> str:
    """What follows a text cell's reference: its type and its inline string."""
    text = _text(value)
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _other_cell(reference: str, value: Any) -> str:
    """A cell of a type the fast path of ``_row`` does not know (a lazy translation, a
    boolean, a float, an enumeration); ``""`` for an empty cell."""
    if isinstance(value, str | Promise):
        return f'<c r="{reference}"{_string_cell(str(value))}'
    if isinstance(value, bool):
        return f'<c r="{reference}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        return f'<c r="{reference}"><v>{int(value)}</v></c>'
    if isinstance(value, float | Decimal) and math.isfinite(value):
        return f'<c r="{reference}"><v>{value}</v></c>'
    if value is None:
        return ""
    raise TypeError(f"a workbook cell holds text or a finite number, not {type(value).__name__}")


def _row(letters: list[str], number: int, row: Sequence[Any], strings: dict[str, str]) -> str:
    """One ``<row>``. ``strings`` keeps each distinct text's cell (a village, a bank, a
    name repeat along a list): it is checked and escaped once."""
    cells = []
    for letter, value in zip(letters, row, strict=False):
        kind = type(value)
        if kind is str:
            body = strings.get(value)
            if body is None:
                body = strings[value] = _string_cell(value)
            cells.append(f'<c r="{letter}{number}"{body}')
        elif kind is int or (kind is Decimal and value.is_finite()):
            cells.append(f'<c r="{letter}{number}"><v>{value}</v></c>')
        else:
            cells.append(_other_cell(f"{letter}{number}", value))
    return f'<row r="{number}">{"".join(cells)}</row>'


def write_xlsx(out: IO[bytes], sheet_title: str, rows: Iterable[Sequence[Any]]) -> int:
    """Write ``rows`` as the one sheet of an .xlsx package to ``out``, streaming (memory
    does not grow with the rows); ``None`` leaves a cell empty. Returns the rows written."""
    written = 0
    letters = _column_letters(16)
    strings: dict[str, str] = {}
    # the fastest deflate: a third of the time of the default level for a file ~15 % larger
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        for name, text in _package_parts(sheet_title[:31]).items():
            package.writestr(name, text)
        with package.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(f'{_XML}<worksheet xmlns="{_SPREADSHEET_NS}"><sheetData>'.encode())
            chunk: list[str] = []
            for number, row in enumerate(rows, start=1):
                if len(row) > len(letters):
                    letters = _column_letters(len(row))
                chunk.append(_row(letters, number, row, strings))
                written = number
                if len(chunk) == 1000:
                    if len(strings) > 100_000:  # memory stays bounded
                        strings.clear()
                    sheet.write("".join(chunk).encode())
                    chunk = []
            sheet.write(("".join(chunk) + "</sheetData></worksheet>").encode())
    return written
