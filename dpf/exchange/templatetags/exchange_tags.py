"""Template filters of the exchange pages: masked names and staged changes in words."""

from __future__ import annotations

from typing import Any

from django import template

from dpf.core.crypto import mask_name
from dpf.exchange.display import describe

register = template.Library()


@register.filter
def masked_name(value: Any) -> str:
    return mask_name(str(value or ""))


@register.filter
def fact_words(value: dict[str, Any] | None) -> str:
    return describe(value)
