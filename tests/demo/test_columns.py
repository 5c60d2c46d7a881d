"""dpf.demo.columns: rows held by column read back as the list of tuples they replace, and
random draws from them pick the same rows (the demo's steps keep their output)."""

from __future__ import annotations

import datetime as dt
import random
import tracemalloc
from collections.abc import Callable, Iterator

import pytest

from dpf.demo.columns import Rows, grouped


def _world(seed: int, n: int) -> list[tuple[object, ...]]:
    """Rows in the steps' shape: an id, a nullable id, codes, a nullable date; and, in
    some, a column whose first values are integers and later ones are not."""
    rng = random.Random(seed)
    rows: list[tuple[object, ...]] = []
    for pk in range(1, n + 1):
        household = None if rng.random() < 0.1 else rng.randint(1, 10**12)
        county = rng.choice(["150402", "150403", "150404"])
        village = f"{county}{rng.randint(1, 40):03d}{rng.randint(1, 30):03d}"
        death = None
        if rng.random() < 0.2:
            death = dt.date(2020, 1, 1) + dt.timedelta(rng.randint(0, 2000))
        mixed = rng.randint(0, 5) if pk < n // 2 else rng.choice([True, "x", 2.5, None, 3])
        rows.append((pk, household, county, village, death, mixed))
    return rows


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rows_read_back_as_the_tuples_and_draw_the_same(seed: int) -> None:
    plain = _world(seed, 3000)
    rows = Rows(6, iter(plain))  # a stream, as the steps read the database
    assert len(rows) == len(plain)
    assert list(rows) == plain
    assert [rows[n] for n in range(len(plain))] == plain
    assert rows[-1] == plain[-1]
    assert rows[-len(plain)] == plain[0]
    assert rows[10:20] == plain[10:20]
    assert rows[::-500] == plain[::-500]
    for bad in (len(plain), -len(plain) - 1):
        with pytest.raises(IndexError):
            rows[bad]
    # types survive: True stays a bool, not the integer 1; None stays None
    assert [type(v) for row in rows for v in row] == [type(v) for row in plain for v in row]
    for draw in range(5):
        assert random.Random(draw).sample(rows, 50) == random.Random(draw).sample(plain, 50)
        assert random.Random(draw).choice(rows) == random.Random(draw).choice(plain)
    assert plain[123] in rows
    assert rows.index(plain[123]) == 123


def test_integers_beyond_the_array_s_range_are_kept_as_values() -> None:
    plain = [(1, 5), (2**63, None), (-(2**63), 7), (2**70, 8), (3, 9)]
    rows = Rows(2, plain)
    assert list(rows) == plain
    assert rows[3] == (2**70, 8)


def test_a_row_of_the_wrong_width_is_refused() -> None:
    rows = Rows(3)
    with pytest.raises(ValueError, match="3"):
        rows.append((1, 2))
    assert len(rows) == 0


def test_grouped_keeps_the_order_read_within_each_group() -> None:
    plain = _world(4, 2000)
    expected: dict[object, list[tuple[object, ...]]] = {}
    for row in plain:
        expected.setdefault(row[2], []).append(row)
    groups = grouped(iter(plain), key=2)
    assert set(groups) == set(expected)
    for county, rows in groups.items():
        assert list(rows) == expected[county]


def test_rows_take_a_fraction_of_a_list_of_tuples() -> None:
    # the reason for the module: a person's row in a few dozen bytes, not a few hundred;
    # each row's values new objects, as a database cursor gives them
    def stream() -> Iterator[tuple[object, ...]]:
        for pk in range(20000):
            village = f"150402{pk % 50:06d}"
            yield (pk, pk * 7, village[:6], village, dt.date(2020, 1, 1 + pk % 28))

    def allocated(build: Callable[[], object]) -> int:
        tracemalloc.start()
        try:
            kept = build()
            size, _peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert kept
        return size

    as_tuples = allocated(lambda: list(stream()))
    as_columns = allocated(lambda: Rows(5, stream()))
    assert as_columns * 5 < as_tuples
