"""I09's note of the 14th plan: the numerator is counted from the rehabilitation service
records (dpf.services.counters, ``rehab_service_person``); the note 0002 installed still
said they were not built and the figure "no data"."""

from django.db import migrations

NEW = (
    "覆盖：有康复需求者在统计日所在年度（1月1日至统计日）至少接受一次康复服务（康复服务记录）。"
    " / Covered: a person with the need received at least one rehabilitation session from "
    "1 January of the date's year to the date (service records)."
)
OLD = (
    "分子需要康复服务记录（尚未建设），在此之前显示暂无数据。 / The numerator needs "
    "rehabilitation service records (not built yet): no data until then."
)


def _set(apps, note):
    Indicator = apps.get_model("indicators", "Indicator")
    Indicator.objects.filter(plan__code="P14", code="I09").update(note=note)


def forward(apps, schema_editor):
    _set(apps, NEW)


def backward(apps, schema_editor):
    _set(apps, OLD)


class Migration(migrations.Migration):
    dependencies = [("indicators", "0007_plan_published")]

    operations = [migrations.RunPython(forward, backward)]
