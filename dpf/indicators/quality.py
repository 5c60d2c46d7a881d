"""Data quality beside the numbers: survey coverage, stale records, expiring certificates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q

from dpf.core.dates import local_midnight
from dpf.core.models import Region
from dpf.core.regions import roll_up
from dpf.registry.models import Certificate, NeedsSurvey, Person


def quality_by_region(as_of: dt.date, regions: list[Region]) -> dict[str, dict[str, Any]]:
    """One grouped pass over living certified persons, summed up to counties and the city.
    Each figure is a semi-join (``IN`` a subquery run once), not a subquery per person:
    at 50,000 persons on PostgreSQL the correlated ``EXISTS`` took 0.53 s (1.08 s with the
    JIT compilation its cost estimate set off), this 0.09–0.13 s."""
    year_ago = as_of - dt.timedelta(days=365)
    in_force = Certificate.objects.filter(Certificate.as_of_q(as_of)).exclude(status="cancelled")
    expiring = in_force.filter(valid_to__lte=as_of + dt.timedelta(days=90))
    surveyed = NeedsSurvey.objects.filter(year=as_of.year)
    recent = NeedsSurvey.objects.filter(survey_date__gte=year_ago)
    grouped = (
        Person.objects.order_by()
        .filter(pk__in=in_force.values("person_id"))
        .filter(Q(death_date__isnull=True) | Q(death_date__gt=as_of))
        .values("township_code")
        .annotate(
            persons=Count("pk"),
            surveyed=Count("pk", filter=Q(pk__in=surveyed.values("person_id"))),
            stale=Count(
                "pk",
                filter=Q(updated_at__lt=local_midnight(year_ago))
                & ~Q(pk__in=recent.values("person_id")),
            ),
            expiring=Count("pk", filter=Q(pk__in=expiring.values("person_id"))),
        )
    )
    rows = list(grouped)
    keys = ("persons", "surveyed", "stale", "expiring")
    by_key = {key: roll_up({r["township_code"]: r[key] for r in rows}, regions) for key in keys}
    result: dict[str, dict[str, Any]] = {}
    for region in regions:
        totals: dict[str, Any] = {key: by_key[key].get(region.prefix, 0) for key in keys}
        persons = totals["persons"]
        totals["surveyed_share"] = round(totals["surveyed"] * 100 / persons, 1) if persons else None
        result[region.code] = totals
    return result
