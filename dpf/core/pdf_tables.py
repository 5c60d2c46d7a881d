"""Printed tables as PDF without a layout engine: headings, paragraphs and long tables of
fixed column widths on A4 pages, the header row repeated on each page, "page N / M" at
the foot, CJK text in an embedded font subset (``dpf.core.pdf_fonts``).

WeasyPrint lays a table out as a browser does, 20 to 60 ms of CPU per line of a signing
list (a 4,946-line township took 97 s; a fixed table layout saves only a fifth). Here a
line costs about 2 ms, fonts included: every column's width is given, a cell's text is
measured from the font's advances and wrapped at a character where it does not fit
(docs/benchmarks.md, "Payment documents"). Documents of free layout stay with WeasyPrint.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pydyf  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured

from dpf.core import pdf_fonts
from dpf.core.pdf_fonts import Face, Glyph

MM = 72 / 25.4
A4_LANDSCAPE = (841.89, 595.28)
# The first installed family that has a character shows it, as fontconfig's fallback does
# for WeasyPrint: Simplified Chinese (its collection's faces share one character map),
# then DejaVu Sans for the letters it lacks (Ą, ŉ).
FAMILIES = ("Noto Sans CJK SC", "DejaVu Sans")
TEXT_GREY = 0x11 / 255
RULE_GREY = 0x44 / 255


@dataclass(frozen=True)
class Column:
    """A table column: its heading, its share of the table's width, numbers to the right."""

    heading: str
    share: float
    right: bool = False


@dataclass(frozen=True)
class _Grid:
    """A table's columns as laid out: widths in points, the text size, a line's height
    (the font's "normal" line height times the size), the cells' padding."""

    columns: Sequence[Column]
    widths: list[float]
    size: float
    line_height: float
    pad_x: float = 1.5 * MM
    pad_y: float = 1 * MM

    @property
    def line(self) -> float:
        return self.line_height * self.size


def _is_wide(char: str) -> bool:
    """A line may break before or after a CJK character (or a full-width form)."""
    return char >= "\u2e80"


class PrintedTables:
    """A document laid out top to bottom; ``pdf()`` gives its bytes."""

    def __init__(
        self,
        *,
        title: str,
        lang: str = "zh-Hans",
        page: tuple[float, float] = A4_LANDSCAPE,
        margin_y: float = 14 * MM,
        margin_x: float = 10 * MM,
    ) -> None:
        self.title = title
        self.lang = lang
        self.page_width, self.page_height = page
        self.margin_y = margin_y
        self.margin_x = margin_x
        self.width = self.page_width - 2 * margin_x
        self._pages: list[list[str]] = []
        self._y = 0.0  # distance of the next block from the page's top
        self._gap = 0.0  # the last block's bottom margin (collapsing with the next's top)
        self._faces: list[Face] = []  # the document's fonts, /F0, /F1, … in this order
        self._used: list[dict[str, Glyph]] = []
        # (char, bold) -> (font number, hex code, advance in thousandths of the size)
        self._glyphs: dict[tuple[str, bool], tuple[int, str, int]] = {}
        # the lines' repeated texts (a village, a bank, an amount) are measured and
        # encoded once
        self._widths: dict[tuple[str, bool], int] = {}
        self._shown: dict[tuple[str, float, bool], str] = {}
        primary = pdf_fonts.face(FAMILIES[0])
        if primary is None:
            raise ImproperlyConfigured(f"the PDF font {FAMILIES[0]!r} is not installed")
        self._primary = primary
        # "normal" line height and the baseline's place in it, as a browser sets them
        self._line = (primary.ascent - primary.descent) / 1000
        self._ascent = primary.ascent / 1000
        self._new_page()

    # text

    def _slot(self, face: Face) -> int:
        for number, known in enumerate(self._faces):
            if known is face:
                return number
        self._faces.append(face)
        self._used.append({})
        return len(self._faces) - 1

    def _glyph(self, char: str, bold: bool) -> tuple[int, str, int]:
        key = (char, bold)
        found = self._glyphs.get(key)
        if found is None:
            face, glyph = self._primary, None
            for family in FAMILIES:
                candidate = pdf_fonts.face(family, bold=bold)
                if candidate is not None and (glyph := candidate.glyph(char)) is not None:
                    face = candidate
                    break
            if glyph is None:  # no installed font has it: the empty box of the first
                face = pdf_fonts.face(FAMILIES[0], bold=bold) or self._primary
                glyph = face.notdef
            slot = self._slot(face)
            self._used[slot][char] = glyph
            found = self._glyphs[key] = (slot, f"{glyph.code:04X}", glyph.width)
        return found

    def measure(self, text: str, size: float, bold: bool = False) -> float:
        """The width of ``text`` in points."""
        key = (text, bold)
        width = self._widths.get(key)
        if width is None:
            glyph = self._glyph
            width = self._widths[key] = sum(glyph(c, bold)[2] for c in text)
        return width * size / 1000

    def _show(self, x: float, y: float, text: str, size: float, bold: bool) -> str:
        """Operators drawing ``text`` with its baseline's start at (x, y) from the page's
        bottom left."""
        key = (text, size, bold)
        shown = self._shown.get(key)
        if shown is None:
            shown = self._shown[key] = self._encode(text, size, bold)
        return f"BT {x:.2f} {y:.2f} Td {shown} ET"

    def _encode(self, text: str, size: float, bold: bool) -> str:
        """``text`` as strings of codes, a run of characters of one font a string."""
        parts = []
        current = -1
        codes: list[str] = []
        for char in text:
            slot, code, _w = self._glyph(char, bold)
            if slot != current:
                if codes:
                    parts.append(f"<{''.join(codes)}> Tj")
                    codes = []
                parts.append(f"/F{slot} {size:g} Tf")
                current = slot
            codes.append(code)
        if codes:
            parts.append(f"<{''.join(codes)}> Tj")
        return " ".join(parts)

    def wrap(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        """``text`` in lines no wider than ``width``: broken at a space or next to a CJK
        character, or anywhere in a word longer than the line."""
        if self.measure(text, size, bold) <= width:
            return [text]
        limit = width * 1000 / size
        lines: list[str] = []
        start, used, last_break = 0, 0, -1
        index = 0
        while index < len(text):
            char = text[index]
            advance = self._glyph(char, bold)[2]
            if used + advance > limit and index > start:
                cut = last_break if last_break > start else index
                lines.append(text[start:cut].rstrip())
                start = cut
                while start < len(text) and text[start] == " ":
                    start += 1
                index, used, last_break = start, 0, -1
                continue
            used += advance
            index += 1
            if char == " " or _is_wide(char) or (index < len(text) and _is_wide(text[index])):
                last_break = index
        if start < len(text):
            lines.append(text[start:])
        return lines

    # pages

    def _new_page(self) -> None:
        self._pages.append([f"0.5 w {RULE_GREY:.3f} G {TEXT_GREY:.3f} g"])
        self._y = self.margin_y
        self._gap = 0.0

    def _space(self, before: float) -> None:
        """The gap above a block: the larger of its top margin and the bottom margin of
        the block above (margins collapse as in a browser); none at a page's top."""
        if self._y > self.margin_y:
            self._y += max(before, self._gap)
        self._gap = 0.0

    def _room(self) -> float:
        return self.page_height - self.margin_y - self._y

    def _baseline(self, top: float, size: float) -> float:
        """The PDF y of the baseline of a line whose box starts ``top`` from the page's top."""
        return self.page_height - top - self._ascent * size

    def text(
        self,
        text: str,
        *,
        size: float,
        bold: bool = False,
        center: bool = False,
        before: float = 0,
        after: float = 0,
    ) -> None:
        """A heading or a paragraph: ``text`` wrapped to the page's width."""
        lines = self.wrap(text, self.width, size, bold)
        height = len(lines) * self._line * size
        self._space(before)
        if height > self._room() and self._y > self.margin_y:
            self._new_page()
        page = self._pages[-1]
        for line in lines:
            x = self.margin_x
            if center:
                x += (self.width - self.measure(line, size, bold)) / 2
            page.append(self._show(x, self._baseline(self._y, size), line, size, bold))
            self._y += self._line * size
        self._gap = after

    def table(
        self,
        columns: Sequence[Column],
        rows: Iterable[Sequence[str]],
        *,
        size: float = 8.5,
        heading: str = "",
        heading_size: float = 11,
        after: float = 4 * MM,
    ) -> None:
        """A table of ``rows`` (text); its header row on every page it spans. A
        ``heading`` above it is kept on the page of the table's first rows."""
        total = sum(c.share for c in columns)
        grid = _Grid(columns, [c.share / total * self.width for c in columns], size, self._line)
        header = [c.heading for c in columns]
        first_rows = self._wrapped(grid, header, True)[1] + grid.line + 2 * grid.pad_y
        if heading:
            margin = 0.83 * heading_size
            if self._room() < self._line * heading_size + 2 * margin + first_rows:
                self._new_page()
            self.text(heading, size=heading_size, bold=True, before=margin, after=margin)
        self._space(0)
        if self._room() < first_rows:
            self._new_page()
        self._draw(grid, header, True)
        for row in rows:
            cells = self._wrapped(grid, row, False)
            if cells[1] > self._room() and self._y > self.margin_y:
                self._new_page()
                self._draw(grid, header, True)
            self._draw(grid, row, False, cells)
        self._gap = after

    def _wrapped(
        self, grid: _Grid, cells: Sequence[str], bold: bool
    ) -> tuple[list[list[str]], float]:
        """Each cell's lines, and the row's height."""
        wrapped = [
            self.wrap(text, width - 2 * grid.pad_x, grid.size, bold)
            for text, width in zip(cells, grid.widths, strict=True)
        ]
        return wrapped, max(len(w) for w in wrapped) * grid.line + 2 * grid.pad_y

    def _draw(
        self,
        grid: _Grid,
        cells: Sequence[str],
        bold: bool,
        wrapped: tuple[list[list[str]], float] | None = None,
    ) -> None:
        lines_of, height = wrapped or self._wrapped(grid, cells, bold)
        page = self._pages[-1]
        bottom = self.page_height - self._y - height
        x = self.margin_x
        rects = []
        for lines, width, column in zip(lines_of, grid.widths, grid.columns, strict=True):
            rects.append(f"{x:.2f} {bottom:.2f} {width:.2f} {height:.2f} re")
            top = self._y + grid.pad_y
            for text in lines:
                if text.strip():
                    left = x + grid.pad_x
                    if column.right:
                        left = x + width - grid.pad_x - self.measure(text, grid.size, bold)
                    baseline = self._baseline(top, grid.size)
                    page.append(self._show(left, baseline, text, grid.size, bold))
                top += grid.line
            x += width
        page.append(" ".join(rects) + " S")
        self._y += height

    def signatures(self, labels: Sequence[str], *, size: float = 8.5) -> None:
        """Places to sign side by side, each a rule with its label under it."""
        before, pad = 10 * MM, 1 * MM
        self._space(before)
        if self._room() < pad + self._line * size:
            self._new_page()
        page = self._pages[-1]
        span = self.width * 0.3
        gap = (self.width - span * len(labels)) / max(1, len(labels) - 1)
        top = self.page_height - self._y
        for number, label in enumerate(labels):
            x = self.margin_x + number * (span + gap)
            page.append(f"{x:.2f} {top:.2f} m {x + span:.2f} {top:.2f} l S")
            page.append(self._show(x, self._baseline(self._y + pad, size), label, size, False))
        self._y += pad + self._line * size

    # the file

    def pdf(self) -> bytes:
        """The PDF: the pages with "N / M" at their foot, the used glyphs of each font."""
        pages = len(self._pages)
        size = 8
        for number, ops in enumerate(self._pages, start=1):
            text = f"{number} / {pages}"
            x = self.margin_x + (self.width - self.measure(text, size)) / 2
            baseline = (self.margin_y - self._line * size) / 2 - self._primary.descent / 1000 * size
            ops.append(self._show(x, baseline, text, size, False))
        document = pydyf.PDF()
        document.info["Title"] = pydyf.String(self.title)
        document.info["Producer"] = pydyf.String("dpf")
        document.catalog["Lang"] = pydyf.String(self.lang)
        document.catalog["ViewerPreferences"] = pydyf.Dictionary({"DisplayDocTitle": "true"})
        fonts = pydyf.Dictionary(
            {
                f"F{slot}": pdf_fonts.embed(document, face, self._used[slot])
                for slot, face in enumerate(self._faces)
            }
        )
        resources = pydyf.Dictionary({"Font": fonts})
        document.add_object(resources)
        box = pydyf.Array([0, 0, self.page_width, self.page_height])
        for ops in self._pages:
            content = pydyf.Stream(["\n".join(ops).encode("ascii")], compress=True)
            document.add_object(content)
            document.add_page(
                pydyf.Dictionary(
                    {
                        "Type": "/Page",
                        "Parent": document.pages.reference,
                        "MediaBox": box,
                        "Resources": resources.reference,
                        "Contents": content.reference,
                    }
                )
            )
        out = io.BytesIO()
        document.write(out, compress=True)
        return out.getvalue()
