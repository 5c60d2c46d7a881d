"""Install the shipped procedures (steps of each benefit) from data/procedures.json."""

from __future__ import annotations

from typing import Any

from django.db import migrations

from dpf.workflow.procedures import install


def forwards(apps: Any, schema_editor: Any) -> None:
    install(apps.get_model("workflow", "ProcedureStep"))


def backwards(apps: Any, schema_editor: Any) -> None:
    apps.get_model("workflow", "ProcedureStep").objects.filter(
        benefit_code__in=["living_allowance", "nursing_allowance", "*"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_applications_steps_payments")]

    operations = [migrations.RunPython(forwards, backwards)]
