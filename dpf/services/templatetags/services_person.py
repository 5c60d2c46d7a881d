"""``{% load services_person %}``: the services' links on the registry's person page.

``{% person_service_links p %}`` renders the links to start the services a staff member may
start for this person (rehabilitation plan, home renovation, care placement, schooling
record, a child's screening or referral), each only when the permission table allows it
(``user|can``), so the registry (a lower layer) names none of this app's pages or
permissions.
"""

from __future__ import annotations

from typing import Any

from django import template

from dpf.core.dates import age_on, local_today
from dpf.registry.models import Person
from dpf.services.child_rehab import CHILD_REHAB_AGE_LIMIT

register = template.Library()


@register.inclusion_tag("services/_person_links.html", takes_context=True)
def person_service_links(context: template.Context, person: Person) -> dict[str, Any]:
    child = age_on(person.birth_date, local_today()) < CHILD_REHAB_AGE_LIMIT
    return {"p": person, "user": context["request"].user, "child": child}
