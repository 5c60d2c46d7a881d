"""Reading roster files as streams of rows: xlsx (openpyxl read-only), CSV, JSON.

CSV may be UTF-8 (with or without BOM), GB18030 (a superset of GBK/GB2312, what Excel
writes on Chinese Windows) or UTF-16 with BOM (Excel's "Unicode text"). The format is
detected from the content, never from the file name.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from dpf.core.errors import ValidationFailed
from dpf.exchange.rostertypes import RosterType, normalize_header

HEADER_SEARCH_ROWS = 10

FILE_MESSAGES: dict[str, tuple[str, str]] = {
    "not_spreadsheet": (
        "文件不是可识别的表格（请上传 .xlsx 或 CSV 文件）",
        "the file is not a spreadsheet we can read (upload .xlsx or CSV)",
    ),
    "xls_unsupported": (
        "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV",
        "old .xls files are not supported; save as .xlsx or CSV in Excel",
    ),
    "encoding": (
        "无法识别文件编码（支持 UTF-8 和 GB18030/GBK）",
        "the text encoding is not recognised (UTF-8 and GB18030/GBK are supported)",
    ),
    "no_header": (
        "未找到表头：前{rows}行中没有“{headers}”等列名，文件可能不是该类名单",
        "no header row: none of the first {rows} rows names columns such as {headers}; "
        "the file may not be this kind of roster",
    ),
    "missing_column": ("缺少必需的列：{columns}", "required column(s) missing: {columns}"),
    "duplicate_column": (
        "第{row}行表头中“{column}”出现了不止一次",
        "column {column} appears more than once in the header (row {row})",
    ),
    "no_rows": ("文件中没有数据行", "the file has no data rows"),
    "empty_file": ("文件为空", "the file is empty"),
}


class FileRefused(ValidationFailed):
    """The file as a whole cannot be read as this roster."""

    def __init__(self, code: str, *, row: int | None = None, **params: Any) -> None:
        zh, en = FILE_MESSAGES[code]
        super().__init__(
            code, zh.format(row=row, **params), en.format(row=row, **params), field="file"
        )
        self.row = row


@dataclass
class Table:
    """A header mapping and a stream of ``(row number, {column key: raw value})``."""

    headers: dict[str, str]  # column key → header text as written in the file
    ignored: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    total_estimate: int  # rows expected (0 when unknown)
    position: Any  # callable returning a fraction 0..1 of the input read


def sniff_format(path: Path) -> str:
    """``xlsx``, ``csv`` or ``json`` (by content); raises :class:`FileRefused`."""
    with path.open("rb") as fh:
        head = fh.read(8192)
    if not head:
        raise FileRefused("empty_file")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("xls_unsupported")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv"
    if b"\x00" in head or head.startswith((b"%PDF", b"\x89PNG", b"\xff\xd8", b"GIF8")):
        raise FileRefused("not_spreadsheet")
    return "csv"


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            candidates = ["utf-8-sig"]
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        else:
            candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                while chunk := fh.read(1 << 20):
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRefused("encoding")


def _header_lookup(rtype: RosterType) -> dict[str, str]:
    """Normalised header text → column key, for every accepted variant."""
    lookup: dict[str, str] = {}
    for column in rtype.columns:
        for variant in column.accepted_headers():
            lookup.setdefault(normalize_header(variant), column.key)
    return lookup


def _map_header(
    rtype: RosterType, cells: list[Any], row_number: int
) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Column key → cell index, column key → header text, and ignored headers."""
    lookup = _header_lookup(rtype)
    index: dict[str, int] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for i, cell in enumerate(cells):
        norm = normalize_header(cell)
        if not norm:
            continue
        key = lookup.get(norm)
        if key is None:
            ignored.append(str(cell).strip())
            continue
        if key in index:
            raise FileRefused("duplicate_column", row=row_number, column=str(cell).strip())
        index[key] = i
        headers[key] = str(cell).strip()
    return index, headers, ignored


def _rows_with_header(
    rtype: RosterType, numbered: Iterator[tuple[int, list[Any]]]
) -> tuple[dict[str, str], list[str], Iterator[tuple[int, dict[str, Any]]]]:
    best: tuple[dict[str, int], dict[str, str], list[str]] | None = None
    for seen, (row_number, cells) in enumerate(numbered, start=1):
        index, headers, ignored = _map_header(rtype, cells, row_number)
        if len(index) >= 2:
            best = (index, headers, ignored)
            break
        if seen >= HEADER_SEARCH_ROWS:
            break
    if best is None:
        wanted = "、".join(c.header for c in rtype.required_columns)
        raise FileRefused("no_header", rows=HEADER_SEARCH_ROWS, headers=wanted)
    index, headers, ignored = best
    missing = [c.header for c in rtype.required_columns if c.key not in index]
    if missing:
        raise FileRefused("missing_column", columns="、".join(missing))

    def body() -> Iterator[tuple[int, dict[str, Any]]]:
        for row_number, cells in numbered:
            if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
                continue
            yield (
                row_number,
                {key: (cells[i] if i < len(cells) else None) for key, i in index.items()},
            )

    return headers, ignored, body()


def _xlsx_table(rtype: RosterType, path: Path) -> Table:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise FileRefused("not_spreadsheet") from None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        workbook.close()
        raise FileRefused("not_spreadsheet")
    # From the sheet's <dimension>; files written without one report 1 row (unknown).
    total = int(getattr(sheet, "max_row", 0) or 0)
    if total <= 1:
        total = 0
    state = {"row": 0}

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        try:
            for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                state["row"] = n
                yield n, list(values)
        finally:
            workbook.close()

    stream = numbered()
    headers, ignored, rows = _rows_with_header(rtype, stream)
    return Table(
        headers=headers,
        ignored=ignored,
        rows=rows,
        total_estimate=max(total - 1, 0),
        position=lambda: (state["row"] / total) if total else 0.0,
    )


class _CountingReader(io.RawIOBase):
    """A binary file that remembers how many bytes were read (for progress)."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n

    def close(self) -> None:
        self.raw.close()
        super().close()


def _csv_table(rtype: RosterType, path: Path) -> Table:
    encoding = _detect_encoding(path)
    size = path.stat().st_size or 1
    with path.open(encoding=encoding, newline="") as probe:
        first = probe.readline()
    delimiter = max((",", "\t", ";", "|"), key=first.count)
    if first.count(delimiter) == 0:
        delimiter = ","
    counter = _CountingReader(path.open("rb"))
    text = io.TextIOWrapper(io.BufferedReader(counter), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        try:
            for n, values in enumerate(reader, start=1):
                yield n, list(values)
        except csv.Error:
            raise FileRefused("not_spreadsheet") from None
        finally:
            text.close()

    stream = numbered()
    try:
        headers, ignored, rows = _rows_with_header(rtype, stream)
    except FileRefused:
        text.close()
        raise
    # Rows are estimated from the bytes of the first lines; progress uses bytes read.
    return Table(
        headers=headers,
        ignored=ignored,
        rows=rows,
        total_estimate=0,
        position=lambda: min(counter.count / size, 1.0),
    )


def _json_table(rtype: RosterType, path: Path) -> Table:
    """API pushes: a list of objects, each keyed by headers or field keys (mixed is fine)."""
    with path.open("rb") as fh:
        try:
            records = json.load(fh)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise FileRefused("not_spreadsheet") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FileRefused("not_spreadsheet")
    if not records:
        raise FileRefused("no_rows")
    lookup = _header_lookup(rtype)
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for record in records:
        for name in record:
            key = lookup.get(normalize_header(name))
            if key is None:
                if name not in ignored:
                    ignored.append(str(name))
            else:
                headers.setdefault(key, str(name))
    if not headers:
        wanted = "、".join(c.header for c in rtype.required_columns)
        raise FileRefused("no_header", rows=1, headers=wanted)
    missing = [c.header for c in rtype.required_columns if c.key not in headers]
    if missing:
        raise FileRefused("missing_column", columns="、".join(missing))
    state = {"row": 0}
    total = len(records)

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        # API rows are numbered from 1, as positions in ``rows``.
        for n, record in enumerate(records, start=1):
            state["row"] = n
            cells: dict[str, Any] = {}
            for name, value in record.items():
                key = lookup.get(normalize_header(name))
                if key is not None and cells.get(key) in (None, ""):
                    cells[key] = value
            yield n, cells

    return Table(
        headers=headers,
        ignored=ignored,
        rows=rows(),
        total_estimate=total,
        position=lambda: state["row"] / total,
    )


def open_table(rtype: RosterType, path: Path, file_format: str) -> Table:
    """Open ``path`` as a roster of ``rtype``; raises :class:`FileRefused` on file problems."""
    if file_format == "json":
        return _json_table(rtype, path)
    if file_format == "xlsx":
        return _xlsx_table(rtype, path)
    return _csv_table(rtype, path)
