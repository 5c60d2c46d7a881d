"""Hostile roster files built at test time (never committed): zip bombs, files of a million
rows, sheets with rows far apart or a cell in the last column.

The .xlsx files are written part by part with ``zipfile``, so a worksheet of a gigabyte is
streamed through the compressor and never held in memory.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
HEADER = ("身份证号码", "姓名", "类别", "起始日期")


def _content_types(shared_strings: bool) -> str:
    strings = (
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{STRINGS_TYPE}"/>'
        if shared_strings
        else ""
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{SHEET_TYPE}"/>'
        f"{strings}</Types>"
    )


def _workbook_rels(shared_strings: bool) -> str:
    strings = (
        f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        if shared_strings
        else ""
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
        f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f"{strings}</Relationships>"
    )


def xlsx(
    sheet_rows: Iterable[bytes],
    *,
    shared_strings: Iterable[bytes] | None = None,
    extra_parts: int = 0,
    level: int = 6,
) -> bytes:
    """A minimal workbook whose first sheet's ``<sheetData>`` is ``sheet_rows`` (raw XML,
    streamed through the compressor), with an optional shared-strings part of ``<si>``
    items and ``extra_parts`` empty parts besides."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", _content_types(shared_strings is not None))
        z.writestr(
            "_rels/.rels",
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
            f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(shared_strings is not None))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(
                f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}">'.encode()
            )
            sheet.write(b"<sheetData>")
            for chunk in sheet_rows:
                sheet.write(chunk)
            sheet.write(b"</sheetData></worksheet>")
        if shared_strings is not None:
            with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as strings:
                strings.write(
                    f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}">'.encode()
                )
                for item in shared_strings:
                    strings.write(item)
                strings.write(b"</sst>")
        for n in range(extra_parts):
            z.writestr(f"xl/media/part{n}.bin", b"")
    return out.getvalue()


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> bytes:
    cells = "".join(_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(HEADER))
    return f'<row r="1">{cells}</row>'.encode()


def numbered_rows(first: int, last: int, per_chunk: int = 10_000) -> Iterator[bytes]:
    """Rows ``first``..``last``, one short cell each, in chunks of XML."""
    for start in range(first, last + 1, per_chunk):
        stop = min(last, start + per_chunk - 1)
        yield "".join(
            f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>{n}</t></is></c></row>'
            for n in range(start, stop + 1)
        ).encode()


def _zip(parts: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip archive from already deflated parts: (name, raw deflate data, CRC-32, size)."""
    out = io.BytesIO()
    directory = []
    for name, data, crc, size in parts:
        raw = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(raw), 0
            )
        )
        out.write(raw + data)
        directory.append(
            struct.pack(
                "<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                len(raw), 0, 0, 0, 0, 0, offset,
            ) + raw
        )  # fmt: skip
    start = out.tell()
    out.write(b"".join(directory))
    size = out.tell() - start
    out.write(struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(parts), len(parts), size, start, 0))
    return out.getvalue()


def _deflated(name: str, text: str | bytes) -> tuple[str, bytes, int, int]:
    data = text.encode() if isinstance(text, str) else text
    packer = zlib.compressobj(6, zlib.DEFLATED, -15)
    return name, packer.compress(data) + packer.flush(), zlib.crc32(data), len(data)


def zip_bomb(unpacked: int) -> bytes:
    """A workbook whose sheet holds one cell of about ``unpacked`` bytes of zeros: about a
    thousand times its compressed size (a gigabyte in about a megabyte). Built from one
    deflated megabyte repeated (each after a full flush, so the copies are identical), so
    making it costs no more than checking its CRC."""
    head = f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN}"><sheetData>'
    head += '<row r="1"><c r="A1" t="inlineStr"><is><t>'
    tail = b"</t></is></c></row></sheetData></worksheet>"
    block = b"0" * (1 << 20)
    copies = max(1, unpacked // len(block))
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    start = packer.compress(head.encode()) + packer.flush(zlib.Z_FULL_FLUSH)
    repeated = packer.compress(block) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.compress(tail) + packer.flush()
    crc = zlib.crc32(head.encode())
    for _ in range(copies):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head.encode()) + copies * len(block) + len(tail)
    sheet = ("xl/worksheets/sheet1.xml", start + repeated * copies + end, crc, size)
    workbook = (
        f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
        '<sheets><sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    return _zip(
        [
            _deflated("[Content_Types].xml", _content_types(False)),
            _deflated(
                "_rels/.rels",
                f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL}">'
                f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
                "</Relationships>",
            ),
            _deflated("xl/workbook.xml", workbook),
            _deflated("xl/_rels/workbook.xml.rels", _workbook_rels(False)),
            sheet,
        ]
    )


def million_rows_xlsx(rows: int = 1_000_000) -> bytes:
    return xlsx([header_row(), *numbered_rows(2, rows + 1)])


def million_rows_csv(rows: int = 1_000_000) -> bytes:
    lines = ["身份证号码,姓名,类别,起始日期"]
    lines += [f"{n}" for n in range(2, rows + 2)]
    return ("\n".join(lines) + "\n").encode("utf-8")
