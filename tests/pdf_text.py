"""Read back what a PDF of ``dpf.core.pdf_tables`` shows, for tests: its objects (object
streams included), each page's text drawn at each baseline (through the fonts' ToUnicode
maps, as a viewer's copy and search do), and the embedded font programs.

A reader of the few constructs the writer uses, not a general PDF parser; no PDF library
is installed for tests."""

from __future__ import annotations

import re
import zlib
from collections import defaultdict
from dataclasses import dataclass

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(<<.*?>>)\s*(stream\r?\n)?", re.S)
_REF = rb"(\d+) 0 R"


@dataclass
class PdfText:
    objects: dict[int, bytes]  # dictionary text of every object
    streams: dict[int, bytes]  # decompressed data of every stream
    pages: list[list[tuple[float, float, str]]]  # (y, x, text) of each text object

    def rows(self, page: int) -> list[list[str]]:
        """The page's texts grouped by baseline, top to bottom, each left to right."""
        lines: dict[float, list[tuple[float, str]]] = defaultdict(list)
        for y, x, text in self.pages[page]:
            lines[round(y, 1)].append((x, text))
        return [[t for _x, t in sorted(lines[y])] for y in sorted(lines, reverse=True)]

    def all_rows(self) -> list[list[str]]:
        return [row for page in range(len(self.pages)) for row in self.rows(page)]

    def font_programs(self) -> dict[int, bytes]:
        """The font program embedded for each font the pages use: {font object: program}."""
        out = {}
        for number, text in self.objects.items():
            if b"/Type0" not in text:
                continue
            cid_font = self.objects[int(_find(rb"/DescendantFonts \[" + _REF, text))]
            descriptor = self.objects[int(_find(rb"/FontDescriptor " + _REF, cid_font))]
            program = int(_find(rb"/FontFile[23] " + _REF, descriptor))
            out[number] = self.streams[program]
        return out


def _find(pattern: bytes, text: bytes) -> bytes:
    """The first group of ``pattern``'s match in ``text`` (which must match)."""
    found = re.search(pattern, text)
    assert found is not None, (pattern, text[:200])
    return found.group(1)


def _number(value: bytes) -> float:
    return float(value.decode())


def read(data: bytes) -> PdfText:
    objects: dict[int, bytes] = {}
    streams: dict[int, bytes] = {}
    for match in _OBJECT.finditer(data):
        number, head = int(match.group(1)), match.group(2)
        objects[number] = head
        if match.group(3):
            length = int(_find(rb"/Length (\d+)", head))
            raw = data[match.end() : match.end() + length]
            streams[number] = zlib.decompress(raw) if b"/FlateDecode" in head else raw
    for number, head in list(objects.items()):
        if b"/ObjStm" in head:  # objects packed in an object stream
            body = streams[number]
            first = int(_find(rb"/First (\d+)", head))
            pairs = [int(v) for v in body[:first].split()]
            offsets = list(zip(pairs[::2], pairs[1::2], strict=True))
            for i, (inner, offset) in enumerate(offsets):
                end = offsets[i + 1][1] if i + 1 < len(offsets) else len(body) - first
                objects[inner] = body[first + offset : first + end].strip()
    catalog = next(t for t in objects.values() if b"/Catalog" in t)
    pages_ref = int(_find(rb"/Pages " + _REF, catalog))
    kids = [int(n) for n in re.findall(_REF, objects[pages_ref].split(b"/Kids")[1])]
    pages = []
    for kid in kids:
        page = objects[kid]
        resources = re.search(rb"/Resources " + _REF, page)
        fonts_text = objects[int(resources.group(1))] if resources else page
        maps = {
            name.decode(): _unicode_map(objects, streams, int(ref))
            for name, ref in re.findall(rb"/(F\d+) " + _REF, fonts_text)
        }
        contents = int(_find(rb"/Contents " + _REF, page))
        pages.append(_texts(streams[contents], maps))
    return PdfText(objects, streams, pages)


def _unicode_map(objects: dict[int, bytes], streams: dict[int, bytes], font: int) -> dict[int, str]:
    ref = int(_find(rb"/ToUnicode " + _REF, objects[font]))
    pairs = re.findall(
        rb"<([0-9A-Fa-f]{4})> <([0-9A-Fa-f]+)>", streams[ref].split(b"endcodespacerange")[1]
    )
    return {int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be") for code, text in pairs}


def _texts(content: bytes, maps: dict[str, dict[int, str]]) -> list[tuple[float, float, str]]:
    out = []
    for block in re.findall(rb"BT(.*?)ET", content, re.S):
        found = re.search(rb"([-\d.]+) ([-\d.]+) Td", block)
        assert found is not None, block
        x, y = found.groups()
        text: list[str] = []
        font: dict[int, str] = {}
        for name, codes in re.findall(rb"/(F\d+) [\d.]+ Tf|<([0-9A-Fa-f]*)> Tj", block):
            if name:
                font = maps[name.decode()]
            else:
                hexed = codes.decode()
                text.extend(font[int(hexed[i : i + 4], 16)] for i in range(0, len(hexed), 4))
        out.append((_number(y), _number(x), "".join(text)))
    return out
