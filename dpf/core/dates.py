"""The one owner of the platform's date helpers.

``local_today`` is the calendar date in the installation's time zone (Asia/Shanghai), the
"today" of every page and service that is not given a date; nothing calls
``date.today()`` (the machine's zone) instead. ``age_on`` is the age in completed years
(周岁) that the rules, the pages and the demo all use; ``add_years`` the same day some years
later (a child's 8th birthday); ``local_midnight`` the instant a local day begins;
``month_start`` and ``add_months`` the calendar months payments, placements and the demo
count in.
"""

from __future__ import annotations

import calendar
import datetime as dt

from django.utils import timezone


def local_today() -> dt.date:
    """Today in the installation's time zone (``TIME_ZONE``, Asia/Shanghai)."""
    return timezone.localdate()


def local_midnight(day: dt.date) -> dt.datetime:
    """The first instant of ``day`` in the installation's time zone: ``stamp < local_midnight(D)``
    is ``stamp``'s local date before D, compared on the column itself (an index can serve
    it; ``stamp__date`` converts every row first)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def age_on(birth: dt.date, on: dt.date) -> int:
    """Completed years (周岁) from ``birth`` to ``on``; negative before the birth, so a rule
    such as ``age >= 0 && age < 8`` never takes in a person not yet born."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def display_age(birth: dt.date, on: dt.date) -> int:
    """The age a page shows: completed years, never below zero."""
    return max(age_on(birth, on), 0)


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (or earlier, when negative), or that month's last day
    when it has no such day (31 January + 1 month = 28 or 29 February)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    if day.day <= 28:  # every month has it (the payment lists count 200,000 months a run)
        return dt.date(year, month, day.day)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
