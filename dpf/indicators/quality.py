"""Data quality beside the numbers: survey coverage, stale records, expiring certificates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q

from dpf.core.dates import local_midnight
from dpf.core.models import Region
from dpf.core.regions import roll_up
from dpf.registry.models import Certificate, NeedsSurvey, Person


def quality_by_region(as_of: dt.date, regions: list[Region]) -> dict[str, dict[str, Any]]:
    """One grouped pass over living certified persons, summed up to counties and the city."""
    year_ago = as_of - dt.timedelta(days=365)
    valid_cert = Certificate.objects.filter(
        Certificate.as_of_q(as_of), person=OuterRef("pk")
    ).exclude(status="cancelled")
    expiring = Certificate.objects.filter(
        person=OuterRef("pk"),
        valid_from__lte=as_of,
        valid_to__gte=as_of,
        valid_to__lte=as_of + dt.timedelta(days=90),
    ).exclude(status="cancelled")
    surveyed = NeedsSurvey.objects.filter(person=OuterRef("pk"), year=as_of.year)
    grouped = (
        Person.objects.order_by()
        .filter(Exists(valid_cert))
        .filter(Q(death_date__isnull=True) | Q(death_date__gt=as_of))
        .values("township_code")
        .annotate(
            persons=Count("pk"),
            surveyed=Count("pk", filter=Q(Exists(surveyed))),
            stale=Count(
                "pk",
                filter=Q(updated_at__lt=local_midnight(year_ago))
                & ~Q(
                    Exists(
                        NeedsSurvey.objects.filter(person=OuterRef("pk"), survey_date__gte=year_ago)
                    )
                ),
            ),
            expiring=Count("pk", filter=Q(Exists(expiring))),
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
