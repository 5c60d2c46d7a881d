"""The shipped benefit catalogue (``data/catalogue.json``): read without a database.

Migrations install a frozen copy of it (``benefits/migrations/0003`` and ``0007``, with
``migrations/data/0003_catalogue.json``; ``0009`` the English descriptions, with
``migrations/data/0009_descriptions_en.json``): a change to this file comes with a
migration of its own, and ``tests/architecture/test_frozen_migrations.py`` fails until it
does. The what-if command (``dpf rules eval``) reads its rules straight from the file, so a
person can be evaluated with no database at all.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "catalogue.json"


@dataclass(frozen=True)
class ShippedRule:
    valid_from: dt.date
    valid_to: dt.date | None
    text: str
    source: str = ""  # where the rule comes from (policy document, plan section)

    def in_force_on(self, date: dt.date) -> bool:
        return self.valid_from <= date and (self.valid_to is None or self.valid_to >= date)


@dataclass(frozen=True)
class ShippedStandard:
    region_code: str
    level: int | None
    valid_from: dt.date
    valid_to: dt.date | None
    monthly_amount: Decimal
    illustrative: bool


@dataclass(frozen=True)
class Exclusive:
    """A payment not paid together with the benefit (择高享受): ``receiving`` is its code
    (an outside payment), ``choose`` the rule ("higher": the person gets the higher)."""

    receiving: str
    choose: str
    source: str = ""


@dataclass(frozen=True)
class ShippedBenefit:
    code: str
    name_zh: str
    name_en: str
    legal_basis: str
    department: str
    description: str
    description_en: str
    one_thing_bundle: bool
    order: int
    rules: tuple[ShippedRule, ...]
    standards: tuple[ShippedStandard, ...]
    exclusive: tuple[Exclusive, ...] = ()

    def rule_on(self, date: dt.date) -> ShippedRule | None:
        return next((r for r in self.rules if r.in_force_on(date)), None)


def _date(value: Any) -> dt.date | None:
    return None if value in (None, "") else dt.date.fromisoformat(str(value))


def _known_choice(entry: dict[str, Any]) -> bool:
    if entry.get("choose", "higher") != "higher":
        raise ValueError(f"unknown choice rule {entry.get('choose')!r}: only 'higher'")
    return True


def parse_catalogue(data: dict[str, Any]) -> dict[str, ShippedBenefit]:
    """The benefits of a catalogue document, keyed by code, in catalogue order."""
    out: dict[str, ShippedBenefit] = {}
    for order, raw in enumerate(data["benefits"], start=1):
        rules = tuple(
            ShippedRule(
                valid_from=_date(r["valid_from"]) or dt.date(2016, 1, 1),
                valid_to=_date(r.get("valid_to")),
                text=str(r["text"]),
                source=str(r.get("source", "")),
            )
            for r in raw.get("rules", [])
        )
        standards = tuple(
            ShippedStandard(
                region_code=str(s.get("region_code") or ""),
                level=None if s.get("level") is None else int(s["level"]),
                valid_from=_date(s["valid_from"]) or dt.date(2016, 1, 1),
                valid_to=_date(s.get("valid_to")),
                monthly_amount=Decimal(str(s["monthly_amount"])),
                illustrative=bool(s.get("illustrative", True)),
            )
            for s in raw.get("standards", [])
        )
        out[str(raw["code"])] = ShippedBenefit(
            code=str(raw["code"]),
            name_zh=str(raw["name_zh"]),
            name_en=str(raw["name_en"]),
            legal_basis=str(raw.get("legal_basis", "")),
            department=str(raw.get("department", "")),
            description=str(raw.get("description", "")),
            description_en=str(raw.get("description_en", "")),
            one_thing_bundle=bool(raw.get("one_thing_bundle", False)),
            order=order,
            rules=rules,
            standards=standards,
            exclusive=tuple(
                Exclusive(
                    receiving=str(e["receiving"]),
                    choose=str(e.get("choose", "higher")),
                    source=str(e.get("source", "")),
                )
                for e in raw.get("exclusive", [])
                if _known_choice(e)
            ),
        )
    return out


@lru_cache(maxsize=1)
def shipped_catalogue() -> dict[str, ShippedBenefit]:
    with CATALOGUE_PATH.open(encoding="utf-8") as fh:
        return parse_catalogue(json.load(fh))


def shipped_codes() -> set[str]:
    return set(shipped_catalogue())
