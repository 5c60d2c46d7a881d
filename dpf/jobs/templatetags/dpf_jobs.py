"""``{% failed_schedules_alert %}``: whoever may see the schedules (the permission table's
(view, schedule): the city admin) sees a schedule whose last run failed on every page until a
run succeeds (the tick retries it meanwhile)."""

from __future__ import annotations

from typing import Any

from django import template

from dpf.accounts.permissions import has_permission
from dpf.jobs.selectors import failed_schedules, kind_label

register = template.Library()


@register.inclusion_tag("jobs/_failed_alert.html", takes_context=True)
def failed_schedules_alert(context: dict[str, Any]) -> dict[str, Any]:
    user = context.get("user")
    if not has_permission(user, "view", "schedule"):
        return {"failed": []}
    return {"failed": [(s, kind_label(s.kind)) for s in failed_schedules()]}
