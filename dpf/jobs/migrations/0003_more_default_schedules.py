"""The schedules of payment list drafts (a configured day of the month), overdue casework
escalation and audit retention; the city admin changes them on the schedules page."""

import datetime as dt

from django.db import migrations

DEFAULTS = [
    # kind, cadence, day of month, time
    ("workflow.payment_lists_draft", "monthly", 1, dt.time(5, 0)),
    ("portal.casework_escalation", "daily", None, dt.time(6, 30)),
    ("core.audit_retention", "monthly", 2, dt.time(4, 30)),
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
    dependencies = [("jobs", "0002_default_schedules")]

    operations = [migrations.RunPython(add, remove)]
