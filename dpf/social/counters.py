"""Counts of the social records for the plan's indicators (registered by the indicators
app): T0506 volunteer teams (助残志愿服务队伍) and T0507 registered volunteers (注册助残
志愿者), each a stock on the date: founded or registered on or before it and not dissolved
or withdrawn by then; T0508 social organisations incubated (培育助残社会组织): incubation
completed on or before the date (from the plan's start when the indicator is cumulative);
all by township."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q

from dpf.social.models import SocialOrganisation, Volunteer, VolunteerTeam


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


def organisations_incubated(as_of: dt.date, start: dt.date | None) -> dict[str, int]:
    """Organisations whose incubation was completed on or before ``as_of`` (T0508)."""
    condition = Q(incubated_on__lte=as_of)
    if start is not None:
        condition &= Q(incubated_on__gte=start)
    rows = (
        SocialOrganisation.objects.filter(condition)
        .values("township_code")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["township_code"]: r["n"] for r in rows}


RECORD_COUNTERS = {
    "volunteer_team": teams_on,
    "volunteer_registered": volunteers_on,
    "social_organisation": organisations_incubated,
}
