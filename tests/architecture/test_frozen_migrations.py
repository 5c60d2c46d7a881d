"""Data migrations are frozen: they read nothing that later code may change.

A data migration that imports live code or reads a live data file installs whatever that
code or file says on the day it runs: a database migrated in 2026 and one migrated in 2028
would hold different catalogues after "the same" migration, and neither would match the
history (issue 16 part 5). So a migration that runs Python imports only the standard
library, Django, ``dpf.core.migration_ops`` and other migrations, and reads only files in
its own ``migrations/data/`` folder.

The other half: the live files (the catalogue, the procedures, the plan, the regions) may
change only together with a migration that ships the change. The second group of tests
compares what the migrations installed in the test database with the live files, so a
change to a live file without its migration fails here with the file named.
"""

from __future__ import annotations

import ast
import csv
import datetime as dt
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from dpf.benefits.catalogue import CATALOGUE_PATH, shipped_catalogue
from dpf.benefits.models import AmountStandard, BenefitItem, RuleVersion
from dpf.core.models import Region
from dpf.indicators.models import Indicator, Plan
from dpf.indicators.services import PLAN_14TH
from dpf.workflow import procedures
from dpf.workflow.models import ProcedureStep

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(ROOT.glob("dpf/*/migrations/0*.py"))
ALLOWED_DPF = re.compile(r"^dpf\.(core\.migration_ops|\w+\.migrations(\..+)?)$")
SHIP = "ship the change in a data migration of its own (see the migration's docstring)"


def runs_python(tree: ast.Module) -> bool:
    return any(
        isinstance(node, ast.Attribute) and node.attr in ("RunPython", "RunSQL")
        for node in ast.walk(tree)
    )


def imported_modules(tree: ast.Module) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and re.fullmatch(r"dpf(\.\w+)+", node.value)  # importlib.import_module("dpf.…")
        ):
            names.append(node.value)
    return names


def test_there_are_data_migrations_to_check() -> None:
    checked = [p for p in MIGRATIONS if runs_python(ast.parse(p.read_text(encoding="utf-8")))]
    assert len(checked) >= 10


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: f"{p.parts[-3]}/{p.stem}")
def test_a_data_migration_reads_nothing_live(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    if not runs_python(tree):
        return  # schema only: field classes and validators are imported as they were
    live = [m for m in imported_modules(tree) if m.startswith("dpf") and not ALLOWED_DPF.match(m)]
    assert not live, (
        f"{path.relative_to(ROOT)} imports live code {live}: copy what it needs into the "
        "migration (the code as it is today, frozen)"
    )
    outside = f"{path.relative_to(ROOT)} reads a file outside its migrations folder: copy it "
    outside += "into migrations/data/ and read the copy"
    assert ".parent.parent" not in source, outside
    assert "parents[" not in source, outside
    for name in re.findall(r'"data" / "([^"]+)"', source):
        assert (path.parent / "data" / name).is_file(), f"{path.relative_to(ROOT)}: {name}"


# --- the live files agree with what the migrations installed ---------------------------


@pytest.mark.django_db
def test_the_live_catalogue_is_what_the_migrations_installed() -> None:
    where = f"{CATALOGUE_PATH.relative_to(ROOT)} differs from the installed catalogue: {SHIP}"
    shipped = shipped_catalogue()
    installed = {b.code: b for b in BenefitItem.objects.filter(code__in=list(shipped))}
    assert set(installed) == set(shipped), where
    for code, item in shipped.items():
        benefit = installed[code]
        assert (
            benefit.name_zh,
            benefit.name_en,
            benefit.legal_basis,
            benefit.department,
            benefit.description,
            benefit.description_en,
            benefit.one_thing_bundle,
            benefit.order,
        ) == (
            item.name_zh,
            item.name_en,
            item.legal_basis,
            item.department,
            item.description,
            item.description_en,
            item.one_thing_bundle,
            item.order,
        ), f"{where} ({code})"
        rules = RuleVersion.objects.filter(
            benefit=benefit, mode="base", region_code="", source="catalogue"
        ).order_by("valid_from")
        assert [(r.valid_from, r.valid_to, r.text) for r in rules] == [
            (r.valid_from, r.valid_to, r.text) for r in item.rules
        ], f"{where} ({code}, rules)"
        assert all(r.source in rule.note for r, rule in zip(item.rules, rules, strict=True))
        standards = AmountStandard.objects.filter(benefit=benefit, source="catalogue")
        assert sorted(
            (s.region_code, s.level or 0, s.valid_from, s.valid_to, s.monthly_amount)
            for s in standards
        ) == sorted(
            (s.region_code, s.level or 0, s.valid_from, s.valid_to, s.monthly_amount)
            for s in item.standards
        ), f"{where} ({code}, standards)"


@pytest.mark.django_db
def test_the_live_procedures_are_what_the_migrations_installed() -> None:
    data = procedures.shipped()
    expected = {
        (benefit, order, raw["code"], raw.get("kind", "normal"), raw["role"])
        for benefit, template in data["procedures"].items()
        for order, raw in enumerate(data["templates"][template], start=1)
    }
    installed = set(
        ProcedureStep.objects.filter(benefit_code__in=list(data["procedures"])).values_list(
            "benefit_code", "order", "code", "kind", "role"
        )
    )
    assert installed == expected, f"{procedures.DATA_PATH.relative_to(ROOT)}: {SHIP}"


@pytest.mark.django_db
def test_the_live_plan_is_what_the_migrations_installed() -> None:
    data: dict[str, Any] = json.loads(PLAN_14TH.read_text(encoding="utf-8"))
    plan = Plan.objects.get(code=data["code"])
    assert (plan.start, plan.end) == (
        dt.date.fromisoformat(data["start"]),
        dt.date.fromisoformat(data["end"]),
    )
    installed = {
        i.code: (i.target, i.numerator, i.denominator or {}, i.comparison, i.kind, i.note)
        for i in Indicator.objects.filter(plan=plan)
    }
    expected = {
        item["code"]: (
            Decimal(item["target"]),
            item["numerator"],
            item.get("denominator") or {},
            item["comparison"],
            item["kind"],
            item.get("note", ""),  # the indicator's page shows the installed note
        )
        for item in data["indicators"]
    }
    assert installed == expected, f"{PLAN_14TH.relative_to(ROOT)}: {SHIP}"


@pytest.mark.django_db
def test_the_live_regions_are_what_the_migrations_installed() -> None:
    path = ROOT / "dpf" / "core" / "data" / "regions_chifeng.csv"
    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    expected = {
        (r["code"], r["name"], r["name_en"], r["level"], r["kind"], r["parent_code"] or None)
        for r in rows
    }
    installed = set(
        Region.objects.filter(code__in=[r["code"] for r in rows]).values_list(
            "code", "name", "name_en", "level", "kind", "parent_id"
        )
    )
    assert installed == expected, f"{path.relative_to(ROOT)}: {SHIP}"
