"""The limits an uploaded table (a roster, a bank's result file) must keep, read from
settings (``DPF_IMPORT_*``).

An upload is bounded before it is parsed: bytes uploaded, what an .xlsx unpacks to
(in total, per part read whole into memory, and the compression ratio of each part), and
rows per file. Columns per row are capped too (no roster has more than a few dozen).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAX_COLUMNS = 256
# A worksheet is streamed; the other parts of an .xlsx are read whole into memory, at about
# five times their size. The shared strings (every distinct text of the sheet) may take a
# quarter of the unpacked total; styles, theme and the rest are a few kilobytes in real
# files and are held to OTHER_PART_BYTES.
SHARED_STRINGS_SHARE = 4
OTHER_PART_BYTES = 8 * 1024 * 1024
MAX_PARTS = 10_000  # real workbooks hold a few dozen parts
# Spreadsheets compress about 5-30 times; a zip bomb about 1,000 times.
MAX_RATIO = 100
RATIO_CHECKED_FROM = 1024 * 1024  # small parts may compress well: only larger ones count


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int
    max_unpacked_bytes: int
    max_rows: int

    @property
    def max_shared_strings_bytes(self) -> int:
        return self.max_unpacked_bytes // SHARED_STRINGS_SHARE


def import_limits() -> ImportLimits:
    limits = ImportLimits(
        max_bytes=int(settings.DPF_IMPORT_MAX_BYTES),
        max_unpacked_bytes=int(settings.DPF_IMPORT_MAX_UNPACKED_BYTES),
        max_rows=int(settings.DPF_IMPORT_MAX_ROWS),
    )
    for name, value in vars(limits).items():
        if value <= 0:
            raise ImproperlyConfigured(f"DPF_IMPORT_{name.upper()} must be a positive number")
    return limits


def megabytes(size: int) -> str:
    """``20 MB``, ``0.5 MB``: a limit as people read it."""
    mb = size / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{mb:.2g} MB"
