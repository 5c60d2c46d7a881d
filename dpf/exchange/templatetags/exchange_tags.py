"""Template filters of the exchange pages: masked names and staged changes in words."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import get_language

from dpf.core.crypto import mask_name
from dpf.exchange.display import describe

register = template.Library()


@register.filter
def masked_name(value: Any) -> str:
    return mask_name(str(value or ""))


@register.filter
def fact_words(value: dict[str, Any] | None) -> str:
    return describe(value)


@register.filter
def message(error: dict[str, Any]) -> str:
    """A stored error's message in the active language."""
    english = (get_language() or "").startswith("en")
    return str(error.get("message_en" if english else "message") or "")
