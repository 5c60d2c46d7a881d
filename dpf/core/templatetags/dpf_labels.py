"""``{% load dpf_labels %}``: the registry's labels for coded values shown outside a model.

Region codes are shown as names: ``{% region_names_of rows "village_code" as names %}`` then
``{{ names|name_of:row.village_code }}`` (one query for the list).

``{{ 2|level_label }}`` is 二级 (English: level 2), as certificates are written; the label
is ``dpf.core.certnumber.Level``'s, the one the registry's forms and pages use.
"""

from __future__ import annotations

from typing import Any

from django import template

from dpf.core.certnumber import Level
from dpf.core.regions import display_names

register = template.Library()


@register.filter
def level_label(value: Any) -> str:
    try:
        return str(Level(int(value)).label)
    except (TypeError, ValueError):
        return "—"


@register.simple_tag
def region_names_of(rows: Any, field: str) -> dict[str, str]:
    """``{% region_names_of page "village_code" as names %}``: the names (in the request's
    language) of the regions a list shows, in one query, for ``names|name_of:code``."""
    codes = set()
    for row in rows:
        code = row.get(field) if isinstance(row, dict) else getattr(row, field, "")
        codes.add(str(code or ""))
    return display_names(codes)


@register.filter
def name_of(names: dict[str, str], code: Any) -> str:
    """A region's name from ``region_names_of``; "—" for an unknown code (never the code)."""
    return names.get(str(code or ""), "—") if names else "—"
