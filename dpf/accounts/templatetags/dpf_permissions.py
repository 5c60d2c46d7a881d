"""``{% load dpf_permissions %}``: template flags read from the permission table.

``{% if user|can:"export payment_list" %}`` holds when the user's role holds (action, object
type) in ``dpf.accounts.permissions`` — the same check as ``has_permission`` in a view and
``require_permission`` in a service, so a template never names a role. (A link to a page
without parameters uses ``user|may_open:"app:name"`` of ``dpf_nav``: the route's own
declaration.)
"""

from __future__ import annotations

from typing import Any

from django import template

from dpf.accounts.permissions import has_permission

register = template.Library()


@register.filter
def can(user: Any, what: str) -> bool:
    """``user|can:"<action> <object type>"``; an unknown pair is refused (deny by default)."""
    action, _sep, object_type = str(what).partition(" ")
    return has_permission(user, action, object_type.strip())
