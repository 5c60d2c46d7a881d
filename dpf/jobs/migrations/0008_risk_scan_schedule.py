"""The monthly return-to-poverty risk scan (``social.risk_scan``, 防返贫动态监测) over the
whole city, enabled: monitoring is continuous (常态化), so the alerts reach the village
workers' queues each month without anyone having to remember the scan; the scan is
idempotent (a household with a case in progress for a rule gets no second one). It runs
on the 2nd at 05:30, apart from the first day's work (snapshot, payment list drafts). The
city admin changes or disables it on the schedules page."""

import datetime as dt

from django.db import migrations

KIND = "social.risk_scan"


def add(apps, schema_editor):
    Schedule = apps.get_model("jobs", "Schedule")
    Schedule.objects.get_or_create(
        kind=KIND,
        defaults={"cadence": "monthly", "day_of_month": 2, "time_of_day": dt.time(5, 30)},
    )


def remove(apps, schema_editor):
    apps.get_model("jobs", "Schedule").objects.filter(kind=KIND).delete()


class Migration(migrations.Migration):
    dependencies = [("jobs", "0007_child_rehab_transition_schedule")]

    operations = [migrations.RunPython(add, remove)]
