"""The calendar-month helpers of ``dpf.core.dates`` (payments, placements and the demo count
in months): the same day some months on, the month's last day when it has no such day."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.core.dates import add_months, month_start

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2025, 1, 1), 1, D(2025, 2, 1)),
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),
        (D(2025, 3, 31), -1, D(2025, 2, 28)),
        (D(2025, 11, 15), 3, D(2026, 2, 15)),
        (D(2025, 2, 1), -24, D(2023, 2, 1)),
        (D(2025, 1, 1), -1, D(2024, 12, 1)),
        (D(2025, 5, 30), 0, D(2025, 5, 30)),
    ],
)
def test_add_months(day: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(day, months) == expected


def test_counting_months_from_a_month_start_stays_on_month_starts() -> None:
    month = D(2023, 11, 1)
    seen = []
    for _ in range(30):
        seen.append(month)
        month = add_months(month, 1)
    assert all(m.day == 1 for m in seen)
    assert seen[2] == D(2024, 1, 1)
    assert seen[-1] == D(2026, 4, 1)
    assert len(set(seen)) == 30


def test_month_start() -> None:
    assert month_start(D(2024, 2, 29)) == D(2024, 2, 1)
    assert month_start(D(2025, 12, 1)) == D(2025, 12, 1)
