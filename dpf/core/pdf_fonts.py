"""Fonts of the platform's own PDF tables (``dpf.core.pdf_tables``): the file fontconfig
chooses for a family, its characters' glyphs and widths, and the subset a PDF embeds.

A face is read once per process (its character map and widths, about 0.1 s for a CJK
font); each document embeds only the glyphs it uses (fontTools' subsetter, about 0.4 s for
a few hundred CJK glyphs). Two kinds of font program are embedded: a CID-keyed CFF (Noto
Sans CJK, Source Han Sans), whose characters are shown by CID, and any other (a TrueType
font such as DejaVu Sans), shown by glyph index with the indices kept in the subset.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pydyf  # type: ignore[import-untyped]
from django.core.exceptions import ImproperlyConfigured
from fontTools import subset as font_subset  # type: ignore[import-untyped]
from fontTools.ttLib import TTFont  # type: ignore[import-untyped]


@dataclass(frozen=True)
class Glyph:
    """A character in a face: the code shown in the PDF (a CID or a glyph index), its
    advance in thousandths of the font size, and the glyph's name in the font."""

    code: int
    width: int
    name: str


class Face:
    """One font file (one face of a collection), as read for layout."""

    def __init__(self, path: str, index: int = 0) -> None:
        self.path = path
        self.index = index
        font = TTFont(path, fontNumber=index, lazy=True)
        self._font = font
        self._cmap: dict[int, str] = font.getBestCmap() or {}
        self.units = font["head"].unitsPerEm
        top = font["CFF "].cff.topDictIndex[0] if "CFF " in font else None
        # A CID-keyed CFF shows its glyphs by CID (the charset keeps them when subset).
        ros = getattr(top, "ROS", None)
        self.cid_keyed = ros is not None
        self.ordering = tuple(ros) if ros is not None else ("Adobe", "Identity", 0)
        self.truetype = "glyf" in font
        hhea = font["hhea"]
        self.ascent = round(hhea.ascent * 1000 / self.units)
        self.descent = round(hhea.descent * 1000 / self.units)
        os2 = font.get("OS/2")
        self.cap_height = round(getattr(os2, "sCapHeight", 0) * 1000 / self.units) or self.ascent
        head = font["head"]
        self.bbox = [
            round(v * 1000 / self.units) for v in (head.xMin, head.yMin, head.xMax, head.yMax)
        ]
        self.postscript_name = (font["name"].getDebugName(6) or "Font").replace(" ", "")
        self._glyphs: dict[str, Glyph | None] = {}
        self.notdef = Glyph(0, self._advance(".notdef"), ".notdef")

    def _advance(self, name: str) -> int:
        return round(self._font["hmtx"][name][0] * 1000 / self.units)

    def glyph(self, char: str) -> Glyph | None:
        """The glyph of ``char``, None when the face has none."""
        try:
            return self._glyphs[char]
        except KeyError:
            pass
        name = self._cmap.get(ord(char))
        found = None
        if name is not None:
            code = int(name[3:]) if self.cid_keyed else self._font.getGlyphID(name)
            found = Glyph(code, self._advance(name), name)
        self._glyphs[char] = found
        return found

    def program(self, names: list[str]) -> bytes:
        """The font program holding only ``names`` (and .notdef), for embedding."""
        # the font's bounding box is not recomputed: the PDF's descriptor gives one
        font = TTFont(self.path, fontNumber=self.index, lazy=True, recalcBBoxes=False)
        options = font_subset.Options()
        options.notdef_outline = True
        options.hinting = False
        options.layout_features = []
        options.name_IDs = [1, 2, 3, 4, 6]
        # Shaping and vertical tables are not used by a PDF reader: not even read (reading
        # a CJK font's layout tables costs more than the rest of the subset).
        options.drop_tables += [
            "GSUB",
            "GPOS",
            "GDEF",
            "BASE",
            "JSTF",
            "MATH",
            "VORG",
            "vhea",
            "vmtx",
            "FFTM",
        ]
        if self.cid_keyed:  # only the CFF table is embedded
            options.drop_tables += ["cmap", "hmtx", "hhea", "OS/2", "post", "name"]
        # A TrueType or non-CID font is shown by glyph index: keep the indices.
        options.retain_gids = not self.cid_keyed
        subsetter = font_subset.Subsetter(options)
        subsetter.populate(glyphs=names)
        subsetter.subset(font)
        if self.cid_keyed:
            return bytes(font["CFF "].compile(font))
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()


@lru_cache(maxsize=32)
def face(family: str, *, bold: bool = False) -> Face | None:
    """The face fontconfig chooses for ``family`` (bold or regular); None when no font of
    that family is installed (fontconfig would substitute another)."""
    pattern = f"{family}:bold" if bold else f"{family}:regular"
    try:
        found = subprocess.run(
            ["fc-match", "--format=%{file}\n%{index}\n%{family}", pattern],
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout
    except (OSError, subprocess.SubprocessError) as exc:
        raise ImproperlyConfigured(
            "fontconfig's fc-match is needed to find the PDF fonts (apt-get install fontconfig)"
        ) from exc
    path, index, families = [*found.split("\n", 2), "", ""][:3]
    if family not in families.split(","):
        return None
    return Face(path, int(index or 0))


def embed(pdf: Any, face: Face, used: dict[str, Glyph]) -> bytes:
    """Add ``face``'s subset for the characters ``used`` to ``pdf`` as a Type 0 font with
    its Unicode map (text can be searched and copied); the font's reference."""
    glyphs = sorted({g.code: g for g in used.values()}.values(), key=lambda g: g.code)
    program = face.program([g.name for g in glyphs])
    tag = "".join(
        chr(65 + b % 26) for b in hashlib.sha256(program, usedforsecurity=False).digest()[:6]
    )
    name = f"/{tag}+{face.postscript_name}"
    extra: dict[str, Any]
    if face.cid_keyed:
        extra = {"Subtype": "/CIDFontType0C"}
    elif face.truetype:
        extra = {"Length1": len(program)}
    else:
        extra = {"Subtype": "/OpenType"}
    stream = pydyf.Stream([program], extra, compress=True)
    pdf.add_object(stream)
    descriptor = pydyf.Dictionary(
        {
            "Type": "/FontDescriptor",
            "FontName": name,
            "Flags": 4,  # symbolic: the font's own character set
            "FontBBox": pydyf.Array(face.bbox),
            "ItalicAngle": 0,
            "Ascent": face.ascent,
            "Descent": face.descent,
            "CapHeight": face.cap_height,
            "StemV": 80,
            "FontFile2" if face.truetype else "FontFile3": stream.reference,
        }
    )
    pdf.add_object(descriptor)
    widths = pydyf.Array()
    for g in glyphs:
        widths.extend([g.code, pydyf.Array([g.width])])
    registry, ordering, supplement = face.ordering
    cid_font = pydyf.Dictionary(
        {
            "Type": "/Font",
            "Subtype": "/CIDFontType0" if not face.truetype else "/CIDFontType2",
            "BaseFont": name,
            "CIDSystemInfo": pydyf.Dictionary(
                {
                    "Registry": pydyf.String(registry),
                    "Ordering": pydyf.String(ordering),
                    "Supplement": supplement,
                }
            ),
            "FontDescriptor": descriptor.reference,
            "DW": 1000,
            "W": widths,
        }
    )
    if face.truetype:
        cid_font["CIDToGIDMap"] = "/Identity"
    pdf.add_object(cid_font)
    to_unicode = pydyf.Stream([_unicode_map(used)], compress=True)
    pdf.add_object(to_unicode)
    font = pydyf.Dictionary(
        {
            "Type": "/Font",
            "Subtype": "/Type0",
            "BaseFont": name,
            "Encoding": "/Identity-H",
            "DescendantFonts": pydyf.Array([cid_font.reference]),
            "ToUnicode": to_unicode.reference,
        }
    )
    pdf.add_object(font)
    return bytes(font.reference)


def _unicode_map(used: dict[str, Glyph]) -> bytes:
    """The ToUnicode CMap: each code shown back to its character."""
    pairs = sorted({g.code: char for char, g in used.items()}.items())
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <FFFF> endcodespacerange",
    ]
    for start in range(0, len(pairs), 100):
        batch = pairs[start : start + 100]
        lines.append(f"{len(batch)} beginbfchar")
        lines.extend(
            f"<{code:04X}> <{char.encode('utf-16-be').hex().upper()}>" for code, char in batch
        )
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode("ascii")
