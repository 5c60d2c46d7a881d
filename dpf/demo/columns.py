"""A query's rows held column by column, for the demo steps that draw from every person.

Several steps pick persons at random from the whole registry (``rng.choice``,
``rng.sample``) and so need every row at hand. As a list of tuples a row of five values
costs about 300 bytes (a tuple and an object per value): 400 MB at 1,370,000 persons, the
largest part of those steps' peak (docs/benchmarks.md, "Demo generation"). Here an integer
column is a machine array (8 bytes a row) and any other column (region codes, dates: few
distinct values) keeps each distinct value once with a 4-byte index per row, about 30
bytes a row in all. The rows read back as the same tuples in the same order, so the same
draws pick the same rows.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

# an integer column's None (no row value is this low: ids, counts)
_NONE = -(2**63)


class _Column:
    """One column: integers in an array until a value that is not one arrives, then each
    distinct value once and an index per row."""

    __slots__ = ("index", "ints", "positions", "values")

    def __init__(self) -> None:
        self.ints: array[int] | None = array("q")
        self.index: dict[tuple[type, Any], int] = {}
        self.values: list[Any] = []
        self.positions: array[int] = array("I")

    def append(self, value: Any) -> None:
        if self.ints is not None:
            if value is None:
                self.ints.append(_NONE)
                return
            if type(value) is int and _NONE < value < 2**63:  # what the array holds
                self.ints.append(value)
                return
            self._to_positions()
        key = (type(value), value)  # True and 1 are equal keys, and must stay apart
        found = self.index.get(key)
        if found is None:
            found = self.index[key] = len(self.values)
            self.values.append(value)
        self.positions.append(found)

    def _to_positions(self) -> None:
        ints, self.ints = self.ints, None
        for value in ints or ():
            self.append(None if value == _NONE else value)

    def __getitem__(self, row: int) -> Any:
        if self.ints is not None:
            value = self.ints[row]
            return None if value == _NONE else value
        return self.values[self.positions[row]]

    def __iter__(self) -> Iterator[Any]:
        if self.ints is not None:
            return (None if value == _NONE else value for value in self.ints)
        return map(self.values.__getitem__, self.positions)


class Rows(Sequence[tuple[Any, ...]]):
    """Tuples of ``width`` values, stored by column (see the module's docstring)."""

    def __init__(self, width: int, rows: Iterable[Sequence[Any]] = ()) -> None:
        self._columns = [_Column() for _ in range(width)]
        self._length = 0
        self.extend(rows)

    def append(self, row: Sequence[Any]) -> None:
        if len(row) != len(self._columns):
            raise ValueError(f"a row of {len(row)} values, not {len(self._columns)}")
        for column, value in zip(self._columns, row, strict=True):
            column.append(value)
        self._length += 1

    def extend(self, rows: Iterable[Sequence[Any]]) -> None:
        for row in rows:
            self.append(row)

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, row: int) -> tuple[Any, ...]: ...

    @overload
    def __getitem__(self, row: slice) -> list[tuple[Any, ...]]: ...

    def __getitem__(self, row: int | slice) -> tuple[Any, ...] | list[tuple[Any, ...]]:
        if isinstance(row, slice):
            return [self[n] for n in range(*row.indices(self._length))]
        if row < 0:
            row += self._length
        if not 0 <= row < self._length:
            raise IndexError("row index out of range")
        return tuple(column[row] for column in self._columns)

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return zip(*self._columns, strict=True)


def grouped(rows: Iterable[Sequence[Any]], key: int) -> dict[Any, Rows]:
    """``rows`` by the value of their column ``key``, in the order read (the shape of
    ``groups.setdefault(row[key], []).append(row)``)."""
    groups: dict[Any, Rows] = {}
    for row in rows:
        group = groups.get(row[key])
        if group is None:
            group = groups[row[key]] = Rows(len(row))
        group.append(row)
    return groups
