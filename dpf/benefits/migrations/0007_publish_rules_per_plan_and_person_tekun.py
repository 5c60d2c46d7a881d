"""Publish the catalogue's rule versions from 2027-01-01 (issue 15 parts 3 and 6): child
rehabilitation 0–7 (to the day before the 8th birthday, indicator T0303's population);
care services for working-age persons with intellectual, mental or severe physical
disability (plan 三(一)3); the rules meaning a 特困 person read ``in_destitute_care`` (the
person's own status). Earlier versions end on 2026-12-31 and stay as they were; a rule
the city admin has changed is left alone (``publish_shipped_versions``)."""

from typing import Any

from django.db import migrations

from dpf.benefits.catalogue import publish_shipped_versions


def forwards(apps: Any, schema_editor: Any) -> None:
    publish_shipped_versions(
        apps.get_model("benefits", "BenefitItem"), apps.get_model("benefits", "RuleVersion")
    )


class Migration(migrations.Migration):
    dependencies = [("benefits", "0006_entitlement_periods_never_rewritten")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
