"""I10 and T0305 of the 14th plan counted from assistive-device records (dpf.services):
I10 was "receiving the device subsidy", T0305 a hand-entered value."""

from decimal import Decimal

from django.db import migrations

NEW = {
    "I10": {
        "numerator": {"records": "device_fitted_person"},
        "note": "适配：计划年度内适配或持有在更换周期内的辅具（辅具适配记录）。 / Fitted: fitted "
        "within the plan year or holding a device within its replacement period (fitting "
        "records).",
    },
    "T0305": {
        "numerator": {"records": "device_follow_up_satisfied"},
        "denominator": {"records": "device_follow_up"},
        "scale": Decimal("100"),
        "note": "计划年度内辅具适配回访中回答满意（4或5分）的比例。 / Share of the plan year's "
        "fitting follow-ups answered satisfied (4 or 5 of 5).",
    },
}
OLD = {
    "I10": {
        "numerator": {"persons": 'receiving("device_subsidy")'},
        "note": "适配以享受辅具补贴计。 / Fitted = receiving the device subsidy.",
    },
    "T0305": {"numerator": {"manual": True}, "denominator": {}, "scale": Decimal("1"), "note": ""},
}


def _set(apps, values):
    Indicator = apps.get_model("indicators", "Indicator")
    for code, fields in values.items():
        Indicator.objects.filter(plan__code="P14", code=code).update(**fields)


def forward(apps, schema_editor):
    _set(apps, NEW)


def backward(apps, schema_editor):
    _set(apps, OLD)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0003_evaluation_report")]

    operations = [migrations.RunPython(forward, backward)]
