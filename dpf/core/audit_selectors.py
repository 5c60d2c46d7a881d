"""Reading the audit log for the audit page (city admins): filtered, newest first."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from dpf.core.models import AuditEntry


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    person_id: int | None = None
    action: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


def audit_entries(criteria: AuditFilter) -> QuerySet[AuditEntry]:
    """Entries matching ``criteria``; every filter is an indexed equality or range."""
    qs = AuditEntry.objects.all()
    if criteria.username:
        qs = qs.filter(actor_name=criteria.username)
    if criteria.person_id is not None:
        qs = qs.filter(object_type="person", object_id=str(criteria.person_id))
    if criteria.action:
        qs = qs.filter(action=criteria.action)
    if criteria.date_from:
        qs = qs.filter(created_at__gte=_start_of(criteria.date_from))
    if criteria.date_to:
        qs = qs.filter(created_at__lt=_start_of(criteria.date_to + dt.timedelta(days=1)))
    return qs.order_by("-id").only(
        "id",
        "created_at",
        "actor_name",
        "role",
        "region_code",
        "action",
        "object_type",
        "object_id",
        "changes",
        "reason",
        "client_address",
    )
