"""Reads of the social assistance pages (regions to choose from); the lists themselves are
read in ``emergency.py`` through ``dpf.accounts.scoping``."""

from __future__ import annotations

from typing import Any

from dpf.accounts.scoping import regions_to_pick
from dpf.core.i18n import localised
from dpf.core.models import Region, RegionLevel

_LIST_LEVELS = (RegionLevel.TOWNSHIP, RegionLevel.VILLAGE)


def default_emergency_region(user: Any) -> str:
    """A township or village worker's own region; staff above choose one."""
    region = getattr(user, "region", None)
    if region is not None and region.level in _LIST_LEVELS:
        return str(region.code)
    return ""


def emergency_regions(user: Any, current: Region | None) -> list[tuple[str, str]]:
    """The townships (and the villages of the chosen or own township) of ``user``'s region
    that an emergency list can be asked for, as (code, name)."""
    region = getattr(user, "region", None)
    if region is None:
        return []
    levels = None if region.level in _LIST_LEVELS else [RegionLevel.TOWNSHIP]
    codes = list(regions_to_pick(user, levels))
    township = current if current and current.level == RegionLevel.TOWNSHIP else None
    if township is None and current is not None and current.level == RegionLevel.VILLAGE:
        township = current.parent
    if township is not None and region.level not in _LIST_LEVELS:
        villages = Region.objects.filter(parent=township).order_by("code")
        codes = [r for r in codes if r.code != township.code] + [township, *villages]
        codes.sort(key=lambda r: r.code)
    return [(r.code, localised(r.name, r.name_en)) for r in codes]


def regions_of_level(user: Any, level: str) -> list[tuple[str, str]]:
    """The townships or villages under ``user``'s region (itself when of that level), as
    (code, name) for a form's choice."""
    rows = regions_to_pick(user, [level])
    return [(r.code, localised(r.name, r.name_en)) for r in rows]
