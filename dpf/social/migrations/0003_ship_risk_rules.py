"""Ship the first risk rules and thresholds of return-to-poverty monitoring (dated data the
city changes on its page or with ``monitoring.rule_save``/``threshold_set``)."""

import datetime as dt
from decimal import Decimal

from django.db import migrations

START = dt.date(2021, 1, 1)

# The monitoring line (防止返贫监测范围, yuan per person per year) is set by the province
# each year; 6,000 is the shipped starting value, to be replaced by the city from the
# province's notice (a new row from 1 January).
THRESHOLDS = [
    ("monitoring_line", Decimal("6000.00"), "防返贫监测线（元/人·年）"),
    ("care_income_factor", Decimal("1.50"), "重度残疾需照护家庭的收入放宽倍数"),
]

RULES = [
    (
        "income_below_line",
        "家庭人均收入低于监测线",
        "household income per person below the monitoring line",
        "alive && certificate.valid\n"
        "  && survey.income_per_capita >= 0 && survey.income_per_capita < {monitoring_line}\n"
        '  && !(household.status in ["dibao", "tekun"])',
    ),
    (
        "severe_care_low_income",
        "重度残疾需长期照护且家庭收入偏低",
        "severe disability in long-term care, low household income",
        "alive && certificate.severe && long_term_care_need\n"
        "  && survey.income_per_capita >= 0\n"
        "  && survey.income_per_capita < {monitoring_line} * {care_income_factor}\n"
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
    apps.get_model("social", "RiskRule").objects.filter(source="shipped").delete()
    apps.get_model("social", "RiskThreshold").objects.filter(source="shipped").delete()


class Migration(migrations.Migration):
    dependencies = [("social", "0002_risk_monitoring")]

    operations = [migrations.RunPython(forwards, backwards)]
