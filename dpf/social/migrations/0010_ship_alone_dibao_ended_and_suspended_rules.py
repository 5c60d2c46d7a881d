"""Ship three more risk rules of return-to-poverty monitoring, now that the rule language can
say them: a severely disabled person living alone (``household.members``), a household
whose 低保 ended (``household.dibao_ended_days``) and a person whose allowance was
suspended and not resumed (``allowance_suspended_days``), the last two within
``{recent_change_days}`` days (a dated threshold, 90 to start with). Households under 低保 or
特困 are left out as by the shipped rules; a rule or threshold of the same code the city
already has is left alone."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

START = dt.date(2021, 1, 1)

THRESHOLDS = [
    ("recent_change_days", Decimal("90.00"), "低保终止等变化后的监测期（天）"),
]

RULES = [
    (
        "severe_living_alone",
        "重度残疾人独居",
        "a severely disabled person living alone",
        "alive && certificate.severe && household.members == 1\n"
        "  && !in_destitute_care\n"
        '  && !(household.status in ["dibao", "tekun"])',
    ),
    (
        "dibao_ended",
        "家庭低保近期终止",
        "the household's dibao ended recently",
        "alive && certificate.valid\n"
        "  && household.dibao_ended_days >= 1\n"
        "  && household.dibao_ended_days <= {recent_change_days}\n"
        '  && !(household.status in ["dibao", "tekun"])',
    ),
    (
        "allowance_suspended",
        "残疾人待遇近期暂停",
        "a disability allowance suspended recently",
        "alive && certificate.valid\n"
        "  && allowance_suspended_days >= 1\n"
        "  && allowance_suspended_days <= {recent_change_days}\n"
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
    dependencies = [("social", "0009_volunteer_withdrawn_status")]

    operations = [migrations.RunPython(forwards, backwards)]
