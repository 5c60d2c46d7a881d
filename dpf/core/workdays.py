"""Working-day arithmetic with China's public holidays and adjusted weekends (调休).

Deadlines of the application workflow are counted in working days ("within 3 working
days"). The calendar is data (``CalendarDay``), shipped for 2021–2026 and loaded per year
with ``dpf calendar load FILE.csv``; a year without data falls back to Monday–Friday and
``calendar_known(year)`` says so, so a page can warn.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from functools import lru_cache

from django.db import transaction

from dpf.core.errors import ValidationFailed
from dpf.core.models import CalendarDay
from dpf.core.text import InvalidText, check_text_characters


@lru_cache(maxsize=32)
def _year(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    rows = CalendarDay.objects.filter(date__year=year).values_list("date", "kind")
    holidays = frozenset(d for d, k in rows if k == CalendarDay.Kind.HOLIDAY)
    workdays = frozenset(d for d, k in rows if k == CalendarDay.Kind.WORKDAY)
    return holidays, workdays


def clear_cache() -> None:
    _year.cache_clear()


def calendar_known(year: int) -> bool:
    holidays, _ = _year(year)
    return bool(holidays)


def is_working_day(day: dt.date) -> bool:
    holidays, workdays = _year(day.year)
    if day in workdays:
        return True
    if day in holidays:
        return False
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after ``start`` up to and including ``end`` (0 when end <= start)."""
    count = 0
    current = start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def parse_calendar(text: str) -> list[tuple[dt.date, str, str]]:
    """Validate a calendar CSV (columns date, kind, name) before anything is written."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in ("date", "kind", "name") if c not in (reader.fieldnames or [])]
    if missing:
        raise ValidationFailed(
            "calendar_columns",
            f"缺少列：{', '.join(missing)}",
            f"missing columns: {', '.join(missing)}",
        )
    rows: list[tuple[dt.date, str, str]] = []
    seen: set[dt.date] = set()
    for number, row in enumerate(reader, start=2):
        try:
            day = dt.date.fromisoformat((row["date"] or "").strip())
        except ValueError:
            raise ValidationFailed(
                "calendar_date",
                f"第{number}行：日期无效",
                f"row {number}: invalid date",
                field="date",
            ) from None
        kind = (row["kind"] or "").strip()
        if kind not in CalendarDay.Kind.values:
            raise ValidationFailed(
                "calendar_kind",
                f"第{number}行：类型应为 holiday 或 workday",
                f"row {number}: kind must be holiday or workday",
                field="kind",
            )
        if kind == CalendarDay.Kind.WORKDAY and day.weekday() < 5:
            raise ValidationFailed(
                "calendar_workday",
                f"第{number}行：调休上班日应为周末",
                f"row {number}: an adjusted working day must fall on a weekend",
                field="date",
            )
        if day in seen:
            raise ValidationFailed(
                "calendar_dup",
                f"第{number}行：日期重复",
                f"row {number}: duplicate date",
                field="date",
            )
        name = (row["name"] or "").strip()
        try:
            check_text_characters(name, field="name", label_zh="名称", label_en="name")
        except InvalidText as exc:
            raise ValidationFailed(
                "calendar_name",
                f"第{number}行：{exc.message_zh}",
                f"row {number}: {exc.message_en}",
                field="name",
            ) from None
        seen.add(day)
        rows.append((day, kind, name[:50]))
    return rows


@transaction.atomic
def load_calendar(rows: list[tuple[dt.date, str, str]]) -> int:
    """Replace the calendar of every year present in ``rows``."""
    years = {d.year for d, _, _ in rows}
    CalendarDay.objects.filter(date__year__in=years).delete()
    CalendarDay.objects.bulk_create(CalendarDay(date=d, kind=k, name=n) for d, k, n in rows)
    clear_cache()
    return len(rows)
