"""Publish the catalogue's rule versions from 2027-01-01 (issue 15 parts 3 and 6): child
rehabilitation 0–7 (to the day before the 8th birthday, indicator T0303's population);
care services for working-age persons with intellectual, mental or severe physical
disability (plan 三(一)3); the rules meaning a 特困 person read ``in_destitute_care`` (the
person's own status). Earlier versions end on 2026-12-31 and stay as they were; a rule
the city admin has changed is left alone.

Frozen like 0003: the versions are those of 0003's frozen catalogue
(``data/0003_catalogue.json``), never the live one.
"""

from __future__ import annotations

import datetime as dt
import importlib
import itertools
from typing import Any

from django.db import migrations

# a module name starting with a digit is imported by name
catalogue = importlib.import_module("dpf.benefits.migrations.0003_ship_catalogue")


def publish(benefit_model: Any, rule_model: Any) -> int:
    """For each pair of consecutive shipped versions: when the open base version is still
    the earlier shipped text, end it the day before the later one starts and publish the
    later one. History is never edited; returns the number of versions published."""
    published = 0
    start = dt.date(2016, 1, 1)
    for raw in catalogue.benefits():
        benefit = benefit_model.objects.filter(code=str(raw["code"])).first()
        if benefit is None:
            continue
        rules = raw.get("rules", [])
        for before, after in itertools.pairwise(rules):
            after_from = catalogue.day(after["valid_from"], start)
            base = rule_model.objects.filter(benefit=benefit, mode="base", region_code="")
            if base.filter(valid_from=after_from).exists():
                continue
            current = base.filter(valid_to__isnull=True, valid_from__lt=after_from).first()
            if current is None or current.text != str(before["text"]):
                continue
            current.valid_to = after_from - dt.timedelta(days=1)
            current.save(update_fields=["valid_to"])
            rule_model.objects.create(
                benefit=benefit,
                region_code="",
                mode="base",
                text=str(after["text"]),
                valid_from=after_from,
                valid_to=catalogue.day(after.get("valid_to")),
                source="catalogue",
                note=catalogue.note(after),
            )
            published += 1
    return published


def forwards(apps: Any, schema_editor: Any) -> None:
    publish(apps.get_model("benefits", "BenefitItem"), apps.get_model("benefits", "RuleVersion"))


class Migration(migrations.Migration):
    dependencies = [("benefits", "0006_entitlement_periods_never_rewritten")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
