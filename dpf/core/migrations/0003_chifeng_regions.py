"""Ship the province, Chifeng City and its 12 county-level divisions (DOMAIN.md)."""

import csv
from pathlib import Path

from django.db import migrations

# Frozen with the migration: ``core/data/regions_chifeng.csv`` may change, this may not.
CSV = Path(__file__).resolve().parent / "data" / "0003_regions_chifeng.csv"


def load(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    with CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in sorted(rows, key=lambda r: (len(r["code"]), r["level"] != "province", r["code"])):
        Region.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "name_en": row["name_en"],
                "level": row["level"],
                "kind": row["kind"],
                "parent_id": row["parent_code"] or None,
            },
        )


def unload(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    Region.objects.filter(level__in=["county", "city", "province"]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]

    operations = [migrations.RunPython(load, unload)]
