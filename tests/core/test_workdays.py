"""Working days with the shipped holiday calendar (2021–2026) and the weekday fallback."""

from __future__ import annotations

import datetime as dt

import pytest

from dpf.core import workdays
from dpf.core.errors import ValidationFailed

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    workdays.clear_cache()


def test_adjusted_weekend_is_a_working_day() -> None:
    assert workdays.is_working_day(dt.date(2025, 9, 28))  # Sunday before National Day
    assert not workdays.is_working_day(dt.date(2025, 10, 8))  # Wednesday, holiday
    assert not workdays.is_working_day(dt.date(2025, 10, 12))  # ordinary Sunday


def test_add_working_days_skips_the_national_day_week() -> None:
    # Friday 2025-09-26 + 3 working days: Sat 27 rest, Sun 28 adjusted work (1),
    # Mon 29 (2), Tue 30 (3).
    assert workdays.add_working_days(dt.date(2025, 9, 26), 3) == dt.date(2025, 9, 30)
    # From Tue 30 September, 1 working day later is Thursday 9 October.
    assert workdays.add_working_days(dt.date(2025, 9, 30), 1) == dt.date(2025, 10, 9)


def test_spring_festival_ten_working_days() -> None:
    start = dt.date(2025, 1, 24)  # Friday before the Spring Festival
    end = workdays.add_working_days(start, 10)
    assert workdays.working_days_between(start, end) == 10
    assert end == dt.date(2025, 2, 13)


def test_unknown_year_falls_back_to_weekdays() -> None:
    assert not workdays.calendar_known(2031)
    assert workdays.calendar_known(2025)
    assert workdays.add_working_days(dt.date(2031, 1, 3), 1) == dt.date(2031, 1, 6)


def test_calendar_file_refusals() -> None:
    with pytest.raises(ValidationFailed) as info:
        workdays.parse_calendar("date,kind,name\n2027-01-04,workday,x\n")
    assert info.value.code == "calendar_workday"
    with pytest.raises(ValidationFailed) as info:
        workdays.parse_calendar("date,kind\n2027-01-01,holiday\n")
    assert info.value.code == "calendar_columns"
    with pytest.raises(ValidationFailed) as info:
        workdays.parse_calendar("date,kind,name\n2027-02-30,holiday,x\n")
    assert info.value.code == "calendar_date"


def test_loading_a_year_replaces_it() -> None:
    rows = workdays.parse_calendar("date,kind,name\n2027-01-01,holiday,元旦\n")
    assert workdays.load_calendar(rows) == 1
    assert not workdays.is_working_day(dt.date(2027, 1, 1))
