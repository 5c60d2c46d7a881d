"""Reading an uploaded table (a roster, a bank's result file) as a stream of rows, safely:
the one owner of opening spreadsheets that come from outside.

The format is detected from the content, never from the file name: .xlsx (openpyxl
read-only) or CSV in UTF-8 (with or without BOM), GB18030 (a superset of GBK/GB2312, what
Excel writes on Chinese Windows) or UTF-16 with BOM (Excel's "Unicode text").

Files arrive as bytes (decrypted in memory; at most ``DPF_IMPORT_MAX_BYTES``). Before an
.xlsx is parsed its zip directory is checked against the unpacked-size limits
(``check_archive``: a zip bomb is refused from its directory), its XML parts are read with
no DOCTYPE allowed (no entity expansion), and the rows are counted with a cheap pass
(``Rows.rows_total``): a file over ``DPF_IMPORT_MAX_ROWS`` is refused before any row is
handed out. A formula cell reads as its formula text, never as the value cached beside it.
"""

from __future__ import annotations

import codecs
import csv
import io
import posixpath
import re
import struct
import xml.parsers.expat
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from dpf.core.errors import ValidationFailed
from dpf.core.table_limits import (
    MAX_COLUMNS,
    MAX_PARTS,
    MAX_RATIO,
    OTHER_PART_BYTES,
    RATIO_CHECKED_FROM,
    ImportLimits,
    megabytes,
)

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
    "file_too_large": (
        "文件超过 {limit} 的上限，请拆分后分批导入",
        "the file exceeds the {limit} limit; split it and import the parts",
    ),
    "file_gone": (
        "上传的文件已不再保存，请重新上传",
        "the uploaded file is no longer kept; upload it again",
    ),
    "too_many_rows": (
        "文件超过每批 {limit} 行的上限（读到第 {reached} 行时停止），请拆分后分批导入",
        "the file has more than the limit of {limit} rows per batch (stopped at row {reached}); "
        "split it and import the parts",
    ),
    "too_many_columns": (
        "第{at}行超过 {limit} 列的上限，文件可能不是名单",
        "row {at} has more than the limit of {limit} columns; the file may not be a roster",
    ),
    "unpacked_too_large": (
        "文件解压后共 {size}，超过 {limit} 的上限，请拆分后分批导入",
        "the file unpacks to {size}, more than the {limit} limit; split it and import the parts",
    ),
    "part_too_large": (
        "文件中的“{part}”解压后为 {size}，超过 {limit} 的上限",
        "the part {part} of the file unpacks to {size}, more than the {limit} limit",
    ),
    "compression_ratio": (
        "文件中的“{part}”压缩比为 {ratio}:1，超过 {limit}:1 的上限，不像正常的表格文件",
        "the part {part} of the file is compressed {ratio}:1, more than the {limit}:1 limit; "
        "it does not look like a real spreadsheet",
    ),
    "too_many_parts": (
        "文件包含 {count} 个部件，超过 {limit} 个的上限，不像正常的表格文件",
        "the file holds {count} parts, more than the limit of {limit}; "
        "it does not look like a real spreadsheet",
    ),
}


class FileRefused(ValidationFailed):
    """The file as a whole cannot be read (as a table, or as this kind of roster)."""

    def __init__(self, code: str, *, row: int | None = None, **params: Any) -> None:
        zh, en = FILE_MESSAGES[code]
        super().__init__(
            code, zh.format(row=row, **params), en.format(row=row, **params), field="file"
        )
        self.row = row


def sniff_format(data: bytes) -> str:
    """``xlsx``, ``csv`` or ``json`` (by content); raises :class:`FileRefused`."""
    head = data[:8192]
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


def _detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    else:
        candidates = ["utf-8", "gb18030"]
    view = memoryview(data)
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            for start in range(0, len(data), 1 << 20):
                decoder.decode(view[start : start + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise FileRefused("encoding")


# --- limits ----------------------------------------------------------------------------

WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
CONTENT_TYPES = "[Content_Types].xml"
_SAFE_PART = re.compile(r"[A-Za-z0-9_./\[\]-]{1,80}")


def _part_label(name: str) -> str:
    """A part's name fit to show in a message (it comes from the uploaded file)."""
    return name if _SAFE_PART.fullmatch(name) else "?"


def _zip_entry_count(data: bytes) -> int | None:
    """The entry count the end-of-central-directory record declares, read before
    ``zipfile`` builds an object for every entry (None when the record is not found)."""
    at = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if at < 0 or at + 22 > len(data):
        return None
    (count,) = struct.unpack_from("<H", data, at + 10)
    return int(count)


class _Doctype(Exception):
    pass


# What a damaged archive or part raises while it is read.
_BROKEN_ZIP: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    struct.error,
)
_BROKEN_XML: tuple[type[Exception], ...] = (_Doctype, xml.parsers.expat.ExpatError, *_BROKEN_ZIP)
_BROKEN_DIRECTORY: tuple[type[Exception], ...] = (*_BROKEN_ZIP, ValueError)
_BROKEN_SMALL_PART: tuple[type[Exception], ...] = (*_BROKEN_XML, KeyError)  # or missing
# openpyxl's own complaints about a damaged workbook or worksheet.
_BROKEN_WORKBOOK: tuple[type[Exception], ...] = (
    *_BROKEN_ZIP,
    KeyError,
    ValueError,
    TypeError,
    SyntaxError,  # the XML parsers' errors
)


def _xml_parser() -> Any:
    """An expat parser that refuses any DOCTYPE (no spreadsheet part has one; entity
    tricks need one)."""
    parser = xml.parsers.expat.ParserCreate(namespace_separator=" ")

    def doctype(*_args: Any) -> None:
        raise _Doctype

    parser.StartDoctypeDeclHandler = doctype
    return parser


def _part_types(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[str, str]:
    """Part name → content type, from ``[Content_Types].xml`` (what openpyxl reads too)."""
    if info.file_size > OTHER_PART_BYTES:
        raise FileRefused(
            "part_too_large",
            part=CONTENT_TYPES,
            size=megabytes(info.file_size),
            limit=megabytes(OTHER_PART_BYTES),
        )
    types: dict[str, str] = {}

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "Override" or name.endswith(" Override"):
            part = attributes.get("PartName", "").lstrip("/")
            types[part] = attributes.get("ContentType", "")

    parser = _xml_parser()
    parser.StartElementHandler = start
    try:
        parser.Parse(archive.read(info), True)
    except _BROKEN_XML:
        raise FileRefused("not_spreadsheet") from None
    return types


def check_archive(data: bytes, limits: ImportLimits) -> None:
    """Refuse an .xlsx whose parts would unpack beyond the limits, from its zip directory
    alone (nothing is decompressed but the small ``[Content_Types].xml``)."""
    _checked_archive(data, limits)


def _checked_archive(data: bytes, limits: ImportLimits) -> tuple[zipfile.ZipFile, dict[str, str]]:  # noqa: C901
    """``check_archive``; returns the archive and its parts' content types.

    Worksheets are streamed, so they share the total; every other part is read whole into
    memory by openpyxl, so the shared strings may take a quarter of the total and any other
    part ``OTHER_PART_BYTES``; no part over 1 MB may be compressed more than ``MAX_RATIO``.
    """
    count = _zip_entry_count(data)
    if count is not None and (count == 0xFFFF or count > MAX_PARTS):
        raise FileRefused("too_many_parts", count=f"{count:,}", limit=f"{MAX_PARTS:,}")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except _BROKEN_DIRECTORY:
        raise FileRefused("not_spreadsheet") from None
    if len(infos) > MAX_PARTS:
        raise FileRefused("too_many_parts", count=f"{len(infos):,}", limit=f"{MAX_PARTS:,}")
    total = sum(info.file_size for info in infos)
    if total > limits.max_unpacked_bytes:
        raise FileRefused(
            "unpacked_too_large",
            size=megabytes(total),
            limit=megabytes(limits.max_unpacked_bytes),
        )
    for info in infos:
        if info.file_size >= RATIO_CHECKED_FROM:
            ratio = info.file_size // max(info.compress_size, 1)
            if ratio > MAX_RATIO:
                raise FileRefused(
                    "compression_ratio",
                    part=_part_label(info.filename),
                    ratio=f"{ratio:,}",
                    limit=MAX_RATIO,
                )
    by_name = {info.filename: info for info in infos}
    if CONTENT_TYPES not in by_name:
        raise FileRefused("not_spreadsheet")
    types = _part_types(archive, by_name[CONTENT_TYPES])
    for info in infos:
        kind = types.get(info.filename)
        if kind == WORKSHEET_TYPE:
            continue
        limit = limits.max_shared_strings_bytes if kind == SHARED_STRINGS_TYPE else OTHER_PART_BYTES
        if info.file_size > limit:
            raise FileRefused(
                "part_too_large",
                part=_part_label(info.filename),
                size=megabytes(info.file_size),
                limit=megabytes(limit),
            )
    return archive, types


WORKBOOK_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    "application/vnd.ms-excel.template.macroEnabled.main+xml",
}
RELATIONSHIPS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _parse_small(archive: zipfile.ZipFile, part: str, start: Callable[..., None]) -> None:
    """Run ``start`` over the elements of a small part (held to ``OTHER_PART_BYTES``)."""
    parser = _xml_parser()
    parser.StartElementHandler = start
    try:
        parser.Parse(archive.read(part), True)
    except _BROKEN_SMALL_PART:
        raise FileRefused("not_spreadsheet") from None


def _first_worksheet(archive: zipfile.ZipFile, types: dict[str, str]) -> str:
    """The part openpyxl reads as ``worksheets[0]``: the first ``<sheet>`` of the workbook
    whose relationship leads to a worksheet, found without loading the workbook."""
    workbook = next((p for p, t in types.items() if t in WORKBOOK_TYPES), "xl/workbook.xml")
    sheet_ids: list[str] = []
    targets: dict[str, str] = {}

    def sheet(name: str, attributes: dict[str, str]) -> None:
        if name.endswith(" sheet") or name == "sheet":
            sheet_ids.append(attributes.get(f"{RELATIONSHIPS} id", ""))

    def relationship(name: str, attributes: dict[str, str]) -> None:
        if name.endswith("Relationship"):
            targets[attributes.get("Id", "")] = attributes.get("Target", "")

    folder = posixpath.dirname(workbook)
    _parse_small(archive, workbook, sheet)
    _parse_small(
        archive,
        posixpath.join(folder, "_rels", posixpath.basename(workbook) + ".rels"),
        relationship,
    )
    for sheet_id in sheet_ids:
        target = targets.get(sheet_id, "")
        part = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        if types.get(part) == WORKSHEET_TYPE:
            return part
    raise FileRefused("not_spreadsheet")


class _TooManyRows(Exception):
    pass


def _count_sheet_rows(archive: zipfile.ZipFile, part: str, limit: int) -> int:
    """Rows of a worksheet without reading its cells: ``<row>`` elements, or the highest
    row number they carry when rows are skipped (openpyxl fills the gaps with empty rows).
    Raises :class:`FileRefused` as soon as the count passes ``limit``."""
    parser = _xml_parser()
    state = {"rows": 0}

    def start(name: str, attributes: dict[str, str]) -> None:
        if name == "row" or name.endswith(" row"):
            state["rows"] += 1
            number = attributes.get("r", "")
            if number.isdigit() and len(number) <= 9:
                state["rows"] = max(state["rows"], int(number))
            if state["rows"] > limit:
                raise _TooManyRows

    parser.StartElementHandler = start
    try:
        with archive.open(part) as source:
            while chunk := source.read(1 << 20):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _TooManyRows:
        raise too_many_rows(limit + 1, limit) from None
    except _BROKEN_XML:
        raise FileRefused("not_spreadsheet") from None
    return state["rows"]


def too_many_rows(row: int, limit: int) -> FileRefused:
    return FileRefused("too_many_rows", reached=f"{row:,}", limit=f"{limit:,}")


def _bounded(
    numbered: Iterator[tuple[int, list[Any]]], limit: int
) -> Iterator[tuple[int, list[Any]]]:
    """Rows as they are read, refused past the row or column limit."""
    for n, cells in numbered:
        if n > limit:
            raise too_many_rows(n, limit)
        if len(cells) > MAX_COLUMNS:
            raise FileRefused("too_many_columns", at=n, limit=MAX_COLUMNS)
        yield n, cells


class Position:
    """The last row number read, as a fraction of the rows counted (for progress)."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.row = 0

    def __call__(self) -> float:
        return min(self.row / self.total, 1.0) if self.total else 0.0


def _sheet_part(sheet: Any) -> str | None:
    # openpyxl keeps the worksheet's part name on its read-only sheet (no public accessor).
    part = getattr(sheet, "_worksheet_path", None)
    return part if isinstance(part, str) else None


def _xlsx_rows(data: bytes, limits: ImportLimits) -> Rows:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    archive, types = _checked_archive(data, limits)
    # Every row counted before any is validated, and before openpyxl opens the sheet (it
    # reads a sheet without a <dimension> to its end): a file over the limit writes nothing.
    part = _first_worksheet(archive, types)
    total = _count_sheet_rows(archive, part, limits.max_rows)
    try:
        # data_only=False: a formula cell reads as its formula ("=…", refused by the row
        # parser), never as the value cached beside it, which a crafted file sets freely.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (InvalidFileException, *_BROKEN_WORKBOOK):
        raise FileRefused("not_spreadsheet") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise FileRefused("not_spreadsheet")
        opened = _sheet_part(sheet)
        if opened is not None and opened != part:  # openpyxl chose otherwise: count that one
            total = _count_sheet_rows(archive, opened, limits.max_rows)
        # openpyxl pads every row to the width the sheet's <dimension> declares.
        width = getattr(sheet, "max_column", None)
        if isinstance(width, int) and width > MAX_COLUMNS:
            raise FileRefused("too_many_columns", at=1, limit=MAX_COLUMNS)
    except BaseException:
        workbook.close()
        raise
    position = Position(total)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        try:
            for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                position.row = n
                yield n, list(values)
        except _BROKEN_WORKBOOK:
            raise FileRefused("not_spreadsheet") from None
        finally:
            workbook.close()

    return Rows(rows=_bounded(numbered(), limits.max_rows), rows_total=total, position=position)


def _csv_rows(data: bytes, encoding: str, delimiter: str) -> Iterator[tuple[int, list[Any]]]:
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")
    try:
        for n, values in enumerate(csv.reader(text, delimiter=delimiter), start=1):
            yield n, list(values)
    except csv.Error:
        raise FileRefused("not_spreadsheet") from None
    finally:
        text.close()


def _csv_rows_counted(data: bytes, limits: ImportLimits) -> Rows:
    encoding = _detect_encoding(data)
    with io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="") as probe:
        first = probe.readline(1 << 20)
    delimiter = max((",", "\t", ";", "|"), key=first.count)
    if first.count(delimiter) == 0:
        delimiter = ","
    # Every row counted before any is validated: a file over the limit writes nothing.
    total = 0
    for total, cells in _csv_rows(data, encoding, delimiter):
        if total > limits.max_rows:
            raise too_many_rows(total, limits.max_rows)
        if len(cells) > MAX_COLUMNS:
            raise FileRefused("too_many_columns", at=total, limit=MAX_COLUMNS)
    position = Position(total)

    def numbered() -> Iterator[tuple[int, list[Any]]]:
        for n, cells in _csv_rows(data, encoding, delimiter):
            position.row = n
            yield n, cells

    return Rows(rows=_bounded(numbered(), limits.max_rows), rows_total=total, position=position)


def read_upload(stream: IO[bytes], limits: ImportLimits) -> bytes:
    """The whole upload in memory, refused as soon as it passes ``limits.max_bytes`` (the
    rest is never read)."""
    chunks: list[bytes] = []
    read = 0
    while chunk := stream.read(1 << 20):
        read += len(chunk)
        if read > limits.max_bytes:
            raise FileRefused("file_too_large", limit=megabytes(limits.max_bytes))
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass
class Rows:
    """The rows of a table as they are read: ``(row number, cells)`` from 1, refused past
    the row or column limit; ``rows_total`` counted before the first is handed out."""

    rows: Iterator[tuple[int, list[Any]]]
    rows_total: int  # rows in the file (header and blank rows included)
    position: Callable[[], float]  # the fraction 0..1 of the rows read


def open_rows(data: bytes, limits: ImportLimits, file_format: str | None = None) -> Rows:
    """The rows of an uploaded .xlsx or CSV (``file_format`` as :func:`sniff_format` names
    it, detected when not given); raises :class:`FileRefused`, before any row is handed
    out, on a file that is not a table or is over the limits."""
    if not data:
        raise FileRefused("empty_file")
    if (file_format or sniff_format(data)) == "xlsx":
        return _xlsx_rows(data, limits)
    return _csv_rows_counted(data, limits)
