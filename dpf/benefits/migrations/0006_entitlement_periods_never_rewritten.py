"""An entitlement row is a period in force; its status says how it stands after the last day.

A suspended or terminated row without a last day would read as in force for ever now that
``receiving`` reads only the dates: the data step gives such rows (none are written by the
services, which always close the period) their first day as the last, the check constraint
keeps it so. On PostgreSQL no two periods of one person and benefit overlap, whatever their
status (they did only among active ones).
"""

from typing import Any

from django.db import migrations, models

from dpf.core.migration_ops import PostgresOnlySQL


def close_open_ended_rows(apps: Any, schema_editor: Any) -> None:
    Entitlement = apps.get_model("benefits", "Entitlement")
    Entitlement.objects.using(schema_editor.connection.alias).exclude(status="active").filter(
        valid_to__isnull=True
    ).update(valid_to=models.F("valid_from"))


class Migration(migrations.Migration):
    dependencies = [
        ("benefits", "0005_workitem_fewer_indexes"),
    ]

    operations = [
        migrations.RunPython(close_open_ended_rows, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="entitlement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("status", "active"), ("valid_to__isnull", False), _connector="OR"
                ),
                name="entitlement_ended_has_last_day",
            ),
        ),
        PostgresOnlySQL(
            sql=(
                "ALTER TABLE benefits_entitlement DROP CONSTRAINT entitlement_active_no_overlap; "
                "ALTER TABLE benefits_entitlement ADD CONSTRAINT entitlement_no_overlap "
                "EXCLUDE USING gist (person_id WITH =, benefit_id WITH =, "
                "daterange(valid_from, valid_to, '[]') WITH &&)"
            ),
            reverse_sql=(
                "ALTER TABLE benefits_entitlement DROP CONSTRAINT entitlement_no_overlap; "
                "ALTER TABLE benefits_entitlement ADD CONSTRAINT entitlement_active_no_overlap "
                "EXCLUDE USING gist (person_id WITH =, benefit_id WITH =, "
                "daterange(valid_from, valid_to, '[]') WITH &&) WHERE (status = 'active')"
            ),
        ),
    ]
