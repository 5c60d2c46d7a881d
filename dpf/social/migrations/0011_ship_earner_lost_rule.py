"""Ship the risk rule of return-to-poverty monitoring for "the only earner lost", now that the
rule language can say its nearest reading: no member of the household works on the date and
the last member's employment ended within ``{recent_change_days}`` days
(``household.earner_lost_days``; the dated threshold 0010 shipped). Households under 低保 or
特困 are left out as by the shipped rules; a rule of the same code the city already has is
left alone."""

import datetime as dt

from django.db import migrations

START = dt.date(2021, 1, 1)

RULES = [
    (
        "earner_lost",
        "家庭最后一名就业成员近期停止就业",
        "the household's last earner stopped working recently",
        "alive && certificate.valid\n"
        "  && household.earner_lost_days >= 1\n"
        "  && household.earner_lost_days <= {recent_change_days}\n"
        '  && !(household.status in ["dibao", "tekun"])',
    ),
]


def forwards(apps, schema_editor):
    RiskRule = apps.get_model("social", "RiskRule")
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


class Migration(migrations.Migration):
    dependencies = [("social", "0010_ship_alone_dibao_ended_and_suspended_rules")]

    operations = [migrations.RunPython(forwards, backwards)]
