"""Install the shipped procedures (steps of each benefit).

The data and the code are frozen in the migration (``data/0002_procedures.json`` beside
it, a copy of ``workflow/data/procedures.json`` as it was shipped): a later change to the
live file or to ``dpf.workflow.procedures`` must come with its own migration, and this one
installs the same steps on every database it ever runs on.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import migrations

DATA = Path(__file__).resolve().parent / "data" / "0002_procedures.json"


def forwards(apps: Any, schema_editor: Any) -> None:
    """Create the steps of every procedure not configured yet."""
    step_model = apps.get_model("workflow", "ProcedureStep")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    for benefit_code, template in data["procedures"].items():
        if step_model.objects.filter(benefit_code=benefit_code).exists():
            continue
        for order, raw in enumerate(data["templates"][template], start=1):
            step_model.objects.create(
                benefit_code=benefit_code,
                order=order,
                code=raw["code"],
                kind=raw.get("kind", "normal"),
                name_zh=raw["name_zh"],
                name_en=raw["name_en"],
                role=raw["role"],
                acting_for=raw.get("acting_for", ""),
                deadline_days=raw.get("deadline_days"),
                note=raw.get("note", ""),
            )


def backwards(apps: Any, schema_editor: Any) -> None:
    apps.get_model("workflow", "ProcedureStep").objects.filter(
        benefit_code__in=["living_allowance", "nursing_allowance", "*"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_applications_steps_payments")]

    operations = [migrations.RunPython(forwards, backwards)]
