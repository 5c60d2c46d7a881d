"""Ship the 14th plan (2021–2025) with its 11 main indicators and the other targets."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import migrations

# Frozen with the migration: ``indicators/data/plan_14th.json`` may change, this may not.
PLAN = Path(__file__).resolve().parent / "data" / "0002_plan_14th.json"


def load(apps, schema_editor):
    Plan = apps.get_model("indicators", "Plan")
    Indicator = apps.get_model("indicators", "Indicator")
    data = json.loads(PLAN.read_text(encoding="utf-8"))
    if Plan.objects.filter(code=data["code"]).exists():
        return
    plan = Plan.objects.create(
        code=data["code"],
        name_zh=data["name_zh"],
        name_en=data["name_en"],
        start=data["start"],
        end=data["end"],
        mid_term=data.get("mid_term"),
        source=data.get("source", ""),
    )
    for item in data["indicators"]:
        Indicator.objects.create(
            plan=plan,
            code=item["code"],
            name_zh=item["name_zh"],
            name_en=item["name_en"],
            unit=item["unit"],
            kind=item["kind"],
            comparison=item["comparison"],
            target=Decimal(item["target"]),
            numerator=item["numerator"],
            denominator=item.get("denominator") or {},
            scale=Decimal(item.get("scale", "1")),
            cumulative=item.get("cumulative", False),
            main=item.get("main", False),
            section=item.get("section", ""),
            order=item.get("order", 0),
            note=item.get("note", ""),
        )


def unload(apps, schema_editor):
    apps.get_model("indicators", "Plan").objects.filter(code="P14").delete()


class Migration(migrations.Migration):
    dependencies = [("indicators", "0001_plans_indicators_snapshots")]

    operations = [migrations.RunPython(load, unload)]
