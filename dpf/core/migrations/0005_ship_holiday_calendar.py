"""Ship China's public holidays and adjusted working days for 2021–2026."""

import csv
from pathlib import Path

from django.db import migrations

# Frozen with the migration: ``core/data/holidays_cn.csv`` grows (``dpf calendar load``),
# this file does not.
CSV = Path(__file__).resolve().parent / "data" / "0005_holidays_cn.csv"


def load(apps, schema_editor):
    CalendarDay = apps.get_model("core", "CalendarDay")
    with CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    CalendarDay.objects.bulk_create(
        [CalendarDay(date=r["date"], kind=r["kind"], name=r["name"]) for r in rows],
        ignore_conflicts=True,
    )


def unload(apps, schema_editor):
    apps.get_model("core", "CalendarDay").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0004_calendar_days")]

    operations = [migrations.RunPython(load, unload)]
