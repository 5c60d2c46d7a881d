"""Install the shipped catalogue (``dpf/benefits/data/catalogue.json``): 13 benefits with
their national base rules and illustrative amount standards."""

from typing import Any

from django.db import migrations

from dpf.benefits.catalogue import install, shipped_codes


def forwards(apps: Any, schema_editor: Any) -> None:
    install(
        apps.get_model("benefits", "BenefitItem"),
        apps.get_model("benefits", "RuleVersion"),
        apps.get_model("benefits", "AmountStandard"),
    )


def backwards(apps: Any, schema_editor: Any) -> None:
    apps.get_model("benefits", "BenefitItem").objects.filter(code__in=shipped_codes()).delete()


class Migration(migrations.Migration):
    dependencies = [("benefits", "0002_no_overlapping_versions")]

    operations = [migrations.RunPython(forwards, backwards)]
