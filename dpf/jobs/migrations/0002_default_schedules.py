"""The platform's recurring work as schedules (local time); the city admin changes them."""

import datetime as dt

from django.db import migrations

DEFAULTS = [
    # kind, cadence, day of month, time
    ("core.audit_checkpoint", "daily", None, dt.time(1, 30)),
    ("benefits.scan", "daily", None, dt.time(2, 0)),
    ("indicators.snapshot", "monthly", 1, dt.time(3, 0)),
    ("portal.rate_event_retention", "daily", None, dt.time(4, 0)),
]


def add(apps, schema_editor):
    Schedule = apps.get_model("jobs", "Schedule")
    for kind, cadence, day, at in DEFAULTS:
        Schedule.objects.get_or_create(
            kind=kind, defaults={"cadence": cadence, "day_of_month": day, "time_of_day": at}
        )


def remove(apps, schema_editor):
    Schedule = apps.get_model("jobs", "Schedule")
    Schedule.objects.filter(kind__in=[d[0] for d in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_jobs_schedules_heartbeat")]

    operations = [migrations.RunPython(add, remove)]
