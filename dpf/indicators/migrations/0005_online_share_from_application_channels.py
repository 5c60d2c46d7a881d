"""T0604 of the 14th plan (惠残事项网上办理比例) counted from the channel recorded on each
application (dpf.workflow.counters) instead of a hand-entered value."""

from decimal import Decimal

from django.db import migrations

NEW = {
    "numerator": {"records": "application_item_online"},
    "denominator": {"records": "application_item"},
    "scale": Decimal("100"),
    "note": "网上申请和主动发现（免申即享）的事项 ÷ 当年提交的全部事项。 / Items applied for "
    "online or proactively proposed ÷ all items submitted in the year.",
}
OLD = {"numerator": {"manual": True}, "denominator": {}, "scale": Decimal("1"), "note": ""}


def _set(apps, values):
    Indicator = apps.get_model("indicators", "Indicator")
    Indicator.objects.filter(plan__code="P14", code="T0604").update(**values)


def forward(apps, schema_editor):
    _set(apps, NEW)


def backward(apps, schema_editor):
    _set(apps, OLD)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0004_device_indicators_from_fitting_records")]

    operations = [migrations.RunPython(forward, backward)]
