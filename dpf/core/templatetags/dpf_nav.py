"""``{% load dpf_nav %}``: may this user open a route? Read from the route's own declaration.

The staff navigation (``base.html``) shows a link only when ``user|may_open:"app:name"`` holds,
so the menu follows ``@allow``/``permission_required`` and never repeats role names.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import template
from django.urls import resolve, reverse

from dpf.core.access import declaration_of

register = template.Library()


@lru_cache(maxsize=256)
def _declared(url_name: str) -> tuple[bool, frozenset[str]]:
    """(public, roles) of a route without URL parameters, from its declaration."""
    declaration = declaration_of(resolve(reverse(url_name)).func) or {}
    roles = frozenset(str(r) for r in declaration.get("roles", ()))
    return bool(declaration.get("public")), roles


@register.filter
def may_open(user: Any, url_name: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    public, roles = _declared(url_name)
    return public or str(getattr(user, "role", "") or "") in roles
