"""The data-quality figures beside the indicators (``quality.quality_by_region``) equal a
count of the same definitions person by person in Python, on a random world whose
certificates, surveys, deaths and record dates turn before, on and after the dates asked.

The definitions (the dashboard's quality panel): a living person holding a certificate in
force and not cancelled counts; *surveyed* when a needs survey of the date's year exists;
*stale* when the record was last changed over 365 days before the date (Chifeng's midnight)
and no survey is dated within those 365 days; *expiring* when a certificate in force, not
cancelled, ends within 90 days of the date. Replacing a definition's subquery by another
(the survey's year by its date, the certificate's ``valid_to`` bound by ``valid_from``)
makes this test fail: tried.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from typing import Any

import pytest

from dpf.core.dates import local_midnight
from dpf.core.models import Region
from dpf.indicators import compute as kpi
from dpf.indicators.quality import quality_by_region
from dpf.registry.models import Certificate, NeedsSurvey, Person
from tests.benefits.test_scan_incremental import BUILT, World, build
from tests.rules.test_boundaries import _turns_after

pytestmark = pytest.mark.django_db

DATES = [dt.date(2025, 6, 30), dt.date(2025, 12, 31), dt.date(2026, 3, 15), dt.date(2026, 9, 1)]


def _spread_record_dates(rng: random.Random) -> None:
    """``updated_at`` from 2024 to 2026 (plain updates: ``auto_now`` would stamp the clock)."""
    for pk in Person.objects.order_by("pk").values_list("pk", flat=True):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 1000))
        stamp = local_midnight(day) + dt.timedelta(minutes=rng.choice([-1, 0, 1, 600]))
        Person.objects.filter(pk=pk).update(updated_at=stamp)


def _certificates_ending_soon(rng: random.Random) -> None:
    """Some certificates end within or just beyond 90 days of each date; a few cancelled."""
    for cert in Certificate.objects.order_by("pk"):
        roll = rng.random()
        if roll < 0.3:
            day = rng.choice(DATES) + dt.timedelta(days=rng.choice([0, 1, 89, 90, 91]))
            if day >= cert.valid_from:
                Certificate.objects.filter(pk=cert.pk).update(valid_to=day)
        elif roll < 0.35:
            Certificate.objects.filter(pk=cert.pk).update(status="cancelled")


def expected(as_of: dt.date, regions: list[Region]) -> dict[str, dict[str, Any]]:
    year_ago = as_of - dt.timedelta(days=365)
    certs: dict[int, list[Certificate]] = defaultdict(list)
    for cert in Certificate.objects.all():
        certs[cert.person_id].append(cert)
    surveys: dict[int, list[NeedsSurvey]] = defaultdict(list)
    for survey in NeedsSurvey.objects.all():
        surveys[survey.person_id].append(survey)
    by_township: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for person in Person.objects.all():
        if person.death_date is not None and person.death_date <= as_of:
            continue
        held = [
            c
            for c in certs[person.pk]
            if c.status != "cancelled"
            and c.valid_from <= as_of
            and (c.valid_to is None or c.valid_to >= as_of)
        ]
        if not held:
            continue
        counts = by_township[person.township_code]
        counts["persons"] += 1
        mine = surveys[person.pk]
        counts["surveyed"] += any(s.year == as_of.year for s in mine)
        counts["stale"] += person.updated_at < local_midnight(year_ago) and not any(
            s.survey_date >= year_ago for s in mine
        )
        counts["expiring"] += any(
            c.valid_to is not None and c.valid_to <= as_of + dt.timedelta(days=90) for c in held
        )
    result: dict[str, dict[str, Any]] = {}
    for region in regions:
        totals: dict[str, Any] = {
            key: sum(
                counts[key]
                for code, counts in by_township.items()
                if code.startswith(region.prefix)
            )
            for key in ("persons", "surveyed", "stale", "expiring")
        }
        persons = totals["persons"]
        totals["surveyed_share"] = round(totals["surveyed"] * 100 / persons, 1) if persons else None
        result[region.code] = totals
    return result


@pytest.mark.parametrize("seed", [3])
def test_quality_figures_equal_a_count_person_by_person(seed, time_machine) -> None:
    time_machine.move_to(BUILT, tick=False)
    world = World(random.Random(seed))
    build(world)
    _turns_after(world)
    _certificates_ending_soon(world.rng)
    _spread_record_dates(world.rng)
    regions = kpi.regions_for_report()
    for as_of in DATES:
        found = quality_by_region(as_of, regions)
        wanted = expected(as_of, regions)
        assert found == wanted, as_of
        # the world is varied enough for every figure to be tested on some date
    assert all(
        any(expected(day, regions)[regions[0].code][key] for day in DATES)
        for key in ("persons", "surveyed", "stale", "expiring")
    )
