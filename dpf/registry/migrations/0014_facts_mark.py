"""Persons' change marks move from a column of the person (``facts_changed_at``) to the
narrow table ``FactsMark`` (issue 21, roster commit on PostgreSQL): the marks already set
are copied, in both directions."""

import django.db.models.deletion
from django.db import migrations, models

FORWARD = """
INSERT INTO registry_factsmark (person_id, changed_at)
SELECT id, facts_changed_at FROM registry_person WHERE facts_changed_at IS NOT NULL
"""

BACKWARD = """
UPDATE registry_person SET facts_changed_at = (
    SELECT m.changed_at FROM registry_factsmark m WHERE m.person_id = registry_person.id
)
"""


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0013_person_name_bigram_index"),
        # That data migration marks persons through the column this one removes.
        ("services", "0009_pay_care_subsidies_recorded_before"),
    ]

    operations = [
        migrations.CreateModel(
            name="FactsMark",
            fields=[
                (
                    "person",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="facts_mark",
                        serialize=False,
                        to="registry.person",
                    ),
                ),
                ("changed_at", models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.RemoveField(
            model_name="person",
            name="facts_changed_at",
        ),
    ]
