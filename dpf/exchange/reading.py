"""Reading roster files as rosters: the header found and mapped to the roster type's
columns, then a stream of ``(row number, {column key: raw value})``.

Opening the file (format by content, the archive and row limits, encodings) is
:mod:`dpf.core.tables`'s, shared with the bank's result files; JSON (API pushes) is read
here. Header text is shown only through :func:`printable`.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from dpf.core.table_limits import ImportLimits
from dpf.core.tables import FileRefused, Position, open_rows, too_many_rows
from dpf.exchange.rostertypes import RosterType, normalize_header

HEADER_SEARCH_ROWS = 10


@dataclass
class Table:
    """A header mapping and a stream of ``(row number, {column key: raw value})``."""

    headers: dict[str, str]  # column key → header text as written in the file
    ignored: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]
    rows_total: int  # rows in the file (header and blank rows included), counted first
    position: Callable[[], float]  # the fraction 0..1 of the rows read


# Characters a header is never shown with (they are replaced by U+FFFD): controls (NUL
# does not even fit in a PostgreSQL column), format characters such as direction
# overrides, unpaired surrogates, private-use and unassigned code points, separators.
_UNSHOWABLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


def printable(text: Any, limit: int = 50) -> str:
    """A header as the batch page, the API and the stored batch may hold it."""
    shown = "".join(
        "\ufffd" if unicodedata.category(c) in _UNSHOWABLE else c for c in str(text).strip()
    )
    return shown[:limit]


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
            ignored.append(printable(cell))
            continue
        if key in index:
            raise FileRefused("duplicate_column", row=row_number, column=printable(cell))
        index[key] = i
        headers[key] = printable(cell)
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


def _json_table(rtype: RosterType, data: bytes, limits: ImportLimits) -> Table:  # noqa: C901
    """API pushes: a list of objects, each keyed by headers or field keys (mixed is fine)."""
    try:
        records = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise FileRefused("not_spreadsheet") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise FileRefused("not_spreadsheet")
    if not records:
        raise FileRefused("no_rows")
    if len(records) > limits.max_rows:
        raise too_many_rows(limits.max_rows + 1, limits.max_rows)
    lookup = _header_lookup(rtype)
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for record in records:
        for name in record:
            key = lookup.get(normalize_header(name))
            if key is None:
                if printable(name) not in ignored:
                    ignored.append(printable(name))
            else:
                headers.setdefault(key, printable(name))
    if not headers:
        wanted = "、".join(c.header for c in rtype.required_columns)
        raise FileRefused("no_header", rows=1, headers=wanted)
    missing = [c.header for c in rtype.required_columns if c.key not in headers]
    if missing:
        raise FileRefused("missing_column", columns="、".join(missing))
    position = Position(len(records))

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        # API rows are numbered from 1, as positions in ``rows``.
        for n, record in enumerate(records, start=1):
            position.row = n
            cells: dict[str, Any] = {}
            for name, value in record.items():
                key = lookup.get(normalize_header(name))
                if key is not None and cells.get(key) in (None, ""):
                    cells[key] = value
            yield n, cells

    return Table(
        headers=headers, ignored=ignored, rows=rows(), rows_total=len(records), position=position
    )


def open_table(rtype: RosterType, data: bytes, file_format: str, limits: ImportLimits) -> Table:
    """Open a file's content as a roster of ``rtype``; raises :class:`FileRefused` on file
    problems, and on a file over the limits before any row is handed out."""
    if file_format == "json":
        return _json_table(rtype, data, limits)
    raw = open_rows(data, limits, file_format)
    headers, ignored, rows = _rows_with_header(rtype, raw.rows)
    return Table(
        headers=headers,
        ignored=ignored,
        rows=rows,
        rows_total=raw.rows_total,
        position=raw.position,
    )
