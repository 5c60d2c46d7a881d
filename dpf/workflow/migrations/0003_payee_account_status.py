"""A payee account gets a verification status (pending until an officer verifies it), who
decided and when; the "one open account" rule moves to the constraints of 0005."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0004_covering_indexes_for_facts_in_force"),
        ("workflow", "0002_ship_procedures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="payeeaccount",
            name="payee_one_open",
        ),
        migrations.AddField(
            model_name="payeeaccount",
            name="decided_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="核实时间"),
        ),
        migrations.AddField(
            model_name="payeeaccount",
            name="decided_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="payeeaccount",
            name="decision_note",
            field=models.CharField(blank=True, max_length=300, verbose_name="核实说明"),
        ),
        migrations.AddField(
            model_name="payeeaccount",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "待核实"),
                    ("verified", "已核实"),
                    ("rejected", "核实未通过"),
                    ("superseded", "已被新的变更取代"),
                ],
                default="pending",
                max_length=10,
                verbose_name="核实状态",
            ),
        ),
        migrations.AddIndex(
            model_name="payeeaccount",
            index=models.Index(fields=["status", "person"], name="payee_status"),
        ),
    ]
