"""Ship the risk rule of return-to-poverty monitoring for "a large medical expense in a
year", now that the registry holds the medical settlements the medical insurance bureau and
medical assistance report (``registry.MedicalSettlement``, roster ``medical_settlement``):
the household's out-of-pocket medical expenses over the 365 days up to the scan reach
``{medical_expense_line}`` yuan (``household.medical_out_of_pocket_year``; a dated
threshold, 20000 to start with, the city admin's to change on the risk rules page).
Households under 低保 or 特困 are left out as by the shipped rules; a rule or threshold of the
same code the city already has is left alone."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

START = dt.date(2021, 1, 1)

THRESHOLDS = [
    ("medical_expense_line", Decimal("20000.00"), "家庭近一年医疗个人自付费用监测线（元）"),
]

RULES = [
    (
        "large_medical_expense",
        "家庭近一年医疗个人自付费用较高",
        "the household's out-of-pocket medical expenses over a year are large",
        "alive && certificate.valid\n"
        "  && household.medical_out_of_pocket_year >= {medical_expense_line}\n"
        '  && !(household.status in ["dibao", "tekun"])',
    ),
]


def forwards(apps, schema_editor):
    RiskThreshold = apps.get_model("social", "RiskThreshold")
    RiskRule = apps.get_model("social", "RiskRule")
    for name, value, label in THRESHOLDS:
        if not RiskThreshold.objects.filter(name=name).exists():
            RiskThreshold.objects.create(
                name=name, value=value, label=label, valid_from=START, source="shipped"
            )
    for code, name_zh, name_en, text in RULES:
        if not RiskRule.objects.filter(code=code).exists():
            RiskRule.objects.create(
                code=code,
                name_zh=name_zh,
                name_en=name_en,
                text=text,
                valid_from=START,
                source="shipped",
            )


def backwards(apps, schema_editor):
    apps.get_model("social", "RiskRule").objects.filter(
        code__in=[r[0] for r in RULES], source="shipped"
    ).delete()
    apps.get_model("social", "RiskThreshold").objects.filter(
        name__in=[t[0] for t in THRESHOLDS], source="shipped"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("social", "0011_ship_earner_lost_rule"),
        # the rule reads the settlements' attribute (the table, for the scan to run)
        ("registry", "0011_medical_settlements"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
