"""Big hostile files, made at test time into a temporary folder (never committed).

- :func:`zip_bomb_xlsx`: a workbook whose one sheet unpacks to ``unpacked`` bytes (1 GB by
  default) from about a thousandth of that on disk. The deflate stream is one compressed
  block of a megabyte of spaces, flushed so that it can be repeated: making a 1 GB bomb
  costs one megabyte of compression and a CRC pass, well under a second.
- :func:`lying_zip_xlsx`: the same stream, but the zip's directory claims the sheet is a
  few kilobytes: a reader that trusts the declared sizes is fooled, one that reads is not.
- :func:`million_rows_csv` / :func:`million_rows_xlsx`: a million data rows, streamed to
  disk (about 3 MB of CSV, or a workbook of well under a megabyte).
- :func:`late_nul_csv`: NUL bytes where sniffing the format does not look.
- :func:`deep_json`: JSON nested deeper than any parser's recursion limit.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from tests.security.hostile.make_files import (
    CONTENT_TYPES,
    HEADER,
    ROOT_RELS,
    SHEET_CLOSE,
    SHEET_OPEN,
    WORKBOOK,
    WORKBOOK_RELS,
    text_row,
)

MB = 1024 * 1024
GB = 1024 * MB


def _repeatable_deflate(chunk: bytes) -> bytes:
    """Raw deflate of ``chunk`` ending on a full flush: the bytes can be repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)


def _deflate_tail(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FINISH)


class _ZipWriter:
    """Writes members whose compressed bytes are given (zipfile cannot)."""

    def __init__(self, path: Path) -> None:
        self.handle = path.open("wb")
        self.central: list[bytes] = []

    def raw_member(
        self, name: str, parts: list[tuple[bytes, int]], crc: int, size: int, declared: int
    ) -> None:
        """``parts``: (compressed bytes, times written) in order; ``declared``: the
        uncompressed size written into the headers (a liar says less than ``size``)."""
        del size
        encoded = name.encode("utf-8")
        compressed = sum(len(b) * n for b, n in parts)
        offset = self.handle.tell()
        local = struct.pack(
            "<IHHHHHIIIHH",
            0x04034B50,
            20,
            0x0800,
            8,
            0,
            0x21,
            crc,
            compressed,
            declared,
            len(encoded),
            0,
        )
        self.handle.write(local + encoded)
        for block, times in parts:
            for _ in range(times):
                self.handle.write(block)
        self.central.append(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0x0800,
                8,
                0,
                0x21,
                crc,
                compressed,
                declared,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )

    def member(self, name: str, data: bytes) -> None:
        body = _deflate_tail(data)
        self.raw_member(name, [(body, 1)], zlib.crc32(data), len(data), len(data))

    def close(self) -> None:
        start = self.handle.tell()
        for entry in self.central:
            self.handle.write(entry)
        length = self.handle.tell() - start
        count = len(self.central)
        self.handle.write(
            struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, count, count, length, start, 0)
        )
        self.handle.close()


def _workbook_parts(writer: _ZipWriter) -> None:
    writer.member("[Content_Types].xml", CONTENT_TYPES.format(extra="").encode())
    writer.member("_rels/.rels", ROOT_RELS.encode())
    writer.member("xl/workbook.xml", WORKBOOK.encode())
    writer.member("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(extra="").encode())


def _repeated_sheet(
    path: Path, head: bytes, unit: bytes, times: int, tail: bytes, *, lie: bool = False
) -> Path:
    """A workbook whose sheet is ``head + unit * times + tail``."""
    first = _repeatable_deflate(head)
    block = _repeatable_deflate(unit)
    last = _deflate_tail(tail)
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(unit, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + len(unit) * times + len(tail)
    writer = _ZipWriter(path)
    _workbook_parts(writer)
    writer.raw_member(
        "xl/worksheets/sheet1.xml",
        [(first, 1), (block, times), (last, 1)],
        crc,
        size,
        declared=4096 if lie else size,
    )
    writer.close()
    return path


def zip_bomb_xlsx(folder: Path, unpacked: int = GB) -> Path:
    head = (SHEET_OPEN + text_row(1, HEADER)).encode()
    return _repeated_sheet(
        folder / "zip_bomb.xlsx", head, b" " * MB, max(1, unpacked // MB), SHEET_CLOSE.encode()
    )


def lying_zip_xlsx(folder: Path, unpacked: int = 256 * MB) -> Path:
    head = (SHEET_OPEN + text_row(1, HEADER)).encode()
    return _repeated_sheet(
        folder / "lying_zip.xlsx",
        head,
        b" " * MB,
        max(1, unpacked // MB),
        SHEET_CLOSE.encode(),
        lie=True,
    )


def million_rows_xlsx(folder: Path, rows: int = 1_000_000) -> Path:
    """Rows without ``r`` attributes are identical, so they compress to almost nothing."""
    head = (SHEET_OPEN + text_row(1, HEADER)).encode()
    per_block = 10_000
    unit = b'<row><c t="inlineStr"><is><t>1</t></is></c></row>' * per_block
    return _repeated_sheet(
        folder / "million_rows.xlsx", head, unit, rows // per_block, SHEET_CLOSE.encode()
    )


def million_rows_csv(folder: Path, rows: int = 1_000_000) -> Path:
    """A header, then ``rows`` lines holding a one-digit ID number (each one invalid)."""
    path = folder / "million_rows.csv"
    with path.open("wb") as out:
        out.write(",".join(HEADER).encode() + b"\r\n")
        block = b"1\r\n" * 10_000
        for _ in range(rows // 10_000):
            out.write(block)
    return path


def late_nul_csv(folder: Path) -> Path:
    """NUL bytes past the first 8 KB (where the format is sniffed): in a name, inside an ID
    number, in an extra column. PostgreSQL cannot store a NUL in any text column."""
    path = folder / "late_nul.csv"
    lines = [",".join(HEADER)] + ["1,张海明,低保,2023-01-05,"] * 400
    lines += [
        "150402198005170011,张\x00海明,低保,2023-01-05,",
        "1504021980\x0005170011,张海明,低保,2023-01-05,",
        "150402198005170038,张海明,低\x00保,2023-01-05,",
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("utf-8"))
    return path


def deep_json(levels: int = 100_000, *, kind: str = "object") -> bytes:
    if kind == "array":
        return b"[" * levels + b"]" * levels
    return b'{"a":' * levels + b"1" + b"}" * levels


def assert_is_zip(path: Path) -> None:
    """The generated files are zips that Python can list (the bomb is a well-formed one)."""
    with zipfile.ZipFile(path) as zf:
        assert "xl/worksheets/sheet1.xml" in zf.namelist()
