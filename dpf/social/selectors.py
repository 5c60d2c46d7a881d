"""Reads of the social assistance pages (regions to choose from); the lists themselves are
read in ``emergency.py`` through ``dpf.accounts.scoping``."""

from __future__ import annotations

from typing import Any

from dpf.core.i18n import localised
from dpf.core.models import Region, RegionLevel
from dpf.core.regions import under_q

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
    wanted = (
        Region.objects.filter(under_q(region.code), level=RegionLevel.TOWNSHIP)
        if region.level not in _LIST_LEVELS
        else Region.objects.filter(under_q(region.code))
    )
    codes = list(wanted.order_by("code"))
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
    region = getattr(user, "region", None)
    if region is None:
        return []
    rows = Region.objects.filter(under_q(region.code), level=level).order_by("code")
    return [(r.code, localised(r.name, r.name_en)) for r in rows]
