"""Fill the English description of every shipped benefit (issue 17 part 10).

Frozen like 0003: the texts are those of ``data/0009_descriptions_en.json`` beside it (a
copy of the live catalogue's ``description`` and ``description_en`` when it was written),
never the live file. An item whose English text someone already wrote is left alone, and
so is one whose Chinese description was changed since it was shipped: an English text that
says something else than the Chinese would be worse than none (the pages show the Chinese
when there is no English).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import migrations

DATA = Path(__file__).resolve().parent / "data" / "0009_descriptions_en.json"


def descriptions() -> list[dict[str, str]]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return [
        {key: str(raw[key]) for key in ("code", "description", "description_en")}
        for raw in data["benefits"]
    ]


def fill(items: Any) -> int:
    """Write the English descriptions into ``items`` (the BenefitItem rows) where they are
    missing and the Chinese is still the shipped text; returns how many were written."""
    written = 0
    for raw in descriptions():
        written += items.filter(
            code=raw["code"], description=raw["description"], description_en=""
        ).update(description_en=raw["description_en"])
    return written


def forwards(apps: Any, schema_editor: Any) -> None:
    benefit_model = apps.get_model("benefits", "BenefitItem")
    fill(benefit_model.objects.using(schema_editor.connection.alias))


def backwards(apps: Any, schema_editor: Any) -> None:
    benefit_model = apps.get_model("benefits", "BenefitItem")
    items = benefit_model.objects.using(schema_editor.connection.alias)
    for raw in descriptions():
        items.filter(code=raw["code"], description_en=raw["description_en"]).update(
            description_en=""
        )


class Migration(migrations.Migration):
    dependencies = [("benefits", "0008_benefititem_description_en")]

    operations = [migrations.RunPython(forwards, backwards)]
