"""``{% load dpf_labels %}``: the registry's labels for coded values shown outside a model.

``{{ 2|level_label }}`` is 二级 (English: level 2), as certificates are written; the label
is ``dpf.core.certnumber.Level``'s, the one the registry's forms and pages use.
"""

from __future__ import annotations

from typing import Any

from django import template

from dpf.core.certnumber import Level

register = template.Library()


@register.filter
def level_label(value: Any) -> str:
    try:
        return str(Level(int(value)).label)
    except (TypeError, ValueError):
        return "—"
