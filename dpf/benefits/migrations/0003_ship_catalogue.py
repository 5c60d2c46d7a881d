"""Install the shipped catalogue: 13 benefits with their national base rules and
illustrative amount standards.

The data and the code are frozen in the migration (``data/0003_catalogue.json`` beside it,
a copy of ``benefits/data/catalogue.json`` as it was when frozen): a later change to the
live catalogue or to ``dpf.benefits.catalogue`` comes with its own migration (as 0007 did),
and this one installs the same rows on every database it ever runs on.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import migrations

DATA = Path(__file__).resolve().parent / "data" / "0003_catalogue.json"
SHIPPED = "随目录发布 / shipped with the catalogue"


def benefits() -> list[dict[str, Any]]:
    """The frozen catalogue's benefits, in catalogue order (0007 reads them too)."""
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return list(data["benefits"])


def day(value: Any, default: dt.date | None = None) -> dt.date | None:
    return default if value in (None, "") else dt.date.fromisoformat(str(value))


def note(rule: dict[str, Any]) -> str:
    source = str(rule.get("source", ""))
    return f"{SHIPPED}；依据：{source}"[:300] if source else SHIPPED


def forwards(apps: Any, schema_editor: Any) -> None:
    """Create the shipped benefits, with their rules and standards, that are not there yet;
    existing rows are left alone (a city admin may have changed them)."""
    benefit_model = apps.get_model("benefits", "BenefitItem")
    rule_model = apps.get_model("benefits", "RuleVersion")
    standard_model = apps.get_model("benefits", "AmountStandard")
    start = dt.date(2016, 1, 1)
    for order, raw in enumerate(benefits(), start=1):
        benefit, created = benefit_model.objects.get_or_create(
            code=str(raw["code"]),
            defaults={
                "name_zh": str(raw["name_zh"]),
                "name_en": str(raw["name_en"]),
                "legal_basis": str(raw.get("legal_basis", "")),
                "department": str(raw.get("department", "")),
                "description": str(raw.get("description", "")),
                "one_thing_bundle": bool(raw.get("one_thing_bundle", False)),
                "order": order,
            },
        )
        if not created:
            continue
        rule_model.objects.bulk_create(
            rule_model(
                benefit=benefit,
                region_code="",
                mode="base",
                text=str(r["text"]),
                valid_from=day(r["valid_from"], start),
                valid_to=day(r.get("valid_to")),
                source="catalogue",
                note=note(r),
            )
            for r in raw.get("rules", [])
        )
        standard_model.objects.bulk_create(
            standard_model(
                benefit=benefit,
                region_code=str(s.get("region_code") or ""),
                level=None if s.get("level") is None else int(s["level"]),
                valid_from=day(s["valid_from"], start),
                valid_to=day(s.get("valid_to")),
                monthly_amount=Decimal(str(s["monthly_amount"])),
                illustrative=bool(s.get("illustrative", True)),
                source="catalogue",
            )
            for s in raw.get("standards", [])
        )


def backwards(apps: Any, schema_editor: Any) -> None:
    codes = [str(raw["code"]) for raw in benefits()]
    apps.get_model("benefits", "BenefitItem").objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("benefits", "0002_no_overlapping_versions")]

    operations = [migrations.RunPython(forwards, backwards)]
