"""The daily deletion of document jobs' files older than ``DPF_JOB_OUTPUT_DAYS``."""

import datetime as dt

from django.db import migrations

KIND = "jobs.output_retention"


def add(apps, schema_editor):
    Schedule = apps.get_model("jobs", "Schedule")
    Schedule.objects.get_or_create(
        kind=KIND,
        defaults={"cadence": "daily", "day_of_month": None, "time_of_day": dt.time(3, 30)},
    )


def remove(apps, schema_editor):
    apps.get_model("jobs", "Schedule").objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0004_job_output")]

    operations = [migrations.RunPython(add, remove)]
