"""Counts of the social records for the plan's indicators (registered by the indicators
app): T0506 volunteer teams (助残志愿服务队伍) and T0507 registered volunteers (注册助残
志愿者), each a stock on the date: founded or registered on or before it and not dissolved
or withdrawn by then, by township."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from dpf.social.models import Volunteer, VolunteerTeam


def teams_on(as_of: dt.date, start: dt.date | None) -> dict[str, int]:
    """Teams in existence on ``as_of``, by the township they are based in (T0506)."""
    rows = (
        VolunteerTeam.objects.filter(
            Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=as_of), founded_on__lte=as_of
        )
        .values("township_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["township_code"]: r["n"] for r in rows}


def volunteers_on(as_of: dt.date, start: dt.date | None) -> dict[str, int]:
    """Volunteers registered on ``as_of`` (not withdrawn), by their township (T0507)."""
    rows = (
        Volunteer.objects.filter(
            Q(withdrawn_on__isnull=True) | Q(withdrawn_on__gt=as_of), registered_on__lte=as_of
        )
        .values("township_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["township_code"]: r["n"] for r in rows}


RECORD_COUNTERS = {
    "volunteer_team": teams_on,
    "volunteer_registered": volunteers_on,
}
