"""``{% load dpf_nav %}``: may this user open a route? Read from the route's own declaration.

``user|may_open:"app:name"`` holds when the route's declaration (``@allow`` or
``permission_required``) admits the user; ``{% main_menu %}`` renders the staff menu of
``dpf.core.menu`` with the entries the user may open, so the menu never repeats role names.
"""

from __future__ import annotations

from typing import Any

from django import template

from dpf.core import menu

register = template.Library()


@register.filter
def may_open(user: Any, url_name: str) -> bool:
    return menu.may_open(user, url_name)


@register.inclusion_tag("core/_menu.html", takes_context=True)
def main_menu(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    match = getattr(request, "resolver_match", None)
    view_name = getattr(match, "view_name", "") or ""
    user = getattr(request, "user", None)
    entries = menu.menu_for(user) if user is not None else []
    return {"entries": [(e, e.is_current(view_name)) for e in entries]}
