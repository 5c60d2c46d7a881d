"""``{{ value|figure:unit }}``: an indicator figure rounded for display (``display.py``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import template

from dpf.indicators.display import figure_text

register = template.Library()


@register.filter
def figure(value: Any, unit: str = "") -> str:
    """``value`` (a number, or ``None``) as the pages show it: "98.8" for a rate."""
    if value is None or value == "":
        return figure_text(None)
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return figure_text(number, unit)
