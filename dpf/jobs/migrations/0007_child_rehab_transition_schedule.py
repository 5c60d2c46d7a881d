"""The daily transition of children's rehabilitation assistance at 8
(``services.child_rehab_transition``): the assistance ends the day before the 8th birthday
and the child's hand-over to the adult services opens, without anyone having to remember."""

import datetime as dt

from django.db import migrations

KIND = "services.child_rehab_transition"


def add(apps, schema_editor):
    Schedule = apps.get_model("jobs", "Schedule")
    Schedule.objects.get_or_create(
        kind=KIND,
        defaults={"cadence": "daily", "day_of_month": None, "time_of_day": dt.time(1, 15)},
    )


def remove(apps, schema_editor):
    apps.get_model("jobs", "Schedule").objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0006_backup_schedule")]

    operations = [migrations.RunPython(add, remove)]
