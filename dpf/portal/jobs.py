"""Rate-limit events past every window deleted (dpf.jobs kind ``portal.rate_event_retention``):
``RateEvent`` otherwise grows with every registration attempt, forever."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from dpf.accounts.models import User
from dpf.core import audit
from dpf.portal import services
from dpf.portal.models import RateEvent

# The longest window any limit counts over (dpf.portal.services), plus a day's margin.
RETENTION = max(
    limit[2]
    for limit in (
        services.REGISTER_PER_ADDRESS,
        services.REGISTER_FAILURES_PER_PERSON,
        services.CODE_PER_PERSON,
        services.CODE_PER_PERSON_DAY,
        services.CODE_PER_ADDRESS,
    )
) + dt.timedelta(days=1)


@transaction.atomic
def rate_event_retention_job(
    *,
    params: dict[str, Any],
    progress: Callable[[str], None],
    actor: User | None,
    today: dt.date,
    now: dt.datetime | None = None,
) -> str:
    cutoff = (now or timezone.now()) - RETENTION
    deleted, _ = RateEvent.objects.filter(at__lt=cutoff).delete()
    audit.record(
        actor=actor,
        actor_name="" if actor else "scheduler",
        action="prune",
        object_type="rate_event",
        changes={"before": cutoff.isoformat(), "deleted": deleted},
    )
    return f"{deleted} rate events older than {RETENTION.days} days deleted"


def casework_escalation_job(
    *, params: dict[str, Any], progress: Callable[[str], None], actor: User | None, today: dt.date
) -> str:
    """Escalate overdue requests (dpf.jobs kind ``portal.casework_escalation``, daily)."""
    from dpf.portal.casework import escalate_overdue

    on = dt.date.fromisoformat(params["on"]) if params.get("on") else today
    county, city = escalate_overdue(on=on)
    return f"overdue requests escalated on {on}: {county} to the county, {city} to the city"
