"""Read the dark modules of a QR code back out of segno's inline SVG, to check what it encodes.

No QR decoder is installed, so a test compares the drawn matrix module by module with the
matrix segno makes for the expected text: a QR code of any other text (even one character
different) draws a different matrix. The path is parsed here, not by the code under test.
"""

from __future__ import annotations

import re

import segno

_PATH = re.compile(r'class="qrline"[^>]*\bd="([^"]+)"')
_STEP = re.compile(r"([Mmh])\s*(-?[\d.]+)(?:[ ,](-?[\d.]+))?")


def drawn_matrix(svg: str) -> set[tuple[int, int]]:
    """The (row, column) of every dark module in segno's line path (border included)."""
    found = _PATH.search(svg)
    assert found is not None, "no QR path in the SVG"
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, a, b in _STEP.findall(found.group(1)):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a horizontal run of dark modules from x, on the row whose middle is y
            length = float(a)
            row = int(y - 0.5)
            dark.update((row, int(x) + i) for i in range(int(length)))
            x += length
    return dark


def encodes(svg: str, text: str, *, border: int = 4) -> bool:
    """Whether the drawn QR code is the one for ``text`` (error level M, as segno makes it)."""
    expected = segno.make(text, error="m", micro=False)
    want = {
        (r + border, c + border)
        for r, row in enumerate(expected.matrix)
        for c, value in enumerate(row)
        if value & 1
    }
    return drawn_matrix(svg) == want
