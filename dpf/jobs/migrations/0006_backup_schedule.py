"""The nightly encrypted backup (``core.backup``), which the ``dpf-backup.timer`` systemd
unit ran before: as a schedule its last run and outcome are on the city admin's page, a
failed run is shown and retried (docs/deploy.md §5)."""

import datetime as dt

from django.db import migrations

KIND = "core.backup"


def add(apps, schema_editor):
    Schedule = apps.get_model("jobs", "Schedule")
    Schedule.objects.get_or_create(
        kind=KIND,
        defaults={"cadence": "daily", "day_of_month": None, "time_of_day": dt.time(0, 45)},
    )


def remove(apps, schema_editor):
    apps.get_model("jobs", "Schedule").objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0005_output_retention_schedule")]

    operations = [migrations.RunPython(add, remove)]
