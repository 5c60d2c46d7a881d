"""When a schedule next runs (local time, Asia/Shanghai; stored in UTC)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dpf.jobs.models import Cadence, Schedule


def next_run(schedule: Schedule, after: dt.datetime) -> dt.datetime:
    """The first moment strictly after ``after`` at which ``schedule`` is due."""
    zone = timezone.get_default_timezone()
    local = timezone.localtime(after, zone)
    day = local.date()
    for _ in range(400):
        if schedule.cadence == Cadence.DAILY or day.day == schedule.day_of_month:
            candidate = dt.datetime.combine(day, schedule.time_of_day, tzinfo=zone)
            if candidate > local:
                return candidate
        day += dt.timedelta(days=1)
    raise ValueError("no next run")  # unreachable: a monthly day is 1-28
