"""``{% load workflow_person %}``: the workflow's sections of the registry's person page.

``{% person_situation p %}`` renders what the person receives, applies for and was paid,
and what the rules say they may be eligible for, so the registry (a lower layer) needs no
import of the workflow or benefits apps.
"""

from __future__ import annotations

from typing import Any

from django import template

from dpf.core.dates import local_today
from dpf.registry.models import Person
from dpf.workflow.situation import person_situation as situation_of

register = template.Library()


@register.inclusion_tag("workflow/_person_situation.html", takes_context=True)
def person_situation(context: template.Context, person: Person) -> dict[str, Any]:
    user = context["request"].user
    return {
        "s": situation_of(user, person.pk, local_today()),
        "p": person,
        "user": user,
        "request": context["request"],
    }
