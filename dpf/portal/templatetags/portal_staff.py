"""``{% load portal_staff %}``: portal links on staff pages of other apps.

The registry's person page offers 开通居民账号 through ``user|may_open_citizen_account:person``,
so the registry's views need not know about portal accounts (imports point down).
"""

from __future__ import annotations

from typing import Any

from django import template

from dpf.portal import selectors
from dpf.registry.models import Person

register = template.Library()


@register.filter
def may_open_citizen_account(user: Any, person: Person) -> bool:
    return selectors.may_open_account(user, person)
